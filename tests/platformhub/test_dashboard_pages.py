"""The dashboard a page at a time: keyset pages of key results, a status filter that looks through
a bounded number of them, totals that never count the whole org, and the SQL that sorts out each
KR's issues saying what the Python of the other pages says."""

import datetime
import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from integrations import selectors
from integrations.models import GitHubIssue, IssueLink
from okrs.models import KeyResult, with_issue_counts
from okrs.services import key_result_create, objective_create
from tests.factories import KeyResultFactory, PeriodFactory, TeamFactory

DASHBOARD = reverse("dashboard")
KR_ID = re.compile(r'<article class="card work" aria-labelledby="kr-(\d+)">')
LINK = re.compile(r'<a class="button button--small" rel="(next|prev)" href="([^"]+)">')


@pytest.fixture
def small_pages(monkeypatch):
    """Pages of 4 key results, and a status filter that looks through 6 a page, so that a few
    KRs make many pages."""
    monkeypatch.setattr(selectors, "PAGE_SIZE", 4)
    monkeypatch.setattr(selectors, "SCAN_SIZE", 6)


def _key_results(okr, org, count: int) -> list[KeyResult]:
    """`count` more KRs in Q4 2022, over the Platform team and its sub-team, in objectives of
    their own, some done (milestones) and some not; in the order the dashboard shows them."""
    objectives = [
        objective_create(team=team, period=okr.period, title=f"{team.name} objective {n}")
        for team in (org.team, org.sub_team)
        for n in range(2)
    ]
    for n in range(count):
        key_result = key_result_create(objective=objectives[n % 4], title=f"KR {n:03}", kind="milestone")
        if n % 3 == 0:
            KeyResult.objects.filter(pk=key_result.pk).update(is_done=True)
    return list(
        KeyResult.objects.filter(objective__period=okr.period, objective__team__in=[org.team, org.sub_team]).order_by(
            *selectors.ORDERING
        )
    )


def _ids(content: str) -> list[int]:
    return [int(pk) for pk in KR_ID.findall(content)]


def _links(content: str) -> dict[str, str]:
    return {rel: html.unescape(href) for rel, href in LINK.findall(content)}


def _walk(client, url: str, rel: str) -> tuple[list[list[int]], str]:
    """Follow the `rel` links from `url`: the KR ids of every page, and the last page's address."""
    pages = []
    while True:
        content = client.get(url).content.decode()
        pages.append(_ids(content))
        if rel not in _links(content):
            return pages, url
        url = DASHBOARD + _links(content)[rel]


@pytest.mark.parametrize("role", ["viewer", "lead"])  # the whole org, and the lead's tree
def test_walking_the_pages_forward_and_back_shows_every_key_result_once_in_order(
    okr, org, client_as, small_pages, role
):
    expected = [kr.pk for kr in _key_results(okr, org, 17)]
    client = client_as(role)

    forward, last = _walk(client, f"{DASHBOARD}?quarter=2022-q4", "next")
    backward, first = _walk(client, last, "prev")

    assert all(0 < len(page) <= 4 for page in forward)
    assert [pk for page in forward for pk in page] == expected
    assert [pk for page in reversed(backward) for pk in page] == expected
    assert _ids(client.get(first).content.decode()) == expected[:4]


def test_a_page_has_at_most_25_key_results_and_a_next_link(okr, org, client_as):
    expected = [kr.pk for kr in _key_results(okr, org, 40)]
    content = client_as("viewer").get(f"{DASHBOARD}?quarter=2022-q4").content.decode()
    assert _ids(content) == expected[: selectors.PAGE_SIZE]
    assert selectors.PAGE_SIZE <= 100
    assert "Next 25 →" in content
    second = client_as("viewer").get(DASHBOARD + _links(content)["next"]).content.decode()
    assert _ids(second) == expected[selectors.PAGE_SIZE :]
    assert "← Previous 25" in second
    assert "First page" in second


def test_the_filters_survive_paging(okr, org, client_as, small_pages):
    done = [kr.pk for kr in _key_results(okr, org, 30) if kr.is_done]
    client = client_as("viewer")

    pages, _ = _walk(client, f"{DASHBOARD}?team=platform&quarter=2022-q4&status=done", "next")

    assert [pk for page in pages for pk in page] == done
    content = client.get(f"{DASHBOARD}?team=platform&quarter=2022-q4&status=done").content.decode()
    assert {"team": "platform", "quarter": "2022-q4", "status": "done"}.items() <= _query(
        _links(content)["next"]
    ).items()


def test_a_status_filter_walks_back_too(okr, org, client_as, small_pages):
    done = [kr.pk for kr in _key_results(okr, org, 30) if kr.is_done]
    client = client_as("lead")

    forward, last = _walk(client, f"{DASHBOARD}?quarter=2022-q4&status=done", "next")
    backward, _ = _walk(client, last, "prev")

    assert [pk for page in forward for pk in page] == done
    assert [pk for page in reversed(backward) for pk in page] == done
    assert all(len(page) <= 4 for page in forward + backward)


def test_a_status_filter_that_matches_more_than_a_page_of_those_it_looks_through_walks_both_ways(
    okr, org, client_as, small_pages, monkeypatch
):
    monkeypatch.setattr(selectors, "SCAN_SIZE", 10)
    milestones = [kr for kr in _key_results(okr, org, 30) if kr.kind == KeyResult.Kind.MILESTONE]
    done = [kr.pk for n, kr in enumerate(milestones) if n % 5]
    KeyResult.objects.filter(pk__in=[kr.pk for kr in milestones]).update(is_done=False)
    KeyResult.objects.filter(pk__in=done).update(is_done=True)
    client = client_as("viewer")

    forward, last = _walk(client, f"{DASHBOARD}?quarter=2022-q4&status=done", "next")
    backward, _ = _walk(client, last, "prev")

    assert [len(page) for page in forward][:2] == [4, 4]
    assert [pk for page in forward for pk in page] == done
    assert [pk for page in reversed(backward) for pk in page] == done


def test_a_status_filter_says_when_a_page_looked_through_key_results_without_finding_one(
    okr, org, client_as, small_pages
):
    _key_results(okr, org, 12)
    content = client_as("viewer").get(f"{DASHBOARD}?quarter=2022-q4&status=on_track").content.decode()
    assert "No on track key results here" in content
    assert "looked through 6 key results" in content
    assert "Next 4 →" in content


def _query(href: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in href.lstrip("?").split("&"))


@pytest.mark.parametrize(
    "cursor", ["?after=junk", "?before=junk", "?after=WyJ4Il0", "?before=%00", "?after=" + "A" * 500]
)
@pytest.mark.parametrize("status", ["", "&status=done"])
def test_a_bad_cursor_shows_the_first_page(okr, org, client_as, small_pages, cursor, status):
    _key_results(okr, org, 20)
    client = client_as("viewer")
    first = client.get(f"{DASHBOARD}?quarter=2022-q4{status}").content.decode()
    response = client.get(f"{DASHBOARD}{cursor}&quarter=2022-q4{status}")
    assert response.status_code == 200
    assert _ids(response.content.decode()) == _ids(first)
    assert _ids(first)


@pytest.mark.parametrize("role", ["viewer", "lead"])
@pytest.mark.parametrize("status", ["", "&status=off_track"])
def test_the_queries_are_the_same_for_few_and_many_key_results_and_issues(
    okr, org, client_as, django_assert_num_queries, role, status
):
    def build(key_results: int, issues: int) -> None:
        objective = objective_create(team=org.sub_team, period=okr.period, title=f"Objective of {key_results}")
        for n in range(key_results):
            key_result = key_result_create(objective=objective, title=f"KR {n}", kind="issues")
            _link(key_result, issues, start=key_results * 100_000 + n * 1000, state="open")

    client = client_as(role)
    url = f"{DASHBOARD}?quarter=2022-q4{status}"
    build(3, 2)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert len(_ids(client.get(url).content.decode())) == 4
    build(60, 30)
    with django_assert_num_queries(len(few.captured_queries)):
        content = client.get(url).content.decode()
    assert len(_ids(content)) == selectors.PAGE_SIZE


def _link(key_result, count: int, *, start: int, **fields) -> list[GitHubIssue]:
    issues = GitHubIssue.objects.bulk_create(
        GitHubIssue(repo="posthog/posthog", number=number, title=f"Issue {number}", **fields)
        for number in range(start, start + count)
    )
    IssueLink.objects.bulk_create(IssueLink(issue=issue, key_result=key_result) for issue in issues)
    return issues


def _tiles(content: str) -> dict[str, int]:
    return {label: int(value) for value, label in re.findall(r"<strong>(\d+)</strong> ([^<]+)</p>", content)}


def test_a_team_trees_tiles_count_its_whole_quarter_on_every_page(okr, org, client_as):
    key_results = _key_results(okr, org, 29)  # 30 with the fixture's
    _link(key_results[0], 3, start=1, state="open", last_activity_at=timezone.now() - datetime.timedelta(days=30))
    _link(key_results[-1], 2, start=10, state="closed")
    client = client_as("lead")
    first = client.get(f"{DASHBOARD}?quarter=2022-q4").content.decode()
    second = client.get(DASHBOARD + _links(first)["next"]).content.decode()

    for content in (first, second):
        assert "Your teams in Q4 2022" in content
        tiles = _tiles(content)
        assert tiles["key results"] == 30
        assert tiles["open issues"] == 3
        assert tiles["closed issues"] == 2
        assert tiles["stale (14 days quiet)"] == 3
        assert tiles["KRs with no linked work"] == 28
    team = client.get(f"{DASHBOARD}?team=infrastructure&quarter=2022-q4&status=done").content.decode()
    assert "Infrastructure in Q4 2022, every status" in team
    assert _tiles(team)["key results"] == 14


def test_the_whole_orgs_tiles_count_the_page_shown_and_say_so(okr, org, client_as):
    key_results = _key_results(okr, org, 29)
    _link(key_results[0], 3, start=1, state="open")
    _link(key_results[-1], 2, start=10, state="closed")  # on the second page
    content = client_as("viewer").get(f"{DASHBOARD}?quarter=2022-q4").content.decode()
    assert "The 25 key results on this page" in content
    assert "pick a team for its totals" in content
    tiles = _tiles(content)
    assert tiles["key results"] == 25
    assert tiles["open issues"] == 3
    assert tiles["closed issues"] == 0


def test_the_team_filter_lists_sub_teams_under_their_parent(okr, org, client_as):
    """A lead's select lists their whole tree; a viewer's the top-level teams, and the chosen
    team's sub-teams under it."""
    lead = client_as("lead").get(DASHBOARD).content.decode()
    viewer = client_as("viewer").get(DASHBOARD).content.decode()
    chosen = client_as("viewer").get(f"{DASHBOARD}?team=platform").content.decode()

    def options(content: str) -> list[str]:
        select = content.split('<select id="filter-team" name="team">')[1].split("</select>")[0]
        return re.findall(r"<option[^>]*>([^<]+)</option>", select)

    assert options(lead) == ["All teams", "Platform", "— Infrastructure"]
    assert options(viewer) == ["All teams", "Payments", "Platform"]
    assert options(chosen) == ["All teams", "Payments", "Platform", "— Infrastructure"]
    assert '<option value="platform" selected>' in chosen


def test_a_team_the_reader_cannot_read_is_not_a_filter(okr, org, client_as):
    content = client_as("outsider").get(f"{DASHBOARD}?team=platform&quarter=2022-q4").content.decode()
    assert "Migrate postgres out of heroku" not in content
    assert 'value="platform"' not in content
    assert 'Dashboard <span class="muted page-head__sub">every team' in content


def test_a_card_names_at_most_three_issues_of_each_kind(okr, client_as):
    now = timezone.now()
    _link(okr.kr, 6, start=1, state="open", labels=["Blocked"], last_activity_at=now)
    _link(okr.kr, 6, start=100, state="open", last_activity_at=now - datetime.timedelta(days=20))
    _link(okr.kr, 6, start=200, state="closed", closed_at=now - datetime.timedelta(days=1))
    content = client_as("viewer").get(f"{DASHBOARD}?quarter=2022-q4").content.decode()
    assert "6 blocked" in content
    assert "6 stale" in content
    assert content.count("<dd>") == 9
    assert "posthog/posthog#3</a>" in content
    assert "posthog/posthog#4</a>" not in content


def test_recently_closed_issues_are_named_latest_first(okr, client_as):
    now = timezone.now()
    for number, days in [(1, 3), (2, 1), (3, 6), (4, 2), (5, 30)]:
        _link(okr.kr, 1, start=number, state="closed", closed_at=now - datetime.timedelta(days=days))
    content = client_as("viewer").get(f"{DASHBOARD}?quarter=2022-q4").content.decode()
    named = re.findall(r"posthog/posthog#(\d+)</a>", content)
    assert named == ["2", "4", "1"]


# The conditions the dashboard's SQL puts on an issue, against the Python that says the same on
# other pages: GitHubIssue.is_closed / is_blocked, the 14 quiet days, and with_issue_counts.
ISSUES = [
    {"state": "open"},
    {"state": "open", "assignees": ["guido"]},
    {"state": "open", "labels": ["blocked"]},
    {"state": "open", "labels": ["bug", "Status: Blocked"], "assignees": ["ellie"]},
    {"state": "open", "labels": ["STATUS/BLOCKED"], "points": 3},
    {"state": "open", "labels": ["not blocked", "blocked-ish", "unblocked"]},
    {"state": "open", "labels": ["Blocked by legal"]},
    {"state": "open", "last_activity_at": None},
    {"state": "open", "quiet_days": 13},
    {"state": "open", "quiet_days": 15, "labels": ["blocked"]},
    {"state": "open", "deleted": True, "labels": ["blocked"]},
    {"state": "closed", "points": 5},
    {"state": "closed", "labels": ["blocked"], "quiet_days": 40},
    {"state": "closed", "deleted": True, "points": 8},
]


def test_the_sql_counts_what_the_python_says(okr):
    now = timezone.now()
    key_result = okr.kr
    for number, spec in enumerate(ISSUES, start=1):
        fields = {key: value for key, value in spec.items() if key != "quiet_days"}
        if "last_activity_at" not in fields:
            fields["last_activity_at"] = now - datetime.timedelta(days=spec.get("quiet_days", 0))
        _link(key_result, 1, start=number, **fields)

    counts = selectors._work_counts(selectors._WITH_IDS, now, ids=[key_result.pk])[key_result.pk]

    issues = [link.issue for link in key_result.issue_links.select_related("issue")]
    live = [issue for issue in issues if not issue.deleted]
    open_issues = [issue for issue in live if not issue.is_closed]
    quiet_since = now - selectors.STALE_AFTER
    annotated = with_issue_counts(KeyResult.objects.filter(pk=key_result.pk)).get()
    assert counts == selectors.WorkCounts(
        links=len(issues),
        issues_total=annotated.issues_total,
        issues_closed=annotated.issues_closed,
        points_total=annotated.points_total,
        points_closed=annotated.points_closed,
        open=len(open_issues),
        stale=sum(1 for i in open_issues if i.last_activity_at is None or i.last_activity_at < quiet_since),
        unassigned=sum(1 for i in open_issues if not i.assignees),
        blocked=sum(1 for i in open_issues if i.is_blocked),
    )
    assert counts.blocked == 4


def test_a_key_result_with_no_linked_issue_counts_zero(okr):
    counts = selectors._work_counts(selectors._WITH_IDS, timezone.now(), ids=[okr.kr.pk])
    assert counts == {okr.kr.pk: selectors.WorkCounts()}


def test_a_team_trees_tiles_count_exactly_the_key_results_its_pages_list(okr):
    """The tiles' SQL writes out `_key_results_in`'s conditions: the quarter, not archived, the teams."""
    sub_team = TeamFactory(parent=okr.objective.team)
    listed = [
        okr.kr,
        KeyResultFactory(objective__team=sub_team, objective__period=okr.period),
        KeyResultFactory(objective=okr.objective),
    ]
    KeyResultFactory(objective__team=okr.objective.team, objective__period=okr.period, objective__archived=True)
    KeyResultFactory(objective__team=okr.objective.team, objective__period=PeriodFactory(year=2023, quarter=1))
    KeyResultFactory(objective__team=TeamFactory(), objective__period=okr.period)
    teams = [okr.objective.team.pk, sub_team.pk]

    counted = selectors._work_counts(selectors._IN_TEAMS, timezone.now(), teams=teams, period_id=okr.period.pk)

    expected = selectors._key_results_in(team_ids=teams, period_id=okr.period.pk).values_list("pk", flat=True)
    assert sorted(counted) == sorted(expected) == sorted(key_result.pk for key_result in listed)
    assert selectors._work_counts(selectors._IN_TEAMS, timezone.now(), teams=[], period_id=okr.period.pk) == {}


def test_a_team_dashboard_links_each_card_to_its_key_result_and_counts_its_tree(okr, client_as):
    content = client_as("lead").get(reverse("team_dashboard", args=["platform"]) + "?quarter=2022-q4").text
    url = reverse("okrs:key_result_detail", args=[okr.kr.pk])
    assert f'<h3 id="kr-{okr.kr.pk}"><a href="{url}">Migrate postgres out of heroku</a></h3>' in content
    assert "Platform and its sub-teams in Q4 2022" in content
