"""GitHubClient against a real HTTP stand-in for GitHub on 127.0.0.1 (see github_standin.py)."""

import email.utils
import time

import httpx
import pytest

from integrations.github import GitHubClient, GitHubError, IssueResponse, RateLimited
from tests.integrations.github_standin import FOREVER, Fault, GitHubStandIn

REPO = "octo/app"
ISSUE_PATH = r"^/repos/octo/app/issues/1$"


def sign_in_page() -> Fault:
    """HTML where JSON was expected, as a proxy or a web UI answers."""
    return Fault(
        status=200,
        headers={"Content-Type": "text/html; charset=utf-8"},
        body="<!DOCTYPE html><html><body>Sign in to continue</body></html>",
    )


@pytest.fixture
def github():
    with GitHubStandIn() as standin:
        standin.add_issue(REPO, 1, title="Fix the build", labels=["bug", "points:3"], assignees=["mona"])
        yield standin


@pytest.fixture
def sleeps() -> list[float]:
    """What the client would have slept, in order: recorded instead of waited."""
    return []


@pytest.fixture
def github_client(github, sleeps):
    with GitHubClient(base_url=github.url, token="t0ken", timeout=0.5, sleep=sleeps.append) as github_client:
        yield github_client


# Issues


def test_an_issue_comes_back_with_its_data_and_etag(github, github_client):
    response = github_client.get_issue(REPO, 1)
    assert response.status == 200
    assert response.data["title"] == "Fix the build"
    assert response.data["url"] == f"{github.url}/repos/octo/app/issues/1"
    assert [label["name"] for label in response.data["labels"]] == ["bug", "points:3"]
    assert [person["login"] for person in response.data["assignees"]] == ["mona"]
    assert response.etag == github.etag(REPO, 1)
    assert response.etag.startswith('"')  # a strong ETag


def test_every_request_says_which_api_version_it_speaks(github, github_client):
    github_client.get_issue(REPO, 1)
    [request] = github.requests
    assert request.method == "GET"
    assert request.path == "/repos/octo/app/issues/1"
    assert request.header("Accept") == "application/vnd.github+json"
    assert request.header("X-GitHub-Api-Version") == "2022-11-28"
    assert request.header("User-Agent") == "PlatformHub"


def test_an_unchanged_issue_answers_304_without_data(github, github_client):
    first = github_client.get_issue(REPO, 1)
    second = github_client.get_issue(REPO, 1, etag=first.etag)
    assert second == IssueResponse(status=304, data=None, etag=first.etag)
    assert github.requests[0].header("If-None-Match") is None
    assert github.requests[1].header("If-None-Match") == first.etag
    assert [request.answered for request in github.requests] == [200, 304]


def test_a_changed_issue_answers_200_with_a_new_etag(github, github_client):
    first = github_client.get_issue(REPO, 1)
    github.update_issue(REPO, 1, state="closed")
    second = github_client.get_issue(REPO, 1, etag=first.etag)
    assert second.status == 200
    assert second.data["state"] == "closed"
    assert second.data["closed_at"] is not None
    assert second.etag not in ("", first.etag)


def test_an_unknown_issue_is_a_404_not_an_error(github, github_client):
    assert github_client.get_issue(REPO, 99) == IssueResponse(status=404, data=None, etag="")
    assert len(github.requests) == 1  # a 404 is an answer: not retried


def test_repository_names_are_case_insensitive(github_client):
    assert github_client.get_issue("Octo/App", 1).data["title"] == "Fix the build"


def test_a_transferred_issue_is_followed_to_its_new_address(github, github_client):
    github.move_issue(REPO, 1, to_repo="octo/new-home", to_number=7)
    response = github_client.get_issue(REPO, 1)
    assert response.status == 200
    assert response.data["html_url"] == "https://github.com/octo/new-home/issues/7"
    assert response.etag == github.etag("octo/new-home", 7)
    assert [(request.path, request.answered) for request in github.requests] == [
        ("/repos/octo/app/issues/1", 301),
        ("/repos/octo/new-home/issues/7", 200),
    ]
    assert github.requests[1].header("Authorization") == "Bearer t0ken"  # same host: the token follows


def test_an_issue_answer_that_is_not_json_gives_a_readable_error(github, github_client):
    """A proxy's or a sign-in page's HTML, or a GITHUB_API_URL pointing at a web UI: the module
    promises a GitHubError for anything GitHub-side, not a JSONDecodeError."""
    github.add_fault(sign_in_page())
    with pytest.raises(GitHubError):
        github_client.get_issue(REPO, 1)


def test_a_search_answer_that_is_not_json_gives_a_readable_error(github, github_client):
    github.add_fault(sign_in_page())
    with pytest.raises(GitHubError):
        list(github_client.search_issues("label:okr"))


# The token


def test_the_token_is_sent_as_a_bearer_token(github, github_client):
    github_client.get_issue(REPO, 1)
    assert github.requests[0].header("Authorization") == "Bearer t0ken"


def test_without_arguments_the_client_uses_the_settings(github, settings):
    settings.GITHUB_API_URL = github.url
    settings.GITHUB_TOKEN = "from-settings"
    with GitHubClient(sleep=lambda seconds: None) as client:
        assert client.get_issue(REPO, 1).status == 200
    assert github.requests[0].header("Authorization") == "Bearer from-settings"


def test_without_a_token_no_authorization_header_is_sent(github):
    with GitHubClient(base_url=github.url, token="", sleep=lambda seconds: None) as client:
        assert client.get_issue(REPO, 1).status == 200
    assert github.requests[0].header("Authorization") is None


def test_a_refused_token_says_to_check_it():
    with GitHubStandIn(token="the-right-one") as github:
        github.add_issue(REPO, 1, title="Fix the build")
        wrong = GitHubClient(base_url=github.url, token="a-wrong-one", sleep=lambda seconds: None)
        with wrong, pytest.raises(GitHubError, match=r"refused the token \(401\): check GITHUB_TOKEN"):
            wrong.get_issue(REPO, 1)
        with GitHubClient(base_url=github.url, token="the-right-one", sleep=lambda seconds: None) as client:
            assert client.get_issue(REPO, 1).status == 200
    assert len(github.requests) == 2  # a 401 is not retried


def test_a_base_url_with_a_path_works_like_github_enterprise():
    with GitHubStandIn(prefix="/api/v3") as github:
        for number in range(1, 151):
            github.add_issue(REPO, number, title=f"Issue {number}", labels=["okr"])
        with GitHubClient(base_url=github.url, token="t", sleep=lambda seconds: None) as client:
            assert client.get_issue(REPO, 7).data["title"] == "Issue 7"
            assert len(list(client.search_issues("repo:octo/app label:okr"))) == 150
    assert [request.path for request in github.requests] == [
        "/api/v3/repos/octo/app/issues/7",
        "/api/v3/search/issues",
        "/api/v3/search/issues",
    ]


# Search and pagination


@pytest.fixture
def many_issues(github):
    """250 issues labelled "okr" in octo/app (3 pages of 100), and decoys that must not be found."""
    for number in range(1, 251):
        github.add_issue(REPO, number, title=f"Issue {number}", labels=["okr"])
    github.add_issue(REPO, 900, title="Not labelled")
    github.add_issue("octo/other", 1, title="Another repository", labels=["okr"])
    return github


def test_search_follows_the_link_header_across_three_pages(many_issues, github_client):
    found = list(github_client.search_issues("repo:octo/app label:okr"))
    assert [item["number"] for item in found] == list(range(1, 251))
    searches = many_issues.requests_to("^/search/issues$")
    assert len(searches) == 3
    assert [request.query.get("page", ["1"]) for request in searches] == [["1"], ["2"], ["3"]]
    assert all(request.query["q"] == ["repo:octo/app label:okr"] for request in searches)
    assert all(request.query["per_page"] == ["100"] for request in searches)
    assert all(request.header("Authorization") == "Bearer t0ken" for request in searches)


def test_the_standin_sends_absolute_next_and_last_links(many_issues):
    response = httpx.get(f"{many_issues.url}/search/issues", params={"q": "label:okr", "per_page": 100, "page": 2})
    assert response.json()["total_count"] == 251
    assert response.links["next"]["url"].startswith(f"{many_issues.url}/search/issues?")
    assert "page=3" in response.links["next"]["url"]
    assert "page=1" in response.links["prev"]["url"]
    assert "page=3" in response.links["last"]["url"]


def test_search_stops_after_max_pages(many_issues, github_client):
    found = list(github_client.search_issues("repo:octo/app label:okr", max_pages=2))
    assert len(found) == 200
    assert len(many_issues.requests) == 2


def test_a_search_with_one_page_asks_once(many_issues, github_client):
    found = list(github_client.search_issues('repo:octo/app "Not labelled"'))
    assert [item["number"] for item in found] == [900]
    assert len(many_issues.requests) == 1


def test_a_search_github_cannot_run_gives_a_readable_error(github, github_client):
    with pytest.raises(GitHubError, match=r"could not run the search “assignee:mona sort-by:nonsense”: Validation"):
        list(github_client.search_issues("assignee:mona sort-by:nonsense"))
    assert [request.answered for request in github.requests] == [422]


def test_a_rate_limit_on_the_second_page_waits_and_asks_for_that_page_again(many_issues, github_client, sleeps):
    pages = github_client.search_issues("repo:octo/app label:okr")
    found = [next(pages)]  # the first page is in
    many_issues.rate_limit(reset_in=2)
    found += list(pages)
    assert len(found) == 250
    assert [request.answered for request in many_issues.requests] == [200, 403, 200, 200]
    assert many_issues.requests[1].query == many_issues.requests[2].query
    assert many_issues.requests[2].query["page"] == ["2"]
    assert len(sleeps) == 1
    assert 0 < sleeps[0] <= 3


# Retries


def test_a_500_is_retried_after_a_backoff(github, github_client, sleeps):
    github.fail(500)
    assert github_client.get_issue(REPO, 1).status == 200
    assert [request.answered for request in github.requests] == [500, 200]
    assert sleeps == [0.5]


def test_502_503_and_504_are_retried_too(github, github_client, sleeps):
    for status in (502, 503, 504):
        github.fail(status)
    assert github_client.get_issue(REPO, 1).status == 200
    assert [request.answered for request in github.requests] == [502, 503, 504, 200]
    assert sleeps == [0.5, 1.0, 2.0]


def test_500_forever_gives_up_with_a_readable_error(github, github_client, sleeps):
    github.fail(500, times=FOREVER)
    with pytest.raises(GitHubError) as raised:
        github_client.get_issue(REPO, 1)
    assert str(raised.value) == "GitHub answered 500 Internal Server Error."
    assert len(github.requests) == 4  # the first try and max_retries=3 more
    assert sleeps == [0.5, 1.0, 2.0]


def test_a_search_that_fails_forever_gives_a_readable_error(github, github_client):
    github.fail(503, times=FOREVER)
    with pytest.raises(GitHubError, match=r"^GitHub answered 503 Service Unavailable\.$"):
        list(github_client.search_issues("label:okr"))


def test_other_errors_are_not_retried(github, github_client, sleeps):
    github.fail(403, body={"message": "Resource not accessible by integration"})
    with pytest.raises(GitHubError, match=r"^GitHub answered 403 for octo/app#1\.$"):
        github_client.get_issue(REPO, 1)
    assert len(github.requests) == 1
    assert sleeps == []


# Rate limits


def test_429_waits_as_long_as_retry_after_says(github, github_client, sleeps):
    github.too_many_requests(retry_after=1)
    assert github_client.get_issue(REPO, 1).status == 200
    assert [request.answered for request in github.requests] == [429, 200]
    assert sleeps == [1]


def test_retry_after_may_be_an_http_date(github, github_client, sleeps):
    github.too_many_requests(retry_after=email.utils.formatdate(time.time() + 5, usegmt=True))
    assert github_client.get_issue(REPO, 1).status == 200
    assert len(sleeps) == 1
    assert 3 <= sleeps[0] <= 5


def test_a_retry_after_in_fractional_seconds_is_waited_out_not_a_crash(github, github_client, sleeps):
    """RFC 9110 wants whole seconds, but proxies send "1.5"; the module promises GitHubError or an
    answer, never a ValueError."""
    github.too_many_requests(retry_after="1.5")
    assert github_client.get_issue(REPO, 1).status == 200
    assert len(sleeps) == 1
    assert 1 <= sleeps[0] <= 2


def test_a_used_up_rate_limit_waits_for_the_reset(github, github_client, sleeps):
    github.rate_limit(reset_in=2)
    assert github_client.get_issue(REPO, 1).status == 200
    assert [request.answered for request in github.requests] == [403, 200]
    assert len(sleeps) == 1
    assert 0 < sleeps[0] <= 3


def test_a_reset_beyond_max_wait_raises_rate_limited_at_once(github, sleeps):
    github.rate_limit(reset_in=120)
    client = GitHubClient(base_url=github.url, token="t", max_wait=60, sleep=sleeps.append)
    with client, pytest.raises(RateLimited, match=r"rate limit is used up; it resets in 1[12]\d s") as raised:
        client.get_issue(REPO, 1)
    assert 60 < raised.value.wait_seconds <= 121
    assert isinstance(raised.value, GitHubError)  # callers catching GitHubError catch it too
    assert len(github.requests) == 1
    assert sleeps == []


def test_a_rate_limit_that_never_resets_raises_after_the_last_retry(github, github_client, sleeps):
    github.too_many_requests(retry_after=1, times=FOREVER)
    with pytest.raises(RateLimited):
        github_client.get_issue(REPO, 1)
    assert len(github.requests) == 4
    assert sleeps == [1, 1, 1]


# Timeouts and unreachable servers


def test_a_slow_answer_is_retried(github, github_client, sleeps):
    github.stall(2)
    assert github_client.get_issue(REPO, 1).data["title"] == "Fix the build"
    assert [request.answered for request in github.requests_to(ISSUE_PATH)] == [None, 200]  # the first still stalls
    assert sleeps == [0.5]


def test_timeouts_every_time_give_up_with_a_readable_error(github, sleeps):
    github.stall(5, times=FOREVER)
    started = time.monotonic()
    client = GitHubClient(base_url=github.url, token="t", timeout=0.3, max_retries=2, sleep=sleeps.append)
    with client, pytest.raises(GitHubError, match=r"^GitHub did not answer in time \(ReadTimeout\)\.$"):
        client.get_issue(REPO, 1)
    assert time.monotonic() - started < 3  # three tries of 0.3 s, not three stalls of 5 s
    assert sleeps == [0.5, 1.0]


def test_an_unreachable_server_gives_a_readable_error(sleeps):
    standin = GitHubStandIn().start()
    url = standin.url
    standin.stop()  # nothing listens on that port any more
    client = GitHubClient(base_url=url, token="t", timeout=0.5, max_retries=1, sleep=sleeps.append)
    with client, pytest.raises(GitHubError, match=r"^Could not reach GitHub: .+\.$"):
        client.get_issue(REPO, 1)
    assert sleeps == [0.5]
