from dataclasses import dataclass

from django import template
from django.utils import timezone

from integrations.forms import LinkIssuesForm, SavedSearchForm
from okrs.selectors import LinkedIssue

register = template.Library()


@dataclass(frozen=True)
class IssueRow:
    """A linked issue's row on a key result's page, as plain values (platformhub/fragments.py)."""

    link_pk: int
    reference: str
    url: str
    is_pull_request: bool
    title: str
    found_by_search: bool
    deleted: bool
    closed: bool
    assignees: str
    labels: tuple[str, ...]
    last_activity_iso: str
    last_activity: str
    can_link: bool


@register.simple_tag
def issue_row(issue: LinkedIssue, can_link: bool) -> IssueRow:
    """The row of a linked issue, with an Unlink button when `can_link`; its last activity is dated
    in the reader's time zone."""
    last_activity = timezone.localtime(issue.last_activity_at) if issue.last_activity_at else None
    return IssueRow(
        link_pk=issue.link_pk,
        reference=issue.reference,
        url=issue.url,
        is_pull_request=issue.is_pull_request,
        title=issue.title,
        found_by_search=issue.found_by_search,
        deleted=issue.deleted,
        closed=issue.is_closed,
        assignees=", ".join(str(login) for login in issue.assignees),
        labels=tuple(str(label) for label in issue.labels),
        last_activity_iso=last_activity.isoformat() if last_activity else "",
        last_activity=f"{last_activity:%-d %b %Y}" if last_activity else "",
        can_link=bool(can_link),
    )


@register.simple_tag
def empty_link_issues_form() -> LinkIssuesForm:
    return LinkIssuesForm()


@register.simple_tag
def empty_saved_search_form() -> SavedSearchForm:
    return SavedSearchForm()
