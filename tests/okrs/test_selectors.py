"""Reads for OKR pages (okrs.selectors): grouping, who sees what, and a fixed number of queries."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser, User

from integrations.models import GitHubIssue, IssueLink
from okrs.models import CheckIn, KeyResult, Objective
from okrs.progress import Status
from okrs.selectors import default_period, default_period_among, org_overview, planned_quarters, team_okr_page
from okrs.services import period_close
from platformhub.models import Membership
from tests.factories import (
    KeyResultFactory,
    MembershipFactory,
    ObjectiveFactory,
    PeriodFactory,
    PersonFactory,
)

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2022, 11, 15, 12, 0, tzinfo=datetime.UTC)
TODAY = NOW.date()


@pytest.fixture
def q4():
    return PeriodFactory(year=2022, quarter=4)


@pytest.fixture
def q3():
    return PeriodFactory(year=2022, quarter=3)


def fresh(user: User) -> User:
    """The user as a new request sees it, without the memberships cached on the object."""
    return User.objects.get(pk=user.pk)


def titles(objectives) -> list[str]:
    return [objective.title for objective in objectives]


# The team's OKR page


@pytest.fixture
def grouped(org, q4, q3):
    """Platform's Q4 objectives, with Infrastructure's aligned, unaligned and archived ones around them."""
    uptime = ObjectiveFactory(team=org.team, period=q4, title="Uptime", order=1)
    cost = ObjectiveFactory(team=org.team, period=q4, title="Cost", order=2)
    ObjectiveFactory(team=org.team, period=q4, title="Dropped", order=3, archived=True)
    ObjectiveFactory(team=org.sub_team, period=q4, title="Redundant databases", parent=uptime, order=2)
    ObjectiveFactory(team=org.sub_team, period=q4, title="Load tests", parent=uptime, order=1)
    ObjectiveFactory(team=org.sub_team, period=q4, title="Archived aligned", parent=uptime, archived=True)
    ObjectiveFactory(team=org.sub_team, period=q4, title="Hiring", order=3)
    ObjectiveFactory(team=org.sub_team, period=q4, title="Archived unaligned", archived=True)
    ObjectiveFactory(team=org.other_team, period=q4, title="Payments' own")
    ObjectiveFactory(team=org.team, period=q3, title="Last quarter")
    ObjectiveFactory(team=org.sub_team, period=q3, title="Sub-team last quarter")
    return uptime, cost


def test_team_okr_page_groups_aligned_sub_team_objectives_under_their_parent(org, q4, grouped):
    page = team_okr_page(team=org.team, period=q4, current=q4, now=NOW)
    assert titles(page.objectives) == ["Uptime", "Cost"]
    uptime, cost = page.objectives
    assert titles(uptime.aligned) == ["Load tests", "Redundant databases"]
    assert cost.aligned == []


def test_team_okr_page_lists_unaligned_sub_team_objectives_separately(org, q4, grouped):
    page = team_okr_page(team=org.team, period=q4, current=q4, now=NOW)
    assert titles(page.unaligned_sub_team_objectives) == ["Hiring"]
    assert page.unaligned_sub_team_objectives[0].team == org.sub_team


def test_team_okr_page_lists_the_teams_archived_objectives_separately(org, q4, grouped):
    page = team_okr_page(team=org.team, period=q4, current=q4, now=NOW)
    assert titles(page.archived) == ["Dropped"]
    shown = page.objectives + page.unaligned_sub_team_objectives + [o for x in page.objectives for o in x.aligned]
    assert not any(objective.archived for objective in shown)


def test_team_okr_page_shows_only_that_quarter(org, q3, q4, grouped):
    page = team_okr_page(team=org.team, period=q3, current=q4, now=NOW)
    assert titles(page.objectives) == ["Last quarter"]
    assert titles(page.unaligned_sub_team_objectives) == ["Sub-team last quarter"]
    assert page.archived == []
    assert page.periods == [q3, q4]


def test_team_okr_page_of_a_sub_team_has_no_sub_team_objectives(org, q4, grouped):
    page = team_okr_page(team=org.sub_team, period=q4, current=q4, now=NOW)
    assert titles(page.objectives) == ["Load tests", "Redundant databases", "Hiring"]
    assert page.unaligned_sub_team_objectives == []
    assert titles(page.archived) == ["Archived aligned", "Archived unaligned"]


def test_team_okr_page_marks_the_first_and_last_active_objective(org, q4, grouped):
    page = team_okr_page(team=org.team, period=q4, current=q4, now=NOW)
    assert [(o.is_first, o.is_last) for o in page.objectives] == [(True, False), (False, True)]


def test_team_okr_page_attaches_progress_and_status_to_objectives_and_key_results(org, q4, grouped):
    uptime, _ = grouped
    checked_in = {"last_check_in_at": NOW - datetime.timedelta(days=1)}
    KeyResultFactory(objective=uptime, kind=KeyResult.Kind.PERCENT, current_value=Decimal(100), order=1, **checked_in)
    KeyResultFactory(objective=uptime, kind=KeyResult.Kind.PERCENT, current_value=Decimal(10), order=2, **checked_in)
    aligned = Objective.objects.get(title="Load tests")
    KeyResultFactory(objective=aligned, kind=KeyResult.Kind.MILESTONE, is_done=True)

    page = team_okr_page(team=org.team, period=q4, current=q4, now=NOW)

    uptime = page.objectives[0]
    assert [kr.state.status for kr in uptime.krs] == [Status.DONE, Status.OFF_TRACK]  # 10% with half of Q4 gone
    assert all(kr.objective is uptime for kr in uptime.krs)
    assert (uptime.progress, uptime.percent, uptime.status, uptime.score) == (
        pytest.approx(0.55),
        55,
        Status.OFF_TRACK,
        None,
    )
    assert (uptime.aligned[0].percent, uptime.aligned[0].status) == (100, Status.DONE)
    assert (page.objectives[1].krs, page.objectives[1].status) == ([], None)
    assert page.status_counts == {"done": 1, "on_track": 0, "at_risk": 0, "off_track": 1, "total": 2, "stale": 0}


def test_team_okr_page_counts_stale_key_results(org, q4):
    objective = ObjectiveFactory(team=org.team, period=q4)
    fresh_kr = KeyResultFactory(objective=objective, kind=KeyResult.Kind.PERCENT, current_value=Decimal(50))
    stale_kr = KeyResultFactory(objective=objective, kind=KeyResult.Kind.PERCENT, current_value=Decimal(50))
    KeyResult.objects.filter(pk=fresh_kr.pk).update(last_check_in_at=NOW - datetime.timedelta(days=2))
    KeyResult.objects.filter(pk=stale_kr.pk).update(last_check_in_at=NOW - datetime.timedelta(days=8))

    page = team_okr_page(team=org.team, period=q4, current=q4, now=NOW)

    assert page.status_counts == {"done": 0, "on_track": 2, "at_risk": 0, "off_track": 0, "total": 2, "stale": 1}


def test_team_okr_page_knows_when_the_quarter_is_closed(org, q4, grouped):
    assert not team_okr_page(team=org.team, period=q4, current=q4, now=NOW).is_closed
    period_close(team=org.team, period=q4, closed_by=None, scores={})
    assert team_okr_page(team=org.team, period=q4, current=q4, now=NOW).is_closed


def test_team_okr_page_offers_the_quarters_with_objectives_plus_the_shown_and_current_ones(org, q3, q4):
    ObjectiveFactory(team=org.team, period=q3)
    ObjectiveFactory(team=org.other_team, period=PeriodFactory(year=2022, quarter=1))
    q1_2023 = PeriodFactory(year=2023, quarter=1)
    page = team_okr_page(team=org.team, period=q1_2023, current=q4, now=NOW)
    assert page.periods == [q3, q4, q1_2023]


# The overview of every team


@pytest.fixture
def overview_objectives(org, q4, q3):
    for team in (org.team, org.sub_team, org.other_team):
        objective = ObjectiveFactory(team=team, period=q4, title=f"{team.name} Q4")
        KeyResultFactory(objective=objective, kind=KeyResult.Kind.PERCENT, current_value=Decimal(40))
        ObjectiveFactory(team=team, period=q4, title=f"{team.name} archived", archived=True)
        ObjectiveFactory(team=team, period=q3, title=f"{team.name} Q3")


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("lead", ["Platform", "Infrastructure"]),
        ("engineer", ["Platform", "Infrastructure"]),
        ("viewer", ["Payments", "Platform", "Infrastructure"]),
        ("outsider", ["Payments"]),
        ("staff", ["Payments", "Platform", "Infrastructure"]),
    ],
)
def test_org_overview_shows_only_the_teams_the_user_may_read(org, q4, overview_objectives, role, expected):
    user = fresh(org.users[role])
    overview = org_overview(user=user, period=q4, now=NOW).rows
    assert [entry.team.name for entry in overview] == expected
    assert all(user.has_perm("platformhub.view_team", entry.team) for entry in overview)


def test_org_overview_shows_a_sub_team_member_their_whole_tree(org, q4, overview_objectives):
    user = MembershipFactory(team=org.sub_team, role=Membership.Role.LEAD).person.user
    overview = org_overview(user=fresh(user), period=q4, now=NOW).rows
    assert [entry.team.name for entry in overview] == ["Platform", "Infrastructure"]


def test_org_overview_shows_nothing_to_an_anonymous_user(org, q4, overview_objectives):
    assert org_overview(user=AnonymousUser(), period=q4, now=NOW).rows == []


def test_org_overview_lists_each_teams_active_objectives_of_the_quarter_with_their_roll_up(
    org, q4, overview_objectives
):
    overview = org_overview(user=fresh(org.users["staff"]), period=q4, now=NOW).rows
    assert {entry.team.name: titles(entry.objectives) for entry in overview} == {
        "Payments": ["Payments Q4"],
        "Platform": ["Platform Q4"],
        "Infrastructure": ["Infrastructure Q4"],
    }
    assert {entry.percent for entry in overview} == {40}  # the archived objectives do not count


def test_org_overview_includes_teams_without_objectives_at_nought_percent(org, q4):
    overview = org_overview(user=fresh(org.users["lead"]), period=q4, now=NOW).rows
    assert [(entry.team.name, entry.objectives, entry.percent) for entry in overview] == [
        ("Platform", [], 0),
        ("Infrastructure", [], 0),
    ]


# A fixed number of queries however many objectives there are


def build_objectives(*, teams, period, count: int, owners, parent_for=None) -> list[Objective]:
    """`count` objectives spread over `teams`, each with 4 owned KRs (one measured by linked issues)
    and 20 check-ins per objective."""
    objectives = []
    for index in range(count):
        team = teams[index % len(teams)]
        parent = parent_for(index) if parent_for else None
        objective = ObjectiveFactory(team=team, period=period, order=index, parent=parent)
        objective.owners.set(owners)
        # the first measured by linked issues, so that their counts are read as on a real page
        key_results = [
            KeyResultFactory(objective=objective, kind=KeyResult.Kind.ISSUES if n == 0 else KeyResult.Kind.PERCENT)
            for n in range(4)
        ]
        for key_result in key_results:
            key_result.owners.set(owners)
        CheckIn.objects.bulk_create(
            CheckIn(
                key_result=key_results[n % 4],
                value=Decimal(n * 5),
                confidence=KeyResult.Confidence.HIGH,
                created_at=datetime.datetime(2022, 10, 1 + n, 10, tzinfo=datetime.UTC),
            )
            for n in range(20)
        )
        objectives.append(objective)
    return objectives


ORG_OVERVIEW_QUERIES = 6  # person and memberships, top-level teams with their sub-teams, objectives, key results,
# their linked issues' counts, quarters


@pytest.mark.parametrize("count", [2, 40])
def test_org_overview_takes_the_same_number_of_queries_for_2_or_40_objectives(
    org, q4, count, django_assert_num_queries
):
    owners = [PersonFactory(), PersonFactory()]
    build_objectives(teams=[org.team, org.sub_team, org.other_team], period=q4, count=count, owners=owners)
    viewer = fresh(org.users["lead"])

    with django_assert_num_queries(ORG_OVERVIEW_QUERIES):
        overview = org_overview(user=viewer, period=q4, now=NOW).rows
        shown = [
            (o.team.name, o.period.name, kr.state.status)
            for entry in overview
            for o in entry.objectives
            for kr in o.krs
        ]

    expected = len([i for i in range(count) if i % 3 != 2])  # Payments' objectives are not the lead's to see
    assert len(shown) == 4 * expected


TEAM_PAGE_QUERIES = 6  # the team's and its sub-teams' objectives (+ owners, KRs, KR owners) in one go,
# the closed state and the quarters for the switcher


@pytest.mark.parametrize("count", [2, 40])
def test_team_okr_page_takes_the_same_number_of_queries_for_2_or_40_objectives(
    org, q4, count, django_assert_num_queries
):
    owners = [PersonFactory(), PersonFactory()]
    ours = build_objectives(teams=[org.team], period=q4, count=count, owners=owners)
    build_objectives(teams=[org.sub_team], period=q4, count=count, owners=owners, parent_for=lambda i: ours[i])
    build_objectives(teams=[org.sub_team], period=q4, count=count, owners=owners)
    Objective.objects.filter(pk=ours[-1].pk).update(archived=True)

    with django_assert_num_queries(TEAM_PAGE_QUERIES):
        page = team_okr_page(team=org.team, period=q4, current=q4, now=NOW)
        aligned = [child for objective in page.objectives for child in objective.aligned]
        every = page.objectives + aligned + page.unaligned_sub_team_objectives
        shown = [(kr.state.status, kr.owner_names[0]) for objective in every for kr in objective.krs]
        owned = [objective.owner_names[0] for objective in every]
        counts = page.status_counts

    assert (len(page.objectives), len(aligned), len(page.unaligned_sub_team_objectives)) == (
        count - 1,
        count - 1,
        count,
    )
    assert len(page.archived) == 1
    assert len(shown) == 4 * len(owned)
    assert counts["total"] == 4 * (count - 1)


# Which quarter to show first


def test_default_period_is_the_current_quarter_when_it_has_objectives(org, q3, q4):
    ObjectiveFactory(team=org.team, period=q3)
    ObjectiveFactory(team=org.team, period=q4)
    ObjectiveFactory(team=org.team, period=PeriodFactory(year=2022, quarter=1))
    assert default_period(today=TODAY, team_ids=[org.team.pk]) == q4


def test_default_period_falls_back_to_the_latest_quarter_with_objectives(org, q3, q4):
    ObjectiveFactory(team=org.team, period=PeriodFactory(year=2022, quarter=1))
    ObjectiveFactory(team=org.team, period=q3)
    ObjectiveFactory(team=org.other_team, period=q4)  # another team's current quarter does not count
    assert default_period(today=TODAY, team_ids=[org.team.pk]) == q3


def test_default_period_is_the_current_quarter_when_there_are_no_objectives(org):
    period = default_period(today=TODAY, team_ids=[org.team.pk])
    assert (period.year, period.quarter, period.start, period.end) == (
        2022,
        4,
        datetime.date(2022, 10, 1),
        datetime.date(2022, 12, 31),
    )


def test_default_period_of_a_planned_quarter_takes_one_query(org, q4, django_assert_num_queries):
    ObjectiveFactory(team=org.team, period=q4)
    with django_assert_num_queries(1):
        assert default_period(today=TODAY, team_ids=[org.team.pk]) == q4


def test_default_period_is_the_stored_current_quarter_when_the_teams_never_planned(org, q4):
    ObjectiveFactory(team=org.other_team, period=q4)
    assert default_period(today=TODAY, team_ids=[org.team.pk]).pk == q4.pk


def _plan_nothing(org, q3, q4):
    """No objectives anywhere: this quarter, unsaved."""


def _plan_this_quarter(org, q3, q4):
    ObjectiveFactory(team=org.team, period=q3)
    ObjectiveFactory(team=org.team, period=q4)


def _plan_an_earlier_quarter(org, q3, q4):
    ObjectiveFactory(team=org.team, period=PeriodFactory(year=2022, quarter=1))
    ObjectiveFactory(team=org.team, period=q3)
    ObjectiveFactory(team=org.other_team, period=q4)


def _plan_elsewhere_only(org, q3, q4):
    ObjectiveFactory(team=org.other_team, period=q4)


def _plan_an_archived_objective(org, q3, q4):
    ObjectiveFactory(team=org.team, period=q4, archived=True)


@pytest.mark.parametrize(
    "plan",
    [_plan_nothing, _plan_this_quarter, _plan_an_earlier_quarter, _plan_elsewhere_only, _plan_an_archived_objective],
)
@pytest.mark.parametrize("whole_org", [False, True])
def test_default_period_among_the_planned_quarters_is_default_periods_choice(org, q3, q4, plan, whole_org):
    plan(org, q3, q4)
    team_ids = None if whole_org else [org.team.pk]
    quarters = planned_quarters(team_ids=team_ids, year=2022, quarter=4)
    chosen, expected = default_period_among(quarters, today=TODAY), default_period(today=TODAY, team_ids=team_ids)
    assert (chosen.pk, chosen.year, chosen.quarter, chosen.start, chosen.end) == (
        expected.pk,
        expected.year,
        expected.quarter,
        expected.start,
        expected.end,
    )


def test_default_period_among_no_stored_quarters_is_this_quarter_unsaved(org):
    period = default_period_among(planned_quarters(team_ids=[org.team.pk], year=2022, quarter=4), today=TODAY)
    assert (period.pk, period.slug, period.start, period.end) == (
        None,
        "2022-q4",
        datetime.date(2022, 10, 1),
        datetime.date(2022, 12, 31),
    )


def test_planned_quarters_lists_every_quarter_anyone_planned_in_and_this_one_latest_first(
    org, q3, q4, django_assert_num_queries
):
    ObjectiveFactory(team=org.team, period=q3)
    ObjectiveFactory(team=org.other_team, period=PeriodFactory(year=2022, quarter=1))
    PeriodFactory(year=2022, quarter=2)  # stored, planned by nobody: not offered
    with django_assert_num_queries(1):
        quarters = planned_quarters(team_ids=[org.team.pk], year=2022, quarter=4)
    assert [(period.slug, period.planned, period.used) for period in quarters] == [
        (q4.slug, False, False),
        (q3.slug, True, True),
        ("2022-q1", False, True),
    ]


def test_default_period_of_active_work_passes_over_a_quarter_whose_objectives_are_archived(org, q3, q4):
    ObjectiveFactory(team=org.team, period=q3)
    ObjectiveFactory(team=org.team, period=q4, archived=True)
    assert default_period(today=TODAY, team_ids=[org.team.pk]) == q4
    assert default_period(today=TODAY, team_ids=[org.team.pk], active_only=True) == q3


def test_default_period_counts_every_team_for_the_overview(org, q3, q4):
    ObjectiveFactory(team=org.other_team, period=q4)
    ObjectiveFactory(team=org.team, period=q3)
    assert default_period(today=TODAY, team_ids=None) == q4
    assert default_period(today=TODAY, team_ids=[org.team.pk, org.other_team.pk]) == q4
    assert default_period(today=datetime.date(2023, 2, 1), team_ids=None) == q4


def test_linked_issues_are_counted_only_for_the_key_results_they_measure(org, q4):
    """A key result measured otherwise may have issues linked to it (as context); its progress and
    measure never read their counts, so the page does not count them."""
    objective = ObjectiveFactory(team=org.team, period=q4)
    by_issues = KeyResultFactory(objective=objective, kind=KeyResult.Kind.ISSUES)
    by_percent = KeyResultFactory(objective=objective, kind=KeyResult.Kind.PERCENT, current_value=Decimal(40))
    open_issue = GitHubIssue.objects.create(repo="posthog/posthog", number=1)
    closed_issue = GitHubIssue.objects.create(repo="posthog/posthog", number=2, state=GitHubIssue.State.CLOSED)
    for key_result in (by_issues, by_percent):
        IssueLink.objects.bulk_create(IssueLink(key_result=key_result, issue=i) for i in (open_issue, closed_issue))

    [shown] = team_okr_page(team=org.team, period=q4, current=q4, now=NOW).objectives
    rows = {kr.pk: kr for kr in shown.krs}

    assert (rows[by_issues.pk].issues_total, rows[by_issues.pk].issues_closed) == (2, 1)
    assert rows[by_issues.pk].state.percent == 50
    assert (rows[by_percent.pk].issues_total, rows[by_percent.pk].state.percent) == (0, 40)
