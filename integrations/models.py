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

    history = HistoricalRecords()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["repo", "number"], name="unique_github_issue")]
        ordering = ["repo", "number"]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_blocked(self) -> bool:
        return any(label.lower() in BLOCKED_LABELS for label in self.labels)


BLOCKED_LABELS = {"blocked", "status: blocked", "status/blocked"}
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
