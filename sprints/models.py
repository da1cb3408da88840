"""Sprints and the work in them: cadence, rosters, goals, projects with measurable milestones,
and the cards on a team's board."""

import datetime

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from simple_history.models import HistoricalRecords

from integrations.models import GitHubIssue
from okrs.models import TITLE_MAX, KeyResult
from platformhub.concurrency import Versioned
from platformhub.models import Person, Team

WEDNESDAY = 2


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
        indexes = [models.Index(fields=["team", "column", "order"])]

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

    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.CASCADE, related_name="meeting_series")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.CUSTOM)
    name = models.CharField(max_length=100)
    weekdays = models.JSONField(default=list, blank=True, help_text="0 = Monday … 6 = Sunday; e.g. [0, 2, 4].")

    history = HistoricalRecords()

    class Meta:
        verbose_name_plural = "meeting series"

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if not isinstance(self.weekdays, list) or any(day not in range(7) for day in self.weekdays):
            raise ValidationError({"weekdays": "Weekdays are numbers from 0 (Monday) to 6 (Sunday)."})


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


class ActionItem(Versioned):
    """A follow-up from a meeting. Until it is done it shows in every later meeting of its series."""

    series = models.ForeignKey(MeetingSeries, on_delete=models.CASCADE, related_name="action_items")
    raised_in = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="raised_actions")
    title = models.CharField(max_length=TITLE_MAX)
    owner = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="action_items")
    due_date = models.DateField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["due_date", "pk"]

    def __str__(self) -> str:
        return self.title

    def is_overdue(self, today: datetime.date) -> bool:
        return self.done_at is None and self.due_date is not None and self.due_date < today
