"""Issue 7, first part: meeting series, agendas pre-filled with what needs talking about, and
action items that carry into every later meeting until they are done."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from integrations.models import GitHubIssue, IssueLink
from okrs.models import KeyResult
from okrs.services import check_in_record, key_result_create
from sprints.models import Card, CardMove, MeetingSeries
from sprints.selectors import actions_for_meeting, agenda_suggestions
from sprints.services import (
    action_item_add,
    action_item_complete,
    agenda_item_add,
    cadence_set,
    card_create,
    meeting_series_create,
    meetings_schedule,
    sprint_goal_create,
    sprints_ensure,
)

pytestmark = pytest.mark.django_db

MONDAY = datetime.date(2022, 11, 7)
NOON = datetime.datetime(2022, 11, 9, 12, tzinfo=datetime.UTC)


@pytest.fixture
def standup(org):
    series = meeting_series_create(
        team=org.team, kind=MeetingSeries.Kind.STANDUP, name="Platform standup", weekdays=[0, 2, 4]
    )
    meetings = meetings_schedule(series=series, start=MONDAY, until=MONDAY + datetime.timedelta(days=6))
    return series, meetings


def test_standups_are_scheduled_on_monday_wednesday_and_friday(standup):
    series, meetings = standup
    assert [meeting.date.strftime("%a %-d") for meeting in meetings] == ["Mon 7", "Wed 9", "Fri 11"]
    assert meetings_schedule(series=series, start=MONDAY, until=MONDAY + datetime.timedelta(days=6)) == []


def test_weekdays_are_validated(org):
    with pytest.raises(ValidationError, match="0 \\(Monday\\) to 6"):
        meeting_series_create(team=org.team, kind="custom", name="Bad", weekdays=[7])


def test_an_open_action_carries_into_every_later_meeting_until_it_is_done(standup, org):
    _, (monday, wednesday, friday) = standup
    owner = org.users["engineer"].person
    action = action_item_add(meeting=monday, title="Write the runbook", owner=owner, due_date=MONDAY)
    assert list(actions_for_meeting(monday)) == [action]
    assert list(actions_for_meeting(wednesday)) == [action]
    action_item_complete(item=action, at=datetime.datetime(2022, 11, 10, 9, tzinfo=datetime.UTC))
    assert list(actions_for_meeting(wednesday)) == [action], "still shown where it was open"
    assert list(actions_for_meeting(friday)) == [], "done before Friday: no longer carried"
    assert action.is_overdue(datetime.date(2022, 11, 8)) is False


def test_an_action_past_its_due_date_is_overdue(standup, org):
    _, (monday, _, _) = standup
    action = action_item_add(meeting=monday, title="Rotate keys", owner=None, due_date=MONDAY)
    assert action.is_overdue(MONDAY + datetime.timedelta(days=1))
    assert not action.is_overdue(MONDAY)


def test_agenda_items_are_kept_in_the_order_added(standup, org):
    _, (monday, _, _) = standup
    first = agenda_item_add(meeting=monday, title="Kafka lag", added_by=None)
    second = agenda_item_add(meeting=monday, title="EU on-call", added_by=None)
    assert list(monday.agenda.all()) == [first, second]


def test_the_agenda_is_prefilled_with_what_needs_talking_about(standup, okr, org):
    _, (monday, wednesday, _) = standup
    check_in_record(key_result=okr.kr, author=None, expected_version=okr.kr.version, confidence="low", value=Decimal(1))
    blocked = card_create(
        team=org.team, title="Upgrade ClickHouse", column=Card.Column.BLOCKED, blocked_reason="Window"
    )
    CardMove.objects.create(
        card=blocked, moved_at=NOON - datetime.timedelta(days=3), from_column="backlog", to_column="blocked"
    )
    fresh = card_create(team=org.team, title="Fresh block", column=Card.Column.BLOCKED, blocked_reason="Just now")
    CardMove.objects.create(
        card=fresh, moved_at=NOON - datetime.timedelta(hours=5), from_column="backlog", to_column="blocked"
    )
    carried = card_create(team=org.team, title="Events tables", column=Card.Column.IN_PROGRESS)
    Card.objects.filter(pk=carried.pk).update(carry_overs=1)
    cadence_set(length_days=14, first_start=datetime.date(2022, 10, 31))
    sprint = sprints_ensure(today=wednesday.date)
    sprint_goal_create(sprint=sprint, team=org.sub_team, title="Migrate 50 tables", owners=[org.users["lead"].person])
    action_item_add(meeting=monday, title="Write the runbook", owner=org.users["engineer"].person)

    texts = [(s.kind, s.text) for s in agenda_suggestions(meeting=wednesday, now=NOON)]

    assert ("key_result", "Migrate postgres out of heroku is off track") in texts
    assert ("blocked_card", "“Upgrade ClickHouse” blocked for 3 days") in texts
    assert not [text for kind, text in texts if "Fresh block" in text]
    assert ("carried_card", "“Events tables” carried over 1×") in texts
    assert ("lone_goal", "Goal “Migrate 50 tables” has fewer than two owners") in texts
    assert ("action", f"Open action: Write the runbook ({org.users['engineer'].person.display_name})") in texts


def _link_issues(key_result, *issues: tuple[str, int, bool]) -> None:
    """Link an issue per (state, points, deleted on GitHub) to the key result."""
    for number, (state, points, deleted) in enumerate(issues, start=GitHubIssue.objects.count() + 1):
        issue = GitHubIssue.objects.create(repo="posthog/posthog", number=number, state=state, points=points)
        GitHubIssue.objects.filter(pk=issue.pk).update(deleted=deleted)
        IssueLink.objects.create(issue=issue, key_result=key_result)


def test_key_results_measured_by_issues_are_judged_by_their_live_closed_issues(standup, okr):
    """43 % of the quarter has passed at NOON: a KR below 33 % is at risk, below 13 % off track."""
    _, (_, wednesday, _) = standup

    def issues_kr(title: str, **options) -> KeyResult:
        return key_result_create(objective=okr.objective, title=title, kind=KeyResult.Kind.ISSUES, **options)

    _link_issues(issues_kr("Deleted issues do not count"), ("closed", 1, False), *[("open", 1, True)] * 3)
    _link_issues(issues_kr("Nothing closed"), ("open", 1, False), ("open", 1, False))
    _link_issues(issues_kr("Weighed by points", weight_by_points=True), ("closed", 1, False), ("open", 9, False))
    issues_kr("No issues linked")

    texts = [s.text for s in agenda_suggestions(meeting=wednesday, now=NOON) if s.kind == "key_result"]

    assert texts == [
        "Migrate postgres out of heroku is off track",  # the fixture's metric KR: 0 of 3 databases
        "Nothing closed is off track",
        "Weighed by points is off track",
        "No issues linked is off track",
    ]


def test_a_card_blocked_again_counts_from_its_latest_block(standup, org):
    _, (_, wednesday, _) = standup
    card = card_create(team=org.team, title="Kafka upgrade", column=Card.Column.BLOCKED, blocked_reason="Vendor")
    for days_ago, to_column in [(10, "blocked"), (8, "in_progress"), (1, "blocked")]:
        CardMove.objects.create(
            card=card, moved_at=NOON - datetime.timedelta(days=days_ago), from_column="backlog", to_column=to_column
        )
    assert agenda_suggestions(meeting=wednesday, now=NOON) == []

    CardMove.objects.filter(card=card, to_column="blocked").order_by("-moved_at").first().delete()

    texts = [s.text for s in agenda_suggestions(meeting=wednesday, now=NOON)]
    assert texts == ["“Kafka upgrade” blocked for 10 days"]


def test_an_open_action_nobody_owns_is_suggested_as_nobody_s(standup):
    _, (monday, wednesday, _) = standup
    action_item_add(meeting=monday, title="Pick an owner", owner=None)

    texts = [s.text for s in agenda_suggestions(meeting=wednesday, now=NOON)]

    assert texts == ["Open action: Pick an owner (nobody)"]


def test_an_on_track_quarter_with_nothing_blocked_suggests_nothing(standup):
    _, (monday, _, _) = standup
    assert agenda_suggestions(meeting=monday, now=NOON) == []


def test_the_open_actions_suggested_are_those_raised_at_earlier_meetings_and_still_open(standup):
    """Whether the suggestions read the meeting's actions themselves or are given them."""
    _, (monday, wednesday, friday) = standup
    action_item_add(meeting=monday, title="Open since Monday", owner=None)
    action_item_complete(item=action_item_add(meeting=monday, title="Done on Monday", owner=None), on=monday.date)
    action_item_complete(item=action_item_add(meeting=monday, title="Done on Friday", owner=None), on=friday.date)
    action_item_add(meeting=wednesday, title="Raised on Wednesday", owner=None)
    action_item_add(meeting=friday, title="Raised on Friday", owner=None)

    for actions in (None, list(actions_for_meeting(wednesday))):
        texts = [s.text for s in agenda_suggestions(meeting=wednesday, now=NOON, actions=actions) if s.kind == "action"]
        assert texts == ["Open action: Open since Monday (nobody)"]
    texts = [s.text for s in agenda_suggestions(meeting=friday, now=NOON) if s.kind == "action"]
    assert texts == ["Open action: Open since Monday (nobody)", "Open action: Raised on Wednesday (nobody)"]
