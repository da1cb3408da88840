"""Fixtures for the permission matrix: one team tree and a user in every role around it."""

from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.db.backends.postgresql.operations import DatabaseOperations as PostgreSQLOperations
from django.test import Client

from okrs.models import KeyResult, Objective, Period
from okrs.services import key_result_create, objective_create, period_get_or_create
from tests.factories import Org, build_org

ROLES = ["lead", "engineer", "viewer", "outsider", "staff", "anonymous"]


@pytest.fixture(scope="session", autouse=True)
def postgresql_flushes_by_delete():
    """After each transactional test Django empties every table. PostgreSQL's TRUNCATE of 105
    tables takes 0.4 s, DELETE of their few test rows 3 ms: over the suite's 500 such tests,
    minutes. The constraints are checked at commit, so the order does not matter."""

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        if reset_sequences:
            return original(self, style, tables, reset_sequences=True, allow_cascade=allow_cascade)
        return ["SET CONSTRAINTS ALL DEFERRED"] + [f"DELETE FROM {self.quote_name(table)}" for table in tables]

    original = PostgreSQLOperations.sql_flush
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(PostgreSQLOperations, "sql_flush", sql_flush)
        yield


def pytest_collection_modifyitems(config, items):
    """Slow tests first: under xdist, one started last would leave the other workers idle."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


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
