import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from integrations.models import GitHubIssue, IssueLink
from okrs.models import KeyResult, Objective, Period
from okrs.services import check_in_record, key_result_create, objective_create
from platformhub import fragments
from tests.rows import calls_of, same_as_built_afresh

ROLE_STATUS = {"lead": 200, "engineer": 200, "viewer": 200, "outsider": 200, "staff": 200, "anonymous": 302}


def _issues(key_result, count: int, *, start: int = 1, **fields):
    now = timezone.now()
    issues = GitHubIssue.objects.bulk_create(
        GitHubIssue(
            repo="posthog/posthog",
            number=number,
            title=f"Issue {number}",
            last_activity_at=fields.pop("last_activity_at", now),
            **fields,
        )
        for number in range(start, start + count)
    )
    IssueLink.objects.bulk_create(IssueLink(issue=issue, key_result=key_result) for issue in issues)
    return issues


@pytest.mark.parametrize("role", ROLE_STATUS)
def test_dashboard_by_role(okr, client_as, role):
    response = client_as(role).get(reverse("dashboard") + "?quarter=2022-q4")
    assert response.status_code == ROLE_STATUS[role]
    if response.status_code == 200:
        content = response.content.decode()
        assert ("Migrate postgres out of heroku" in content) is (role != "outsider")


@pytest.mark.parametrize(
    ("role", "expected"),
    [("lead", 200), ("engineer", 200), ("viewer", 200), ("outsider", 404), ("staff", 200), ("anonymous", 302)],
)
def test_team_dashboard_by_role(okr, client_as, role, expected):
    assert client_as(role).get(reverse("team_dashboard", args=["platform"])).status_code == expected


def test_dashboard_sorts_out_the_work_behind_each_key_result(okr, client_as, org):
    KeyResult.objects.filter(pk=okr.kr.pk).update(kind=KeyResult.Kind.ISSUES)
    now = timezone.now()
    _issues(okr.kr, 3, state="closed", closed_at=now - datetime.timedelta(days=2), assignees=["guido"])
    _issues(okr.kr, 1, start=10, assignees=["daniel"], labels=["blocked"])
    _issues(okr.kr, 1, start=20, last_activity_at=now - datetime.timedelta(days=30))
    lonely = objective_create(team=org.team, period=okr.period, title="Compliance")
    key_result_create(objective=lonely, title="SOC 2 Ready", kind="milestone")

    content = (
        client_as("viewer").get(reverse("team_dashboard", args=["platform"]) + "?quarter=2022-q4").content.decode()
    )

    assert "3 of 5 linked issues closed" in content
    assert 'aria-valuenow="60"' in content
    assert "2 open" in content
    assert "3 closed" in content
    assert "1 stale" in content
    assert "1 unassigned" in content
    assert "1 blocked" in content
    assert "Recently closed" in content
    assert "posthog/posthog#1" in content
    assert "No linked work" in content.split("SOC 2 Ready</a></h3>")[1]


def test_dashboard_filters_by_status(okr, client_as, org):
    done = objective_create(team=org.team, period=okr.period, title="Done things")
    key_result = key_result_create(objective=done, title="Finished KR", kind="milestone")
    KeyResult.objects.filter(pk=key_result.pk).update(is_done=True)
    content = client_as("viewer").get(reverse("dashboard") + "?quarter=2022-q4&status=done").content.decode()
    assert "Finished KR" in content
    assert "Migrate postgres out of heroku" not in content


def test_dashboard_shows_the_last_sync_and_its_error(okr, client_as):
    from integrations.models import SyncRun

    SyncRun.objects.create(started_at=timezone.now(), error="GitHub answered 500 Internal Server Error.")
    content = client_as("viewer").get(reverse("dashboard")).content.decode()
    assert "GitHub synced" in content
    assert "last error: GitHub answered 500 Internal Server Error." in content


@pytest.mark.parametrize("per_kr", [5, 200])
@pytest.mark.parametrize("role", ["viewer", "lead"])
def test_dashboard_runs_a_constant_number_of_queries(okr, client_as, org, django_assert_num_queries, per_kr, role):
    for number in range(3):
        key_result = key_result_create(objective=okr.objective, title=f"KR {number}", kind="issues")
        _issues(key_result, per_kr, start=number * 1000 + 1)
    client = client_as(role)
    # session, user, access, teams, the quarters for the filter with the one shown, a page of KRs,
    # their issues counted (the page's for the whole org's viewer, the team tree's for the lead:
    # one query either way), a few of them named, last sync
    with django_assert_num_queries(9):
        response = client.get(reverse("dashboard") + "?quarter=2022-q4")
    assert response.content.decode().count(f"0 of {per_kr} linked issues closed") == 3


@pytest.mark.parametrize("quarter", ["0-q1", "9999-q4", "99999-q1", "²-q1", "2022-q9", "junk"])
def test_a_bad_quarter_falls_back_to_the_default_instead_of_failing(okr, client_as, quarter):
    assert client_as("viewer").get(reverse("dashboard") + f"?quarter={quarter}").status_code == 200


@pytest.mark.parametrize("query", ["?team=%00", "?team=platform%00", "?quarter=" + "9" * 5000 + "-q1", "?quarter=%00"])
def test_filters_that_are_not_a_team_or_a_quarter_are_ignored(okr, client_as, query):
    assert client_as("lead").get(reverse("dashboard") + query).status_code == 200


def test_the_dashboard_with_remembered_cards_is_the_page_built_afresh_after_each_change(okr, client_as, org):
    KeyResult.objects.filter(pk=okr.kr.pk).update(kind=KeyResult.Kind.ISSUES)
    url = reverse("team_dashboard", args=["platform"]) + "?quarter=2022-q4"
    viewer = client_as("viewer")
    same_as_built_afresh(viewer, url)
    [issue] = _issues(okr.kr, 1, assignees=["daniel"])
    assert "0 of 1 linked issues closed" in same_as_built_afresh(viewer, url)
    issue.labels = ["blocked"]
    issue.save(update_fields=["labels"])
    assert "1 blocked" in same_as_built_afresh(viewer, url)
    GitHubIssue.objects.filter(pk=issue.pk).update(state="closed", closed_at=timezone.now())
    page = same_as_built_afresh(client_as("lead"), url)
    assert "1 of 1 linked issues closed" in page
    assert "Recently closed" in page


def test_the_dashboard_is_drawn_again_only_when_something_on_it_changed(okr, client_as, monkeypatch):
    fragments.forget_rendered_rows()
    drawn = []
    monkeypatch.setattr(fragments, "check_plain", lambda row, path="row": drawn.append(type(row).__name__))
    url = reverse("dashboard") + "?quarter=2022-q4"
    lead = client_as("lead")
    first = lead.get(url).content
    assert drawn.count("DashboardBody") == drawn.count("WorkCardRow") == 1
    again = lead.get(url).content
    assert (drawn.count("DashboardBody"), drawn.count("WorkCardRow")) == (1, 1), "drawn from memory"
    assert again.count(b"Migrate postgres out of heroku") == first.count(b"Migrate postgres out of heroku") == 1

    key_result_create(objective=okr.objective, title="Move the workers to EKS", kind="milestone")

    page = lead.get(url).content.decode()
    assert "Move the workers to EKS" in page
    assert "<strong>2</strong> key results" in page
    assert drawn.count("DashboardBody") == 2
    assert drawn.count("WorkCardRow") == 2, "only the new key result's card drawn"


def test_a_dashboard_whose_reads_are_unchanged_is_drawn_without_working_its_key_results_out(
    okr, client_as, monkeypatch
):
    from integrations import selectors

    worked_out = calls_of(monkeypatch, selectors, "_work_out")
    fragments.forget_rendered_rows()
    url = reverse("dashboard") + "?quarter=2022-q4"
    lead = client_as("lead")
    pages = [lead.get(url).content.decode() for _ in range(3)]

    assert len(worked_out) == 1, "the second and third requests read the same rows and drew them from memory"
    assert all(page.count("Migrate postgres out of heroku") == 1 for page in pages)
    key_result_create(objective=okr.objective, title="Move the workers to EKS", kind="milestone")
    assert "Move the workers to EKS" in lead.get(url).content.decode()
    assert len(worked_out) == 2


def test_the_dashboard_drawn_from_memory_follows_check_ins_renames_syncs_and_the_clock(okr, client_as, monkeypatch):
    """What the page is remembered under is what it shows: the key results' values, their
    objectives' titles, the last sync and the time the key results are judged at."""
    from integrations.models import SyncRun

    KeyResult.objects.filter(pk=okr.kr.pk).update(kind=KeyResult.Kind.PERCENT, current_value=10, start_value=0)
    url = reverse("dashboard") + "?quarter=2022-q4"
    lead = client_as("lead")
    same_as_built_afresh(lead, url)
    kr = KeyResult.objects.get(pk=okr.kr.pk)
    check_in_record(key_result=kr, author=None, expected_version=kr.version, confidence="high", value=Decimal(12))
    assert "12% of 100%" in same_as_built_afresh(lead, url)
    Objective.objects.filter(pk=okr.objective.pk).update(title="Boring uptime")
    assert "Boring uptime" in same_as_built_afresh(lead, url)
    SyncRun.objects.create(started_at=timezone.now() - datetime.timedelta(minutes=5), error="GitHub answered 502")
    page = same_as_built_afresh(lead, url)
    assert "GitHub synced 5\xa0minutes ago" in page
    assert "GitHub answered 502" in page

    monkeypatch.setattr(timezone, "now", lambda: datetime.datetime(2022, 10, 11, 9, 0, tzinfo=datetime.UTC))
    assert "status--on_track" in same_as_built_afresh(lead, url), "a tenth of the quarter gone at 12%"
    monkeypatch.setattr(timezone, "now", lambda: datetime.datetime(2022, 11, 30, 9, 0, tzinfo=datetime.UTC))
    assert "status--off_track" in same_as_built_afresh(lead, url), "two thirds of the quarter gone at 12%"


def _options(content: str, select_id: str) -> list[tuple[str, bool, str]]:
    select = content[content.index(f'id="{select_id}"') :]
    select = select[: select.index("</select>")]
    return [
        (value, bool(selected), label)
        for value, selected, label in re.findall(r'<option value="([^"]*)"( selected)?>([^<]*)</option>', select)
    ]


def test_the_quarter_filter_lists_the_quarters_planned_in_latest_first_with_the_shown_one_selected(okr, org, client_as):
    later = Period.objects.create(year=2023, quarter=1, start=datetime.date(2023, 1, 1), end=datetime.date(2023, 3, 31))
    objective_create(team=org.team, period=later, title="Next")
    content = client_as("viewer").get(reverse("dashboard") + "?quarter=2022-q4").content.decode()
    assert _options(content, "filter-quarter") == [
        ("2023-q1", False, later.name),
        ("2022-q4", True, okr.period.name),
    ]


def test_a_quarter_nothing_was_planned_in_is_offered_selected_after_the_others(okr, client_as):
    content = client_as("viewer").get(reverse("dashboard") + "?quarter=2031-q2").content.decode()
    options = _options(content, "filter-quarter")
    assert options[0] == ("2022-q4", False, okr.period.name)
    assert options[-1][:2] == ("2031-q2", True)
    assert "2031" in options[-1][2]


def test_the_status_filter_keeps_the_status_asked_for_selected(okr, client_as):
    content = client_as("viewer").get(reverse("dashboard") + "?quarter=2022-q4&status=at_risk").content.decode()
    options = _options(content, "filter-status")
    assert options[0] == ("", False, "Any status")
    assert [value for value, selected, _ in options if selected] == ["at_risk"]
    content = client_as("viewer").get(reverse("dashboard") + "?quarter=2022-q4&status=nonsense").content.decode()
    assert not any(selected for _, selected, _ in _options(content, "filter-status"))
