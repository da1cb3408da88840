"""Quarterly OKRs: periods, objectives, measured key results and their check-ins.

Progress and status are computed in `okrs.progress`, in one place, from the fields here.
"""

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from platformhub.concurrency import Versioned
from platformhub.history_records import HistoricalRecords
from platformhub.models import Person, Team
from platformhub.urls_cache import reverse_cached, reverse_pk

TITLE_MAX = 200


class Period(models.Model):
    """A calendar quarter, shared by every team. Found or created from a date."""

    year = models.PositiveSmallIntegerField()
    quarter = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(4)])
    start = models.DateField()
    end = models.DateField()

    history = HistoricalRecords()

    class Meta:
        ordering = ["start"]
        constraints = [models.UniqueConstraint(fields=["year", "quarter"], name="unique_quarter")]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return f"Q{self.quarter} {self.year}"

    @property
    def slug(self) -> str:
        return f"{self.year}-q{self.quarter}"

    @staticmethod
    def bounds(year: int, quarter: int) -> tuple[datetime.date, datetime.date]:
        start = datetime.date(year, 3 * quarter - 2, 1)
        next_start = datetime.date(year + 1, 1, 1) if quarter == 4 else datetime.date(year, 3 * quarter + 1, 1)
        return start, next_start - datetime.timedelta(days=1)

    @staticmethod
    def quarter_of(day: datetime.date) -> tuple[int, int]:
        return day.year, (day.month - 1) // 3 + 1

    def next_quarter(self) -> tuple[int, int]:
        return (self.year + 1, 1) if self.quarter == 4 else (self.year, self.quarter + 1)

    def contains(self, day: datetime.date) -> bool:
        return self.start <= day <= self.end


class TeamPeriod(Versioned):
    """A team's quarter once it is being scored: closed quarters are read-only until reopened."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="team_periods")
    period = models.ForeignKey(Period, on_delete=models.CASCADE, related_name="team_periods")
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    history = HistoricalRecords()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["team", "period"], name="unique_team_period")]

    def __str__(self) -> str:
        return f"{self.team} {self.period}"

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None


class Objective(Versioned):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="objectives")
    period = models.ForeignKey(Period, on_delete=models.PROTECT, related_name="objectives")
    title = models.CharField(max_length=TITLE_MAX)
    why = models.TextField(blank=True, validators=[MaxLengthValidator(10_000)], help_text="Markdown.")
    owners = models.ManyToManyField(Person, blank=True, related_name="owned_objectives")
    order = models.PositiveIntegerField(default=0)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="children",
        help_text="The parent team's objective this one aligns to.",
    )
    archived = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(m2m_fields=[owners])

    class Meta:
        ordering = ["order", "pk"]
        indexes = [
            models.Index(fields=["team", "period", "order"]),
            # A quarter's objectives of a few teams, when the query also takes others by id (a
            # roadmap's Now lane and its items' links: an OR). SQLite, without statistics, takes
            # the quarter's index for such a query and reads every objective of the quarter
            # (0.32 ms at L); with the teams in the same index, it reads theirs (0.05 ms).
            models.Index(fields=["period", "team"], name="okrs_objective_period_team"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse_cached("okrs:team_okrs", self.team.slug, self.period.slug) + f"#objective-{self.pk}"

    def clean(self) -> None:
        if self.parent_id is None:
            return
        parent = self.parent
        if self.team.parent_id is None or parent.team_id != self.team.parent_id:
            raise ValidationError({"parent": "An objective can only align to an objective of its parent team."})
        if parent.period_id != self.period_id:
            raise ValidationError({"parent": "An objective can only align to an objective of the same quarter."})


class KeyResult(Versioned):
    class Kind(models.TextChoices):
        METRIC = "metric", "Metric (start → target)"
        PERCENT = "percent", "Percent (0–100)"
        MILESTONE = "milestone", "Milestone (done or not)"
        ISSUES = "issues", "Linked issues (closed of total)"

    class Direction(models.TextChoices):
        INCREASE = "increase", "Increase"
        DECREASE = "decrease", "Decrease"

    class Confidence(models.TextChoices):
        HIGH = "high", "High"
        MEDIUM = "medium", "Medium"
        LOW = "low", "Low"

    objective = models.ForeignKey(Objective, on_delete=models.CASCADE, related_name="key_results")
    title = models.CharField(max_length=TITLE_MAX)
    owners = models.ManyToManyField(Person, blank=True, related_name="owned_key_results")
    order = models.PositiveIntegerField(default=0)
    due_date = models.DateField(help_text="Defaults to the end of the quarter.")
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.METRIC)
    unit = models.CharField(max_length=40, blank=True)
    direction = models.CharField(max_length=16, choices=Direction.choices, default=Direction.INCREASE)
    start_value = models.DecimalField(max_digits=20, decimal_places=4, default=Decimal(0))
    target_value = models.DecimalField(max_digits=20, decimal_places=4, default=Decimal(100))
    current_value = models.DecimalField(max_digits=20, decimal_places=4, default=Decimal(0))
    is_done = models.BooleanField(default=False)
    weight_by_points = models.BooleanField(
        default=False, help_text="For linked-issue KRs: count each issue by its points label (points:3), not as 1."
    )
    # The latest check-in's confidence and time, kept with the value it set so that every
    # page reads a KR's whole state from its own row.
    confidence = models.CharField(max_length=8, choices=Confidence.choices, blank=True)
    last_check_in_at = models.DateTimeField(null=True, blank=True)
    final_score = models.DecimalField(
        max_digits=3,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(1))],
    )
    score_comment = models.TextField(blank=True, validators=[MaxLengthValidator(2_000)])
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(m2m_fields=[owners])

    class Meta:
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse_pk("okrs:key_result_detail", self.pk)

    def clean(self) -> None:
        errors = {}
        period = self.objective.period
        if self.due_date and not period.contains(self.due_date):
            errors["due_date"] = f"Pick a date within {period.name} ({period.start:%-d %b} – {period.end:%-d %b %Y})."
        if self.kind == self.Kind.METRIC:
            if self.start_value == self.target_value:
                errors["target_value"] = "The target must differ from the start, or there is nothing to measure."
            elif self.direction == self.Direction.INCREASE and self.target_value < self.start_value:
                errors["target_value"] = "To increase, the target must be above the start."
            elif self.direction == self.Direction.DECREASE and self.target_value > self.start_value:
                errors["target_value"] = "To decrease, the target must be below the start."
        if self.kind == self.Kind.PERCENT and not (0 <= self.current_value <= 100):
            errors["current_value"] = "A percentage is between 0 and 100."
        if errors:
            raise ValidationError(errors)


def with_issue_counts(key_results: QuerySet[KeyResult]) -> QuerySet[KeyResult]:
    """Annotate how many linked issues (and points) each KR has, and how many are closed;
    issues deleted or transferred away on GitHub do not count."""
    live = Q(issue_links__issue__deleted=False)
    closed = live & Q(issue_links__issue__state="closed")
    return key_results.annotate(
        issues_total=Count("issue_links", filter=live),
        issues_closed=Count("issue_links", filter=closed),
        points_total=Coalesce(Sum("issue_links__issue__points", filter=live), 0),
        points_closed=Coalesce(Sum("issue_links__issue__points", filter=closed), 0),
    )


class CheckIn(models.Model):
    """One update on a key result. Never edited or deleted: the history is kept forever."""

    key_result = models.ForeignKey(KeyResult, on_delete=models.CASCADE, related_name="check_ins")
    author = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="check_ins")
    value = models.DecimalField(max_digits=20, decimal_places=4, null=True, blank=True)
    done = models.BooleanField(null=True, blank=True)
    confidence = models.CharField(max_length=8, choices=KeyResult.Confidence.choices)
    note = models.TextField(blank=True, validators=[MaxLengthValidator(5_000)])
    created_at = models.DateTimeField()

    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["key_result", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.key_result} @ {self.created_at:%Y-%m-%d}"


# Roadmap: horizons whose items are delivered by quarterly key results.


class Horizon(Versioned):
    """A lane of the roadmap ("6 month", "3-year"); org-wide when it has no team."""

    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.CASCADE, related_name="horizons")
    name = models.CharField(max_length=60)
    target_date = models.DateField(null=True, blank=True)
    order = models.PositiveIntegerField(default=0)

    history = HistoricalRecords()

    class Meta:
        ordering = ["order", "pk"]
        constraints = [models.UniqueConstraint(fields=["team", "name"], name="unique_horizon_name")]

    def __str__(self) -> str:
        return self.name if self.team_id is None else f"{self.name} ({self.team})"


class RoadmapItem(Versioned):
    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        IN_PROGRESS = "in_progress", "In progress"
        DONE = "done", "Done"
        DROPPED = "dropped", "Dropped"

    class Commitment(models.TextChoices):
        CANDIDATE = "candidate", "Candidate"
        LIKELY = "likely", "Likely"
        COMMITTED = "committed", "Committed"

    class Health(models.TextChoices):
        ON_TRACK = "on_track", "On track"
        AT_RISK = "at_risk", "At risk"
        OFF_TRACK = "off_track", "Off track"

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="roadmap_items")
    horizon = models.ForeignKey(Horizon, on_delete=models.PROTECT, related_name="items")
    title = models.CharField(max_length=TITLE_MAX)
    description = models.TextField(blank=True, validators=[MaxLengthValidator(10_000)], help_text="Markdown.")
    owners = models.ManyToManyField(Person, blank=True, related_name="roadmap_items")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PLANNED)
    commitment = models.CharField(max_length=16, choices=Commitment.choices, default=Commitment.CANDIDATE)
    health = models.CharField(max_length=16, choices=Health.choices, default=Health.ON_TRACK)
    order = models.PositiveIntegerField(default=0)
    key_results = models.ManyToManyField(KeyResult, blank=True, related_name="roadmap_items")
    objectives = models.ManyToManyField(Objective, blank=True, related_name="roadmap_items")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(m2m_fields=[owners, key_results, objectives])

    class Meta:
        ordering = ["order", "pk"]
        indexes = [models.Index(fields=["team", "horizon", "order"])]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        if self.horizon_id and self.horizon.team_id not in (None, self.team_id):
            raise ValidationError({"horizon": "Pick one of this team's horizons or an org-wide one."})


class RoadmapSnapshot(models.Model):
    """A team's roadmap as it stood at a moment (e.g. a quarterly review), to compare with later.

    `items` holds one dict per item: id, title, horizon, status, commitment, health, progress.
    """

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="roadmap_snapshots")
    name = models.CharField(max_length=100)
    taken_at = models.DateTimeField()
    taken_by = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    items = models.JSONField(default=list)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-taken_at", "-pk"]
        get_latest_by = "taken_at"

    def __str__(self) -> str:
        return f"{self.team}: {self.name}"


class RoadmapShareLink(models.Model):
    """A secret link that shows one team's roadmap, read-only, without logging in.

    Only the SHA-256 of the token is stored; the link is shown once, when it is created.
    """

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="roadmap_share_links")
    label = models.CharField(max_length=100, blank=True)
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.team} roadmap link {self.label or self.pk}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
