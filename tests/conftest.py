"""Fixtures for the permission matrix: one team tree and a user in every role around it."""

from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.test import Client

from okrs.models import KeyResult, Objective, Period
from okrs.services import key_result_create, objective_create, period_get_or_create
from platformhub.models import Membership, Team
from tests.factories import MembershipFactory, PersonFactory, TeamFactory, UserFactory

ROLES = ["lead", "engineer", "viewer", "outsider", "staff", "anonymous"]


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Production hashes passwords slowly on purpose; tests need not."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class Org:
    team: Team
    sub_team: Team
    other_team: Team
    users: dict[str, User]


@pytest.fixture
def org(db) -> Org:
    """Platform with an Infrastructure sub-team, an unrelated Payments team, and a user per role."""
    team = TeamFactory(name="Platform", slug="platform")
    sub_team = TeamFactory(name="Infrastructure", slug="infrastructure", parent=team)
    other_team = TeamFactory(name="Payments", slug="payments")
    lead = MembershipFactory(team=team, role=Membership.Role.LEAD, person__display_name="Lena Lead").person.user
    engineer = MembershipFactory(team=team, person__display_name="Eric Engineer").person.user
    outsider = MembershipFactory(team=other_team, person__display_name="Olga Outsider").person.user
    viewer = PersonFactory(is_org_viewer=True, display_name="Vera Viewer").user
    staff = UserFactory(is_staff=True)
    return Org(
        team=team,
        sub_team=sub_team,
        other_team=other_team,
        users={"lead": lead, "engineer": engineer, "viewer": viewer, "outsider": outsider, "staff": staff},
    )


@pytest.fixture
def client_as(org):
    """`client_as("lead")` is a test client logged in as that role (or anonymous)."""

    def make(role: str, **client_kwargs) -> Client:
        client = Client(**client_kwargs)
        if role != "anonymous":
            client.force_login(org.users[role])
        return client

    return make


@dataclass
class Okr:
    period: Period
    objective: Objective
    kr: KeyResult


@pytest.fixture
def okr(org) -> Okr:
    """Q4 2022 for the `org` fixture's Platform team: one objective with one metric KR."""
    period = period_get_or_create(year=2022, quarter=4)
    objective = objective_create(
        team=org.team,
        period=period,
        title="High uptime",
        why="A lack of reliability will cause churn.",
        owners=[org.users["lead"].person],
    )
    kr = key_result_create(
        objective=objective,
        title="Migrate postgres out of heroku",
        kind=KeyResult.Kind.METRIC,
        unit="databases",
        start_value=Decimal(0),
        target_value=Decimal(3),
        owners=[org.users["engineer"].person],
    )
    return Okr(period=period, objective=objective, kr=kr)
