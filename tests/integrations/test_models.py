"""An issue's blocked label and nobody assigned are columns (the dashboard counts them in SQL),
kept in line with its labels and assignees by save() and bulk_create(), by the migration that
added them, and by `issues_keep_in_line()` for rows written without the model (a restore)."""

import importlib

import pytest
from django.apps import apps

from integrations.models import GitHubIssue
from integrations.services import issues_keep_in_line

keep_in_line = importlib.import_module("integrations.migrations.0003_issue_blocked_label_and_unassigned").keep_in_line


def _flags(issue: GitHubIssue) -> tuple[bool, bool]:
    issue.refresh_from_db(fields=["blocked_label", "unassigned"])
    return issue.blocked_label, issue.unassigned


@pytest.mark.django_db
def test_a_created_issue_has_its_flags_from_its_labels_and_assignees():
    blocked = GitHubIssue.objects.create(repo="posthog/posthog", number=1, labels=["bug", "Status: Blocked"])
    assigned = GitHubIssue.objects.create(repo="posthog/posthog", number=2, labels=["blocked-ish"], assignees=["tim"])
    assert _flags(blocked) == (True, True)
    assert _flags(assigned) == (False, False)


@pytest.mark.django_db
def test_saving_the_labels_or_assignees_alone_saves_the_flags_with_them():
    issue = GitHubIssue.objects.create(repo="posthog/posthog", number=1)
    issue.labels = ["STATUS/BLOCKED"]
    issue.save(update_fields=["labels"])
    assert _flags(issue) == (True, True)
    issue.assignees = ["tim"]
    issue.save(update_fields=["assignees"])
    assert _flags(issue) == (True, False)
    issue.labels, issue.assignees = [], []
    issue.save()
    assert _flags(issue) == (False, True)


@pytest.mark.django_db
def test_issues_created_in_bulk_have_their_flags():
    GitHubIssue.objects.bulk_create(
        [
            GitHubIssue(repo="posthog/posthog", number=1, labels=["Blocked"], assignees=["tim"]),
            GitHubIssue(repo="posthog/posthog", number=2, labels=["points:3"]),
        ]
    )
    assert list(GitHubIssue.objects.order_by("number").values_list("blocked_label", "unassigned")) == [
        (True, False),
        (False, True),
    ]


@pytest.mark.django_db
def test_the_migration_works_them_out_for_the_issues_already_stored():
    GitHubIssue.objects.bulk_create(
        GitHubIssue(
            repo="posthog/posthog",
            number=number,
            labels=["blocked"] if number % 2 else ["blocked-ish"],
            assignees=["tim"] if number % 3 == 0 else [],
        )
        for number in range(1, 1202)
    )
    GitHubIssue.objects.update(blocked_label=False, unassigned=True)  # as the columns are added

    keep_in_line(apps, None)

    assert GitHubIssue.objects.filter(blocked_label=True).count() == 601
    assert GitHubIssue.objects.filter(unassigned=True).count() == 801


@pytest.mark.django_db
def test_keeping_in_line_corrects_only_the_issues_written_wrong():
    GitHubIssue.objects.bulk_create(
        [
            GitHubIssue(repo="posthog/posthog", number=1, labels=["Blocked"], assignees=["tim"]),
            GitHubIssue(repo="posthog/posthog", number=2, labels=["not blocked"]),
            GitHubIssue(repo="posthog/posthog", number=3, labels=["bug"], assignees=["tim"]),
            GitHubIssue(repo="posthog/posthog", number=4, labels=["status/blocked"]),
        ]
    )
    GitHubIssue.objects.filter(number__in=[1, 2]).update(blocked_label=False, unassigned=False)
    GitHubIssue.objects.filter(number=3).update(blocked_label=True, unassigned=True)

    assert issues_keep_in_line() == 4
    assert list(GitHubIssue.objects.order_by("number").values_list("blocked_label", "unassigned")) == [
        (True, False),
        (False, True),
        (False, False),
        (True, True),
    ]
    assert issues_keep_in_line() == 0
