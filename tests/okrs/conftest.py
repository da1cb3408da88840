from dataclasses import dataclass
from decimal import Decimal

import pytest

from okrs.models import KeyResult, Objective, Period
from okrs.services import key_result_create, objective_create, period_get_or_create


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
