"""Reads for linked issues: a KR's issues, and the dashboard of every KR and its work."""

import datetime
from dataclasses import dataclass, field

from django.contrib.auth.models import User
from django.db.models import Prefetch

from integrations.forms import LinkIssuesForm, SavedSearchForm
from integrations.models import GitHubIssue, IssueLink, SyncRun
from okrs.models import KeyResult, Period
from okrs.progress import Status, key_result_state
from okrs.selectors import team_period_is_closed, with_issue_counts
from platformhub.models import Team

STALE_AFTER = datetime.timedelta(days=14)
RECENTLY = datetime.timedelta(days=7)


def latest_sync() -> SyncRun | None:
    return SyncRun.objects.order_by("-started_at").first()


def linked_issues_context(*, user: User, key_result: KeyResult) -> dict:
    """What the "Linked issues" part of a KR page shows; `key_result` comes from
    `okrs.selectors.key_result_for_page`, with its links and searches prefetched."""
    objective = key_result.objective
    closed = team_period_is_closed(team=objective.team, period=objective.period)
    links = list(key_result.issue_links.all())
    last_sync = latest_sync()
    return {
        "key_result": key_result,
        "links": links,
        "searches": list(key_result.saved_searches.all()),
        "can_link": user.has_perm("okrs.check_in", key_result) and not closed,
        "link_form": LinkIssuesForm(),
        "search_form": SavedSearchForm(),
        "last_sync": last_sync,
        "sync_errors": sync_errors_for(last_sync, links),
    }


def sync_errors_for(run: SyncRun | None, links: list[IssueLink]) -> list[str]:
    """The lines of a sync's error that are about these issues ("octo/app#1: GitHub answered 500")."""
    if run is None or not run.error:
        return []
    references = {str(link.issue) for link in links}
    return [line for line in run.error.splitlines() if line.partition(": ")[0] in references]


@dataclass
class KeyResultWork:
    """A KR of the quarter with the GitHub work that delivers it, sorted out for the dashboard."""

    key_result: KeyResult
    issues: list[GitHubIssue]
    now: datetime.datetime
    open: list[GitHubIssue] = field(init=False)
    closed: list[GitHubIssue] = field(init=False)

    def __post_init__(self):
        live = [issue for issue in self.issues if not issue.deleted]
        self.open = [issue for issue in live if not issue.is_closed]
        self.closed = [issue for issue in live if issue.is_closed]

    @property
    def recently_closed(self) -> list[GitHubIssue]:
        cutoff = self.now - RECENTLY
        recent = [issue for issue in self.closed if issue.closed_at and issue.closed_at >= cutoff]
        return sorted(recent, key=lambda issue: issue.closed_at, reverse=True)

    @property
    def stale(self) -> list[GitHubIssue]:
        cutoff = self.now - STALE_AFTER
        return [issue for issue in self.open if issue.last_activity_at is None or issue.last_activity_at < cutoff]

    @property
    def unassigned(self) -> list[GitHubIssue]:
        return [issue for issue in self.open if not issue.assignees]

    @property
    def blocked(self) -> list[GitHubIssue]:
        return [issue for issue in self.open if issue.is_blocked]

    @property
    def has_work(self) -> bool:
        return bool(self.issues)


@dataclass
class Dashboard:
    period: Period
    team: Team | None
    status: str | None
    work: list[KeyResultWork]
    last_sync: SyncRun | None

    @property
    def without_work(self) -> list[KeyResultWork]:
        return [entry for entry in self.work if not entry.has_work]

    @property
    def totals(self) -> dict[str, int]:
        return {
            "key_results": len(self.work),
            "open": sum(len(entry.open) for entry in self.work),
            "closed": sum(len(entry.closed) for entry in self.work),
            "stale": sum(len(entry.stale) for entry in self.work),
            "blocked": sum(len(entry.blocked) for entry in self.work),
            "without_work": len(self.without_work),
        }


def dashboard(
    *, teams: list[Team], team: Team | None, period: Period, status: str | None, now: datetime.datetime
) -> Dashboard:
    """Every KR of the quarter in `teams` (or `team` and its sub-teams), with its linked issues."""
    team_ids = [t.pk for t in teams if team is None or t.pk == team.pk or t.parent_id == team.pk]
    key_results = (
        with_issue_counts(KeyResult.objects.all())
        .filter(objective__team_id__in=team_ids, objective__period_id=period.pk, objective__archived=False)
        .select_related("objective__team", "objective__period")
        .prefetch_related(
            "owners",
            Prefetch(
                "issue_links",
                queryset=IssueLink.objects.select_related("issue").order_by("issue__number", "issue__repo", "pk"),
            ),
        )
        .order_by("objective__team__name", "objective__order", "objective__pk", "order", "pk")
    )
    work = []
    for key_result in key_results:
        key_result.state = key_result_state(key_result, now)
        if status and key_result.state.status != status:
            continue
        work.append(KeyResultWork(key_result, [link.issue for link in key_result.issue_links.all()], now))
    return Dashboard(period=period, team=team, status=status, work=work, last_sync=latest_sync())


STATUS_CHOICES = [(status.value, status.label) for status in Status]
