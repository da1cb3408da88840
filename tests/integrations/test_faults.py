"""Issue 8, "under load and faults", for GitHub and the task worker.

- With the GitHub stand-in answering 500s, rate limits, stalls past the client's timeout, or not
  listening at all, a sync records the error instead of raising, and every page that shows linked
  issues or the last sync still renders for a lead and a viewer, saying what went wrong.
- A `manage.py db_worker` process SIGKILLed in the middle of a sync and started again: the sync
  finishes and nothing is applied twice. The worker is a real subprocess on the test database
  (PostgreSQL: the test database itself; SQLite: a file copy of it that this process uses too).
"""

import functools
import itertools
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connections
from django.tasks import TaskResultStatus
from django.utils import timezone
from django.utils.html import escape
from django_tasks_db.models import DBTaskResult

import integrations.tasks
from integrations.github import GitHubClient
from integrations.models import GitHubIssue, IssueLink, SyncRun
from integrations.services import key_result_link_issues, saved_search_add
from integrations.services import sync_linked_issues as sync_now
from integrations.tasks import sync_linked_issues
from okrs.models import CheckIn, KeyResult
from okrs.progress import key_result_progress
from okrs.selectors import key_result_for_page
from okrs.services import key_result_create, objective_create, period_get_or_create
from tests.integrations.conftest import run_worker
from tests.integrations.github_standin import FOREVER, GitHubStandIn

pytestmark = pytest.mark.django_db(transaction=True)  # the task worker (in or out of process) commits

REPO = "octo/app"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def github(settings):
    with GitHubStandIn() as standin:
        settings.GITHUB_API_URL = standin.url
        yield standin


@pytest.fixture
def kr(org) -> KeyResult:
    """A linked-issues KR of the Platform team in Q4 2022 (an open quarter)."""
    objective = objective_create(team=org.team, period=period_get_or_create(year=2022, quarter=4), title="Ship v2")
    return key_result_create(objective=objective, title="Close the v2 issues", kind=KeyResult.Kind.ISSUES)


def link(kr: KeyResult, *numbers: int) -> None:
    outcome = key_result_link_issues(key_result=kr, text="\n".join(f"{REPO}#{n}" for n in numbers), added_by=None)
    assert not outcome.errors


def progress(kr: KeyResult) -> float:
    return key_result_progress(key_result_for_page(key_result_id=kr.pk, now=timezone.now()))


def issue(number: int) -> GitHubIssue:
    return GitHubIssue.objects.get(repo=REPO, number=number)


# GitHub failing: the sync says so and every page still renders


@pytest.fixture
def impatient_client(monkeypatch):
    """The tasks' GitHub client with a short timeout and no waiting between retries.

    (The client's timeout, retries and waits are constructor arguments, not settings.)"""
    client = functools.partial(GitHubClient, timeout=0.3, max_retries=1, sleep=lambda seconds: None)
    monkeypatch.setattr(integrations.tasks, "GitHubClient", client)


def _unreachable(github, settings):
    settings.GITHUB_API_URL = "http://127.0.0.1:1"


FAULTS = {
    "500s": (lambda github, settings: github.fail(500, times=FOREVER), "GitHub answered 500 Internal Server Error"),
    "rate limit": (lambda github, settings: github.rate_limit(reset_in=3600, times=FOREVER), "rate limit is used up"),
    "secondary rate limit": (
        lambda github, settings: github.too_many_requests(retry_after=3600, times=FOREVER),
        "rate limit is used up",
    ),
    "stall past the timeout": (lambda github, settings: github.stall(5, times=FOREVER), "did not answer in time"),
    "not listening": (_unreachable, "Could not reach GitHub"),
}


def pages(org, kr) -> dict[str, str]:
    slug = org.team.slug
    return {
        "dashboard": "/",
        "team dashboard": f"/teams/{slug}/dashboard/",
        "team OKRs": f"/teams/{slug}/okrs/2022-q4/",
        "OKR overview": "/okrs/?period=2022-q4",
        "key result": f"/key-results/{kr.pk}/",
        "roadmap": "/roadmap/",
        "team roadmap": f"/teams/{slug}/roadmap/",
        "team page": f"/teams/{slug}/",
    }


@pytest.fixture
def synced_once(github, kr, impatient_client):
    """Three issues (one found by a saved search) synced while GitHub was healthy; then issue 2
    closes on GitHub, which a failing sync cannot learn."""
    github.add_issue(REPO, 1, title="Fix the build", state="closed")
    github.add_issue(REPO, 2, title="Write the docs")
    github.add_issue(REPO, 3, title="Found by the search", labels=["v2"])
    link(kr, 1, 2)
    saved_search_add(key_result=kr, query=f"repo:{REPO} label:v2", created_by=None)
    sync_linked_issues.enqueue()
    run_worker()
    assert SyncRun.objects.get().error == ""
    assert progress(kr) == pytest.approx(1 / 3)
    github.update_issue(REPO, 2, state="closed")


@pytest.mark.parametrize("fault", FAULTS)
def test_with_github_failing_every_page_renders_and_shows_the_sync_error(
    fault, github, settings, synced_once, org, kr, client_as
):
    inject, expected = FAULTS[fault]
    inject(github, settings)

    started = time.monotonic()
    sync_linked_issues.enqueue()
    run_worker()

    assert time.monotonic() - started < 15, "the client's timeouts bound how long a failing sync takes"
    run = SyncRun.objects.latest()
    assert run.finished_at is not None
    assert expected in run.error
    assert DBTaskResult.objects.filter(status=TaskResultStatus.SUCCESSFUL).count() == 2, "recorded, not raised"
    assert issue(2).state == GitHubIssue.State.OPEN, "what was known stays until GitHub answers"
    assert progress(kr) == pytest.approx(1 / 3)
    assert IssueLink.objects.count() == 3
    for role in ("lead", "viewer"):
        client = client_as(role)
        for name, url in pages(org, kr).items():
            response = client.get(url)
            assert response.status_code == 200, f"{name} ({url}) as {role}: {response.status_code}"
            content = response.content.decode()
            if "dashboard" in name:
                assert "last error:" in content, f"{name} as {role}"
                assert escape(expected) in content, f"{name} as {role}"
            if name == "key result":
                assert "it had errors" in content, role
                # the saved search's own error is shown next to it
                assert escape(expected) in content, role
                assert "Fix the build" in content
                assert "Found by the search" in content


def test_the_key_result_page_says_which_of_its_issues_failed_to_sync(github, kr, client_as):
    github.add_issue(REPO, 1, title="Fix the build")
    link(kr, 1)
    github.fail(500, times=FOREVER)
    with GitHubClient(base_url=github.url, timeout=0.3, max_retries=0) as client:
        run = sync_now(client=client)
    assert run.error == "octo/app#1: GitHub answered 500 Internal Server Error."

    content = client_as("lead").get(f"/key-results/{kr.pk}/").content.decode()

    assert "it had errors" in content
    assert "GitHub answered 500" in content


def test_a_sync_that_changes_nothing_writes_no_history(github, kr):
    github.add_issue(REPO, 1, title="Linked by hand")
    github.add_issue(REPO, 3, title="Found by the search", labels=["v2"])
    link(kr, 1)
    saved_search_add(key_result=kr, query=f"repo:{REPO} label:v2", created_by=None)
    with GitHubClient(base_url=github.url, timeout=2) as client:
        sync_now(client=client)
        history = {number: issue(number).history.count() for number in (1, 3)}

        run = sync_now(client=client)

    assert (run.issues_changed, run.error) == (0, "")
    assert {number: issue(number).history.count() for number in (1, 3)} == history


# A worker killed in the middle of a sync


@pytest.fixture
def shared_database(transactional_db, tmp_path):
    """A DATABASE_URL for a subprocess that reaches the database this test uses.

    PostgreSQL: the test database. SQLite: the test database is in memory, so it is copied
    (schema and all) to a file, and this process's default connection points at that file
    until the test ends."""
    original = connections["default"]
    settings_dict = original.settings_dict
    if original.vendor == "postgresql":
        password = f":{quote(settings_dict['PASSWORD'], safe='')}" if settings_dict["PASSWORD"] else ""
        host = f"{settings_dict['HOST'] or '127.0.0.1'}:{settings_dict['PORT'] or 5432}"
        yield f"postgres://{quote(settings_dict['USER'], safe='')}{password}@{host}/{settings_dict['NAME']}"
        return
    path = tmp_path / "shared.sqlite3"
    original.ensure_connection()
    target = sqlite3.connect(path)
    original.connection.backup(target)
    target.close()
    shared = type(original)({**settings_dict, "NAME": str(path)}, alias="default")
    connections["default"] = shared
    try:
        yield f"sqlite:///{path}"
    finally:
        shared.close()
        connections["default"] = original


def start_worker(
    database_url: str, github_url: str, log: Path, *args: str, worker_id: str = "worker-1", abandoned_after: int = 1800
) -> subprocess.Popen:
    """`manage.py worker` in its own process, as production runs it (no autoreloader)."""
    env = {
        **os.environ,
        "DEBUG": "true",
        "DATABASE_URL": database_url,
        "GITHUB_API_URL": github_url,
        "GITHUB_SYNC_INTERVAL": "3600",
        "CONN_MAX_AGE": "0",
        "TASK_ABANDONED_AFTER": str(abandoned_after),
        "PYTHONPATH": str(ROOT),
    }
    command = [sys.executable, "manage.py", "worker", "--no-reload", "--no-startup-delay", "--interval", "0.1"]
    command += ["--worker-id", worker_id, "-v2", *args]
    with log.open("ab") as output:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)


def wait_until(condition, *, timeout: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"Timed out waiting for {what}; worker log:\n{log.read_text()[-3000:]}")
        time.sleep(0.05)


LINKED = range(1, 13)  # linked by hand; even numbers are closed on GitHub
FOUND = (101, 102)  # found by the saved search, one closed


@pytest.fixture
def killed_mid_sync(shared_database, tmp_path, org):
    """Twelve linked issues and a saved search finding two more; the periodic sync is queued and a
    worker process runs it with every GitHub answer slowed down, and is SIGKILLed once GitHub has
    answered a few requests and some issues are stored. Yields what the test needs to go on."""
    objective = objective_create(team=org.team, period=period_get_or_create(year=2022, quarter=4), title="Ship v2")
    kr = key_result_create(objective=objective, title="Close the v2 issues", kind=KeyResult.Kind.ISSUES)
    log = tmp_path / "worker.log"
    with GitHubStandIn() as github:
        for number in LINKED:
            state = "closed" if number % 2 == 0 else "open"
            github.add_issue(REPO, number, title=f"Issue {number}", state=state, labels=[f"points:{number % 3 + 1}"])
        github.add_issue(REPO, 101, title="Found open", labels=["v2"])
        github.add_issue(REPO, 102, title="Found closed", labels=["v2"], state="closed")
        link(kr, *LINKED)
        saved_search_add(key_result=kr, query=f"repo:{REPO} label:v2", created_by=None)
        github.stall(0.4, times=FOREVER)  # about 15 requests: the sync is in flight for 6 s
        sync_linked_issues.enqueue(repeat=True)
        task = DBTaskResult.objects.get()

        worker = start_worker(shared_database, github.url, log)
        try:
            wait_until(
                lambda: (
                    sum(request.answered == 200 for request in github.requests) >= 4
                    and GitHubIssue.objects.exclude(etag="").count() >= 2
                ),
                timeout=60,
                what="the sync to be under way",
                log=log,
            )
        finally:
            worker.send_signal(signal.SIGKILL)
            worker.wait(timeout=10)
        assert worker.returncode == -signal.SIGKILL

        task.refresh_from_db()
        stored = GitHubIssue.objects.exclude(etag="").count()
        assert task.status == TaskResultStatus.RUNNING
        assert 2 <= stored < len(LINKED) + len(FOUND), "killed part way through"
        assert SyncRun.objects.get().finished_at is None
        github.clear_faults()

        def restart(**worker_options) -> subprocess.CompletedProcess:
            worker = start_worker(shared_database, github.url, log, "--batch", **worker_options)
            try:
                worker.wait(timeout=60)
            finally:
                if worker.poll() is None:
                    worker.kill()
                    worker.wait()
            return worker

        yield {"kr": kr, "github": github, "task": task, "restart": restart, "log": log}


def _meaningful_changes(item: GitHubIssue) -> int:
    """History rows of an issue that record a change to what it shows (not just etag or synced_at)."""
    fields = ("title", "state", "labels", "assignees", "points", "closed_at", "deleted", "milestone")
    rows = list(item.history.order_by("history_date", "history_id").values(*fields))
    return 1 + sum(before != after for before, after in itertools.pairwise(rows))


def assert_synced_exactly_once(kr: KeyResult, github: GitHubStandIn, task: DBTaskResult, log: Path) -> None:
    task.refresh_from_db()
    assert task.status == TaskResultStatus.SUCCESSFUL, f"task {task.status}; worker log:\n{log.read_text()[-3000:]}"
    assert len(task.worker_ids) == 2
    numbers = [*LINKED, *FOUND]
    assert sorted(GitHubIssue.objects.values_list("number", flat=True)) == numbers
    for number in numbers:
        stored, on_github = issue(number), github.issue(REPO, number)
        assert (stored.title, stored.state, stored.etag) == (
            on_github["title"],
            on_github["state"],
            github.etag(REPO, number),
        ), number
    links = list(IssueLink.objects.values_list("issue__number", "key_result_id"))
    assert sorted(links) == sorted((number, kr.pk) for number in numbers), "each issue linked once"
    assert IssueLink.history.count() == len(numbers), "no link was made twice"
    closed = len([n for n in LINKED if n % 2 == 0]) + 1
    assert progress(kr) == pytest.approx(closed / len(numbers))
    assert not CheckIn.objects.exists()
    for number in LINKED:  # linked empty, then filled in by one sync
        assert _meaningful_changes(issue(number)) == 2, number
    for number in FOUND:  # created by the search with what GitHub said
        assert _meaningful_changes(issue(number)) == 1, number
    interrupted, finished = SyncRun.objects.order_by("started_at")
    assert interrupted.finished_at is not None
    assert interrupted.error.startswith("Interrupted")
    assert (finished.issues_checked, finished.error) == (len(numbers), "")
    assert finished.finished_at is not None
    next_sync = DBTaskResult.objects.filter(task_path=sync_linked_issues.module_path, status=TaskResultStatus.READY)
    assert next_sync.count() == 1, "the periodic sync goes on, queued once"


def test_a_worker_killed_mid_sync_and_restarted_finishes_the_sync_once(killed_mid_sync):
    killed_mid_sync["restart"]()

    assert_synced_exactly_once(
        killed_mid_sync["kr"], killed_mid_sync["github"], killed_mid_sync["task"], killed_mid_sync["log"]
    )


def test_another_worker_takes_over_a_sync_left_running_longer_than_the_limit(killed_mid_sync):
    """The killed worker never comes back: a worker with another id queues the task again once it
    has been running for longer than TASK_ABANDONED_AFTER."""
    killed_mid_sync["restart"](worker_id="worker-2", abandoned_after=0)

    assert_synced_exactly_once(
        killed_mid_sync["kr"], killed_mid_sync["github"], killed_mid_sync["task"], killed_mid_sync["log"]
    )


def test_a_worker_leaves_alone_a_task_another_worker_is_still_running(killed_mid_sync):
    task = killed_mid_sync["task"]

    killed_mid_sync["restart"](worker_id="worker-2")

    task.refresh_from_db()
    assert task.status == TaskResultStatus.RUNNING
    assert SyncRun.objects.get().finished_at is None
