"""GitHub issues behind "Migrate postgres out of heroku", stored as if synced, so the demo
dashboard tells the story of No Heroku without a network."""

import datetime

from django.db import transaction

from integrations.models import GitHubIssue, IssueLink, points_from_labels
from okrs.models import KeyResult
from platformhub.models import Team

REPO = "posthog/posthog-cloud-infra"
ISSUES = [
    # number, title, closed on (None: open), assignees, labels, last activity
    (
        1402,
        "Provision RDS Postgres 14 in us-east-1 with Terraform",
        (10, 12),
        ["guidoiaquinti"],
        ["heroku-migration"],
        (10, 12),
    ),
    (
        1417,
        "Logical replication from Heroku Postgres to RDS",
        (10, 28),
        ["guidoiaquinti"],
        ["heroku-migration"],
        (10, 28),
    ),
    (1431, "Cut over the plugin-server database", (11, 4), ["danieljaramillo"], ["heroku-migration"], (11, 4)),
    (
        1448,
        "Cut over the main app database",
        (11, 25),
        ["danieljaramillo", "guidoiaquinti"],
        ["heroku-migration"],
        (11, 25),
    ),
    (
        1463,
        "Cut over the async migrations database",
        None,
        ["guidoiaquinti"],
        ["heroku-migration", "points:3"],
        (12, 20),
    ),
    (1470, "Shut down Heroku Postgres and delete its backups", None, [], ["heroku-migration", "blocked"], (11, 30)),
]


def _at(month_day: tuple[int, int] | None) -> datetime.datetime | None:
    if month_day is None:
        return None
    return datetime.datetime(2022, *month_day, 16, 0, tzinfo=datetime.UTC)


def load_platform_issues(platform: Team) -> bool:
    """Link the demo issues unless the KR already has linked issues."""
    key_result = KeyResult.objects.filter(objective__team=platform, title="Migrate postgres out of heroku").first()
    if key_result is None or IssueLink.objects.filter(key_result=key_result).exists():
        return False
    _create(key_result)
    return True


@transaction.atomic
def _create(key_result: KeyResult) -> None:
    for number, title, closed_on, assignees, labels, activity in ISSUES:
        issue, _ = GitHubIssue.objects.update_or_create(
            repo=REPO,
            number=number,
            defaults={
                "title": title,
                "state": GitHubIssue.State.CLOSED if closed_on else GitHubIssue.State.OPEN,
                "html_url": f"https://github.com/PostHog/posthog-cloud-infra/issues/{number}",
                "assignees": assignees,
                "labels": labels,
                "points": points_from_labels(labels),
                "opened_at": _at((10, 3)),
                "closed_at": _at(closed_on),
                "last_activity_at": _at(activity),
                "synced_at": _at((12, 31)),
            },
        )
        IssueLink.objects.create(issue=issue, key_result=key_result)
