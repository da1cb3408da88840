"""Writes for linked issues: linking, applying what GitHub says (API or webhook), syncing."""

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from integrations.github import GitHubClient, GitHubError, RateLimited
from integrations.models import (
    GitHubIssue,
    IssueLink,
    SavedSearch,
    SyncRun,
    WebhookDelivery,
    has_blocked_label,
    points_from_labels,
)
from integrations.references import IssueReference, ReferenceError, parse_references
from okrs.models import KeyResult, TeamPeriod
from okrs.services import ensure_period_open
from platformhub.models import Person

# issues actions whose payload carries the issue as it now is
ISSUE_UPDATE_ACTIONS = {
    "opened",
    "edited",
    "closed",
    "reopened",
    "labeled",
    "unlabeled",
    "assigned",
    "unassigned",
    "milestoned",
    "demilestoned",
    "locked",
    "unlocked",
    "pinned",
    "unpinned",
}
ISSUE_ACTIONS = ISSUE_UPDATE_ACTIONS | {"deleted", "transferred"}
COMMENT_ACTIONS = {"created", "edited", "deleted"}


def _repo_from_url(url: str) -> str:
    """ "https://api.github.com/repos/Owner/Name/issues/1" → "owner/name"."""
    owner, _, rest = url.partition("/repos/")[2].partition("/")
    name = rest.partition("/")[0]
    if not owner or not name:
        raise ValueError(f"{url!r} names no repository.")
    return f"{owner}/{name}".lower()


MAX_ISSUE_NUMBER = 2**31 - 1  # GitHubIssue.number is a 32-bit integer on PostgreSQL; the same limit on SQLite
MAX_GITHUB_ID = 2**63 - 1  # GitHubIssue.github_id is a 64-bit integer
MAX_REPO_LENGTH = GitHubIssue._meta.get_field("repo").max_length


def github_time(value) -> datetime.datetime | None:
    """GitHub's ISO 8601 time with its offset as a datetime; None for anything else (a naive or
    impossible time, or one out of the range a database stores)."""
    if not isinstance(value, str):
        return None
    try:
        parsed = parse_datetime(value)
        if parsed is None or parsed.tzinfo is None:
            return None
        parsed.astimezone(datetime.UTC)
    except (ValueError, OverflowError):
        return None
    return parsed


def _is_whole(value, top: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= top


def _is_label(label) -> bool:
    return isinstance(label, str) or (isinstance(label, dict) and isinstance(label.get("name"), str))


# The fields of an issue object we read besides its url and number, what each must be, and how to say so.
ISSUE_FIELDS = {
    "id": (lambda value: _is_whole(value, MAX_GITHUB_ID), "a positive whole number"),
    "title": (lambda value: isinstance(value, str), "text"),
    "state": (lambda value: isinstance(value, str), "text"),
    "html_url": (lambda value: isinstance(value, str), "text"),
    "assignees": (
        lambda value: (
            isinstance(value, list)
            and all(isinstance(person, dict) and isinstance(person.get("login"), str) for person in value)
        ),
        "a list of users with their login",
    ),
    "labels": (
        lambda value: isinstance(value, list) and all(_is_label(label) for label in value),
        "a list of labels with their name",
    ),
    "milestone": (
        lambda value: isinstance(value, dict) and isinstance(value.get("title"), str),
        "a milestone with its title, or null",
    ),
    "created_at": (lambda value: github_time(value) is not None, "a time such as 2019-05-15T15:20:18Z, or null"),
    "updated_at": (lambda value: github_time(value) is not None, "a time such as 2019-05-15T15:20:18Z, or null"),
    "closed_at": (lambda value: github_time(value) is not None, "a time such as 2019-05-15T15:20:18Z, or null"),
}


def issue_problem(data, *, where: str) -> str | None:
    """What makes `data` (found at `where` in a delivery) unusable as an issue object, if anything;
    null counts as left out. The webhook refuses such a delivery: accepted, it would fail in the
    task, and GitHub does not send an acknowledged delivery again."""
    if not isinstance(data, dict):
        return f"{where} must be an issue object"
    url = data.get("url")
    try:
        repo = _repo_from_url(url) if isinstance(url, str) else ""
    except ValueError:
        repo = ""
    if not 0 < len(repo) <= MAX_REPO_LENGTH:
        return f"{where}.url must be the issue's API address (…/repos/owner/name/issues/number)"
    if not _is_whole(data.get("number"), MAX_ISSUE_NUMBER):
        return f"{where}.number must be a whole number from 1 to {MAX_ISSUE_NUMBER}"
    for name, (fits, shape) in ISSUE_FIELDS.items():
        if data.get(name) is not None and not fits(data[name]):
            return f"{where}.{name} must be {shape}"
    return None


def _fields_from_api(data: dict) -> dict:
    """The stored fields an issue object gives; a field the object leaves out (or a trimmed
    webhook payload leaves empty, or has the wrong shape) keeps what we had."""
    data = {
        name: value
        for name, value in data.items()
        if value is None or name not in ISSUE_FIELDS or ISSUE_FIELDS[name][0](value)
    }
    fields = {"deleted": False}
    if data.get("id"):
        fields["github_id"] = data["id"]
    if data.get("title"):
        fields["title"] = data["title"][:500]
    if data.get("state") in ("open", "closed"):
        fields["state"] = GitHubIssue.State.CLOSED if data["state"] == "closed" else GitHubIssue.State.OPEN
        fields["closed_at"] = github_time(data.get("closed_at")) if data["state"] == "closed" else None
    if isinstance(url := data.get("html_url"), str) and url.startswith(("https://", "http://")) and len(url) <= 500:
        fields["html_url"] = url  # shown as a link, so nothing but a web address is stored
        fields["is_pull_request"] = "pull_request" in data or "/pull/" in data["html_url"]
    if "assignees" in data and data.get("state"):
        fields["assignees"] = [person["login"] for person in data["assignees"] or []]
    if "labels" in data and data.get("state"):
        labels = [label["name"] if isinstance(label, dict) else label for label in data["labels"] or []]
        fields["labels"], fields["points"] = labels, points_from_labels(labels)
    if "milestone" in data and data.get("state"):
        fields["milestone"] = (data["milestone"] or {}).get("title", "")[:200]
    if opened := github_time(data.get("created_at")):
        fields["opened_at"] = opened
    if updated := github_time(data.get("updated_at")):
        fields["last_activity_at"] = updated
    return fields


def issue_apply(issue: GitHubIssue, data: dict, *, etag: str = "") -> bool:
    """Bring the stored issue in line with GitHub's issue object; returns whether anything changed.

    An object older than what we have (deliveries can arrive out of order) changes nothing."""
    fields = _fields_from_api(data)
    updated = github_time(data.get("updated_at"))
    if issue.pk and updated and issue.github_updated_at and updated < issue.github_updated_at:
        return False
    if updated:
        fields["github_updated_at"] = updated
    activity = fields.get("last_activity_at")
    if issue.last_activity_at and activity and activity < issue.last_activity_at:
        del fields["last_activity_at"]  # a comment may have come after the issue's last edit
    changed = [name for name, value in fields.items() if getattr(issue, name) != value]
    for name in changed:
        setattr(issue, name, fields[name])
    issue.etag, issue.synced_at = etag or issue.etag, timezone.now()
    if issue.pk is None:
        issue.save()
    elif changed:
        issue.save(update_fields=[*changed, "etag", "synced_at"])
    else:  # nothing people see changed: no history row for a sync that found nothing new
        GitHubIssue.objects.filter(pk=issue.pk).update(etag=issue.etag, synced_at=issue.synced_at)
    return bool(changed)


@transaction.atomic
def issue_upsert_from_payload(data: dict) -> GitHubIssue:
    """The issue a webhook or search result describes, created or updated."""
    repo = _repo_from_url(data["url"])
    issue = GitHubIssue.objects.select_for_update().filter(repo=repo, number=data["number"]).first()
    issue = issue or GitHubIssue(repo=repo, number=data["number"])
    issue_apply(issue, data)
    return issue


@dataclass
class LinkOutcome:
    linked: list[GitHubIssue] = field(default_factory=list)
    already_linked: list[IssueReference] = field(default_factory=list)
    errors: list[ReferenceError] = field(default_factory=list)


@transaction.atomic
def key_result_link_issues(*, key_result: KeyResult, text: str, added_by: Person | None) -> LinkOutcome:
    """Link every issue referenced in `text` to the KR. Good references are linked even when
    others on the list are bad; each bad one gets its own error."""
    objective = key_result.objective
    ensure_period_open(team=objective.team, period=objective.period)
    references, errors = parse_references(text)
    outcome = LinkOutcome(errors=errors)
    for reference in references:
        issue, _ = GitHubIssue.objects.get_or_create(repo=reference.repo, number=reference.number)
        _, created = IssueLink.objects.get_or_create(
            issue=issue, key_result=key_result, defaults={"added_by": added_by}
        )
        if created:
            outcome.linked.append(issue)
        else:
            outcome.already_linked.append(reference)
    return outcome


@transaction.atomic
def issue_link_remove(*, link: IssueLink) -> None:
    if link.key_result_id:
        objective = link.key_result.objective
        ensure_period_open(team=objective.team, period=objective.period)
    link.delete()


@transaction.atomic
def saved_search_add(*, key_result: KeyResult, query: str, created_by: Person | None) -> SavedSearch:
    ensure_period_open(team=key_result.objective.team, period=key_result.objective.period)
    search = SavedSearch(key_result=key_result, query=query.strip(), created_by=created_by)
    search.full_clean()
    search.save()
    return search


@transaction.atomic
def saved_search_remove(*, search: SavedSearch) -> None:
    """Stop the search; the issues it linked stay linked."""
    objective = search.key_result.objective
    ensure_period_open(team=objective.team, period=objective.period)
    search.delete()


def webhook_delivery_record(
    *, delivery_id: str, event: str, action: str, payload: dict, process: Callable[[int], object] | None = None
) -> tuple[WebhookDelivery, bool]:
    """Store a delivery; (delivery, False) when GitHub had delivered it already (a retry).

    `process(delivery_pk)`, when given, queues the delivery's work: a new delivery's in the same
    transaction as the delivery itself (the task backend keeps tasks in the database), so one
    commit, not two, acknowledges it and no delivery is ever stored without its task; a retry's
    when it has not been processed yet."""
    try:
        with transaction.atomic():
            delivery = WebhookDelivery.objects.create(
                delivery_id=delivery_id, event=event, action=action, payload=payload
            )
            if process is not None:
                process(delivery.pk)
            return delivery, True
    except IntegrityError:
        # Only the unique delivery id makes it a repeat; any other refusal is a real error.
        delivery = WebhookDelivery.objects.filter(delivery_id=delivery_id).first()
        if delivery is None:
            raise
        if process is not None and delivery.processed_at is None:
            process(delivery.pk)
        return delivery, False


@transaction.atomic
def webhook_delivery_process(*, delivery: WebhookDelivery) -> None:
    """Apply what a stored delivery says. Safe to run twice: a processed delivery is skipped."""
    delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery.pk)
    if delivery.processed_at is not None:
        return
    payload, action = delivery.payload, delivery.action
    if delivery.event == "issues":
        _apply_issues_event(action, payload)
    elif delivery.event == "issue_comment":
        issue = issue_upsert_from_payload(payload["issue"])
        comment_time = github_time(payload["comment"].get("updated_at")) or timezone.now()
        if action == "deleted":
            comment_time = timezone.now()
        if issue.last_activity_at is None or comment_time > issue.last_activity_at:
            issue.last_activity_at = comment_time
            issue.save(update_fields=["last_activity_at"])
    delivery.processed_at = timezone.now()
    delivery.save(update_fields=["processed_at"])


def _apply_issues_event(action: str, payload: dict) -> None:
    data = payload["issue"]
    if action in ISSUE_UPDATE_ACTIONS:
        issue_upsert_from_payload(data)
        return
    repo = _repo_from_url(data["url"])
    issue = GitHubIssue.objects.filter(repo=repo, number=data["number"]).first()
    if action == "deleted":
        if issue is not None:
            issue.deleted = True
            issue.save(update_fields=["deleted"])
    elif action == "transferred":
        new_issue = issue_upsert_from_payload(payload["changes"]["new_issue"])
        if issue is not None and issue.pk != new_issue.pk:
            _move_links(issue, new_issue)


def _move_links(old: GitHubIssue, new: GitHubIssue) -> None:
    """An issue moved (transferred to another repository): its links follow it, and the old
    address stops counting."""
    for link in old.links.all():
        target = {"key_result": link.key_result} if link.key_result_id else {"roadmap_item": link.roadmap_item}
        IssueLink.objects.get_or_create(issue=new, **target, defaults={"added_by": link.added_by})
    old.deleted = True
    old.save(update_fields=["deleted"])


def sync_linked_issues(*, client: GitHubClient, issues=None) -> SyncRun:
    """Refresh linked issues (all, or `issues`) and run every saved search. Errors are recorded
    on the run, never raised: a failed sync must not break anything that shows its result."""
    run = SyncRun.objects.create(started_at=timezone.now())
    errors: list[str] = []
    searches = [] if issues is not None else list(SavedSearch.objects.select_related("key_result__objective"))
    for search in searches:
        try:
            _run_search(client, search)
        except GitHubError as error:
            errors.append(f"Search “{search.query}”: {error}")
            search.last_error = str(error)
            search.save(update_fields=["last_error"])
    if issues is None:
        issues = GitHubIssue.objects.filter(links__isnull=False, deleted=False).distinct()
    for issue in issues:
        run.issues_checked += 1
        try:
            run.issues_changed += _refresh_issue(client, issue)
        except GitHubError as error:
            errors.append(f"{issue}: {error}")
            if isinstance(error, RateLimited):
                break  # every further request would be refused too; the next run carries on
    run.finished_at = timezone.now()
    run.error = "\n".join(errors[:20])
    run.save(update_fields=["issues_checked", "issues_changed", "finished_at", "error"])
    return run


INTERRUPTED = "Interrupted: the worker stopped during this sync, so it is being run again."


def sync_runs_close_interrupted(*, since: datetime.datetime) -> int:
    """Mark the runs a killed worker left unfinished, so the dashboard does not show them as the
    latest sync with no error."""
    return SyncRun.objects.filter(finished_at__isnull=True, started_at__gte=since).update(
        finished_at=timezone.now(), error=INTERRUPTED
    )


KEEP_IN_LINE_BATCH = 500  # ids per UPDATE: well under SQLite's limit on a statement's parameters


@transaction.atomic
def issues_keep_in_line() -> int:
    """Set every stored issue's `blocked_label` and `unassigned` from its labels and assignees.

    `save()` keeps them in line; this is for rows written without it (`loaddata` writes the
    columns a backup holds, and a backup made before they existed holds neither). It reads only
    the labels that mention "blocked" and updates only rows that are wrong; returns how many."""
    issues = GitHubIssue.objects
    changed = issues.filter(assignees=[], unassigned=False).update(unassigned=True)
    changed += issues.exclude(assignees=[]).filter(unassigned=True).update(unassigned=False)
    changed += issues.exclude(labels__icontains="blocked").filter(blocked_label=True).update(blocked_label=False)
    wrong: dict[bool, list[int]] = {True: [], False: []}
    mentions = issues.filter(labels__icontains="blocked").values_list("pk", "labels", "blocked_label")
    for pk, labels, stored in mentions.iterator(chunk_size=2000):
        if has_blocked_label(labels) != stored:
            wrong[not stored].append(pk)
    for value, ids in wrong.items():
        for start in range(0, len(ids), KEEP_IN_LINE_BATCH):
            changed += issues.filter(pk__in=ids[start : start + KEEP_IN_LINE_BATCH]).update(blocked_label=value)
    return changed


def _refresh_issue(client: GitHubClient, issue: GitHubIssue) -> int:
    response = client.get_issue(issue.repo, issue.number, etag=issue.etag)
    if response.status == 304:
        GitHubIssue.objects.filter(pk=issue.pk).update(synced_at=timezone.now())
        return 0
    if response.status in (404, 410):
        changed = not issue.deleted
        issue.deleted, issue.synced_at = True, timezone.now()
        issue.save(update_fields=["deleted", "synced_at"])
        return int(changed)
    with transaction.atomic():
        data = response.data
        if data.get("url") and (_repo_from_url(data["url"]), data.get("number")) != (issue.repo, issue.number):
            _move_links(issue, issue_upsert_from_payload(data))  # GitHub redirected: transferred
            return 1
        return int(issue_apply(issue, data, etag=response.etag))


def _run_search(client: GitHubClient, search: SavedSearch) -> None:
    objective = search.key_result.objective
    if TeamPeriod.objects.filter(team_id=objective.team_id, period_id=objective.period_id, closed_at__isnull=False):
        return  # a closed quarter's links stay as they were scored
    found = list(client.search_issues(search.query))
    with transaction.atomic():
        for data in found:
            issue = issue_upsert_from_payload(data)
            IssueLink.objects.get_or_create(
                issue=issue, key_result=search.key_result, defaults={"saved_search": search, "added_by": None}
            )
        search.last_synced_at, search.last_error = timezone.now(), ""
        search.save(update_fields=["last_synced_at", "last_error"])
