"""Sprints and the work in them: cadence, rosters, goals, projects with measurable milestones,
and the cards on a team's board."""

import calendar
import datetime
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.timezone import now as timezone_now

from integrations.models import GitHubIssue
from okrs.models import TITLE_MAX, KeyResult
from platformhub.concurrency import Versioned
from platformhub.history_records import HistoricalRecords
from platformhub.models import Person, Team, validate_timezone

WEDNESDAY = 2
SATURDAY = 5


class Cadence(Versioned):
    """How the org's sprints run: their length, and the day the first one started.

    Every sprint starts on the same weekday as `first_start`, every `length_days` days."""

    length_days = models.PositiveSmallIntegerField(
        default=14, validators=[MinValueValidator(7), MaxValueValidator(42)], help_text="Usually 14."
    )
    first_start = models.DateField(help_text="The first day of sprint 1; later sprints follow on.")

    history = HistoricalRecords()

    def __str__(self) -> str:
        return f"{self.length_days}-day sprints from {self.first_start:%-d %b %Y}"

    def start_of(self, number: int) -> datetime.date:
        return self.first_start + datetime.timedelta(days=(number - 1) * self.length_days)

    def number_on(self, day: datetime.date) -> int:
        """The number of the sprint running on `day` (sprint 1 for days before the first)."""
        return max((day - self.first_start).days // self.length_days + 1, 1)


def planning_day(start: datetime.date) -> datetime.date:
    """The Wednesday before a sprint starts (a week earlier if the sprint starts on a Wednesday)."""
    days_back = (start.weekday() - WEDNESDAY) % 7 or 7
    return start - datetime.timedelta(days=days_back)


class Sprint(models.Model):
    number = models.PositiveIntegerField(unique=True)
    name = models.CharField(max_length=100)
    start = models.DateField()
    end = models.DateField(help_text="The last day of the sprint.")
    planning_date = models.DateField()
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    history = HistoricalRecords()

    class Meta:
        ordering = ["number"]

    def __str__(self) -> str:
        return self.name

    def contains(self, day: datetime.date) -> bool:
        return self.start <= day <= self.end

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None


class RosterEntry(models.Model):
    """Who is on which sub-team during a sprint; sub-teams are fluid, so each sprint has its own."""

    sprint = models.ForeignKey(Sprint, on_delete=models.CASCADE, related_name="roster")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="roster_entries")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="roster_entries")

    history = HistoricalRecords()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["sprint", "team", "person"], name="unique_roster_entry")]
        verbose_name_plural = "roster entries"

    def __str__(self) -> str:
        return f"{self.sprint}: {self.person} on {self.team}"


class Project(Versioned):
    """An epic: measurable milestones towards something bigger than a sprint."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="projects")
    title = models.CharField(max_length=TITLE_MAX)
    description = models.TextField(blank=True, validators=[MaxLengthValidator(10_000)])
    owners = models.ManyToManyField(Person, blank=True, related_name="projects")
    key_results = models.ManyToManyField(KeyResult, blank=True, related_name="projects")
    archived = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords(m2m_fields=[owners, key_results])

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


class Milestone(Versioned):
    """A measurable step of a project: "Migrate 50 of the 100 tables" (current of target), or
    "Migration framework is production ready" (done or not, when it has no target)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(max_length=TITLE_MAX)
    current = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    target = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    is_done = models.BooleanField(default=False)
    order = models.PositiveIntegerField(default=0)

    history = HistoricalRecords()

    class Meta:
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        if self.target is not None and self.target <= 0:
            raise ValidationError({"target": "A target is a positive number, or leave it empty for done/not done."})
        if self.current < 0:
            raise ValidationError({"current": "Progress cannot be negative."})

    @property
    def progress(self) -> float:
        """0–1: current of target, or done or not."""
        if self.target is None:
            return 1.0 if self.is_done else 0.0
        return max(0.0, min(1.0, float(self.current / self.target)))


class SprintGoal(Versioned):
    class Outcome(models.TextChoices):
        MET = "met", "Met"
        PARTLY = "partly", "Partly met"
        MISSED = "missed", "Missed"

    sprint = models.ForeignKey(Sprint, on_delete=models.CASCADE, related_name="goals")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="sprint_goals")
    title = models.CharField(max_length=TITLE_MAX)
    owners = models.ManyToManyField(Person, blank=True, related_name="sprint_goals")
    milestone = models.ForeignKey(Milestone, null=True, blank=True, on_delete=models.SET_NULL, related_name="goals")
    key_result = models.ForeignKey(
        KeyResult, null=True, blank=True, on_delete=models.SET_NULL, related_name="sprint_goals"
    )
    outcome = models.CharField(max_length=8, choices=Outcome.choices, blank=True)

    history = HistoricalRecords(m2m_fields=[owners])

    class Meta:
        ordering = ["sprint__number", "team__name", "pk"]

    def __str__(self) -> str:
        return self.title


class Card(Versioned):
    class Column(models.TextChoices):
        BACKLOG = "backlog", "Backlog"
        ON_DECK = "on_deck", "On deck"
        IN_PROGRESS = "in_progress", "In progress"
        BLOCKED = "blocked", "Blocked"
        IN_REVIEW = "in_review", "In review"
        DONE = "done", "Done"

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="cards")
    title = models.CharField(max_length=TITLE_MAX)
    description = models.TextField(blank=True, validators=[MaxLengthValidator(10_000)])
    owners = models.ManyToManyField(Person, blank=True, related_name="cards")
    project = models.ForeignKey(Project, null=True, blank=True, on_delete=models.SET_NULL, related_name="cards")
    sprints = models.ManyToManyField(Sprint, blank=True, related_name="cards")
    issue = models.ForeignKey(GitHubIssue, null=True, blank=True, on_delete=models.SET_NULL, related_name="cards")
    column = models.CharField(max_length=16, choices=Column.choices, default=Column.BACKLOG)
    blocked_reason = models.CharField(max_length=500, blank=True)
    order = models.PositiveIntegerField(default=0)
    carry_overs = models.PositiveSmallIntegerField(default=0, help_text="Sprints it was carried into unfinished.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(m2m_fields=[owners, sprints])

    class Meta:
        ordering = ["column", "order", "pk"]
        indexes = [
            models.Index(fields=["team", "column", "order"]),
            models.Index(fields=["team", "column", "updated_at"]),  # a board's Done column, newest first
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        if self.column == self.Column.BLOCKED and not self.blocked_reason.strip():
            raise ValidationError({"blocked_reason": "Say what the card is blocked on."})


class CardMove(models.Model):
    """Who moved a card from which column to which, and when."""

    card = models.ForeignKey(Card, on_delete=models.CASCADE, related_name="moves")
    moved_by = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    moved_at = models.DateTimeField()
    from_column = models.CharField(max_length=16, choices=Card.Column.choices)
    to_column = models.CharField(max_length=16, choices=Card.Column.choices)

    class Meta:
        ordering = ["-moved_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.card}: {self.from_column} → {self.to_column}"


DEFAULT_WIP_LIMITS = {"on_deck": 6, "in_progress": 4, "blocked": 2, "in_review": 3}


class Board(Versioned):
    """A team's board settings: how many cards each column should hold at most."""

    team = models.OneToOneField(Team, on_delete=models.CASCADE, related_name="board")
    wip_limits = models.JSONField(default=dict, blank=True, help_text='e.g. {"in_progress": 4}')

    history = HistoricalRecords()

    def __str__(self) -> str:
        return f"{self.team} board"

    def limit_for(self, column: str) -> int | None:
        return self.wip_limits.get(column)


# Rituals: meeting series, their meetings, agendas and the action items that follow them.


class MeetingSeries(Versioned):
    """A recurring meeting of a team (or org-wide when it has no team): standups, planning, retros."""

    class Kind(models.TextChoices):
        STANDUP = "standup", "Standup"
        SPRINT_PLANNING = "sprint_planning", "Sprint planning"
        RETRO = "retro", "Retro"
        TEAM_PLANNING = "team_planning", "Team planning"
        CUSTOM = "custom", "Custom"

    SPRINT_KINDS = frozenset({Kind.SPRINT_PLANNING, Kind.RETRO, Kind.TEAM_PLANNING})

    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.CASCADE, related_name="meeting_series")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.CUSTOM)
    name = models.CharField(max_length=100)
    weekdays = models.JSONField(
        default=list,
        blank=True,
        help_text="0 = Monday … 6 = Sunday; e.g. [0, 2, 4]. Planning and retros follow the sprints instead.",
    )
    starts_at = models.TimeField(null=True, blank=True, help_text="Empty for an all-day entry in calendars.")
    duration_minutes = models.PositiveSmallIntegerField(
        default=30, validators=[MinValueValidator(5), MaxValueValidator(480)]
    )
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    created_at = models.DateTimeField(default=timezone_now, editable=False)

    history = HistoricalRecords()

    class Meta:
        verbose_name_plural = "meeting series"

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if not isinstance(self.weekdays, list) or any(day not in range(7) for day in self.weekdays):
            raise ValidationError({"weekdays": "Weekdays are numbers from 0 (Monday) to 6 (Sunday)."})
        if self.kind == self.Kind.STANDUP and not self.weekdays:
            raise ValidationError({"weekdays": "Pick the days the standup happens on."})

    @property
    def weekdays_label(self) -> str:
        """E.g. "Mon, Wed, Fri"."""
        return ", ".join(calendar.day_abbr[day] for day in sorted(self.weekdays))

    @property
    def follows_sprints(self) -> bool:
        """Sprint planning, retros and team planning happen once a sprint, on days the sprints set."""
        return self.kind in self.SPRINT_KINDS

    def date_for_sprint(self, sprint: "Sprint") -> datetime.date:
        """Sprint planning is on the sprint's planning day; the retro and team planning of a
        sprint are on the first working day after it ends."""
        if self.kind == self.Kind.SPRINT_PLANNING:
            return sprint.planning_date
        day = sprint.end + datetime.timedelta(days=1)
        while day.weekday() >= SATURDAY:
            day += datetime.timedelta(days=1)
        return day

    def occurs_on(self, day: datetime.date, sprints: Iterable["Sprint"] = ()) -> bool:
        if self.follows_sprints:
            return any(self.date_for_sprint(sprint) == day for sprint in sprints)
        return day.weekday() in self.weekdays


class Meeting(Versioned):
    series = models.ForeignKey(MeetingSeries, on_delete=models.CASCADE, related_name="meetings")
    date = models.DateField()
    attendees = models.ManyToManyField(Person, blank=True, related_name="meetings")
    notes = models.TextField(blank=True, validators=[MaxLengthValidator(20_000)])
    decisions = models.TextField(blank=True, validators=[MaxLengthValidator(10_000)])

    history = HistoricalRecords(m2m_fields=[attendees])

    class Meta:
        ordering = ["series", "date"]
        constraints = [models.UniqueConstraint(fields=["series", "date"], name="one_meeting_a_day_per_series")]

    def __str__(self) -> str:
        return f"{self.series} {self.date:%-d %b %Y}"

    @property
    def team(self) -> Team | None:
        """The team whose meeting this is (None for an org-wide series); permissions follow it."""
        return self.series.team


class AgendaItem(Versioned):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="agenda")
    title = models.CharField(max_length=TITLE_MAX)
    added_by = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    order = models.PositiveIntegerField(default=0)
    discussed = models.BooleanField(default=False)

    history = HistoricalRecords()

    class Meta:
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return self.title

    @property
    def team(self) -> Team | None:
        return self.meeting.series.team


class ActionItem(Versioned):
    """A follow-up from a meeting. Until it is done it shows in every later meeting of its series."""

    series = models.ForeignKey(MeetingSeries, on_delete=models.CASCADE, related_name="action_items")
    raised_in = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="raised_actions")
    title = models.CharField(max_length=TITLE_MAX)
    owner = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="action_items")
    due_date = models.DateField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    done_on = models.DateField(
        null=True, blank=True, help_text="The day of the meeting it was ticked off in: done there, gone after."
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["due_date", "pk"]

    def __str__(self) -> str:
        return self.title

    @property
    def team(self) -> Team | None:
        return self.series.team

    def is_overdue(self, today: datetime.date) -> bool:
        return self.done_at is None and self.due_date is not None and self.due_date < today


def standup_is_blocked(blockers: str, cleared_at: datetime.datetime | None) -> bool:
    """A standup blocks while it names a blocker that nobody has cleared (for rows read as values too)."""
    return bool(blockers.strip()) and cleared_at is None


class StandupUpdate(Versioned):
    """One person's async standup for a day: yesterday, today and what blocks them.

    A blocker stays flagged on the team page until the person clears it or posts a later
    standup without one."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="standups")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="standups")
    date = models.DateField()
    yesterday = models.TextField(blank=True, validators=[MaxLengthValidator(5_000)])
    today = models.TextField(blank=True, validators=[MaxLengthValidator(5_000)])
    blockers = models.TextField(blank=True, validators=[MaxLengthValidator(5_000)])
    blocker_cleared_at = models.DateTimeField(null=True, blank=True)
    posted_at = models.DateTimeField()

    history = HistoricalRecords()

    class Meta:
        ordering = ["-date", "-posted_at"]
        constraints = [
            models.UniqueConstraint(fields=["team", "person", "date"], name="one_standup_a_day_per_person_and_team")
        ]

    def __str__(self) -> str:
        return f"{self.person} standup {self.date:%-d %b %Y}"

    def clean(self) -> None:
        if not (self.yesterday.strip() or self.today.strip() or self.blockers.strip()):
            raise ValidationError("Write at least one of yesterday, today or blockers.")

    @property
    def is_blocked(self) -> bool:
        return standup_is_blocked(self.blockers, self.blocker_cleared_at)


class RetroNote(models.Model):
    """A sticky note on a retro: something that went well or should improve."""

    class Kind(models.TextChoices):
        WENT_WELL = "went_well", "Went well"
        TO_IMPROVE = "to_improve", "To improve"

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="retro_notes")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    text = models.CharField(max_length=TITLE_MAX)
    author = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.text

    @property
    def team(self) -> Team | None:
        return self.meeting.series.team


class PlanningComment(models.Model):
    """A comment, or a concern, on a team's proposed goals at engineering-wide sprint planning."""

    sprint = models.ForeignKey(Sprint, on_delete=models.CASCADE, related_name="planning_comments")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="planning_comments")
    author = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    body = models.TextField(validators=[MaxLengthValidator(5_000)])
    is_concern = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{'Concern' if self.is_concern else 'Comment'} on {self.team} for {self.sprint}"


class BlockedRequest(models.Model):
    """ "Blocked on you": one team needs something from another to plan its sprint. It shows on
    the receiving team's planning agenda and board until that team answers it."""

    sprint = models.ForeignKey(Sprint, on_delete=models.CASCADE, related_name="blocked_requests")
    from_team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="requests_made")
    to_team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="requests_received")
    requested_by = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    body = models.TextField(validators=[MaxLengthValidator(5_000)])
    created_at = models.DateTimeField(auto_now_add=True)
    answer = models.TextField(blank=True, validators=[MaxLengthValidator(5_000)])
    answered_by = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    answered_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.from_team} blocked on {self.to_team}"

    def clean(self) -> None:
        if self.from_team_id and self.from_team_id == self.to_team_id:
            raise ValidationError({"to_team": "A team cannot be blocked on itself."})

    @property
    def team(self) -> Team:
        """The team that has to answer (whose permissions apply)."""
        return self.to_team

    @property
    def is_open(self) -> bool:
        return self.answered_at is None


class CalendarFeed(models.Model):
    """A secret address a calendar app subscribes to: one team's sprints, planning days and
    meetings. Only the SHA-256 of the token is stored; the address is shown once."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="calendar_feeds")
    created_by = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.team} calendar feed {self.pk}"
