"""A team's iCalendar feed: its sprints, planning days and meetings, for calendar apps to
subscribe to (RFC 5545, written with the `icalendar` library)."""

import datetime
from urllib.parse import urljoin
from zoneinfo import ZoneInfo

from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar, Event

from okrs.selectors import team_tree_ids
from platformhub.models import Team
from sprints.models import Meeting, MeetingSeries, Sprint
from sprints.selectors import series_for_teams

ICAL_WEEKDAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
DOMAIN = "platformhub"


def team_calendar(*, team: Team, base_url: str) -> bytes:
    now = timezone.now()
    calendar = Calendar()
    calendar.add("prodid", "-//PlatformHub//Team calendar//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"{team.name} · PlatformHub")
    calendar.add("refresh-interval", datetime.timedelta(hours=1), parameters={"VALUE": "DURATION"})
    sprints = list(Sprint.objects.order_by("number"))
    for sprint in sprints:
        sprint_url = urljoin(base_url, reverse("sprints:sprint", args=[sprint.number]))
        calendar.add_component(
            _all_day(f"sprint-{sprint.number}", sprint.name, sprint.start, sprint.end, sprint_url, now)
        )
        planning_url = urljoin(base_url, reverse("sprints:planning", args=[sprint.number]))
        calendar.add_component(
            _all_day(
                f"sprint-{sprint.number}-planning",
                f"{sprint.name} planning",
                sprint.planning_date,
                sprint.planning_date,
                planning_url,
                now,
            )
        )
    series_list = list(series_for_teams(team_tree_ids(team.parent or team)))
    ad_hoc = {series.pk for series in series_list if not series.follows_sprints and not series.weekdays}
    meetings_by_series: dict[int, list[Meeting]] = {}
    for meeting in Meeting.objects.filter(series_id__in=ad_hoc).order_by("date"):
        meetings_by_series.setdefault(meeting.series_id, []).append(meeting)
    for series in series_list:
        if series.follows_sprints:
            for sprint in sprints:
                calendar.add_component(_meeting(series, series.date_for_sprint(sprint), base_url, now))
        elif series.weekdays:
            first = timezone.localtime(series.created_at, ZoneInfo(series.timezone)).date()
            while first.weekday() not in series.weekdays:
                first += datetime.timedelta(days=1)
            event = _meeting(series, first, base_url, now, uid=f"series-{series.pk}@{DOMAIN}")
            event.add("rrule", {"freq": "weekly", "byday": [ICAL_WEEKDAYS[day] for day in series.weekdays]})
            event["url"] = urljoin(base_url, reverse("sprints:series", args=[series.pk]))
            calendar.add_component(event)
        else:
            for meeting in meetings_by_series.get(series.pk, []):
                calendar.add_component(_meeting(series, meeting.date, base_url, now))
    calendar.add_missing_timezones()
    return calendar.to_ical()


def _all_day(
    uid: str, summary: str, first: datetime.date, last: datetime.date, url: str, now: datetime.datetime
) -> Event:
    event = Event()
    event.add("uid", f"{uid}@{DOMAIN}")
    event.add("dtstamp", now)
    event.add("summary", summary)
    event.add("dtstart", first)
    event.add("dtend", last + datetime.timedelta(days=1))  # DTEND of an all-day event is exclusive
    event.add("url", url)
    event.add("transp", "TRANSPARENT")
    return event


def _meeting(
    series: MeetingSeries, day: datetime.date, base_url: str, now: datetime.datetime, uid: str | None = None
) -> Event:
    """One meeting (or, with an RRULE added, the first of a recurring one)."""
    url = urljoin(base_url, reverse("sprints:meeting", args=[series.pk, day.isoformat()]))
    summary = f"{series.team.name}: {series.name}" if series.team else series.name
    event = Event()
    event.add("uid", uid or f"series-{series.pk}-{day.isoformat()}@{DOMAIN}")
    event.add("dtstamp", now)
    event.add("summary", summary)
    event.add("url", url)
    if series.starts_at is None:
        event.add("dtstart", day)
        event.add("dtend", day + datetime.timedelta(days=1))
    else:
        start = datetime.datetime.combine(day, series.starts_at, tzinfo=ZoneInfo(series.timezone))
        event.add("dtstart", start)
        event.add("dtend", start + datetime.timedelta(minutes=series.duration_minutes))
    return event
