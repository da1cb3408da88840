"""GitHub issues linked to the plans that they deliver, kept current by sync and webhooks."""

import re

from django.db import models
from django.db.models import Q

from okrs.models import KeyResult, RoadmapItem
from platformhub.history_records import HistoricalRecords
from platformhub.models import Person


def issue_reference(repo: str, number: int) -> str:
    """ "owner/repo#123", as GitHub writes a reference (for pages that read issues as rows)."""
    return f"{repo}#{number}"


def issue_url(repo: str, number: int, html_url: str) -> str:
    """The issue's page on GitHub: the address GitHub gave, else the usual one."""
    return html_url or f"https://github.com/{repo}/issues/{number}"


class IssueFacts:
    """What an issue's repo, number, address and state say of it: shared by the model and the
    rows that pages read instead of it (needs `repo`, `number`, `html_url` and `state`)."""

    __slots__ = ()

    @property
    def reference(self) -> str:
        return issue_reference(self.repo, self.number)

    @property
    def url(self) -> str:
        return issue_url(self.repo, self.number, self.html_url)

    @property
    def is_closed(self) -> bool:
        return self.state == GitHubIssue.State.CLOSED


class KeptInLine(models.BooleanField):
    """A boolean worked out from other fields of its row (`derive(row)`) whenever the row is
    written: `save()` and `bulk_create()` both ask each field for its value through `pre_save`.
    It migrates as the BooleanField it is (`derive` is code, not schema)."""

    def __init__(self, *args, derive=None, **kwargs):
        self.derive = derive
        super().__init__(*args, **kwargs)

    def pre_save(self, model_instance, add):
        if self.derive is None:
            return super().pre_save(model_instance, add)
        value = self.derive(model_instance)
        setattr(model_instance, self.attname, value)
        return value

    def deconstruct(self):
        name, _, args, kwargs = super().deconstruct()
        return name, "django.db.models.BooleanField", args, kwargs


class GitHubIssue(IssueFacts, models.Model):
    """A GitHub issue or pull request as last seen through the API or a webhook."""

    class State(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    repo = models.CharField(max_length=200, help_text="owner/name, lower case")
    number = models.PositiveIntegerField()
    github_id = models.BigIntegerField(null=True, blank=True)
    is_pull_request = models.BooleanField(default=False)
    title = models.CharField(max_length=500, blank=True)
    state = models.CharField(max_length=8, choices=State.choices, default=State.OPEN)
    html_url = models.URLField(max_length=500, blank=True)
    assignees = models.JSONField(default=list, blank=True)
    labels = models.JSONField(default=list, blank=True)
    milestone = models.CharField(max_length=200, blank=True)
    points = models.PositiveIntegerField(default=1, help_text="From a points label (e.g. points:3); 1 without one.")
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    last_activity_at = models.DateTimeField(null=True, blank=True)
    github_updated_at = models.DateTimeField(
        null=True, blank=True, help_text="GitHub's updated_at of the version stored, to ignore older deliveries."
    )
    deleted = models.BooleanField(default=False, help_text="Deleted or transferred away on GitHub.")
    etag = models.CharField(max_length=200, blank=True)
    synced_at = models.DateTimeField(null=True, blank=True)
    # What the dashboard counts in SQL, kept with the labels and assignees: reading their JSON for
    # every linked issue cost PostgreSQL more than the rest of the dashboard's queries together.
    blocked_label = KeptInLine(
        default=False,
        editable=False,
        derive=lambda issue: has_blocked_label(issue.labels),
        help_text="A blocked label.",
    )
    unassigned = KeptInLine(
        default=True, editable=False, derive=lambda issue: not issue.assignees, help_text="Nobody assigned."
    )

    history = HistoricalRecords(excluded_fields=["blocked_label", "unassigned"])

    class Meta:
        constraints = [models.UniqueConstraint(fields=["repo", "number"], name="unique_github_issue")]
        ordering = ["repo", "number"]

    def __str__(self) -> str:
        return self.reference

    KEPT_IN_LINE_WITH = {"labels": "blocked_label", "assignees": "unassigned"}

    def save(self, *args, update_fields=None, **kwargs):
        """Saving the labels saves whether one is a blocked label; saving the assignees, whether
        there are none."""
        if update_fields is not None:
            update_fields = set(update_fields)
            update_fields |= {kept for source, kept in self.KEPT_IN_LINE_WITH.items() if source in update_fields}
        super().save(*args, update_fields=update_fields, **kwargs)

    @property
    def is_blocked(self) -> bool:
        return has_blocked_label(self.labels)


BLOCKED_LABELS = {"blocked", "status: blocked", "status/blocked"}


def has_blocked_label(labels: list[str]) -> bool:
    """Whether one of the labels is a blocked label, in any case."""
    return any(str(label).lower() in BLOCKED_LABELS for label in labels)


POINTS_LABEL = re.compile(r"^(?:points?|estimate|size)[:/ ]\s*(\d{1,3})$", re.IGNORECASE)


def points_from_labels(labels: list[str]) -> int:
    """The number in a points label such as "points:3" or "size/5"; 1 when there is none."""
    for label in labels:
        if match := POINTS_LABEL.match(label.strip()):
            return max(int(match.group(1)), 0)
    return 1


class SavedSearch(models.Model):
    """A GitHub search whose results are linked to a key result at every sync."""

    key_result = models.ForeignKey(KeyResult, on_delete=models.CASCADE, related_name="saved_searches")
    query = models.CharField(max_length=500)
    created_by = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    history = HistoricalRecords()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key_result", "query"], name="unique_saved_search")]

    def __str__(self) -> str:
        return self.query


class IssueLink(models.Model):
    """Ties a GitHub issue to the plan it delivers: a key result or a roadmap item (cards later)."""

    issue = models.ForeignKey(GitHubIssue, on_delete=models.CASCADE, related_name="links")
    key_result = models.ForeignKey(
        KeyResult, null=True, blank=True, on_delete=models.CASCADE, related_name="issue_links"
    )
    roadmap_item = models.ForeignKey(
        RoadmapItem, null=True, blank=True, on_delete=models.CASCADE, related_name="issue_links"
    )
    saved_search = models.ForeignKey(
        SavedSearch, null=True, blank=True, on_delete=models.SET_NULL, related_name="links"
    )
    added_by = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    added_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(key_result__isnull=False, roadmap_item__isnull=True)
                | Q(key_result__isnull=True, roadmap_item__isnull=False),
                name="issue_link_has_one_target",
            ),
            models.UniqueConstraint(
                fields=["issue", "key_result"], condition=Q(key_result__isnull=False), name="unique_kr_issue_link"
            ),
            models.UniqueConstraint(
                fields=["issue", "roadmap_item"],
                condition=Q(roadmap_item__isnull=False),
                name="unique_roadmap_issue_link",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.issue} → {self.key_result or self.roadmap_item}"


class WebhookDelivery(models.Model):
    """Every delivery GitHub sent, kept to ignore repeats and to replay or debug."""

    delivery_id = models.CharField(max_length=100, unique=True)
    event = models.CharField(max_length=50)
    action = models.CharField(max_length=50, blank=True)
    payload = models.JSONField()
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-received_at"]
        verbose_name_plural = "webhook deliveries"

    def __str__(self) -> str:
        return f"{self.event}.{self.action} {self.delivery_id}"


class SyncRun(models.Model):
    """One sync of linked issues with GitHub: when it ran, what it did, and what went wrong."""

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    issues_checked = models.PositiveIntegerField(default=0)
    issues_changed = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]
        get_latest_by = "started_at"

    def __str__(self) -> str:
        return f"Sync at {self.started_at:%Y-%m-%d %H:%M}"
