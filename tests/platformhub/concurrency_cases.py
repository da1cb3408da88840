"""What `test_concurrent_edits.py` needs to act like two people in two browsers: the forms of a
page read the way a browser submits them (hidden version included), the conflict box of a 409,
and every editable thing of the app described once, as a case the tests run two writers against."""

import datetime
import html
import re
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from html.parser import HTMLParser

from django.contrib.auth.models import User
from django.db import connection, connections
from django.db.models import Model
from django.urls import reverse
from django.utils import timezone

from okrs.models import Horizon, KeyResult, Objective, RoadmapItem, TeamPeriod
from okrs.services import horizon_create, roadmap_item_create
from platformhub.models import Team
from sprints.models import (
    ActionItem,
    AgendaItem,
    BlockedRequest,
    Card,
    Meeting,
    MeetingSeries,
    Milestone,
    PlanningComment,
    Project,
    Sprint,
    SprintGoal,
    StandupUpdate,
)
from sprints.services import (
    action_item_add,
    agenda_item_add,
    blocked_request_create,
    cadence_set,
    card_create,
    meeting_for,
    meeting_series_create,
    sprint_goal_create,
    sprints_ensure,
    standup_post,
)

HTMX = {"HTTP_HX_REQUEST": "true"}
MEETING_DAY = datetime.date(2022, 11, 9)  # a Wednesday; the "Ops sync" series meets every day


# A page's forms, as a browser would submit them


@dataclass
class BrowserForm:
    action: str | None
    fields: list[tuple[str, str]] = field(default_factory=list)  # what it submits as it stands
    controls: set[str] = field(default_factory=set)  # every named control, sent or not

    def names(self) -> set[str]:
        return self.controls

    def value(self, name: str) -> str | None:
        return next((value for field_name, value in self.fields if field_name == name), None)

    def values(self, name: str) -> list[str]:
        return [value for field_name, value in self.fields if field_name == name]

    def filled(self, **changes: str | list[str]) -> dict[str, list[str]]:
        """What the browser sends after the person typed `changes` into the form."""
        data: dict[str, list[str]] = {}
        for name, value in self.fields:
            data.setdefault(name, []).append(value)
        for name, value in changes.items():
            data[name] = value if isinstance(value, list) else [value]
        return data


class _FormReader(HTMLParser):
    """Collects each form's successful controls: inputs (checked boxes only), textareas (minus
    the newline browsers drop after the tag) and selects (the selected option, else the first)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[BrowserForm] = []
        self._form: BrowserForm | None = None
        self._textarea: tuple[str, list[str]] | None = None
        self._select: dict | None = None
        self._option: dict | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form":
            self._form = BrowserForm(action=attributes.get("action"))
            self.forms.append(self._form)
        if self._form is None:
            return
        name = attributes.get("name")
        if name and tag in ("input", "textarea", "select"):
            self._form.controls.add(name)
        if tag == "input" and name and "disabled" not in attributes:
            kind = attributes.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in attributes:
                    self._form.fields.append((name, attributes.get("value", "on")))
            elif kind not in ("submit", "button", "image", "reset", "file"):
                self._form.fields.append((name, attributes.get("value") or ""))
        elif tag == "textarea" and name:
            self._textarea = (name, [])
        elif tag == "select" and name:
            self._select = {"name": name, "multiple": "multiple" in attributes, "options": []}
        elif tag == "option" and self._select is not None:
            self._option = {
                "value": attributes.get("value"),
                "selected": "selected" in attributes,
                "disabled": "disabled" in attributes,
                "text": [],
            }
            self._select["options"].append(self._option)

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1].append(data)
        elif self._option is not None:
            self._option["text"].append(data)

    def handle_endtag(self, tag):
        if tag == "textarea" and self._textarea is not None:
            name, chunks = self._textarea
            text = "".join(chunks)
            self._form.fields.append((name, text.removeprefix("\r\n").removeprefix("\n")))
            self._textarea = None
        elif tag == "option":
            self._option = None
        elif tag == "select" and self._select is not None:
            options = self._select["options"]
            chosen = [option for option in options if option["selected"]]
            if not chosen and not self._select["multiple"]:
                chosen = [option for option in options if not option["disabled"]][:1]
            for option in chosen:
                if not option["disabled"]:
                    value = option["value"] if option["value"] is not None else "".join(option["text"]).strip()
                    self._form.fields.append((self._select["name"], value))
            self._select = None
        elif tag == "form":
            self._form = None


def forms_in(page: str) -> list[BrowserForm]:
    reader = _FormReader()
    reader.feed(page)
    return reader.forms


def form_on(response_or_page, *, action: str | None = None, having: str | None = None) -> BrowserForm:
    """The form of the page that posts to `action` (any form when None) and has a control `having`."""
    page = response_or_page if isinstance(response_or_page, str) else response_or_page.content.decode()
    found = [
        form
        for form in forms_in(page)
        if (action is None or form.action == action) and (having is None or having in form.names())
    ]
    if not found:
        raise LookupError(f"no form posting to {action} with a {having!r} control on the page")
    return found[0]


def conflict_box(response) -> str:
    """The text of the 409's "someone else saved meanwhile" box (nested boxes included)."""
    page = response.content.decode()
    start = page.find('<div class="conflict" role="alert">')
    if start < 0:
        raise LookupError("the response shows no conflict box")
    depth, position = 0, start
    for tag in re.finditer(r"<(/?)div\b", page[start:]):
        depth += -1 if tag.group(1) else 1
        position = start + tag.end()
        if depth == 0:
            break
    return html.unescape(re.sub(r"<[^>]+>", " ", page[start:position]))


def as_text(value) -> str:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return "" if value is None else str(value)


def race(*sends: Callable[[], object]) -> list:
    """Run the requests in threads released together by a barrier (after both read version N);
    each thread has its own client and its own database connection."""
    barrier = threading.Barrier(len(sends))
    results: list = [None] * len(sends)
    errors: list[BaseException] = []

    def run(index: int, send: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=15)
            results[index] = send()
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(index, send)) for index, send in enumerate(sends)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    if errors or any(thread.is_alive() for thread in threads):
        raise RuntimeError(f"a racing request crashed or never finished: {errors}")
    return results


@contextmanager
def racing_database(tmp_path) -> Iterator[Callable[[Callable[[], object]], object]]:
    """Where the racing threads meet; yields `read(query)`, which runs a query there.

    PostgreSQL: the test database. SQLite: pytest-django's in-memory test database uses a shared
    cache, whose table locks fail at once ("database table is locked") where the file database
    the app runs on waits for the writer ahead; so the race runs on a file copy of the test
    database, opened with the app's own options (BEGIN IMMEDIATE, a 20 s busy timeout)."""
    if connection.vendor != "sqlite" or not connection.is_in_memory_db():
        yield lambda query: query()
        return
    path = str(tmp_path / "race.sqlite3")
    connection.ensure_connection()
    copy = sqlite3.connect(path)
    connection.connection.backup(copy)
    copy.close()
    settings_dict = connections.settings["default"]
    in_memory = settings_dict["NAME"]
    settings_dict["NAME"] = path
    try:
        yield lambda query: race(query)[0]
    finally:
        settings_dict["NAME"] = in_memory


# The world both writers work in


@dataclass
class World:
    org: object  # conftest.Org
    okr: object  # conftest.Okr
    users: dict[str, User]

    def person(self, role: str):
        return self.users[role].person

    def spell(self, name: str) -> str:
        """A form control's name, whose prefix carries an id: "c{team}-body", "kr{kr}-score"."""
        return name.format(team=self.org.team.pk, kr=self.okr.kr.pk)

    def sprint(self) -> Sprint:
        """The current sprint of a two-week cadence (those before it closed), generated once."""
        today = timezone.localdate()
        if not Sprint.objects.exists():
            cadence_set(length_days=14, first_start=today - datetime.timedelta(days=today.weekday() + 14))
            current = sprints_ensure(today=today)
            Sprint.objects.filter(number__lt=current.number).update(closed_at=timezone.now())
        return Sprint.objects.filter(start__lte=today, end__gte=today).get()

    def daily(self) -> MeetingSeries:
        series = MeetingSeries.objects.filter(name="Ops sync").first()
        return series or meeting_series_create(
            team=self.org.team, kind=MeetingSeries.Kind.CUSTOM, name="Ops sync", weekdays=list(range(7))
        )

    def card(self) -> Card:
        return card_create(team=self.org.team, title="Cut over Postgres", sprints=[self.sprint()])

    def standup_day(self, role: str) -> datetime.date:
        return timezone.localdate(timezone=self.person(role).tzinfo)


@dataclass(frozen=True)
class Target:
    """Where a writer opens the thing (`page`), where its form posts (`action`), and the row."""

    page: str
    action: str
    row: Callable[[], Model]


def stored(target: Target, name: str) -> str:
    row = target.row()
    return as_text(type(row)._default_manager.filter(pk=row.pk).values_list(name, flat=True).get())


def history(target: Target, name: str) -> list[str]:
    """The field's value in each saved version of the row, newest first."""
    return [as_text(value) for value in target.row().history.values_list(name, flat=True)]


# Editable things: one object, one form, a field two writers both change


@dataclass(frozen=True)
class Edit:
    make: Callable[[World], Target]
    field: str  # the form control both writers change, stored under the same name
    theirs: str  # what the first writer saves
    mine: str  # what the second writer, from the same version, types
    writers: tuple[str, str] = ("lead", "second_lead")
    stored_as: str | None = None  # the model field, when it is not named like the control
    pick: Callable[[str], str] | None = None  # what the browser sends for a value, when not the value
    label: Callable[[str], str] | None = None  # how the conflict box names a value, when not as stored

    @property
    def column(self) -> str:
        return self.stored_as or self.field

    def sent(self, value: str) -> str:
        return self.pick(value) if self.pick else value

    def shown(self, value: str) -> str:
        return self.label(value) if self.label else value


def _team_about(world: World) -> Target:
    team = world.org.team
    url = reverse("team_about_edit", args=[team.slug])
    return Target(url, url, lambda: Team.objects.get(pk=team.pk))


def _objective(world: World) -> Target:
    objective = world.okr.objective
    url = reverse("okrs:objective_edit", args=[objective.pk])
    return Target(url, url, lambda: Objective.objects.get(pk=objective.pk))


def _key_result(world: World) -> Target:
    key_result = world.okr.kr
    url = reverse("okrs:key_result_edit", args=[key_result.pk])
    return Target(url, url, lambda: KeyResult.objects.get(pk=key_result.pk))


def _horizons(world: World):
    six_month = horizon_create(team=None, name="6 month", target_date=datetime.date(2023, 6, 30))
    three_year = horizon_create(team=None, name="3-year")
    fy27 = horizon_create(team=world.org.team, name="FY27")
    item = roadmap_item_create(team=world.org.team, horizon=six_month, title="No Heroku", status="in_progress")
    return item, three_year, fy27


def _roadmap_item(world: World) -> Target:
    item, *_ = _horizons(world)
    url = reverse("okrs:roadmap_item_edit", args=[item.pk])
    return Target(url, url, lambda: RoadmapItem.objects.get(pk=item.pk))


def _roadmap_item_move(world: World) -> Target:
    item, _, _ = _horizons(world)
    return Target(
        reverse("okrs:team_roadmap", args=[world.org.team.slug]),
        reverse("okrs:roadmap_item_move", args=[item.pk]),
        lambda: RoadmapItem.objects.get(pk=item.pk),
    )


def _horizon_pk(name: str) -> str:
    return str(Horizon.objects.get(name=name).pk)


def _meeting_notes(world: World) -> Target:
    series = world.daily()
    url = reverse("sprints:meeting_notes", args=[series.pk, MEETING_DAY.isoformat()])
    return Target(url, url, lambda: Meeting.objects.get(series=series, date=MEETING_DAY))


def _standup(*, posted_before: bool) -> Callable[[World], Target]:
    def make(world: World) -> Target:
        team, person, day = world.org.team, world.person("engineer"), world.standup_day("engineer")
        if posted_before:
            standup_post(
                team=team, person=person, date=day, expected_version=0, yesterday="", today="Standup", blockers=""
            )
        url = reverse("sprints:standup", args=[team.slug])
        return Target(url, url, lambda: StandupUpdate.objects.get(team=team, person=person, date=day))

    return make


def _milestone(world: World) -> Target:
    project = Project.objects.create(team=world.org.team, title="Re-partition 100 tables")
    milestone = Milestone.objects.create(project=project, title="Migrate 50 tables", target=50)
    return Target(
        reverse("sprints:projects", args=[world.org.team.slug]),
        reverse("sprints:milestone_progress", args=[milestone.pk]),
        lambda: Milestone.objects.get(pk=milestone.pk),
    )


def _goal(world: World) -> Target:
    sprint = world.sprint()
    goal = sprint_goal_create(sprint=sprint, team=world.org.sub_team, title="Migrate 50 tables")
    return Target(
        reverse("sprints:sprint", args=[sprint.number]),
        reverse("sprints:goal_outcome", args=[goal.pk]),
        lambda: SprintGoal.objects.get(pk=goal.pk),
    )


def _card_move(world: World) -> Target:
    card = world.card()
    return Target(
        reverse("sprints:board", args=[world.org.team.slug]),
        reverse("sprints:card_move", args=[card.pk]),
        lambda: Card.objects.get(pk=card.pk),
    )


EDITS: dict[str, Edit] = {
    "team mission": Edit(_team_about, "mission", "Keep the lights on", "Make shipping boring"),
    "objective": Edit(_objective, "title", "Five nines for the API", "Nobody pages at night"),
    "key result": Edit(_key_result, "title", "Move 3 databases off Heroku", "Retire Heroku Postgres"),
    "roadmap item": Edit(_roadmap_item, "title", "Leave Heroku by March", "Leave Heroku by June"),
    "meeting notes": Edit(_meeting_notes, "notes", "Kafka lag is back", "Deploys are flaky", ("lead", "engineer")),
    "standup rewritten the same day": Edit(
        _standup(posted_before=True), "today", "Cut over Postgres", "Write the runbook", ("engineer", "engineer")
    ),
    "first standup of the day": Edit(
        _standup(posted_before=False), "today", "Cut over Postgres", "Write the runbook", ("engineer", "engineer")
    ),
    "milestone progress": Edit(_milestone, "current", "20", "30", ("lead", "engineer")),
    "sprint goal outcome": Edit(_goal, "outcome", "met", "missed"),
    "card column": Edit(
        _card_move, "column", "in_progress", "done", ("lead", "engineer"), label=lambda key: Card.Column(key).label
    ),
    "roadmap item horizon": Edit(
        _roadmap_item_move, "horizon", "3-year", "FY27", stored_as="horizon__name", pick=_horizon_pk
    ),
}

HTMX_EDITS = ["team mission", "objective", "key result", "roadmap item", "meeting notes", "card column"]


# Additions: both writers add something from the same page; both must be kept


@dataclass(frozen=True)
class Addition:
    make: Callable[[World], Target]
    first: dict[str, str]
    second: dict[str, str]
    kept: Callable[[World], list[str]]
    expected: list[str]
    writers: tuple[str, str] = ("lead", "engineer")
    having: str | None = None


def _meeting_page(world: World, name: str, row: Callable[[], Model]) -> Target:
    series = world.daily()
    return Target(
        reverse("sprints:meeting", args=[series.pk, MEETING_DAY.isoformat()]),
        reverse(f"sprints:{name}", args=[series.pk, MEETING_DAY.isoformat()]),
        row,
    )


def _planning(world: World) -> Target:
    sprint = world.sprint()
    return Target(
        reverse("sprints:planning", args=[sprint.number]),
        reverse("sprints:planning_comment", args=[sprint.number, world.org.team.slug]),
        lambda: sprint,
    )


def _card_take(world: World) -> Target:
    card = world.card()
    return Target(
        reverse("sprints:board", args=[world.org.team.slug]),
        reverse("sprints:card_take", args=[card.pk]),
        lambda: Card.objects.get(pk=card.pk),
    )


def _issue_links(world: World) -> Target:
    url = reverse("integrations:link_issues", args=[world.okr.kr.pk])
    return Target(url, url, lambda: world.okr.kr)


ADDITIONS: dict[str, Addition] = {
    "agenda items": Addition(
        lambda w: _meeting_page(w, "agenda_add", lambda: None),
        {"title": "Kafka lag"},
        {"title": "Flaky deploys"},
        lambda w: list(AgendaItem.objects.values_list("title", flat=True)),
        ["Flaky deploys", "Kafka lag"],
    ),
    "action items": Addition(
        lambda w: _meeting_page(w, "action_add", lambda: None),
        {"action-title": "Write the runbook"},
        {"action-title": "Page the DBA"},
        lambda w: list(ActionItem.objects.values_list("title", flat=True)),
        ["Page the DBA", "Write the runbook"],
    ),
    "planning comments": Addition(
        _planning,
        {"c{team}-body": "Too much in flight"},
        {"c{team}-body": "Who owns the migration?"},
        lambda w: list(PlanningComment.objects.values_list("body", flat=True)),
        ["Too much in flight", "Who owns the migration?"],
        having="c{team}-body",
    ),
    "card owners (both take it)": Addition(
        _card_take,
        {},
        {},
        lambda w: [person.display_name for person in Card.objects.get().owners.all()],
        ["Eric Engineer", "Lena Lead"],
    ),
    "linked issues": Addition(
        _issue_links,
        {"references": "PostHog/posthog#101"},
        {"references": "PostHog/posthog#202"},
        lambda w: [str(link.issue) for link in w.okr.kr.issue_links.select_related("issue")],
        ["posthog/posthog#101", "posthog/posthog#202"],  # stored lower-case, as GitHub matches them
    ),
}


# Marking something once: doing it twice (two people, same page) changes nothing more


@dataclass(frozen=True)
class Twice:
    make: Callable[[World], Target]
    state: Callable[[Target], tuple]
    writers: tuple[str, str] = ("lead", "engineer")
    having: str | None = None


def _agenda_item(world: World) -> Target:
    meeting = meeting_for(series=world.daily(), date=MEETING_DAY)
    item = agenda_item_add(meeting=meeting, title="Kafka lag", added_by=None)
    return Target(
        reverse("sprints:meeting", args=[world.daily().pk, MEETING_DAY.isoformat()]),
        reverse("sprints:agenda_discussed", args=[item.pk]),
        lambda: AgendaItem.objects.get(pk=item.pk),
    )


def _action_item(world: World) -> Target:
    meeting = meeting_for(series=world.daily(), date=MEETING_DAY)
    action = action_item_add(meeting=meeting, title="Write the runbook", owner=world.person("engineer"))
    return Target(
        reverse("sprints:meeting", args=[world.daily().pk, MEETING_DAY.isoformat()]),
        reverse("sprints:action_done", args=[action.pk]),
        lambda: ActionItem.objects.get(pk=action.pk),
    )


def _blocker(world: World) -> Target:
    team, person = world.org.team, world.person("engineer")
    standup = standup_post(
        team=team,
        person=person,
        date=world.standup_day("engineer"),
        expected_version=0,
        yesterday="",
        today="Cut over Postgres",
        blockers="Waiting on the DBA",
    )
    return Target(
        reverse("sprints:standup", args=[team.slug]),
        reverse("sprints:standup_clear", args=[standup.pk]),
        lambda: StandupUpdate.objects.get(pk=standup.pk),
    )


def answer_request(world: World) -> Target:
    sprint = world.sprint()
    blocked = blocked_request_create(
        sprint=sprint,
        from_team=world.org.sub_team,
        to_team=world.org.team,
        requested_by=world.person("engineer"),
        body="Review our Terraform plan",
    )
    return Target(
        reverse("sprints:planning", args=[sprint.number]),
        reverse("sprints:request_answer", args=[blocked.pk]),
        lambda: BlockedRequest.objects.get(pk=blocked.pk),
    )


def _sprint_close(world: World) -> Target:
    sprint = world.sprint()
    world.card()
    return Target(
        reverse("sprints:sprint", args=[sprint.number]),
        reverse("sprints:close", args=[sprint.number]),
        lambda: Sprint.objects.get(pk=sprint.pk),
    )


def _quarter_close(world: World) -> Target:
    team, period = world.org.team, world.okr.period
    url = reverse("okrs:period_close", args=[team.slug, period.slug])
    return Target(url, url, lambda: KeyResult.objects.get(pk=world.okr.kr.pk))


TWICE: dict[str, Twice] = {
    "agenda item marked discussed": Twice(_agenda_item, lambda t: (t.row().discussed,)),
    "action item ticked off": Twice(_action_item, lambda t: (t.row().done_at, t.row().done_on)),
    "standup blocker cleared": Twice(_blocker, lambda t: (t.row().blocker_cleared_at, t.row().version)),
    "sprint closed": Twice(
        _sprint_close,
        lambda t: (t.row().closed_at, list(Card.objects.values_list("carry_overs", flat=True))),
        ("lead", "second_lead"),
    ),
    "quarter closed and scored": Twice(
        _quarter_close,
        lambda t: (t.row().final_score, t.row().score_comment, TeamPeriod.objects.get().closed_at),
        ("lead", "second_lead"),
        having="kr{kr}-score",
    ),
}
