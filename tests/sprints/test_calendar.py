"""The team calendar feed: a secret address, shown once, that calendar apps subscribe to for the
team's sprints, planning days and meetings (iCalendar, read back here with `icalendar`)."""

import datetime
import hashlib
import re
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from platformhub.models import Membership
from sprints.models import CalendarFeed, MeetingSeries, Sprint
from sprints.services import cadence_set, calendar_feed_create, meeting_series_create, sprints_ensure
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

ROLES = ["lead", "engineer", "viewer", "outsider", "staff", "anonymous"]
FEED_URL = re.compile(r'value="http://testserver/calendar/([A-Za-z0-9_-]+)\.ics"')


@pytest.fixture
def sprints(org) -> list[Sprint]:
    today = timezone.localdate()
    cadence_set(length_days=14, first_start=today - datetime.timedelta(days=today.weekday() + 14))
    sprints_ensure(today=today)
    return list(Sprint.objects.order_by("number"))


@pytest.fixture
def rituals(org, sprints):
    """Platform's standup (Monday, Wednesday and Friday at 9:30 in Berlin) and retro, and
    Payments' standup and retro in another team tree."""
    return {
        "standup": meeting_series_create(
            team=org.team,
            kind=MeetingSeries.Kind.STANDUP,
            name="Platform standup",
            weekdays=[4, 0, 2],
            starts_at=datetime.time(9, 30),
            duration_minutes=15,
            timezone_name="Europe/Berlin",
        ),
        "retro": meeting_series_create(
            team=org.sub_team, kind=MeetingSeries.Kind.RETRO, name="Infrastructure retro", weekdays=[]
        ),
        "payments_standup": meeting_series_create(
            team=org.other_team, kind=MeetingSeries.Kind.STANDUP, name="Payments standup", weekdays=[1, 3]
        ),
        "payments_retro": meeting_series_create(
            team=org.other_team, kind=MeetingSeries.Kind.RETRO, name="Payments retro", weekdays=[]
        ),
    }


def create_url(slug: str = "platform") -> str:
    return reverse("sprints:calendar_feed_create", args=[slug])


def feed_url(token: str) -> str:
    return reverse("sprints:calendar", args=[token])


def new_token(client, slug: str = "platform") -> str:
    """Ask for an address as a member would, and copy it from the page."""
    response = client.post(create_url(slug), follow=True)
    assert response.status_code == 200
    return FEED_URL.search(response.content.decode()).group(1)


@pytest.fixture
def token(org, client_as) -> str:
    return new_token(client_as("engineer"))


@pytest.fixture
def calendar_app() -> Client:
    """What fetches the feed: a calendar app, with no login; the token alone decides which
    calendar it gets."""
    return Client()


def fetch(client, token: str) -> Calendar:
    response = client.get(feed_url(token))
    assert response.status_code == 200, response.content[:300]
    return Calendar.from_ical(response.content)


def events(calendar: Calendar) -> dict[str, object]:
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


# Getting an address


def test_a_member_gets_a_private_address_shown_once(org, client_as):
    client = client_as("engineer")

    response = client.post(create_url(), follow=True)

    content = response.content.decode()
    assert response.status_code == 200
    assert "shown only now; copy it" in content
    token = FEED_URL.search(content).group(1)
    again = client.get(reverse("sprints:meetings", args=["platform"])).content.decode()
    assert token not in again
    assert "shown only now" not in again
    assert "Revoke</button>" in again, "the address can be revoked later"
    assert CalendarFeed.objects.get().created_by == org.users["engineer"].person


def test_getting_an_address_redirects_to_the_meetings_page_which_shows_it_once(org, client_as):
    client = client_as("engineer")
    meetings = reverse("sprints:meetings", args=["platform"])

    response = client.post(create_url())

    assert response.status_code == 302
    assert response["Location"] == f"{meetings}#calendar-heading"
    shown = client.get(response["Location"]).content.decode()
    token = FEED_URL.search(shown).group(1)
    assert shown.count(token) == 1
    assert token not in client.get(meetings).content.decode(), "shown only once"


def test_every_address_is_different(org, client_as):
    client = client_as("engineer")
    assert new_token(client) != new_token(client)
    assert CalendarFeed.objects.count() == 2


def test_only_the_tokens_sha256_is_stored(org, token):
    feed = CalendarFeed.objects.get()

    assert feed.token_hash == hashlib.sha256(token.encode()).hexdigest()
    stored = [CalendarFeed.objects.values(), CalendarFeed.history.values()]
    assert all(token not in str(list(rows)) for rows in stored)


def test_the_feed_is_served_to_a_calendar_app_without_login(org, rituals, token):
    response = Client().get(feed_url(token))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"


def test_the_feed_is_an_icalendar_file(org, rituals, token, calendar_app):
    response = calendar_app.get(feed_url(token))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"] == 'inline; filename="platform.ics"'
    calendar = Calendar.from_ical(response.content)
    assert str(calendar["X-WR-CALNAME"]) == "Platform · PlatformHub"
    assert str(calendar["VERSION"]) == "2.0"


# What is in it


def test_every_sprint_is_an_all_day_event(org, sprints, token, calendar_app):
    by_uid = events(fetch(calendar_app, token))

    for sprint in sprints:
        event = by_uid[f"sprint-{sprint.number}@platformhub"]
        assert str(event["SUMMARY"]) == sprint.name
        assert event.decoded("DTSTART") == sprint.start
        assert not isinstance(event.decoded("DTSTART"), datetime.datetime), "all day"
        assert event.decoded("DTEND") == sprint.end + datetime.timedelta(days=1), "DTEND is exclusive"
        assert str(event["URL"]) == f"http://testserver/sprints/{sprint.number}/"


def test_every_sprint_has_its_planning_day(org, sprints, token, calendar_app):
    by_uid = events(fetch(calendar_app, token))

    for sprint in sprints:
        event = by_uid[f"sprint-{sprint.number}-planning@platformhub"]
        assert str(event["SUMMARY"]) == f"{sprint.name} planning"
        assert event.decoded("DTSTART") == sprint.planning_date
        assert event.decoded("DTEND") == sprint.planning_date + datetime.timedelta(days=1)
        assert str(event["URL"]) == f"http://testserver/sprints/{sprint.number}/planning/"


def test_the_standup_is_one_weekly_recurring_event_at_its_time_in_its_timezone(org, rituals, token, calendar_app):
    standup = rituals["standup"]
    calendar = fetch(calendar_app, token)

    event = events(calendar)[f"series-{standup.pk}@platformhub"]

    assert str(event["SUMMARY"]) == "Platform: Platform standup"
    rule = event["RRULE"]
    assert rule["FREQ"] == ["WEEKLY"]
    assert rule["BYDAY"] == ["MO", "WE", "FR"]
    start, end = event.decoded("DTSTART"), event.decoded("DTEND")
    assert isinstance(start, datetime.datetime)
    assert event["DTSTART"].params["TZID"] == "Europe/Berlin"
    assert start.tzinfo.key == "Europe/Berlin"
    assert (start.hour, start.minute) == (9, 30)
    assert start.weekday() in (0, 2, 4)
    created = timezone.localtime(standup.created_at, ZoneInfo(standup.timezone)).date()  # its day in Berlin
    assert created <= start.date() < created + datetime.timedelta(days=3)
    assert end - start == datetime.timedelta(minutes=15)
    assert str(event["URL"]) == f"http://testserver/meetings/{standup.pk}/"
    assert [str(zone["TZID"]) for zone in calendar.walk("VTIMEZONE")] == ["Europe/Berlin"]
    assert len([e for e in calendar.walk("VEVENT") if "standup" in str(e["SUMMARY"])]) == 1


def test_a_weekly_series_starts_on_its_first_day_where_it_meets_not_in_utc(org, token, calendar_app):
    standup = meeting_series_create(
        team=org.team,
        kind=MeetingSeries.Kind.STANDUP,
        name="West coast standup",
        weekdays=[1],
        starts_at=datetime.time(9),
        timezone_name="America/Los_Angeles",
    )
    # Tuesday 8 November 2022 at 22:00 in Los Angeles is already Wednesday the 9th in UTC
    created = datetime.datetime(2022, 11, 8, 22, tzinfo=ZoneInfo("America/Los_Angeles"))
    MeetingSeries.objects.filter(pk=standup.pk).update(created_at=created)

    event = events(fetch(calendar_app, token))[f"series-{standup.pk}@platformhub"]

    assert event["RRULE"]["BYDAY"] == ["TU"]
    assert event.decoded("DTSTART") == datetime.datetime(2022, 11, 8, 9, tzinfo=ZoneInfo("America/Los_Angeles"))
    assert event["DTSTART"].params["TZID"] == "America/Los_Angeles"


def test_an_all_day_standup_recurs_on_its_days(org, sprints, calendar_app, client_as):
    standup = meeting_series_create(team=org.team, kind=MeetingSeries.Kind.STANDUP, name="Async", weekdays=[1])
    token = new_token(client_as("lead"))

    event = events(fetch(calendar_app, token))[f"series-{standup.pk}@platformhub"]

    assert event["RRULE"]["BYDAY"] == ["TU"]
    start = event.decoded("DTSTART")
    assert not isinstance(start, datetime.datetime)
    assert start.weekday() == 1
    assert event.decoded("DTEND") == start + datetime.timedelta(days=1)


def test_a_sub_teams_retro_is_an_event_for_every_sprint(org, sprints, rituals, token, calendar_app):
    retro = rituals["retro"]
    by_uid = events(fetch(calendar_app, token))

    for sprint in sprints:
        day = retro.date_for_sprint(sprint)
        event = by_uid[f"series-{retro.pk}-{day.isoformat()}@platformhub"]
        assert day.weekday() < 5, "the first working day after the sprint"
        assert event.decoded("DTSTART") == day
        assert str(event["SUMMARY"]) == "Infrastructure: Infrastructure retro"
        assert str(event["URL"]) == f"http://testserver/meetings/{retro.pk}/{day.isoformat()}/"
    assert len([uid for uid in by_uid if uid.startswith(f"series-{retro.pk}-")]) == len(sprints)


def test_a_timed_sprint_planning_is_at_its_time_on_the_planning_day(org, sprints, calendar_app, client_as):
    planning = meeting_series_create(
        team=None,
        kind=MeetingSeries.Kind.SPRINT_PLANNING,
        name="Engineering planning",
        weekdays=[],
        starts_at=datetime.time(16),
        duration_minutes=90,
        timezone_name="America/New_York",
    )
    token = new_token(client_as("engineer"))

    by_uid = events(fetch(calendar_app, token))

    for sprint in sprints:
        event = by_uid[f"series-{planning.pk}-{sprint.planning_date.isoformat()}@platformhub"]
        start = datetime.datetime.combine(sprint.planning_date, datetime.time(16), tzinfo=ZoneInfo("America/New_York"))
        assert str(event["SUMMARY"]) == "Engineering planning", "org-wide: no team name"
        assert event.decoded("DTSTART") == start
        assert event.decoded("DTEND") == start + datetime.timedelta(minutes=90)


def test_another_team_trees_meetings_are_not_in_the_feed(org, rituals, token, calendar_app):
    calendar = fetch(calendar_app, token)

    summaries = [str(event["SUMMARY"]) for event in calendar.walk("VEVENT")]
    assert "Platform: Platform standup" in summaries
    assert not [summary for summary in summaries if "Payments" in summary]
    uids = events(calendar)
    assert not [uid for uid in uids if f"series-{rituals['payments_retro'].pk}-" in uid]
    assert f"series-{rituals['payments_standup'].pk}@platformhub" not in uids


def test_a_sub_teams_feed_has_its_parents_meetings(org, rituals, calendar_app, client_as):
    token = new_token(client_as("engineer"), "infrastructure")

    response = calendar_app.get(feed_url(token))

    summaries = [str(event["SUMMARY"]) for event in Calendar.from_ical(response.content).walk("VEVENT")]
    assert response["Content-Disposition"] == 'inline; filename="infrastructure.ics"'
    assert "Platform: Platform standup" in summaries
    assert not [summary for summary in summaries if "Payments" in summary]


# The token is the key


def test_a_wrong_token_finds_no_calendar(org, token, calendar_app):
    assert calendar_app.get(feed_url(token[:-1] + ("A" if token[-1] != "A" else "B"))).status_code == 404
    assert calendar_app.get(feed_url("not-a-token")).status_code == 404


def test_a_revoked_address_stops_working(org, token, calendar_app, client_as):
    feed = CalendarFeed.objects.get()

    response = client_as("engineer").post(reverse("sprints:calendar_feed_revoke", args=[feed.pk]))

    assert response.status_code == 302
    assert response["Location"] == reverse("sprints:meetings", args=["platform"])
    assert calendar_app.get(feed_url(token)).status_code == 404
    feed.refresh_from_db()
    assert feed.revoked_at is not None
    page = client_as("engineer").get(reverse("sprints:meetings", args=["platform"])).content.decode()
    assert "Revoke</button>" not in page


def test_revoking_one_address_keeps_the_others(org, token, calendar_app, client_as):
    other = new_token(client_as("engineer"))
    first = CalendarFeed.objects.get(token_hash=hashlib.sha256(token.encode()).hexdigest())

    client_as("engineer").post(reverse("sprints:calendar_feed_revoke", args=[first.pk]))

    assert calendar_app.get(feed_url(token)).status_code == 404
    assert calendar_app.get(feed_url(other)).status_code == 200


def test_an_address_stops_working_once_its_maker_leaves_the_team(org, rituals, token, calendar_app):
    assert calendar_app.get(feed_url(token)).status_code == 200

    Membership.objects.filter(person=org.users["engineer"].person).delete()

    assert calendar_app.get(feed_url(token)).status_code == 404


def test_a_lead_sees_everyones_addresses_and_revokes_another_members(org, token, calendar_app, client_as):
    feed = CalendarFeed.objects.get()
    revoke = reverse("sprints:calendar_feed_revoke", args=[feed.pk])
    meetings = reverse("sprints:meetings", args=["platform"])
    colleague = client_as("anonymous")
    colleague.force_login(MembershipFactory(team=org.team).person.user)
    lead = client_as("lead")

    for_lead = lead.get(meetings).content.decode()
    for_colleague = colleague.get(meetings).content.decode()

    assert f'action="{revoke}"' in for_lead
    assert "by Eric Engineer</span>" in for_lead
    assert f'action="{revoke}"' not in for_colleague
    assert "by Eric Engineer" not in for_colleague
    response = lead.post(revoke)
    assert response.status_code == 302
    assert calendar_app.get(feed_url(token)).status_code == 404


# Who may do what


@pytest.mark.parametrize("role", ROLES)
def test_getting_an_address_by_role(org, client_as, role):
    response = client_as(role).post(create_url(), follow=role in ("lead", "engineer"))

    if role == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    elif role == "outsider":
        assert response.status_code == 404
    elif role in ("viewer", "staff"):
        # staff without a profile cannot own an address: it lives only as long as its maker is on the team
        assert response.status_code == 403
    else:
        assert response.status_code == 200
        assert FEED_URL.search(response.content.decode())
    assert CalendarFeed.objects.exists() is (role in ("lead", "engineer"))


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("creator", 302),
        ("lead", 302),
        ("staff", 302),
        ("another engineer", 403),
        ("viewer", 403),
        ("outsider", 404),
        ("anonymous", 302),
    ],
)
def test_revoking_an_address_by_role(org, token, client_as, who, status):
    feed = CalendarFeed.objects.get()
    if who == "creator":
        client = client_as("engineer")
    elif who == "another engineer":
        client = client_as("anonymous")
        client.force_login(MembershipFactory(team=org.team).person.user)
    else:
        client = client_as(who)

    response = client.post(reverse("sprints:calendar_feed_revoke", args=[feed.pk]))

    assert response.status_code == status
    if who == "anonymous":
        assert response["Location"].startswith(reverse("login"))
    feed.refresh_from_db()
    assert (feed.revoked_at is not None) is (who in ("creator", "lead", "staff"))


def test_a_service_made_feed_hashes_its_token_too(org):
    feed, token = calendar_feed_create(team=org.team, created_by=None)

    assert len(token) >= 40
    assert feed.token_hash == hashlib.sha256(token.encode()).hexdigest() != token
