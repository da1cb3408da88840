import io

import pytest
from django.core.management import call_command
from django.tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from integrations.models import GitHubIssue, SyncRun
from integrations.services import key_result_link_issues
from integrations.tasks import schedule_periodic_sync, sync_linked_issues
from tests.integrations.conftest import run_worker
from tests.integrations.github_standin import GitHubStandIn

pytestmark = pytest.mark.django_db(transaction=True)  # the task worker closes its connections


@pytest.fixture
def github(settings):
    with GitHubStandIn() as standin:
        settings.GITHUB_API_URL = standin.url
        yield standin


def _queued_syncs():
    return DBTaskResult.objects.filter(task_path=sync_linked_issues.module_path, status=TaskResultStatus.READY)


def test_the_periodic_sync_is_queued_once(settings):
    settings.GITHUB_SYNC_INTERVAL = 600
    assert schedule_periodic_sync() is True
    assert schedule_periodic_sync() is False
    queued = _queued_syncs().get()
    assert queued.run_after > queued.enqueued_at


def test_a_periodic_sync_queues_the_next_one_when_it_runs(github, okr, settings):
    settings.GITHUB_SYNC_INTERVAL = 0
    github.add_issue("PostHog/posthog", 1, title="Move Postgres", state="closed")
    key_result_link_issues(key_result=okr.kr, text="PostHog/posthog#1", added_by=None)
    schedule_periodic_sync()
    call_command("db_worker", "--batch", "--no-startup-delay", "--max-tasks", "1", verbosity=0, stdout=io.StringIO())
    assert GitHubIssue.objects.get().state == "closed"
    assert SyncRun.objects.count() == 1
    assert _queued_syncs().count() == 1


def test_github_sync_command_reports_what_it_did(github, okr):
    github.add_issue("PostHog/posthog", 1, title="Move Postgres")
    key_result_link_issues(key_result=okr.kr, text="PostHog/posthog#1\nPostHog/posthog#404", added_by=None)
    out, err = io.StringIO(), io.StringIO()
    call_command("github_sync", stdout=out, stderr=err)
    assert "Checked 2 issues" in out.getvalue()
    assert "2 changed" in out.getvalue()  # one fetched, one found gone
    assert GitHubIssue.objects.get(number=1).title == "Move Postgres"
    assert GitHubIssue.objects.get(number=404).deleted is True


def test_github_sync_command_schedules(settings):
    out = io.StringIO()
    call_command("github_sync", "--schedule", stdout=out)
    call_command("github_sync", "--schedule", stdout=out)
    assert out.getvalue().splitlines() == ["Queued the periodic sync.", "The periodic sync is already queued."]


def test_a_failing_github_is_recorded_not_raised(github, okr):
    github.fail(500, times=None)
    key_result_link_issues(key_result=okr.kr, text="PostHog/posthog#1", added_by=None)
    sync_linked_issues.enqueue()
    run_worker()
    run = SyncRun.objects.get()
    assert "GitHub answered 500" in run.error
    assert DBTaskResult.objects.get(task_path=sync_linked_issues.module_path).status == TaskResultStatus.SUCCESSFUL
