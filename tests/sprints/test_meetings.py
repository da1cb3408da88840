"""Meeting pages (issue 7): who may read, attend and run meetings; meetings created by the first
thing written to them; the agenda, action items that carry on until ticked off, notes with the
conflict check, retros, the query budget of a meeting page, and action items on a person's page."""

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.urls import reverse
from django.utils import timezone

from okrs.models import KeyResult
from okrs.selectors import people_for_team
from okrs.services import key_result_create
from sprints.forms import ActionItemForm
from sprints.models import ActionItem, AgendaItem, Card, Meeting, MeetingSeries, RetroNote, Sprint
from sprints.services import (
    action_item_add,
    action_item_complete,
    agenda_item_add,
    cadence_set,
    card_create,
    meeting_for,
    meeting_series_create,
    meeting_update,
    sprint_goal_create,
    sprint_goal_set_outcome,
    sprints_ensure,
    standup_clear_blocker,
    standup_post,
)
from tests.factories import MembershipFactory
from tests.rows import same_as_built_afresh

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
ROLES = ["lead", "engineer", "viewer", "outsider", "staff", "anonymous"]
READERS = frozenset({"lead", "engineer", "viewer", "staff"})
ATTENDEES = frozenset({"lead", "engineer", "staff"})
RUNNERS = frozenset({"lead", "staff"})

# The Platform standup meets on Monday, Wednesday and Friday; this week of November 2022 it
# meets on the 7th, 9th and 11th and not on Tuesday the 8th.
MONDAY = datetime.date(2022, 11, 7)
TUESDAY = datetime.date(2022, 11, 8)
WEDNESDAY = datetime.date(2022, 11, 9)
FRIDAY = datetime.date(2022, 11, 11)
# Sprints of 14 days from Saturday 29 October 2022: sprint 1 ends on Friday 11 November, so its
# retro is on Monday 14 November (the first working day after it), not on Saturday the 12th.
FIRST_SPRINT_START = datetime.date(2022, 10, 29)
RETRO_DAY = datetime.date(2022, 11, 14)
DAY = datetime.timedelta(days=1)


def url(name: str, series: MeetingSeries, day: datetime.date) -> str:
    """The address of a meeting's page (`meeting`) or of something written to it."""
    return reverse(f"sprints:{name}", args=[series.pk, day.isoformat()])


def page(client, series: MeetingSeries, day: datetime.date) -> str:
    response = client.get(url("meeting", series, day))
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def standup(org) -> MeetingSeries:
    return meeting_series_create(
        team=org.team, kind=MeetingSeries.Kind.STANDUP, name="Platform standup", weekdays=[0, 2, 4]
    )


@pytest.fixture
def daily(org) -> MeetingSeries:
    """A series that meets every day, for what depends on today (ticking off, overdue)."""
    return meeting_series_create(
        team=org.team, kind=MeetingSeries.Kind.CUSTOM, name="Ops sync", weekdays=list(range(7))
    )


@pytest.fixture
def sprints(db):
    cadence_set(length_days=14, first_start=FIRST_SPRINT_START)
    return sprints_ensure(today=RETRO_DAY)


@pytest.fixture
def retro(org, sprints) -> MeetingSeries:
    return meeting_series_create(team=org.team, kind=MeetingSeries.Kind.RETRO, name="Platform retro", weekdays=[])


# Who may do what


@dataclass(frozen=True)
class Rituals:
    standup: MeetingSeries
    retro: MeetingSeries
    agenda_item: AgendaItem
    action: ActionItem


@pytest.fixture
def rituals(org, standup, retro) -> Rituals:
    """Wednesday's standup with an agenda item and an action item, and the Platform retro."""
    wednesday = meeting_for(series=standup, date=WEDNESDAY)
    return Rituals(
        standup=standup,
        retro=retro,
        agenda_item=agenda_item_add(meeting=wednesday, title="Kafka lag", added_by=None),
        action=action_item_add(meeting=wednesday, title="Write the runbook", owner=org.users["engineer"].person),
    )


@dataclass(frozen=True)
class Case:
    method: str
    url: Callable[[Rituals], str]
    allowed: frozenset[str]
    status: int  # what the roles allowed get
    data: Callable[[Rituals], dict] = lambda _: {}
    saved: Callable[[Rituals], bool] | None = None  # whether the write happened


CASES = {
    "meetings": Case("get", lambda r: reverse("sprints:meetings", args=["platform"]), READERS, 200),
    "series form": Case("get", lambda r: reverse("sprints:series_create", args=["platform"]), RUNNERS, 200),
    "series create": Case(
        "post",
        lambda r: reverse("sprints:series_create", args=["platform"]),
        RUNNERS,
        302,
        data=lambda r: {
            "name": "Design review",
            "kind": "custom",
            "weekdays": ["3"],
            "duration_minutes": "45",
            "timezone": "Europe/London",
        },
        saved=lambda r: MeetingSeries.objects.filter(name="Design review").exists(),
    ),
    "series next": Case("get", lambda r: reverse("sprints:series", args=[r.standup.pk]), READERS, 302),
    "meeting": Case("get", lambda r: url("meeting", r.standup, WEDNESDAY), READERS, 200),
    "agenda add": Case(
        "post",
        lambda r: url("agenda_add", r.standup, WEDNESDAY),
        ATTENDEES,
        302,
        data=lambda r: {"title": "EU on-call"},
        saved=lambda r: AgendaItem.objects.filter(title="EU on-call").exists(),
    ),
    "agenda discussed": Case(
        "post",
        lambda r: reverse("sprints:agenda_discussed", args=[r.agenda_item.pk]),
        ATTENDEES,
        302,
        data=lambda r: {"discussed": "1"},
        saved=lambda r: AgendaItem.objects.get(pk=r.agenda_item.pk).discussed,
    ),
    "action add": Case(
        "post",
        lambda r: url("action_add", r.standup, WEDNESDAY),
        ATTENDEES,
        302,
        data=lambda r: {"action-title": "Rotate keys"},
        saved=lambda r: ActionItem.objects.filter(title="Rotate keys").exists(),
    ),
    "action done": Case(
        "post",
        lambda r: reverse("sprints:action_done", args=[r.action.pk]),
        ATTENDEES,
        302,
        data=lambda r: {"done": "1", "on": WEDNESDAY.isoformat()},
        saved=lambda r: ActionItem.objects.get(pk=r.action.pk).done_at is not None,
    ),
    "notes form": Case("get", lambda r: url("meeting_notes", r.standup, WEDNESDAY), ATTENDEES, 200),
    "notes save": Case(
        "post",
        lambda r: url("meeting_notes", r.standup, WEDNESDAY),
        ATTENDEES,
        302,
        data=lambda r: {"version": "1", "notes": "Shard the events table"},
        saved=lambda r: Meeting.objects.get(series=r.standup, date=WEDNESDAY).notes == "Shard the events table",
    ),
    "retro note add": Case(
        "post",
        lambda r: url("retro_note_add", r.retro, RETRO_DAY),
        ATTENDEES,
        302,
        data=lambda r: {"column": "went_well", "went_well-kind": "went_well", "went_well-text": "Shipped it"},
        saved=lambda r: RetroNote.objects.filter(text="Shipped it").exists(),
    ),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_meetings_are_read_by_the_tree_and_viewers_attended_by_the_tree_and_run_by_leads(
    rituals, client_as, case, role
):
    response = getattr(client_as(role), case.method)(case.url(rituals), case.data(rituals))

    if role == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    elif role == "outsider":
        assert response.status_code == 404
    elif role in case.allowed:
        assert response.status_code == case.status, response.content[:300]
    else:
        assert response.status_code == 403
    if case.saved is not None:
        assert case.saved(rituals) is (role in case.allowed)


def test_an_org_wide_series_is_attended_by_members_of_any_team(org, client_as):
    series = meeting_series_create(team=None, kind=MeetingSeries.Kind.CUSTOM, name="All hands", weekdays=[2])
    client = client_as("outsider")

    response = client.post(url("agenda_add", series, WEDNESDAY), {"title": "Payments roadmap"})

    assert response.status_code == 302
    assert "Payments roadmap" in page(client, series, WEDNESDAY)
    assert "Org-wide meetings" in page(client, series, WEDNESDAY)


# Series


def test_a_lead_adds_a_series_and_lands_on_its_next_meeting(org, client_as):
    client = client_as("lead")

    response = client.post(
        reverse("sprints:series_create", args=["platform"]),
        {
            "name": "Ops sync",
            "kind": "custom",
            "weekdays": [str(day) for day in range(7)],
            "starts_at": "09:30",
            "duration_minutes": "15",
            "timezone": "UTC",
        },
    )

    series = MeetingSeries.objects.get(name="Ops sync")
    assert response["Location"] == reverse("sprints:series", args=[series.pk])
    assert (series.team, series.weekdays, series.starts_at) == (org.team, list(range(7)), datetime.time(9, 30))
    assert client.get(response["Location"])["Location"] == url("meeting", series, timezone.localdate())
    assert "Ops sync" in client.get(reverse("sprints:meetings", args=["platform"])).content.decode()


def test_a_standup_without_days_is_refused_with_the_reason(org, client_as):
    response = client_as("lead").post(
        reverse("sprints:series_create", args=["platform"]),
        {"name": "Standup", "kind": "standup", "duration_minutes": "15", "timezone": "UTC"},
    )

    assert response.status_code == 422
    assert "Pick the days the standup happens on." in response.content.decode()
    assert not MeetingSeries.objects.exists()


# A meeting exists once something is written to it, and only on the series' days


def test_reading_a_meeting_page_never_creates_the_meeting(standup, client_as):
    content = page(client_as("engineer"), standup, WEDNESDAY)

    assert "Wednesday 9 November 2022" in content
    assert not Meeting.objects.exists()


def test_the_first_thing_written_to_a_meeting_creates_it(standup, client_as):
    client = client_as("engineer")
    page(client, standup, WEDNESDAY)

    client.post(url("agenda_add", standup, WEDNESDAY), {"title": "Kafka lag"})
    client.post(url("action_add", standup, WEDNESDAY), {"action-title": "Rotate keys"})

    meeting = Meeting.objects.get()
    assert (meeting.series, meeting.date) == (standup, WEDNESDAY)
    assert [item.title for item in meeting.agenda.all()] == ["Kafka lag"]
    assert [item.title for item in meeting.raised_actions.all()] == ["Rotate keys"]


WRITES_ON_TUESDAY = {
    "agenda": ("agenda_add", {"title": "Kafka lag"}),
    "action": ("action_add", {"action-title": "Rotate keys"}),
    "notes": ("meeting_notes", {"version": "1", "notes": "Nobody came"}),
}


@pytest.mark.parametrize(("name", "data"), WRITES_ON_TUESDAY.values(), ids=WRITES_ON_TUESDAY.keys())
def test_writing_to_a_day_the_series_does_not_meet_on_is_refused_and_says_why(standup, client_as, name, data):
    response = client_as("engineer").post(url(name, standup, TUESDAY), data)

    assert response.status_code == 422
    assert "Platform standup does not meet on Tuesday 8 November 2022." in response.content.decode()
    assert not Meeting.objects.exists()
    assert not AgendaItem.objects.exists()
    assert not ActionItem.objects.exists()


@pytest.mark.parametrize("day", ["2022-13-01", "2022-02-30", "tomorrow", "2022-11-9x"])
def test_a_date_in_the_address_that_is_not_a_date_is_not_found(standup, client_as, day):
    client = client_as("engineer")
    meeting = reverse("sprints:meeting", args=[standup.pk, day])
    agenda = reverse("sprints:agenda_add", args=[standup.pk, day])

    assert client.get(meeting).status_code == 404
    assert client.post(agenda, {"title": "Kafka lag"}).status_code == 404
    assert not Meeting.objects.exists()


@pytest.mark.parametrize(
    ("name", "day"),
    [("meeting", "0001-01-01"), ("meeting", "9999-12-31"), ("agenda_add", "9999-12-29")],
)
def test_a_date_at_the_end_of_the_calendar_is_not_found_rather_than_a_crash(standup, client_as, name, day):
    client = client_as("engineer", raise_request_exception=False)
    address = reverse(f"sprints:{name}", args=[standup.pk, day])

    response = client.get(address) if name == "meeting" else client.post(address, {"title": "Kafka lag"})

    assert response.status_code == 404


# The agenda


def test_agenda_items_show_in_the_order_they_were_added_with_who_added_them(standup, client_as):
    client = client_as("engineer")
    for title in ("Kafka lag", "EU on-call", "Alert fatigue"):
        client.post(url("agenda_add", standup, WEDNESDAY), {"title": title})

    content = page(client, standup, WEDNESDAY)

    assert re.findall(r'<span class="agenda__title">(.*?)</span>', content) == [
        "Kafka lag",
        "EU on-call",
        "Alert fatigue",
    ]
    assert len(re.findall(r'agenda__title">[^<]*</span>\s*<span class="muted">· Eric Engineer</span>', content)) == 3


def test_adding_to_the_agenda_with_htmx_answers_with_just_the_agenda(standup, client_as):
    response = client_as("engineer").post(url("agenda_add", standup, WEDNESDAY), {"title": "Kafka lag"}, **HTMX)

    content = response.content.decode()
    assert response.status_code == 200
    assert content.lstrip().startswith('<section id="agenda"')
    assert "<html" not in content
    assert "Kafka lag" in content
    assert 'id="actions"' not in content


def test_adding_to_the_agenda_without_htmx_goes_back_to_the_meeting_page(standup, client_as):
    response = client_as("engineer").post(url("agenda_add", standup, WEDNESDAY), {"title": "Kafka lag"})

    assert response.status_code == 302
    assert response["Location"] == url("meeting", standup, WEDNESDAY)


def test_an_empty_agenda_item_is_refused_with_the_reason(standup, client_as):
    response = client_as("engineer").post(url("agenda_add", standup, WEDNESDAY), {"title": ""})

    assert response.status_code == 422
    assert "This field is required." in response.content.decode()
    assert not AgendaItem.objects.exists()


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_a_too_long_agenda_item_is_refused_with_the_reason_and_the_text_kept(standup, client_as, htmx):
    typed = "Kafka lag " * 20 + "!"  # 201 characters

    response = client_as("engineer").post(
        url("agenda_add", standup, WEDNESDAY), {"title": typed}, **(HTMX if htmx else {})
    )

    content = response.content.decode()
    assert response.status_code == 422
    assert "Ensure this value has at most 200 characters (it has 201)." in content
    assert f'value="{typed}"' in content
    assert ("<html" in content) is not htmx
    assert not AgendaItem.objects.exists()


def test_an_agenda_item_is_ticked_as_discussed_and_back(standup, client_as):
    item = agenda_item_add(meeting=meeting_for(series=standup, date=WEDNESDAY), title="Kafka lag", added_by=None)
    client = client_as("engineer")
    discussed = reverse("sprints:agenda_discussed", args=[item.pk])

    response = client.post(discussed, {"discussed": "1"}, **HTMX)

    item.refresh_from_db()
    assert item.discussed
    assert "agenda__item--discussed" in response.content.decode()
    assert 'aria-label="Mark “Kafka lag” not discussed"' in response.content.decode()

    assert client.post(discussed, {"discussed": "0"})["Location"] == url("meeting", standup, WEDNESDAY)
    item.refresh_from_db()
    assert not item.discussed
    assert "agenda__item--discussed" not in page(client, standup, WEDNESDAY)


# Action items


def test_an_action_item_is_added_with_its_owner_and_due_date(standup, org, client_as):
    engineer = org.users["engineer"].person
    client = client_as("lead")

    response = client.post(
        url("action_add", standup, WEDNESDAY),
        {"action-title": "Write the runbook", "action-owner": engineer.pk, "action-due_date": "2022-11-14"},
    )

    action = ActionItem.objects.get()
    assert response["Location"] == url("meeting", standup, WEDNESDAY)
    assert (action.title, action.owner, action.due_date) == ("Write the runbook", engineer, datetime.date(2022, 11, 14))
    assert (action.series, action.raised_in.date) == (standup, WEDNESDAY)
    assert "· Eric Engineer · due 14 Nov" in page(client, standup, WEDNESDAY)


def test_an_action_owner_must_be_someone_in_the_team_tree(standup, org, client_as):
    outsider = org.users["outsider"].person

    response = client_as("lead").post(
        url("action_add", standup, WEDNESDAY), {"action-title": "Write the runbook", "action-owner": outsider.pk}
    )

    assert response.status_code == 422
    assert "Select a valid choice." in response.content.decode()
    assert not ActionItem.objects.exists()


def test_the_remembered_empty_action_form_is_the_form_made_from_the_teams_people(standup, org):
    """The page draws its empty "new action" form from (id, name) pairs, remembered for them
    (platformhub/fragments.py); it is the same HTML as the form made from the people."""
    people = people_for_team(org.team)
    owners = tuple((person.pk, person.display_name) for person in people)
    made = ActionItemForm(people=people, prefix="action")

    empty = ActionItemForm.empty(owners=owners, prefix="action")

    for name in ("title", "owner", "due_date"):
        assert str(empty[name].as_field_group()) == str(made[name].as_field_group())
    assert f'<option value="{org.users["engineer"].person.pk}">Eric Engineer</option>' in str(empty["owner"])


def test_a_refused_action_keeps_what_was_typed_next_to_its_errors_and_a_later_page_offers_it_empty(
    standup, org, client_as
):
    client = client_as("lead")
    engineer = org.users["engineer"].person

    refused = client.post(
        url("action_add", standup, WEDNESDAY),
        {"action-title": "", "action-owner": engineer.pk, "action-due_date": "2022-11-31"},
    ).content.decode()

    assert "This field is required." in refused
    assert "Enter a valid date." in refused
    assert f'<option value="{engineer.pk}" selected>Eric Engineer</option>' in refused
    assert 'value="2022-11-31"' in refused
    again = same_as_built_afresh(client, url("meeting", standup, WEDNESDAY))
    assert f'<option value="{engineer.pk}">Eric Engineer</option>' in again
    assert "selected>Eric Engineer" not in again
    assert "This field is required." not in again


def test_an_open_action_item_carries_into_every_later_meeting_of_the_series(standup, client_as):
    client = client_as("engineer")
    client.post(url("action_add", standup, MONDAY), {"action-title": "Write the runbook"})

    for day in (WEDNESDAY, FRIDAY, FRIDAY + 7 * DAY):
        content = page(client, standup, day)
        assert "Write the runbook" in content
        assert '<span class="pill">from 7 Nov</span>' in content
    assert '<span class="pill">' not in page(client, standup, MONDAY)


def test_ticking_an_action_off_in_a_later_meeting_stops_it_carrying_on_but_keeps_it_there_as_done(daily, client_as):
    today = timezone.localdate()
    client = client_as("engineer")
    client.post(url("action_add", daily, today - DAY), {"action-title": "Write the runbook"})
    action = ActionItem.objects.get()

    response = client.post(
        reverse("sprints:action_done", args=[action.pk]), {"on": today.isoformat(), "done": "1"}, **HTMX
    )

    content = response.content.decode()
    assert content.lstrip().startswith('<section id="actions"')
    assert "Write the runbook" in content
    assert '<span class="status status--done">Done</span>' in content
    assert 'aria-label="Reopen “Write the runbook”"' in content
    assert "Write the runbook" in page(client, daily, today)
    assert "Write the runbook" not in page(client, daily, today + DAY)


def test_ticking_off_without_htmx_goes_back_to_the_meeting_it_was_ticked_in(daily, client_as):
    today = timezone.localdate()
    action = action_item_add(meeting=meeting_for(series=daily, date=today - DAY), title="Rotate keys", owner=None)

    response = client_as("engineer").post(
        reverse("sprints:action_done", args=[action.pk]), {"on": today.isoformat(), "done": "1"}
    )

    assert response["Location"] == url("meeting", daily, today)


AGENDA_OOB = '<section id="agenda" class="card" aria-labelledby="agenda-heading" hx-swap-oob="true">'
RETRO_OOB = '<section id="retro" class="card" aria-labelledby="retro-heading" hx-swap-oob="true">'


@pytest.mark.parametrize("change", ["add", "tick"])
@pytest.mark.parametrize("kind", ["standup", "retro"])
def test_changing_an_action_with_htmx_refreshes_the_agenda_and_the_retro_out_of_band(request, client_as, kind, change):
    series = request.getfixturevalue(kind)
    earlier, day = {"standup": (MONDAY, WEDNESDAY), "retro": (RETRO_DAY, RETRO_DAY + 14 * DAY)}[kind]
    client = client_as("engineer")
    if change == "add":
        response = client.post(url("action_add", series, day), {"action-title": "Rotate keys"}, **HTMX)
    else:
        action = action_item_add(meeting=meeting_for(series=series, date=earlier), title="Rotate keys", owner=None)
        assert "Open action: Rotate keys (nobody)" in page(client, series, day)
        response = client.post(
            reverse("sprints:action_done", args=[action.pk]), {"on": day.isoformat(), "done": "1"}, **HTMX
        )

    content = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in content
    assert content.lstrip().startswith('<section id="actions"')
    assert content.count('<section id="actions"') == 1
    assert content.count(AGENDA_OOB) == 1
    agenda = content.split(AGENDA_OOB)[1].split("</section>")[0]
    assert "Open action: Rotate keys" not in agenda, "a ticked-off action leaves the agenda"
    assert content.count(RETRO_OOB) == (1 if kind == "retro" else 0)
    if kind == "retro":
        retro = content.split(RETRO_OOB)[1]
        assert ("Rotate keys" in retro) is (change == "add"), "the retro lists the actions raised at it"


def meeting_days_around(series: MeetingSeries, day: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The series' meetings just before and just after `day` (for a series that meets on weekdays)."""
    before = next(day - DAY * n for n in range(1, 8) if (day - DAY * n).weekday() in series.weekdays)
    after = next(day + DAY * n for n in range(1, 8) if (day + DAY * n).weekday() in series.weekdays)
    return before, after


@pytest.mark.parametrize("when", ["upcoming", "past"])
def test_ticking_an_action_off_in_any_meeting_keeps_it_there_as_done_and_out_of_later_ones(standup, client_as, when):
    if when == "upcoming":
        raised, ticked = meeting_days_around(standup, timezone.localdate())
    else:
        raised, ticked = MONDAY, WEDNESDAY
    _, later = meeting_days_around(standup, ticked)
    action = action_item_add(meeting=meeting_for(series=standup, date=raised), title="Rotate keys", owner=None)
    client = client_as("engineer")

    response = client.post(
        reverse("sprints:action_done", args=[action.pk]), {"on": ticked.isoformat(), "done": "1"}, **HTMX
    )

    assert 'aria-label="Reopen “Rotate keys”"' in response.content.decode()
    assert "Rotate keys" not in page(client, standup, later)


def test_a_ticked_off_action_is_reopened_and_carries_on_again(daily, client_as):
    today = timezone.localdate()
    client = client_as("engineer")
    action = action_item_add(meeting=meeting_for(series=daily, date=today - DAY), title="Rotate keys", owner=None)
    done = reverse("sprints:action_done", args=[action.pk])
    client.post(done, {"on": today.isoformat(), "done": "1"})
    assert "Rotate keys" not in page(client, daily, today + DAY)

    client.post(done, {"on": today.isoformat(), "done": "0"})

    action.refresh_from_db()
    assert action.done_at is None
    assert 'aria-label="Tick off “Rotate keys”"' in page(client, daily, today + DAY)


def test_an_open_action_past_its_due_date_is_flagged_overdue_until_it_is_done(daily, org, client_as):
    today = timezone.localdate()
    meeting = meeting_for(series=daily, date=today)
    late = action_item_add(meeting=meeting, title="Rotate keys", owner=None, due_date=today - DAY)
    action_item_add(meeting=meeting, title="Write the runbook", owner=None, due_date=today)
    client = client_as("engineer")

    content = page(client, daily, today)
    assert content.count('<span class="status status--off_track">Overdue</span>') == 1
    assert 'class="action action--overdue"' in content.split("Rotate keys")[0]
    assert "Overdue" in client.get(reverse("sprints:meetings", args=["platform"])).content.decode()

    action_item_complete(item=late)
    content = page(client, daily, today)
    assert "Overdue" not in content
    assert '<span class="status status--done">Done</span>' in content


def test_a_persons_page_lists_their_open_actions_and_flags_overdue_ones(daily, org, client_as):
    today = timezone.localdate()
    engineer = org.users["engineer"].person
    meeting = meeting_for(series=daily, date=today - DAY)
    action_item_add(meeting=meeting, title="Rotate keys", owner=engineer, due_date=today - DAY)
    action_item_add(meeting=meeting, title="Write the runbook", owner=engineer, due_date=today + 7 * DAY)
    action_item_complete(item=action_item_add(meeting=meeting, title="Already done", owner=engineer))
    action_item_add(meeting=meeting, title="Book the offsite", owner=org.users["lead"].person)

    response = client_as("lead").get(reverse("person", args=[engineer.pk]))

    content = response.content.decode()
    assert response.status_code == 200
    assert content.index("Rotate keys") < content.index("Write the runbook")
    assert "Already done" not in content
    assert "Book the offsite" not in content
    assert '<span class="count-badge">2</span>' in content
    assert '<span class="status status--off_track">1 overdue</span>' in content
    assert content.count('<span class="status status--off_track">Overdue</span>') == 1
    assert f'href="{url("meeting", daily, today - DAY)}"' in content


def test_ticking_an_action_off_on_the_owners_page_goes_back_there(daily, org, client_as):
    engineer = org.users["engineer"].person
    action = action_item_add(
        meeting=meeting_for(series=daily, date=timezone.localdate()), title="Rotate keys", owner=engineer
    )
    client = client_as("engineer")
    person_url = reverse("person", args=[engineer.pk])
    assert 'aria-label="Tick off “Rotate keys”"' in client.get(person_url).content.decode()

    response = client.post(reverse("sprints:action_done", args=[action.pk]), {"done": "1", "from": "person"})

    assert response["Location"] == person_url
    content = client.get(person_url).content.decode()
    assert "Ticked off “Rotate keys”." in content
    assert "No open action items." in content


def test_a_viewer_sees_a_persons_actions_without_a_tick_box(daily, org, client_as):
    engineer = org.users["engineer"].person
    action_item_add(meeting=meeting_for(series=daily, date=timezone.localdate()), title="Rotate keys", owner=engineer)

    content = client_as("viewer").get(reverse("person", args=[engineer.pk])).content.decode()

    assert "Rotate keys" in content
    assert "Tick off" not in content


# Notes, decisions and attendees


def notes_form(**fields) -> dict:
    return {"version": "1", "notes": "", "decisions": "", **fields}


def test_the_notes_form_opens_with_what_was_saved(standup, org, client_as):
    meeting_update(
        meeting=meeting_for(series=standup, date=WEDNESDAY),
        expected_version=1,
        notes="Shard the events table",
        decisions="",
        attendees=[org.users["lead"].person],
    )

    response = client_as("engineer").get(url("meeting_notes", standup, WEDNESDAY))

    content = response.content.decode()
    assert response.status_code == 200
    assert "Notes for Wed 9 Nov" in content
    assert "Shard the events table</textarea>" in content
    assert re.search(rf'value="{org.users["lead"].person.pk}" id="id_attendees_\d+" checked>', content)
    assert re.search(rf'value="{org.users["engineer"].person.pk}" id="id_attendees_\d+">', content)


def test_the_notes_form_of_an_unsaved_meeting_starts_at_version_one_and_saves_nothing(standup, client_as):
    response = client_as("engineer").get(url("meeting_notes", standup, WEDNESDAY), **HTMX)

    content = response.content.decode()
    assert content.lstrip().startswith('<form id="notes"')
    assert 'name="version" value="1"' in content
    assert not Meeting.objects.exists()


def test_notes_decisions_and_attendees_are_saved_and_shown_on_the_meeting(standup, org, client_as):
    lead, engineer = org.users["lead"].person, org.users["engineer"].person
    client = client_as("engineer")

    response = client.post(
        url("meeting_notes", standup, WEDNESDAY),
        notes_form(
            notes="Kafka lag is **fixed**", decisions="Shard the events table", attendees=[lead.pk, engineer.pk]
        ),
    )

    meeting = Meeting.objects.get()
    assert response["Location"] == url("meeting", standup, WEDNESDAY)
    assert (meeting.notes, meeting.decisions, meeting.version) == (
        "Kafka lag is **fixed**",
        "Shard the events table",
        2,
    )
    assert set(meeting.attendees.all()) == {lead, engineer}
    content = page(client, standup, WEDNESDAY)
    assert "Kafka lag is <strong>fixed</strong>" in content
    assert "Shard the events table" in content
    assert "Eric Engineer, Lena Lead" in content


def test_saving_an_org_wide_meetings_notes_keeps_the_attendees_the_writer_cannot_see(org, client_as):
    series = meeting_series_create(team=None, kind=MeetingSeries.Kind.CUSTOM, name="All hands", weekdays=[2])
    notes = url("meeting_notes", series, WEDNESDAY)
    lead, engineer, outsider = (org.users[role].person for role in ("lead", "engineer", "outsider"))
    client_as("engineer").post(notes, notes_form(notes="Roadmap", attendees=[lead.pk, engineer.pk]))

    response = client_as("outsider").post(
        notes, notes_form(version="2", notes="Roadmap, and the Payments update", attendees=[outsider.pk])
    )

    assert response.status_code == 302
    assert set(Meeting.objects.get().attendees.all()) == {lead, engineer, outsider}


def test_saving_notes_with_htmx_answers_with_just_the_notes(standup, client_as):
    response = client_as("engineer").post(
        url("meeting_notes", standup, WEDNESDAY), notes_form(notes="Kafka lag is fixed"), **HTMX
    )

    content = response.content.decode()
    assert response.status_code == 200
    assert content.lstrip().startswith('<section id="notes"')
    assert "Kafka lag is fixed" in content
    assert "<html" not in content


def test_notes_saved_meanwhile_by_someone_else_are_a_conflict_that_keeps_what_you_typed(standup, client_as):
    notes = url("meeting_notes", standup, WEDNESDAY)
    assert client_as("lead").post(notes, notes_form(notes="Shard the events table")).status_code == 302

    response = client_as("engineer").post(notes, notes_form(notes="Wait for the Kafka upgrade"))

    content = response.content.decode()
    assert response.status_code == 409
    assert "Lena Lead saved a change" in content
    assert "<dt>Their notes</dt><dd>Shard the events table</dd>" in content
    assert "Wait for the Kafka upgrade</textarea>" in content
    assert 'name="version" value="2"' in content
    meeting = Meeting.objects.get()
    assert (meeting.notes, meeting.version) == ("Shard the events table", 2)


def test_notes_longer_than_allowed_are_refused_and_nothing_is_saved(standup, client_as):
    response = client_as("engineer").post(url("meeting_notes", standup, WEDNESDAY), notes_form(notes="x" * 20_001))

    assert response.status_code == 422
    assert "Ensure this value has at most 20000 characters (it has 20001)." in response.content.decode()
    assert not Meeting.objects.exists()


# Retros


@pytest.fixture
def sprint_one_goals(org, sprints):
    sprint = Sprint.objects.get(number=1)
    outcomes = {"Migrate 50 tables": "met", "Cut over Postgres": "partly", "Kafka on 3.7": "missed"}
    for title, outcome in outcomes.items():
        goal = sprint_goal_create(sprint=sprint, team=org.sub_team, title=title)
        sprint_goal_set_outcome(goal=goal, expected_version=goal.version, outcome=outcome)
    sprint_goal_create(sprint=sprint, team=org.other_team, title="Payments goal")
    return sprint


def test_a_retro_meets_on_the_first_working_day_after_each_sprint(retro, client_as):
    client = client_as("engineer")
    note = {"column": "to_improve", "to_improve-kind": "to_improve", "to_improve-text": "Fewer meetings"}

    assert client.post(url("retro_note_add", retro, RETRO_DAY - 2 * DAY), note).status_code == 422
    assert client.post(url("retro_note_add", retro, RETRO_DAY + DAY), note).status_code == 422
    assert client.post(url("retro_note_add", retro, RETRO_DAY), note).status_code == 302

    assert list(Meeting.objects.values_list("date", flat=True)) == [RETRO_DAY]
    content = page(client, retro, RETRO_DAY)
    assert f'href="{url("meeting", retro, RETRO_DAY + 14 * DAY)}"' in content, "the next sprint's retro"


def test_a_retro_note_on_a_day_without_a_retro_says_why(retro, client_as):
    note = {"column": "went_well", "went_well-kind": "went_well", "went_well-text": "Shipped it"}

    response = client_as("engineer").post(url("retro_note_add", retro, RETRO_DAY + DAY), note)

    assert response.status_code == 422
    assert "Platform retro does not meet on Tuesday 15 November 2022." in response.content.decode()


def test_a_retro_shows_its_notes_the_sprints_goals_with_outcomes_and_the_sprint_report(
    retro, sprint_one_goals, client_as
):
    client = client_as("engineer")
    add = url("retro_note_add", retro, RETRO_DAY)
    client.post(add, {"column": "went_well", "went_well-kind": "went_well", "went_well-text": "Shipped the cut-over"})
    client.post(add, {"column": "to_improve", "to_improve-kind": "to_improve", "to_improve-text": "Fewer meetings"})

    content = page(client, retro, RETRO_DAY)

    went_well, to_improve = content.split('class="retro-column retro-column--to_improve"')
    assert 'Shipped the cut-over <span class="muted">· Eric Engineer</span>' in went_well
    assert "Fewer meetings" not in went_well
    assert "Fewer meetings" in to_improve.split('class="retro-column retro-column--actions"')[0]
    assert "Retro: Sprint 1" in content
    assert f'href="{reverse("sprints:report", args=[1])}"' in content
    assert '<strong>Migrate 50 tables</strong> <span class="muted">· Infrastructure</span>' in content
    assert '<span class="outcome outcome--met">Met</span>' in content
    assert '<span class="outcome outcome--partly">Partly met</span>' in content
    assert '<span class="outcome outcome--missed">Missed</span>' in content
    assert "Payments goal" not in content


def test_adding_a_retro_note_with_htmx_answers_with_just_the_retro(retro, client_as):
    response = client_as("engineer").post(
        url("retro_note_add", retro, RETRO_DAY),
        {"column": "went_well", "went_well-kind": "went_well", "went_well-text": "Shipped it"},
        **HTMX,
    )

    content = response.content.decode()
    assert content.lstrip().startswith('<section id="retro"')
    assert "Shipped it" in content
    assert "<html" not in content


def test_an_empty_retro_note_is_refused(retro, client_as):
    response = client_as("engineer").post(
        url("retro_note_add", retro, RETRO_DAY),
        {"column": "went_well", "went_well-kind": "went_well", "went_well-text": ""},
    )

    assert response.status_code == 422
    assert "This field is required." in response.content.decode()
    assert not RetroNote.objects.exists()


@pytest.mark.parametrize(
    ("series", "column"), [("standup", "went_well"), ("retro", "went_badly"), ("retro", "")], ids=str
)
def test_retro_notes_go_only_into_a_retros_columns(standup, retro, client_as, series, column):
    target = {"standup": standup, "retro": retro}[series]
    day = WEDNESDAY if series == "standup" else RETRO_DAY

    response = client_as("engineer").post(
        url("retro_note_add", target, day), {"column": column, f"{column}-kind": column, f"{column}-text": "Hm"}
    )

    assert response.status_code == 400
    assert not RetroNote.objects.exists()
    assert not Meeting.objects.exists()


# An org-wide meeting shows each reader only the teams they can read


@pytest.fixture
def everyones_standup(org) -> MeetingSeries:
    """An org-wide standup that meets every day, so today is one of its days."""
    return meeting_series_create(
        team=None, kind=MeetingSeries.Kind.STANDUP, name="Everyone's standup", weekdays=list(range(7))
    )


def owners_offered(content: str) -> list[str]:
    """The people the new-action form lets you pick as the owner."""
    select = content.split('name="action-owner"')[1].split("</select>")[0]
    return re.findall(r'<option value="\d+"[^>]*>(.*?)</option>', select)


def test_an_org_wide_meeting_shows_a_payments_member_nothing_of_platform(everyones_standup, org, client_as):
    today = timezone.localdate()
    for role, doing, blocked_on in [
        ("engineer", "Cut over Postgres", "Waiting for staging credentials"),
        ("outsider", "Card payments in Brazil", "Waiting for the acquirer"),
    ]:
        standup_post(
            team=org.users[role].person.memberships.get().team,
            person=org.users[role].person,
            date=today,
            expected_version=0,
            yesterday="",
            today=doing,
            blockers=blocked_on,
        )
    Card.objects.bulk_create(
        [
            Card(team=org.team, title="Upgrade ClickHouse", carry_overs=1),
            Card(team=org.other_team, title="Refund flow", carry_overs=1),
        ]
    )
    platform = [
        "Cut over Postgres",
        "Eric Engineer is blocked: Waiting for staging credentials",
        "“Upgrade ClickHouse” carried over 1×",
    ]
    payments = [
        "Card payments in Brazil",
        "Olga Outsider is blocked: Waiting for the acquirer",
        "“Refund flow” carried over 1×",
    ]

    for_outsider = page(client_as("outsider"), everyones_standup, today)
    for_engineer = page(client_as("engineer"), everyones_standup, today)

    assert [text for text in platform if text in for_outsider] == []
    assert [text for text in payments if text in for_outsider] == payments
    assert owners_offered(for_outsider) == ["Olga Outsider"]
    assert [text for text in platform if text in for_engineer] == platform
    assert [text for text in payments if text in for_engineer] == []
    assert owners_offered(for_engineer) == ["Eric Engineer", "Lena Lead"]


# What a meeting page costs


@pytest.mark.parametrize("items", [1, 50])
def test_a_meeting_page_runs_the_same_number_of_queries_however_long_its_agenda(
    standup, org, okr, client_as, django_assert_num_queries, items
):
    engineer, lead = org.users["engineer"].person, org.users["lead"].person
    monday = meeting_for(series=standup, date=MONDAY)
    wednesday = meeting_for(series=standup, date=WEDNESDAY)
    AgendaItem.objects.bulk_create(
        AgendaItem(meeting=wednesday, title=f"Item {n}", added_by=engineer, order=n) for n in range(items)
    )
    for n in range(3):
        action_item_add(meeting=monday, title=f"Carried {n}", owner=engineer, due_date=MONDAY)
        action_item_add(meeting=wednesday, title=f"New {n}", owner=lead)
    wednesday.attendees.set([engineer, lead])
    key_result_create(objective=okr.objective, title="No Heroku", kind=KeyResult.Kind.ISSUES)
    client = client_as("engineer")

    # session, user; the series; the user's person and memberships (permissions); the meeting; the
    # ids of the teams of its tree; its agenda (with who added each item); the meeting's actions
    # (with owner and meeting raised in: the pre-fill's open actions of the previous meeting are
    # among them); the pre-fill: the quarter's KRs (`okr`) and their linked issues' counts, blocked
    # or carried cards, the current sprint's goals, standup blockers; attendees; the standups since
    # the previous meeting; the people an action can be assigned to
    with django_assert_num_queries(16):
        response = client.get(url("meeting", standup, WEDNESDAY))

    content = response.content.decode()
    assert content.count('class="agenda__title"') == items
    assert content.count('class="action__title"') == 6


# What the meetings list costs

SERIES_MIX = [
    (MeetingSeries.Kind.CUSTOM, []),  # ad hoc: meets when something is written to a day
    (MeetingSeries.Kind.STANDUP, [0, 2, 4]),
    (MeetingSeries.Kind.RETRO, []),
    (MeetingSeries.Kind.TEAM_PLANNING, []),
    (MeetingSeries.Kind.SPRINT_PLANNING, []),
    (MeetingSeries.Kind.CUSTOM, [3]),
]


@pytest.mark.parametrize("count", [1, 12])
def test_the_meetings_list_runs_the_same_number_of_queries_however_many_series(
    org, client_as, django_assert_num_queries, count
):
    today = timezone.localdate()
    cadence_set(length_days=14, first_start=today - datetime.timedelta(days=today.weekday() + 14))
    sprints_ensure(today=today)
    teams = [org.team, org.sub_team, None]
    made = []
    for n in range(count):
        kind, weekdays = SERIES_MIX[n % len(SERIES_MIX)]
        series = meeting_series_create(team=teams[n % 3], kind=kind, name=f"Series {n:02}", weekdays=weekdays)
        if not series.follows_sprints and not weekdays:
            for weeks in (-1, 0, 1):
                meeting_for(series=series, date=today + 7 * weeks * DAY)
        made.append(series)
    client = client_as("engineer")

    # session, user; the team; the user's person and memberships (permissions); the series
    # (with their teams), the sprints, the ad-hoc series' meetings; the open actions; the
    # calendar addresses
    with django_assert_num_queries(9):
        response = client.get(reverse("sprints:meetings", args=["platform"]))

    content = response.content.decode()
    assert all(f'href="{reverse("sprints:series", args=[series.pk])}"' in content for series in made)
    assert content.count('<td class="nowrap"><a href=') == count, "every series has a next meeting"


# A person's page


@pytest.mark.parametrize(
    ("role", "status"),
    [("lead", 200), ("viewer", 200), ("staff", 200), ("outsider", 404), ("engineer", 200)],
)
def test_a_persons_page_is_for_colleagues_in_the_same_tree_viewers_and_staff(org, client_as, role, status):
    engineer = org.users["engineer"].person

    assert client_as(role).get(reverse("person", args=[engineer.pk])).status_code == status


def test_a_colleague_on_a_sub_team_sees_a_persons_page(org, client):
    colleague = MembershipFactory(team=org.sub_team).person.user
    client.force_login(colleague)

    assert client.get(reverse("person", args=[org.users["engineer"].person.pk])).status_code == 200
    assert client.get(reverse("person", args=[org.users["outsider"].person.pk])).status_code == 404


def test_an_unknown_person_is_not_found(org, client_as):
    assert client_as("viewer").get(reverse("person", args=[999_999])).status_code == 404


def test_a_persons_page_asks_anonymous_visitors_to_log_in(org, client_as):
    response = client_as("anonymous").get(reverse("person", args=[org.users["engineer"].person.pk]))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.fixture
def dana(org):
    """Dana Dual, on both Platform and Payments."""
    person = MembershipFactory(team=org.team, person__display_name="Dana Dual").person
    MembershipFactory(team=org.other_team, person=person)
    return person


def test_a_persons_page_shows_someone_from_another_tree_only_that_trees_work(standup, dana, org, client_as):
    action_item_add(meeting=meeting_for(series=standup, date=WEDNESDAY), title="Rotate the Kafka keys", owner=dana)
    card_create(team=org.team, title="Cut over Postgres", owners=[dana], column=Card.Column.IN_PROGRESS)
    card_create(team=org.other_team, title="Card payments in Brazil", owners=[dana], column=Card.Column.IN_PROGRESS)
    standup_post(
        team=org.team,
        person=dana,
        date=WEDNESDAY,
        expected_version=0,
        yesterday="Moved the events tables",
        today="Shard the events table",
        blockers="Waiting for staging credentials",
    )
    platform = [
        "Rotate the Kafka keys",
        "Cut over Postgres",
        "Moved the events tables",
        "Shard the events table",
        "Waiting for staging credentials",
    ]

    for_outsider = client_as("outsider").get(reverse("person", args=[dana.pk]))
    for_engineer = client_as("engineer").get(reverse("person", args=[dana.pk]))

    assert for_outsider.status_code == 200
    assert [text for text in platform if text in for_outsider.content.decode()] == []
    assert "Card payments in Brazil" in for_outsider.content.decode()
    assert [text for text in platform if text in for_engineer.content.decode()] == platform


def test_a_meeting_page_with_remembered_action_rows_equals_the_page_built_afresh(daily, org, client_as):
    """Action rows and the agenda's suggestions are drawn from plain values and remembered
    (platformhub/fragments.py)."""
    today = timezone.localdate()
    lead, viewer = client_as("lead"), client_as("viewer")
    lead.post(
        url("action_add", daily, today - DAY),
        {
            "action-title": "Rotate <keys>",
            "action-owner": org.users["engineer"].person.pk,
            "action-due_date": "2022-11-14",
        },
    )
    lead.post(url("action_add", daily, today), {"action-title": "Write the runbook"})
    carried = ActionItem.objects.get(title="Rotate <keys>")
    for client in (lead, viewer):
        page = same_as_built_afresh(client, url("meeting", daily, today))
        assert "Rotate &lt;keys&gt;" in page
        assert '<span class="pill">from' in page
        assert "Open action: Rotate &lt;keys&gt; (Eric Engineer)" in page  # a remembered agenda suggestion
    lead.post(reverse("sprints:action_done", args=[carried.pk]), {"on": today.isoformat(), "done": "1"})
    page = same_as_built_afresh(lead, url("meeting", daily, today))
    assert 'aria-label="Reopen “Rotate &lt;keys&gt;”"' in page
    assert f'<input type="hidden" name="on" value="{today.isoformat()}">' in page
    assert "Tick off" not in same_as_built_afresh(viewer, url("meeting", daily, today))
    tomorrow = same_as_built_afresh(lead, url("meeting", daily, today + DAY))
    assert "Write the runbook" in tomorrow  # still open, so it carries on
    assert "Rotate &lt;keys&gt;" not in tomorrow  # ticked off today


def test_a_standup_meetings_remembered_standups_equal_the_page_built_afresh(org, client_as):
    """Standups are drawn from plain values and remembered (platformhub/fragments.py): a rewrite
    and a cleared blocker draw them again, on the meeting page and the standup page."""
    series = meeting_series_create(team=org.team, kind=MeetingSeries.Kind.STANDUP, name="Standup", weekdays=[*range(7)])
    today = timezone.localdate()
    engineer = org.users["engineer"].person
    standup = standup_post(
        team=org.team,
        person=engineer,
        date=today,
        expected_version=0,
        yesterday="Shipped <it>",
        today="Test",
        blockers="",
    )
    lead = client_as("lead")
    page = same_as_built_afresh(lead, url("meeting", series, today))
    assert "<dd>Shipped &lt;it&gt;</dd>" in page
    assert "standup--blocked" not in page
    standup = standup_post(
        team=org.team,
        person=engineer,
        date=today,
        expected_version=standup.version,
        yesterday="Shipped <it>",
        today="Test\nand deploy",
        blockers="Waiting on review",
    )
    page = same_as_built_afresh(lead, url("meeting", series, today))
    assert "<dd>Test<br>and deploy</dd>" in page
    assert '<article class="standup standup--blocked">' in page
    standup_clear_blocker(standup=standup, expected_version=standup.version)
    for address in (url("meeting", series, today), reverse("sprints:standup", args=[org.team.slug])):
        page = same_as_built_afresh(client_as("viewer"), address)
        assert 'Waiting on review <span class="status status--on_track">Cleared</span>' in page
