"""Shared set-up for the Hypothesis fuzz tests (issue 8: no input gives a 500).

Hypothesis runs many examples inside one pytest test, so function-scoped fixtures are built once
per test and every example runs in a savepoint that is rolled back (`rolled_back()`): each example
sees the same world, and nothing one example saves leaks into the next.
"""

import datetime
import tempfile
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone
from hypothesis import configuration

from okrs.models import Horizon, KeyResult, Objective, Period, RoadmapItem
from okrs.services import (
    horizon_create,
    key_result_create,
    objective_create,
    period_close,
    period_get_or_create,
    roadmap_item_create,
    roadmap_item_link_key_result,
)
from platformhub.models import Membership, Person
from sprints.models import Card, Project, Sprint
from sprints.services import card_create
from tests.factories import MembershipFactory
from tests.fuzz.checks import snapshot

# Hypothesis caches Unicode tables under its home directory (./.hypothesis by default); keep that
# out of the checkout. The example database is off too (`database=None` in the tests' settings).
configuration.set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "platformhub-fuzz-hypothesis")


@dataclass
class World:
    """What the fuzzed forms refer to: the `org` fixture's Platform tree, the Payments team next
    to it, and one of everything of each (ids of Payments' objects are the "another team's ids")."""

    org: object
    period: Period
    objective: Objective
    sub_objective: Objective
    key_results: dict[str, KeyResult]
    six_month: Horizon
    three_year: Horizon
    team_horizon: Horizon
    item: RoadmapItem
    project: Project
    sprint: Sprint
    card: Card
    foreign: dict[str, int] = field(default_factory=dict)
    payments: dict[str, object] = field(default_factory=dict)  # Payments' objects, to post to their URLs
    closed: dict[str, object] = field(default_factory=dict)  # in a quarter Platform has closed (read-only)

    @property
    def lead(self) -> Person:
        return self.org.users["lead"].person

    @property
    def engineer(self) -> Person:
        return self.org.users["engineer"].person

    def people_ids(self) -> list[int]:
        return [self.lead.pk, self.engineer.pk, self.sub_member.pk]

    @property
    def sub_member(self) -> Person:
        return Membership.objects.get(team=self.org.sub_team).person

    def horizon_ids(self) -> list[int]:
        return [self.six_month.pk, self.three_year.pk, self.team_horizon.pk]

    def foreign_ids(self) -> list[int]:
        """Ids that exist but must not be accepted here: other teams' objects, other people."""
        return sorted(set(self.foreign.values()))


@pytest.fixture
def world(org, okr) -> World:
    MembershipFactory(team=org.sub_team, person__display_name="Sam Sub")
    period = okr.period
    kinds = {"metric": okr.kr}
    for kind in ("percent", "milestone", "issues"):
        kinds[kind] = key_result_create(
            objective=okr.objective, title=f"A {kind} KR", kind=kind, owners=[org.users["lead"].person]
        )
    sub_objective = objective_create(
        team=org.sub_team, period=period, title="Fast deploys", why="Speed.", parent=okr.objective
    )
    six_month = horizon_create(team=None, name="6 month", target_date=datetime.date(2023, 6, 30))
    three_year = horizon_create(team=None, name="3-year")
    team_horizon = horizon_create(team=org.team, name="FY27")
    item = roadmap_item_create(team=org.team, horizon=six_month, title="No Heroku", owners=[org.users["lead"].person])
    roadmap_item_link_key_result(item=item, key_result=okr.kr)
    roadmap_item_create(team=org.team, horizon=six_month, title="SOC 2")
    project = Project.objects.create(team=org.team, title="Re-partition 100 tables")
    today = timezone.localdate()
    sprint = Sprint.objects.create(
        number=1,
        name="Sprint 1",
        start=today - datetime.timedelta(days=3),
        end=today + datetime.timedelta(days=10),
        planning_date=today - datetime.timedelta(days=4),
    )
    card = card_create(team=org.team, title="Move the first database", owners=[org.users["engineer"].person])
    # Ahead of its target, so that making it a percent KR is refused (a service error, not a field's).
    KeyResult.objects.filter(pk=okr.kr.pk).update(current_value=Decimal(150))
    okr.kr.refresh_from_db()

    # A quarter Platform has closed: every write to it is refused.
    q3 = period_get_or_create(year=2022, quarter=3)
    closed_objective = objective_create(team=org.team, period=q3, title="Closed objective")
    closed_kr = key_result_create(objective=closed_objective, title="Closed KR", kind="percent")
    period_close(team=org.team, period=q3, closed_by=None, scores={closed_kr.pk: (Decimal("0.5"), "")})

    # Payments: the same kinds of objects, whose ids must be refused on Platform's forms.
    other = org.other_team
    other_objective = objective_create(team=other, period=period, title="Payments objective")
    other_kr = key_result_create(objective=other_objective, title="Payments KR", kind="percent")
    other_horizon = horizon_create(team=other, name="Payments FY27")
    other_item = roadmap_item_create(team=other, horizon=other_horizon, title="Payments item")
    other_project = Project.objects.create(team=other, title="Payments project")
    other_card = card_create(team=other, title="Payments card")
    foreign = {
        "objective": other_objective.pk,
        "key_result": other_kr.pk,
        "horizon": other_horizon.pk,
        "item": other_item.pk,
        "project": other_project.pk,
        "card": other_card.pk,
        "outsider": org.users["outsider"].person.pk,
        "viewer": org.users["viewer"].person.pk,
    }
    return World(
        org=org,
        period=period,
        objective=okr.objective,
        sub_objective=sub_objective,
        key_results=kinds,
        six_month=six_month,
        three_year=three_year,
        team_horizon=team_horizon,
        item=item,
        project=project,
        sprint=sprint,
        card=card,
        foreign=foreign,
        payments={"objective": other_objective, "key_result": other_kr, "item": other_item, "card": other_card},
        closed={"objective": closed_objective, "key_result": closed_kr},
    )


@pytest.fixture
def baseline(world) -> dict:
    """The watched rows before any example: each example is rolled back to this."""
    return snapshot()


@pytest.fixture
def lead_client(client_as):
    return client_as("lead")
