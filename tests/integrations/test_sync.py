"""sync_linked_issues against a real HTTP stand-in for GitHub on 127.0.0.1 (see github_standin.py)."""

import datetime

import pytest
from django.utils import timezone

from integrations.github import GitHubClient
from integrations.models import GitHubIssue, IssueLink, SavedSearch, SyncRun
from integrations.services import key_result_link_issues, saved_search_add, sync_linked_issues
from okrs.models import KeyResult
from okrs.progress import key_result_progress
from okrs.selectors import key_result_for_page
from okrs.services import key_result_create, objective_create, period_get_or_create
from tests.integrations.github_standin import FOREVER, Fault, GitHubStandIn

pytestmark = pytest.mark.django_db

REPO = "octo/app"


@pytest.fixture
def github():
    with GitHubStandIn(token="t0ken") as standin:
        yield standin


@pytest.fixture
def github_client(github):
    with GitHubClient(base_url=github.url, token="t0ken", timeout=0.5, sleep=lambda seconds: None) as github_client:
        yield github_client


@pytest.fixture
def kr(org) -> KeyResult:
    """A linked-issues KR of the Platform team in Q4 2022 (an open quarter)."""
    objective = objective_create(team=org.team, period=period_get_or_create(year=2022, quarter=4), title="Ship v2")
    return key_result_create(objective=objective, title="Close the v2 issues", kind=KeyResult.Kind.ISSUES)


def link(kr: KeyResult, *numbers: int, repo: str = REPO) -> list[GitHubIssue]:
    outcome = key_result_link_issues(
        key_result=kr, text="\n".join(f"{repo}#{number}" for number in numbers), added_by=None
    )
    assert not outcome.errors
    return outcome.linked


def progress(kr: KeyResult) -> float:
    return key_result_progress(key_result_for_page(key_result_id=kr.pk, now=timezone.now()))


def issue(number: int, repo: str = REPO) -> GitHubIssue:
    return GitHubIssue.objects.get(repo=repo, number=number)


# A first sync


def test_linked_issues_get_what_github_says_about_them(github, github_client, kr):
    github.add_issue(
        REPO,
        1,
        title="Fix the build",
        labels=["bug", "points:3"],
        assignees=["mona", "hubot"],
        milestone="v2.0",
        created_at="2022-10-03T09:00:00Z",
        updated_at="2022-10-05T12:30:00Z",
    )
    github.add_issue(REPO, 2, title="Write the docs")
    link(kr, 1, 2)

    run = sync_linked_issues(client=github_client)

    first = issue(1)
    assert first.title == "Fix the build"
    assert first.state == GitHubIssue.State.OPEN
    assert first.labels == ["bug", "points:3"]
    assert first.assignees == ["mona", "hubot"]
    assert first.milestone == "v2.0"
    assert first.points == 3
    assert first.html_url == "https://github.com/octo/app/issues/1"
    assert first.github_id == github.issue(REPO, 1)["id"]
    assert first.opened_at == datetime.datetime(2022, 10, 3, 9, tzinfo=datetime.UTC)
    assert first.last_activity_at == datetime.datetime(2022, 10, 5, 12, 30, tzinfo=datetime.UTC)
    assert first.etag == github.etag(REPO, 1)
    assert first.synced_at is not None
    second = issue(2)
    assert (second.title, second.labels, second.assignees, second.points) == ("Write the docs", [], [], 1)
    assert second.etag == github.etag(REPO, 2)

    assert (run.issues_checked, run.issues_changed, run.error) == (2, 2, "")
    assert run.finished_at is not None
    assert run == SyncRun.objects.latest()
    assert [request.path for request in github.requests] == ["/repos/octo/app/issues/1", "/repos/octo/app/issues/2"]
    assert all(request.header("Authorization") == "Bearer t0ken" for request in github.requests)


def test_a_second_sync_asks_with_the_etag_and_changes_nothing(github, github_client, kr):
    github.add_issue(REPO, 1, title="Fix the build", labels=["points:2"])
    github.add_issue(REPO, 2, title="Write the docs")
    link(kr, 1, 2)
    sync_linked_issues(client=github_client)
    before = {row.pk: (row.title, row.labels, row.etag) for row in GitHubIssue.objects.all()}
    history_before = GitHubIssue.history.count()
    github.clear_requests()

    run = sync_linked_issues(client=github_client)

    assert (run.issues_checked, run.issues_changed, run.error) == (2, 0, "")
    assert [request.header("If-None-Match") for request in github.requests] == [
        github.etag(REPO, 1),
        github.etag(REPO, 2),
    ]
    assert [request.answered for request in github.requests] == [304, 304]
    assert {row.pk: (row.title, row.labels, row.etag) for row in GitHubIssue.objects.all()} == before
    assert GitHubIssue.history.count() == history_before  # a 304 writes no history


def test_only_the_issues_asked_for_are_synced_and_searches_wait(github, github_client, kr):
    github.add_issue(REPO, 1, title="One")
    github.add_issue(REPO, 2, title="Two")
    github.add_issue(REPO, 3, title="Found by search", labels=["v2"])
    just_linked = link(kr, 1, 2)
    saved_search_add(key_result=kr, query="repo:octo/app label:v2", created_by=None)

    run = sync_linked_issues(client=github_client, issues=just_linked[:1])

    assert run.issues_checked == 1
    assert issue(1).title == "One"
    assert issue(2).title == ""
    assert not GitHubIssue.objects.filter(number=3).exists()
    assert [request.path for request in github.requests] == ["/repos/octo/app/issues/1"]


# Changes on GitHub move the KR


def test_an_issue_closed_on_github_closes_here_and_moves_the_key_result(github, github_client, kr):
    github.add_issue(REPO, 1, title="Fix the build")
    github.add_issue(REPO, 2, title="Write the docs")
    link(kr, 1, 2)
    sync_linked_issues(client=github_client)
    assert progress(kr) == 0

    github.update_issue(REPO, 1, state="closed", updated_at="2022-11-01T10:00:00Z")
    run = sync_linked_issues(client=github_client)

    closed = issue(1)
    assert closed.state == GitHubIssue.State.CLOSED
    assert closed.is_closed
    assert closed.closed_at == datetime.datetime(2022, 11, 1, 10, tzinfo=datetime.UTC)
    assert closed.etag == github.etag(REPO, 1)
    assert issue(2).state == GitHubIssue.State.OPEN
    assert (run.issues_checked, run.issues_changed) == (2, 1)
    assert [request.answered for request in github.requests[-2:]] == [200, 304]
    assert progress(kr) == 0.5


def test_an_issue_reopened_on_github_reopens_here(github, github_client, kr):
    github.add_issue(REPO, 1, title="Fix the build", state="closed", closed_at="2022-10-10T10:00:00Z")
    link(kr, 1)
    sync_linked_issues(client=github_client)
    assert progress(kr) == 1

    github.update_issue(REPO, 1, state="open")
    sync_linked_issues(client=github_client)

    assert issue(1).state == GitHubIssue.State.OPEN
    assert issue(1).closed_at is None
    assert progress(kr) == 0


def test_a_key_result_weighted_by_points_counts_the_points_closed(github, github_client, kr):
    KeyResult.objects.filter(pk=kr.pk).update(weight_by_points=True)
    github.add_issue(REPO, 1, title="Big", labels=["points:3"], state="closed")
    github.add_issue(REPO, 2, title="Bigger", labels=["Points: 5"])
    github.add_issue(REPO, 3, title="Unsized")
    link(kr, 1, 2, 3)

    sync_linked_issues(client=github_client)

    assert [issue(number).points for number in (1, 2, 3)] == [3, 5, 1]
    assert progress(kr) == pytest.approx(3 / 9)
    github.update_issue(REPO, 3, state="closed")
    sync_linked_issues(client=github_client)
    assert progress(kr) == pytest.approx(4 / 9)


def test_a_relabelled_issue_gets_its_new_points(github, github_client, kr):
    KeyResult.objects.filter(pk=kr.pk).update(weight_by_points=True)
    github.add_issue(REPO, 1, title="Big", labels=["points:3"], state="closed")
    github.add_issue(REPO, 2, title="Small", labels=["points:1"])
    link(kr, 1, 2)
    sync_linked_issues(client=github_client)
    assert progress(kr) == pytest.approx(3 / 4)

    github.update_issue(REPO, 2, labels=["points:8", "blocked"], assignees=["mona"])
    sync_linked_issues(client=github_client)

    relabelled = issue(2)
    assert (relabelled.points, relabelled.labels, relabelled.assignees) == (8, ["points:8", "blocked"], ["mona"])
    assert relabelled.is_blocked
    assert progress(kr) == pytest.approx(3 / 11)


def test_an_issue_gone_from_github_is_marked_deleted_and_stops_counting(github, github_client, kr):
    github.add_issue(REPO, 1, title="Done", state="closed")
    github.add_issue(REPO, 2, title="Transferred away")
    link(kr, 1, 2)
    sync_linked_issues(client=github_client)
    assert progress(kr) == 0.5

    github.delete_issue(REPO, 2)
    run = sync_linked_issues(client=github_client)

    assert issue(2).deleted
    assert issue(2).title == "Transferred away"  # what it was stays readable
    assert not issue(1).deleted
    assert (run.issues_changed, run.error) == (1, "")
    assert progress(kr) == 1

    github.clear_requests()
    later = sync_linked_issues(client=github_client)
    assert later.issues_checked == 1
    assert [request.path for request in github.requests] == ["/repos/octo/app/issues/1"]


def test_a_transferred_issue_keeps_counting_at_its_new_address(github, github_client, kr):
    github.add_issue(REPO, 1, title="Move the docs")
    github.add_issue(REPO, 2, title="Stays here")
    link(kr, 1, 2)
    sync_linked_issues(client=github_client)

    github.move_issue(REPO, 1, to_repo="octo/docs", to_number=7)
    github.update_issue("octo/docs", 7, state="closed")
    run = sync_linked_issues(client=github_client)

    old_address = issue(1)
    new_address = GitHubIssue.objects.get(repo="octo/docs", number=7)
    assert old_address.deleted, "the old address stops counting"
    assert new_address.state == GitHubIssue.State.CLOSED
    assert new_address.links.get().key_result == kr, "the link followed the issue"
    assert (run.issues_changed, run.error) == (1, "")
    assert progress(kr) == 0.5
    github.clear_requests()
    again = sync_linked_issues(client=github_client)
    assert again.issues_changed == 0
    assert sorted(request.path for request in github.requests) == [
        "/repos/octo/app/issues/2",
        "/repos/octo/docs/issues/7",
    ]


# Saved searches


def test_a_saved_search_links_every_issue_it_finds_across_pages(github, github_client, kr):
    for number in range(1, 231):
        github.add_issue(
            REPO, number, title=f"Issue {number}", labels=["v2"], state="closed" if number <= 23 else "open"
        )
    github.add_issue(REPO, 500, title="Not in the search", labels=["v3"])
    github.add_issue("octo/other", 1, title="Another repository", labels=["v2"])
    search = saved_search_add(key_result=kr, query="repo:octo/app label:v2", created_by=None)

    run = sync_linked_issues(client=github_client)

    links = IssueLink.objects.filter(key_result=kr)
    assert links.count() == 230
    assert set(links.values_list("saved_search", flat=True)) == {search.pk}
    assert set(links.values_list("issue__repo", flat=True)) == {REPO}
    assert sorted(links.values_list("issue__number", flat=True)) == list(range(1, 231))
    assert issue(230).title == "Issue 230"
    assert not GitHubIssue.objects.filter(number=500).exists()
    searches = github.requests_to("^/search/issues$")
    assert [request.query.get("page", ["1"]) for request in searches] == [["1"], ["2"], ["3"]]
    search.refresh_from_db()
    assert search.last_synced_at is not None
    assert search.last_error == ""
    assert run.error == ""
    assert run.issues_checked == 230  # then each is fetched for its ETag
    assert issue(1).etag == github.etag(REPO, 1)
    assert progress(kr) == pytest.approx(0.1)


def test_a_saved_search_keeps_hand_linked_issues_and_adds_new_ones(github, github_client, kr):
    github.add_issue(REPO, 1, title="Linked by hand", labels=["v2"])
    github.add_issue(REPO, 2, title="Found later", labels=["v2"])
    link(kr, 1)
    search = saved_search_add(key_result=kr, query="label:v2", created_by=None)

    sync_linked_issues(client=github_client)
    sync_linked_issues(client=github_client)

    links = {link.issue.number: link.saved_search_id for link in IssueLink.objects.filter(key_result=kr)}
    assert links == {1: None, 2: search.pk}


def test_a_search_github_refuses_is_recorded_and_issues_still_sync(github, github_client, kr):
    github.add_issue(REPO, 1, title="Fix the build")
    link(kr, 1)
    search = saved_search_add(key_result=kr, query="repo:octo/app colour:blue", created_by=None)

    run = sync_linked_issues(client=github_client)

    search.refresh_from_db()
    assert search.last_error.startswith("GitHub could not run the search “repo:octo/app colour:blue”: Validation")
    assert search.last_synced_at is None
    assert run.error == f"Search “repo:octo/app colour:blue”: {search.last_error}"
    assert issue(1).title == "Fix the build"
    assert run.issues_checked == 1


# Errors are recorded, never raised


def test_an_issue_that_fails_forever_is_recorded_and_the_others_still_sync(github, github_client, kr):
    for number in (1, 2, 3):
        github.add_issue(REPO, number, title=f"Issue {number}")
    link(kr, 1, 2, 3)
    github.fail(500, times=FOREVER, path=r"/issues/2$")

    run = sync_linked_issues(client=github_client)

    assert run.error == "octo/app#2: GitHub answered 500 Internal Server Error."
    assert (run.issues_checked, run.issues_changed) == (3, 2)
    assert run.finished_at is not None
    assert issue(1).title == "Issue 1"
    assert issue(3).title == "Issue 3"
    assert issue(2).title == ""
    assert issue(2).etag == ""
    assert len(github.requests_to(r"/issues/2$")) == 4  # retried before giving up


def test_an_answer_that_is_not_json_is_recorded_not_raised(github, github_client, kr):
    """The sync promises to record errors, never raise them; HTML instead of JSON (a proxy's
    page, or GITHUB_API_URL pointing at a web UI) must not break the run."""
    github.add_issue(REPO, 1, title="Fix the build")
    github.add_issue(REPO, 2, title="Write the docs")
    link(kr, 1, 2)
    github.add_fault(
        Fault(
            status=200,
            headers={"Content-Type": "text/html; charset=utf-8"},
            body="<!DOCTYPE html><html><body>Sign in to continue</body></html>",
            path=r"/issues/1$",
        )
    )

    run = sync_linked_issues(client=github_client)

    assert run.error.startswith("octo/app#1: ")
    assert run.finished_at is not None
    assert issue(2).title == "Write the docs"


def test_a_flaky_500_is_retried_within_the_sync(github, github_client, kr):
    github.add_issue(REPO, 1, title="Fix the build")
    link(kr, 1)
    github.fail(502)

    run = sync_linked_issues(client=github_client)

    assert (run.issues_changed, run.error) == (1, "")
    assert issue(1).title == "Fix the build"


def test_a_used_up_rate_limit_is_recorded_and_the_run_stops_early(github, kr):
    for number in (1, 2, 3, 4):
        github.add_issue(REPO, number, title=f"Issue {number}")
    link(kr, 1, 2, 3, 4)
    with GitHubClient(base_url=github.url, token="t0ken", sleep=lambda seconds: None) as client:
        sync_linked_issues(client=client)
    for number in (1, 2, 3, 4):
        github.update_issue(REPO, number, title=f"Issue {number}, renamed")
    github.clear_requests()
    github.rate_limit(reset_in=3600, times=FOREVER, path=r"/issues/[234]$")

    with GitHubClient(base_url=github.url, token="t0ken", max_wait=60, sleep=lambda seconds: None) as client:
        run = sync_linked_issues(client=client)

    assert run.error.startswith("octo/app#2: GitHub's rate limit is used up; it resets in ")
    assert run.error.count("\n") == 0
    assert (run.issues_checked, run.issues_changed) == (2, 1)
    assert [request.path for request in github.requests] == ["/repos/octo/app/issues/1", "/repos/octo/app/issues/2"]
    assert issue(1).title == "Issue 1, renamed"
    assert [issue(number).title for number in (2, 3, 4)] == ["Issue 2", "Issue 3", "Issue 4"]

    github.clear_faults()  # the limit resets: the next run carries on
    with GitHubClient(base_url=github.url, token="t0ken", sleep=lambda seconds: None) as client:
        later = sync_linked_issues(client=client)
    assert (later.issues_changed, later.error) == (3, "")
    assert [issue(number).title for number in (2, 3, 4)] == ["Issue 2, renamed", "Issue 3, renamed", "Issue 4, renamed"]


def test_a_rate_limited_search_is_recorded_and_issues_still_sync(github, github_client, kr):
    """GitHub counts searches against their own, smaller limit: issues can still be fetched."""
    github.add_issue(REPO, 1, title="Fix the build")
    link(kr, 1)
    search = saved_search_add(key_result=kr, query="label:v2", created_by=None)
    github.rate_limit(reset_in=3600, times=FOREVER, path="^/search/")

    run = sync_linked_issues(client=github_client)

    search.refresh_from_db()
    assert search.last_error.startswith("GitHub's rate limit is used up")
    assert run.error.startswith("Search “label:v2”: GitHub's rate limit is used up")
    assert issue(1).title == "Fix the build"


def test_the_run_keeps_the_first_20_errors(github, kr):
    link(kr, *range(1, 26))  # none of them exists... and GitHub is down
    github.fail(503, times=FOREVER)

    with GitHubClient(base_url=github.url, token="t0ken", max_retries=0, sleep=lambda seconds: None) as client:
        run = sync_linked_issues(client=client)

    lines = run.error.splitlines()
    assert len(lines) == 20
    assert lines[0] == "octo/app#1: GitHub answered 503 Service Unavailable."
    assert lines[-1] == "octo/app#20: GitHub answered 503 Service Unavailable."
    assert run.issues_checked == 25


def test_a_short_rate_limit_is_waited_out(github, kr):
    github.add_issue(REPO, 1, title="Fix the build")
    link(kr, 1)
    github.too_many_requests(retry_after=1)
    waited: list[float] = []

    with GitHubClient(base_url=github.url, token="t0ken", sleep=waited.append) as client:
        run = sync_linked_issues(client=client)

    assert waited == [1]
    assert (run.issues_changed, run.error) == (1, "")


def test_github_not_answering_in_time_is_recorded(github, kr):
    github.add_issue(REPO, 1, title="Fix the build")
    github.add_issue(REPO, 2, title="Write the docs")
    link(kr, 1, 2)
    github.stall(5, times=FOREVER, path=r"/issues/1$")

    with GitHubClient(
        base_url=github.url, token="t0ken", timeout=0.2, max_retries=1, sleep=lambda seconds: None
    ) as client:
        run = sync_linked_issues(client=client)

    assert run.error == "octo/app#1: GitHub did not answer in time (ReadTimeout)."
    assert issue(2).title == "Write the docs"


def test_an_unreachable_github_is_recorded_for_every_issue_and_searches_too(kr):
    standin = GitHubStandIn().start()
    url = standin.url
    standin.stop()
    link(kr, 1, 2)
    saved_search_add(key_result=kr, query="label:v2", created_by=None)

    with GitHubClient(base_url=url, token="t0ken", timeout=0.5, max_retries=0, sleep=lambda seconds: None) as client:
        run = sync_linked_issues(client=client)

    lines = run.error.splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("Search “label:v2”: Could not reach GitHub: ")
    assert lines[1].startswith("octo/app#1: Could not reach GitHub: ")
    assert lines[2].startswith("octo/app#2: Could not reach GitHub: ")
    assert SavedSearch.objects.get().last_error.startswith("Could not reach GitHub")
    assert (run.issues_checked, run.issues_changed) == (2, 0)


def test_a_saved_search_leaves_a_closed_quarter_as_it_was_scored(github, github_client, kr):
    from decimal import Decimal

    from okrs.services import period_close

    github.add_issue(REPO, 1, title="Found later", labels=["v2"])
    saved_search_add(key_result=kr, query="repo:octo/app label:v2", created_by=None)
    objective = kr.objective
    period_close(team=objective.team, period=objective.period, closed_by=None, scores={kr.pk: (Decimal("0.3"), "")})
    run = sync_linked_issues(client=github_client)
    assert run.error == ""
    assert not kr.issue_links.exists()
