"""The data version: one number that moves on after every committed write to the app's data."""

import pytest
from django.contrib.sessions.models import Session
from django.db import connection, transaction
from django.test import Client

from okrs.models import Objective
from platformhub.data_version import changes_data, data_version_current
from platformhub.models import DataVersion, Team
from platformhub.sessions import SessionStore
from tests.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("sql", "tracked"),
    [
        ('INSERT INTO "okrs_checkin" ("key_result_id") VALUES (%s)', True),
        ('UPDATE "sprints_card" SET "column" = %s', True),
        ('DELETE FROM "integrations_issuelink" WHERE id = 1', True),
        ("  update platformhub_team set name = 'x'", True),
        ('UPDATE "auth_user" SET "last_login" = %s', True),
        ('SELECT "okrs_checkin"."id" FROM "okrs_checkin"', False),
        ('UPDATE "django_session" SET "session_data" = %s', False),
        ('INSERT INTO "django_tasks_database_dbtaskresult" ("id") VALUES (%s)', False),
        ('UPDATE "axes_accessattempt" SET "failures_since_start" = 1', False),
        ('UPDATE "platformhub_dataversion" SET "number" = ("number" + 1)', False),
        ('INSERT INTO "integrations_webhookdelivery" ("delivery_id") VALUES (%s)', False),
        ('UPDATE "integrations_webhookdelivery" SET "processed_at" = %s', False),
    ],
)
def test_only_writes_to_the_apps_tables_change_data(sql, tracked):
    assert changes_data(sql) is tracked


def test_a_transaction_moves_the_version_on_once_when_it_commits(django_capture_on_commit_callbacks):
    before = data_version_current()
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        team = TeamFactory()
        team.mission = "Changed"
        team.save(update_fields=["mission"])
        TeamFactory()
    assert len(callbacks) == 1
    assert data_version_current() == before + 1


@pytest.mark.parametrize(
    "write",
    [
        lambda team: Team.objects.filter(pk=team.pk).update(mission="Bulk"),
        lambda team: Team.objects.filter(pk=team.pk).delete(),
        lambda team: Team.objects.bulk_create([Team(name="Bulk", slug="bulk")]),
        lambda team: connection.cursor().execute("UPDATE platformhub_team SET mission = 'raw'"),
    ],
    ids=["update", "delete", "bulk_create", "raw_sql"],
)
@pytest.mark.django_db(transaction=True)
def test_writes_that_bypass_save_move_it_on_too(write):
    team = TeamFactory()
    before = data_version_current()
    with transaction.atomic():
        write(team)
    assert data_version_current() == before + 1


@transaction.atomic
def create_then_fail() -> None:
    TeamFactory()
    raise RuntimeError("undo")


def test_reads_and_rolled_back_writes_leave_it(django_capture_on_commit_callbacks):
    TeamFactory()
    before = data_version_current()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        list(Team.objects.all())
        Objective.objects.exists()
        with pytest.raises(RuntimeError, match="undo"):
            create_then_fail()
    assert callbacks == []
    assert data_version_current() == before


@pytest.mark.django_db(transaction=True)
def test_a_real_commit_moves_it_on_after_the_commit():
    """Outside a test transaction: each committed transaction moves it on by one."""
    start = data_version_current()
    with transaction.atomic():
        team = TeamFactory()
        TeamFactory()
    assert data_version_current() == start + 1
    Team.objects.filter(pk=team.pk).update(mission="Autocommit")  # one statement, one transaction
    assert data_version_current() == start + 2


@pytest.mark.django_db(transaction=True)
def test_a_missing_row_is_made_again():
    """A flushed database (as tests leave it) has no row; the first write makes it."""
    team = TeamFactory()
    DataVersion.objects.all().delete()
    assert data_version_current() == 0
    Team.objects.filter(pk=team.pk).update(mission="First write")
    assert data_version_current() == 1


def test_the_session_brings_the_version_in_the_same_query(django_assert_num_queries):
    client = Client()
    client.force_login(UserFactory())
    key = client.cookies["sessionid"].value
    assert Session.objects.filter(session_key=key).exists()
    store = SessionStore(session_key=key)
    with django_assert_num_queries(1):
        store.load()
    assert store.data_version == data_version_current()
    assert SessionStore(session_key="no-such-session").load() == {}


def test_other_execute_wrappers_still_get_every_argument():
    """Django passes a wrapper (execute, sql, params, many, context) and the next one the same."""
    seen = []

    def inner(execute, sql, params, many, context):
        seen.append(context["connection"].alias)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(inner):
        TeamFactory()
    assert seen
    assert set(seen) == {"default"}
