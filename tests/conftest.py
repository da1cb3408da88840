"""Fixtures for the permission matrix: one team tree and a user in every role around it."""

from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.test import Client

from okrs.models import KeyResult, Objective, Period
from okrs.services import key_result_create, objective_create, period_get_or_create
from tests.factories import Org, build_org

ROLES = ["lead", "engineer", "viewer", "outsider", "staff", "anonymous"]


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Production hashes passwords slowly on purpose; tests need not."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def org(db) -> Org:
    """Platform with an Infrastructure sub-team, an unrelated Payments team, and a user per role."""
    return build_org()


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
