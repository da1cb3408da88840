"""Shared factory-boy factories: every test builds its data through these."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

import factory
from django.contrib.auth.models import User

from okrs.models import CheckIn, KeyResult, Objective, Period
from platformhub.models import Membership, Person, Team

TEST_PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password(TEST_PASSWORD)


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    user = factory.SubFactory(UserFactory)
    display_name = factory.Faker("name")
    title = "Software Engineer"
    timezone = "Europe/London"
    github_handle = factory.Sequence(lambda n: f"dev{n}")


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")
    slug = factory.Sequence(lambda n: f"team-{n}")
    mission = "Ship reliable things."
    slack_channel = "#team-things"
    guidelines = "- We write things down"


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    person = factory.SubFactory(PersonFactory)
    team = factory.SubFactory(TeamFactory)
    role = Membership.Role.ENGINEER


class PeriodFactory(factory.django.DjangoModelFactory):
    """A calendar quarter (Q4 2022 unless told otherwise), with its dates from `Period.bounds`."""

    class Meta:
        model = Period
        django_get_or_create = ["year", "quarter"]

    year = 2022
    quarter = 4
    start = factory.LazyAttribute(lambda period: Period.bounds(period.year, period.quarter)[0])
    end = factory.LazyAttribute(lambda period: Period.bounds(period.year, period.quarter)[1])


class ObjectiveFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Objective

    team = factory.SubFactory(TeamFactory)
    period = factory.SubFactory(PeriodFactory)
    title = factory.Sequence(lambda n: f"Objective {n}")
    why = "Because it matters."


class KeyResultFactory(factory.django.DjangoModelFactory):
    """A metric KR from 0 to 100, due at the end of its objective's quarter."""

    class Meta:
        model = KeyResult

    objective = factory.SubFactory(ObjectiveFactory)
    title = factory.Sequence(lambda n: f"Key result {n}")
    due_date = factory.LazyAttribute(lambda key_result: key_result.objective.period.end)
    kind = KeyResult.Kind.METRIC
    direction = KeyResult.Direction.INCREASE
    start_value = Decimal(0)
    target_value = Decimal(100)
    current_value = Decimal(0)


class CheckInFactory(factory.django.DjangoModelFactory):
    """A check-in at 10:00 UTC on the first day of its key result's quarter unless told otherwise."""

    class Meta:
        model = CheckIn

    key_result = factory.SubFactory(KeyResultFactory)
    author = factory.SubFactory(PersonFactory)
    value = Decimal(0)
    confidence = KeyResult.Confidence.HIGH
    note = "Steady progress."
    created_at = factory.LazyAttribute(
        lambda check_in: datetime.datetime.combine(
            check_in.key_result.objective.period.start, datetime.time(10), tzinfo=datetime.UTC
        )
    )


@dataclass
class Org:
    team: Team
    sub_team: Team
    other_team: Team
    users: dict[str, User]


def build_org() -> Org:
    """Platform with an Infrastructure sub-team, an unrelated Payments team, and a user per role
    (the outsider is a member of Payments): the `org` fixture, and the route matrix's world."""
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


def key_result_form_data(**overrides) -> dict:
    """What the key result form posts for a valid metric KR, with `overrides` changed."""
    data = {
        "title": "Load test weekly",
        "kind": "metric",
        "start_value": "0",
        "target_value": "12",
        "unit": "runs",
        "direction": "increase",
        "due_date": "",
    }
    return {**data, **overrides}
