"""Reads for linked issues: a KR's issues, and the dashboard of every KR and its work."""

import datetime
import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from decimal import Decimal

from django.contrib.auth.models import User
from django.db import connection
from django.db.models import F, QuerySet
from django.urls import reverse
from django.utils import timezone

from integrations.models import GitHubIssue, IssueLink, SyncRun, issue_reference, issue_url
from okrs.models import KeyResult, Objective, Period
from okrs.progress import KeyResultState, Status, key_result_state
from okrs.selectors import (
    LinkedIssue,
    default_period_among,
    parse_quarter,
    period_find,
    planned_quarters,
    readable_root_ids,
    team_period_is_closed,
    teams_in_trees,
)
from platformhub.keyset import MAX_PAGE_SIZE, KeysetPage, first_page, first_page_query, keyset_page
from platformhub.models import Team
from platformhub.permissions import access_for
from platformhub.prepared import prepared

STALE_AFTER = datetime.timedelta(days=14)
RECENTLY = datetime.timedelta(days=7)


def latest_sync() -> SyncRun | None:
    latest = _latest_sync()
    return latest[0] if latest else None


@prepared
def _latest_sync() -> QuerySet[SyncRun]:
    return SyncRun.objects.order_by("-started_at")[:1]


def linked_issues_context(*, user: User, key_result: KeyResult) -> dict:
    """What the "Linked issues" part of a KR page shows; `key_result` comes from
    `okrs.selectors.key_result_for_page`, with its links and searches prefetched."""
    objective = key_result.objective
    closed = team_period_is_closed(team=objective.team, period=objective.period)
    links = key_result.linked_issues
    last_sync = latest_sync()
    return {
        "key_result": key_result,
        "links": links,
        "searches": list(key_result.saved_searches.all()),
        "can_link": user.has_perm("okrs.check_in", key_result) and not closed,
        "link_form": None,  # a refused one, with what was typed; else the empty one is drawn from memory
        "search_form": None,
        "last_sync": last_sync,
        "sync_errors": sync_errors_for(last_sync, links),
    }


def sync_errors_for(run: SyncRun | None, links: list[LinkedIssue]) -> list[str]:
    """The lines of a sync's error that are about these issues ("octo/app#1: GitHub answered 500")."""
    if run is None or not run.error:
        return []
    references = {link.reference for link in links}
    return [line for line in run.error.splitlines() if line.partition(": ")[0] in references]


# The dashboard: every KR of the quarter with the GitHub work that delivers it, a page at a time.

PAGE_SIZE = 25  # key results a page; 25 cards with their issue lists stay well under 100 KiB
SCAN_SIZE = MAX_PAGE_SIZE  # key results looked through a page when filtering by status
LISTED = 3  # issues named per list (recently closed, blocked, stale) on a card; the KR page has the rest
TITLE_CHARS = 80
ORDERING = ("objective__team__name", "objective__order", "objective__pk", "order", "pk")


@dataclass(frozen=True, slots=True)
class IssueLine:
    reference: str
    url: str
    title: str


@dataclass(frozen=True, slots=True)
class WorkCounts:
    """A KR's linked issues counted: `links` every link; the rest leave out issues deleted or
    transferred away on GitHub, as `okrs.models.with_issue_counts` does. Stale: open and 14
    days quiet."""

    links: int = 0
    issues_total: int = 0
    issues_closed: int = 0
    points_total: int = 0
    points_closed: int = 0
    open: int = 0
    stale: int = 0
    unassigned: int = 0
    blocked: int = 0


@dataclass(frozen=True, slots=True)
class CardObjective:
    """A key result's objective, as much as its dashboard card and `okrs.progress` read."""

    title: str
    period: Period


_NO_WORK = WorkCounts()


@dataclass(slots=True)
class CardKeyResult:
    """A key result as its dashboard card and `okrs.progress` read it, made of the plain values
    one query gives (read as models with their objectives, a page of them took twice as long).
    `_set_counts` gives it its linked issues counted and its state."""

    pk: int
    title: str
    kind: str
    unit: str
    start_value: Decimal | None
    target_value: Decimal | None
    current_value: Decimal | None
    is_done: bool
    weight_by_points: bool
    due_date: datetime.date
    confidence: str
    last_check_in_at: datetime.datetime | None
    created_at: datetime.datetime
    team_name: str
    team_id: int
    objective: CardObjective
    counts: WorkCounts = _NO_WORK
    issues_total: int = 0
    issues_closed: int = 0
    points_total: int = 0
    points_closed: int = 0
    state: KeyResultState | None = None


@dataclass(slots=True)
class KeyResultWork:
    """A KR of the quarter with the GitHub work that delivers it: its state, its linked issues
    counted, and a few of them by name."""

    key_result: CardKeyResult
    url: str
    state: KeyResultState
    counts: WorkCounts
    recently_closed: list[IssueLine] = field(default_factory=list)
    blocked_issues: list[IssueLine] = field(default_factory=list)
    stale_issues: list[IssueLine] = field(default_factory=list)  # stale and not blocked


@dataclass(frozen=True)
class Totals:
    """The tiles. `of_page`: the sums of the key results on the page shown (every team of a big
    org would mean reading every linked issue of the quarter), else of the whole selection."""

    of_page: bool
    key_results: int
    open: int
    closed: int
    stale: int
    blocked: int
    without_work: int


@dataclass(frozen=True)
class KeyResultReads:
    """What a page of key results without a status filter is worked out from, as three queries
    read it: the keyset page of the key results' rows (`_ROW_FIELDS`, as tuples), the linked
    issues counted (`_COUNTS_SQL`: of the page's key results, or of the whole team tree for its
    tiles when `bounded`) and the issues named (`_ISSUES_SQL`). Plain values only, so that a page
    drawn from them is remembered under them (`Dashboard.source`)."""

    page: KeysetPage[tuple]
    counts: tuple[tuple, ...]
    names: tuple[tuple, ...]
    bounded: bool


@dataclass
class Dashboard:
    team: Team | dict | None  # a Team, or one of `_dashboard_teams`' rows when chosen in the filter
    team_choices: list[tuple[str, str, bool]]  # (slug, label, selected)
    quarter_choices: list[tuple[str, str, bool]]  # (slug, name, selected)
    status_choices: list[tuple[str, str, bool]]  # (value, label, selected)
    period: Period
    status: Status | None
    last_sync: SyncRun | None
    page_size: int
    scan_size: int
    now: datetime.datetime
    reads: KeyResultReads | None = None  # without a status filter: what the page is worked out from
    filtered: tuple[KeysetPage[KeyResultWork], Totals] | None = None  # with one: the page and tiles

    @functools.cached_property
    def _worked_out(self) -> tuple[KeysetPage[KeyResultWork], Totals]:
        return self.filtered or _work_out(self.reads, period=self.period, now=self.now)

    @property
    def page(self) -> KeysetPage[KeyResultWork]:
        """The page of key results with their work: worked out when first asked for, which a
        page drawn from memory never does (`source`)."""
        return self._worked_out[0]

    @property
    def totals(self) -> Totals:
        return self._worked_out[1]

    @property
    def source(self) -> tuple | None:
        """Everything the page shows is a function of, as plain values: what was read and the
        minute it is judged at; None with a status filter (the filter works the page out to choose
        what it shows). What the page says of the last sync is judged against the clock and
        comes on its own (`okrs.templatetags.okrs.dashboard_body`)."""
        if self.reads is None:
            return None
        period = self.period
        return (
            self.reads,
            self.now,
            (period.year, period.quarter, period.start, period.end),
            self.team_name,
            self.team_is_top_level,
            tuple(self.team_choices),
            tuple(self.quarter_choices),
            tuple(self.status_choices),
            (self.last_sync.started_at, self.last_sync.error) if self.last_sync else None,
            self.page_size,
            self.scan_size,
        )

    @property
    def team_name(self) -> str:
        """The shown team's name; "" for every team the reader reads."""
        return _team_value(self.team, "name") or ""

    @property
    def team_is_top_level(self) -> bool:
        """Whether a team is shown and has no parent (so its sub-teams are counted with it)."""
        return self.team is not None and _team_value(self.team, "parent_id") is None


def dashboard(
    *,
    user: User,
    team: Team | None,
    team_slug: str,
    quarter: str,
    status: str,
    after: str | None,
    before: str | None,
    now: datetime.datetime,
) -> Dashboard:
    """The dashboard for `user`: `team` (from the address) or the team chosen in the filter
    (`team_slug`, ignored unless the user reads it) and its sub-teams, or every team the user
    reads; the quarter asked for ("2022-q4") or the default one; the status asked for, if any
    (anything else is ignored); the page of key results after or before a cursor."""
    teams = _dashboard_teams(user)
    if team is None and team_slug:
        team = next((option for option in teams if option["slug"] == team_slug), None)
    access = access_for(user)
    whole_org = access.is_staff or access.is_org_viewer
    team_ids = _dashboard_tree_ids(teams=teams, team=team, whole_org=whole_org)
    period, quarter_choices = _dashboard_quarters(quarter=quarter, team_ids=team_ids, today=timezone.localdate(now))
    known = Status(status) if status in STATUS_VALUES else None
    if known is None:
        reads, filtered = _key_result_reads(team_ids=team_ids, period=period, now=now, after=after, before=before), None
    else:
        reads = None
        filtered = _filtered_page(team_ids=team_ids, period=period, status=known, now=now, after=after, before=before)
    return Dashboard(
        team=team,
        team_choices=_dashboard_team_choices(teams=teams, team=team, whole_org=whole_org),
        quarter_choices=quarter_choices,
        status_choices=[(value, label, value == known) for value, label in STATUS_CHOICES],
        period=period,
        status=known,
        last_sync=latest_sync(),
        page_size=PAGE_SIZE,
        scan_size=SCAN_SIZE,
        now=now,
        reads=reads,
        filtered=filtered,
    )


def _dashboard_teams(user: User) -> list[dict]:
    """The teams the user may read, as light rows (pk, slug, name, parent_id), by name."""
    return _team_rows(root_ids=readable_root_ids(user))


@prepared
def _team_rows(*, root_ids: list[int] | None) -> QuerySet[Team]:
    return teams_in_trees(root_ids).values("pk", "slug", "name", "parent_id")


def _dashboard_team_choices(
    *, teams: list[dict], team: Team | dict | None, whole_org: bool
) -> list[tuple[str, str, bool]]:
    """The team filter's options: each top-level team followed by its sub-teams; for a reader
    of the whole org only the chosen team's tree has its sub-teams listed (a select of hundreds
    of sub-teams would outweigh the page, and picking the parent first lists them)."""
    chosen = _team_value(team, "pk")
    root = _team_value(team, "parent_id") or chosen
    top_level = {option["pk"] for option in teams if option["parent_id"] is None}
    sub_teams: dict[int, list[dict]] = {}
    for option in teams:
        if option["parent_id"] in top_level and (not whole_org or option["parent_id"] == root):
            sub_teams.setdefault(option["parent_id"], []).append(option)
    choices = []
    for option in teams:
        if option["parent_id"] in top_level:
            continue  # listed under its parent
        choices.append((option["slug"], option["name"], option["pk"] == chosen))
        choices.extend(
            (sub["slug"], f"— {sub['name']}", sub["pk"] == chosen) for sub in sub_teams.get(option["pk"], [])
        )
    return choices


def _team_value(team: Team | dict | None, name: str) -> int | str | None:
    """`team.pk`, `.parent_id` or `.name` of a Team or of one of `_dashboard_teams`' rows."""
    if team is None:
        return None
    return team[name] if isinstance(team, dict) else getattr(team, name)


def _dashboard_quarters(
    *, quarter: str, team_ids: list[int] | None, today: datetime.date
) -> tuple[Period, list[tuple[str, str, bool]]]:
    """The quarter shown, the one asked for ("2022-q4") or else `default_period`'s, and the quarter
    filter's options: the quarters anything was planned in, latest first, with the one shown
    selected (and listed last when nothing was planned in it). Both from one query; the options
    built here, not by a template loop, as the teams' are."""
    year, number = Period.quarter_of(today)
    quarters = planned_quarters(team_ids=team_ids, year=year, quarter=number)
    if parsed := parse_quarter(quarter):
        asked = next((period for period in quarters if (period.year, period.quarter) == parsed), None)
        period = asked or period_find(*parsed)
    else:
        period = default_period_among(quarters, today=today)
    choices = [(option.slug, option.name, option.pk == period.pk) for option in quarters if option.used]
    if not any(selected for _, _, selected in choices):
        choices.append((period.slug, period.name, True))
    return period, choices


def _dashboard_tree_ids(*, teams: list[dict], team: Team | dict | None, whole_org: bool) -> list[int] | None:
    """The teams on the dashboard: `team` and its sub-teams, or every team the reader reads
    (None when that is the whole org, so that no list of every team is sent to the database)."""
    if team is None:
        return None if whole_org else [option["pk"] for option in teams]
    chosen = _team_value(team, "pk")
    return [option["pk"] for option in teams if chosen in (option["pk"], option["parent_id"])]


def _key_result_reads(
    *, team_ids: list[int] | None, period: Period, now: datetime.datetime, after: str | None, before: str | None
) -> KeyResultReads:
    """A page of the quarter's KRs in the teams `team_ids` (None: every team), in team, objective
    and KR order, after or before a cursor, with their linked issues counted and a few named.

    The tiles sum the whole selection when it is bounded (a team tree, or the trees of a reader
    who is not an org-wide viewer): its KRs' issues are counted anyway, in the same query as the
    page's. For the whole org they sum the page, and say so: counting every linked issue of the
    quarter on every request is what this page must not do at the scale of hundreds of teams."""
    read = _read_rows(team_ids=team_ids, period=period, size=PAGE_SIZE, after=after, before=before)
    page = replace(read, items=tuple(tuple(row[name] for name in _ROW_FIELDS) for row in read))
    ids = [row[0] for row in page]
    return KeyResultReads(
        page=page,
        counts=tuple(_count_rows(team_ids=team_ids, period_id=period.pk, now=now, ids=ids)),
        names=tuple(_run(_ISSUES_SQL, now, ids=ids)),
        bounded=team_ids is not None,
    )


def _read_rows(
    *, team_ids: list[int] | None, period: Period, size: int, after: str | None, before: str | None
) -> KeysetPage[dict]:
    if after or before:
        rows = _displayed(team_ids=team_ids, period_id=period.pk)
        return keyset_page(rows, ordering=ORDERING, size=size, after=after, before=before)
    return first_page(_first_rows(team_ids=team_ids, period_id=period.pk, size=size), ordering=ORDERING, size=size)


def _work_out(
    reads: KeyResultReads, *, period: Period, now: datetime.datetime
) -> tuple[KeysetPage[KeyResultWork], Totals]:
    """The page and tiles `reads` make: each KR with its state, its issues counted and named."""
    counts = _counted(reads.counts)
    key_results = [_card_key_result(dict(zip(_ROW_FIELDS, row, strict=True)), period) for row in reads.page]
    for key_result in key_results:
        _set_counts(key_result, counts.get(key_result.pk, _NO_WORK), now)
    work = _work_of_each(key_results)
    _named(work, reads.names)
    totals = _totals(counts.values() if reads.bounded else [entry.counts for entry in work], of_page=not reads.bounded)
    return replace(reads.page, items=work), totals


def _filtered_page(
    *,
    team_ids: list[int] | None,
    period: Period,
    status: Status,
    now: datetime.datetime,
    after: str | None,
    before: str | None,
) -> tuple[KeysetPage[KeyResultWork], Totals]:
    """`_key_result_reads`' page and tiles worked out, of the KRs with `status` only.

    Status comes from `okrs.progress` (progress, pace, confidence), which SQL cannot repeat
    without a second definition of it; so a status filter looks through the next SCAN_SIZE
    key results (one keyset page, with their issues counted but none loaded) and shows those
    that match, PAGE_SIZE at most; "Next" looks further. Every request reads a bounded number
    of rows, in the same number of queries."""
    read = _read_rows(team_ids=team_ids, period=period, size=SCAN_SIZE, after=after, before=before)
    read = replace(read, items=[_card_key_result(row, period) for row in read])
    bounded = team_ids is not None
    counts = _counted(_count_rows(team_ids=team_ids, period_id=period.pk, now=now, ids=[kr.pk for kr in read]))
    for key_result in read:
        _set_counts(key_result, counts.get(key_result.pk, _NO_WORK), now)
    rows = _displayed(team_ids=team_ids, period_id=period.pk)
    page = _matching_page(rows, read, status=status, after=after, before=before)
    work = _work_of_each(page)
    _named(work, _run(_ISSUES_SQL, now, ids=[entry.key_result.pk for entry in work]))
    totals = _totals(counts.values() if bounded else [entry.counts for entry in work], of_page=not bounded)
    return replace(page, items=work), totals


# Fields a dashboard card and `okrs.progress` read; everything else (score comments, the
# objective's why) stays in the database. The objective's title and the team's name come as
# `objective_title` and `team_name`, without the rest of them (a team's guidelines can be 20,000
# characters).
_DISPLAYED = (
    "pk",
    "title",
    "kind",
    "unit",
    "start_value",
    "target_value",
    "current_value",
    "is_done",
    "weight_by_points",
    "due_date",
    "confidence",
    "last_check_in_at",
    "created_at",
)
_CARD_FIELDS = (*_DISPLAYED, "team_name", "team_id")
_ROW_FIELDS = (*_CARD_FIELDS, "objective_title")  # a row of `KeyResultReads`


def _key_results_in(*, team_ids: list[int] | None, period_id: int) -> QuerySet[KeyResult]:
    key_results = KeyResult.objects.filter(objective__period_id=period_id, objective__archived=False)
    if team_ids is not None:
        key_results = key_results.filter(objective__team_id__in=team_ids)
    return key_results


def _displayed(*, team_ids: list[int] | None, period_id: int) -> QuerySet[dict]:
    """The key results with what a dashboard card shows of them, as values."""
    return _key_results_in(team_ids=team_ids, period_id=period_id).values(
        *_DISPLAYED,
        objective_title=F("objective__title"),
        team_name=F("objective__team__name"),
        team_id=F("objective__team_id"),
    )


@prepared(shape=("size",))
def _first_rows(*, team_ids: list[int] | None, period_id: int, size: int) -> QuerySet[dict]:
    return first_page_query(_displayed(team_ids=team_ids, period_id=period_id), ordering=ORDERING, size=size)


def _card_key_result(row: dict, period: Period) -> CardKeyResult:
    """A row of `_displayed` as a key result of `period` (every KR on the page is in it)."""
    return CardKeyResult(
        **{name: row[name] for name in _CARD_FIELDS}, objective=CardObjective(row["objective_title"], period)
    )


def _matching_page(
    rows: QuerySet[dict],
    scanned: KeysetPage[CardKeyResult],
    *,
    status: Status,
    after: str | None,
    before: str | None,
) -> KeysetPage[CardKeyResult]:
    """The KRs with `status` among those `scanned` after (or before) the cursor, PAGE_SIZE at
    most: the keyset helper picks the ones nearest the cursor (the first ones when the cursor is
    not valid) and makes the cursors of the page's ends. When every match is shown, the cursors
    are those of the scan's ends instead, so that the next page goes on looking from there.
    (One query more than the unfiltered page, whether few or many match; none when none do.)"""
    matching = {kr.pk: kr for kr in scanned if kr.state.status == status}
    page = keyset_page(rows.filter(pk__in=matching), ordering=ORDERING, size=PAGE_SIZE, after=after, before=before)
    shown = [matching[row["pk"]] for row in page]
    return replace(scanned if len(matching) <= PAGE_SIZE else page, items=shown)


# What the dashboard says about an issue `i`, in SQL that SQLite and PostgreSQL both run, as
# `GitHubIssue.is_closed`, `.is_blocked` and `.assignees`, STALE_AFTER and RECENTLY say in Python (a
# blocked label and nobody assigned are columns kept in line with the labels and assignees);
# tests/platformhub/test_dashboard_pages.py holds the two to each other. Raw SQL because the ORM
# spends 5 to 7 times longer building these queries than the database takes to run them (3.3 ms
# against 0.5 ms for 25 KRs), and they run on every dashboard request. Every value is a parameter.
_LIVE = "NOT i.deleted"
_CLOSED = f"{_LIVE} AND i.state = %(closed)s"
_OPEN = f"{_LIVE} AND i.state = %(open)s"
_STALE = f"{_OPEN} AND (i.last_activity_at IS NULL OR i.last_activity_at < %(quiet_since)s)"
_UNASSIGNED = f"{_OPEN} AND i.unassigned"
_BLOCKED = f"{_OPEN} AND i.blocked_label"
_RECENTLY_CLOSED = f"{_CLOSED} AND i.closed_at >= %(closed_since)s"
_TABLES = {
    "key_results": KeyResult._meta.db_table,
    "objectives": Objective._meta.db_table,
    "links": IssueLink._meta.db_table,
    "issues": GitHubIssue._meta.db_table,
}

_COUNTS_SQL = f"""
SELECT kr.id,
    COUNT(l.id),
    SUM(CASE WHEN {_LIVE} THEN 1 ELSE 0 END),
    SUM(CASE WHEN {_CLOSED} THEN 1 ELSE 0 END),
    SUM(CASE WHEN {_LIVE} THEN i.points ELSE 0 END),
    SUM(CASE WHEN {_CLOSED} THEN i.points ELSE 0 END),
    SUM(CASE WHEN {_OPEN} THEN 1 ELSE 0 END),
    SUM(CASE WHEN {_STALE} THEN 1 ELSE 0 END),
    SUM(CASE WHEN {_UNASSIGNED} THEN 1 ELSE 0 END),
    SUM(CASE WHEN {_BLOCKED} THEN 1 ELSE 0 END)
FROM {_TABLES["key_results"]} kr
LEFT JOIN {_TABLES["links"]} l ON l.key_result_id = kr.id
LEFT JOIN {_TABLES["issues"]} i ON i.id = l.issue_id
WHERE %(which)s
GROUP BY kr.id
"""  # noqa: S608 (table names and the conditions above; every value is a parameter)
# Which key results `_COUNTS_SQL` counts: those of ids given, or every one `_key_results_in` gives
# for a team tree (its conditions written out, so that the tiles of a team tree cost one query,
# not a second one for the ids; tests/platformhub/test_dashboard_pages.py holds the two together).
_WITH_IDS = "kr.id IN (%(ids)s)"
_IN_TEAMS = f"""kr.objective_id IN (
    SELECT o.id FROM {_TABLES["objectives"]} o
    WHERE o.period_id = %(period_id)s AND NOT o.archived AND o.team_id IN (%(teams)s)
)"""  # noqa: S608 (a table name; every value is a parameter)

# Up to LISTED issues of each kind a KR, ranked in SQL so that a KR with hundreds of issues
# sends no more: recently closed (latest first), blocked, and stale but not blocked (by number).
_ISSUES_SQL = f"""
SELECT key_result_id, kind, repo, number, title, html_url FROM (
    SELECT named.*, ROW_NUMBER() OVER (
        PARTITION BY key_result_id, kind ORDER BY closed_first DESC, number, repo, link_id
    ) AS position
    FROM (
        SELECT l.id AS link_id, l.key_result_id, i.repo, i.number, i.title, i.html_url,
            CASE WHEN {_RECENTLY_CLOSED} THEN 'recently_closed'
                 WHEN {_BLOCKED} THEN 'blocked'
                 WHEN {_STALE} THEN 'stale' END AS kind,
            CASE WHEN {_RECENTLY_CLOSED} THEN i.closed_at END AS closed_first
        FROM {_TABLES["links"]} l JOIN {_TABLES["issues"]} i ON i.id = l.issue_id
        WHERE l.key_result_id IN (%(ids)s)
    ) named
    WHERE kind IS NOT NULL
) ranked
WHERE position <= %(listed)s
ORDER BY key_result_id, kind, position
"""  # noqa: S608 (as above)


def _run(sql: str, now: datetime.datetime, *, period_id: int | None = None, **lists: list[int]) -> list[tuple]:
    """Run one of the queries above with each of `lists` (the KRs' `ids`, or `teams`) in place of
    its `%(name)s`; none at all when one of them is empty."""
    if not all(lists.values()):
        return []
    params = {
        "open": GitHubIssue.State.OPEN.value,
        "closed": GitHubIssue.State.CLOSED.value,
        "quiet_since": connection.ops.adapt_datetimefield_value(now - STALE_AFTER),
        "closed_since": connection.ops.adapt_datetimefield_value(now - RECENTLY),
        "listed": LISTED,
        "period_id": period_id,
    }
    for name, items in lists.items():
        params |= {f"{name}_{n}": item for n, item in enumerate(items)}
        sql = sql.replace(f"%({name})s", ", ".join(f"%({name}_{n})s" for n in range(len(items))))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _work_counts(which: str, now: datetime.datetime, **values) -> dict[int, WorkCounts]:
    """The linked issues of the KRs `which` (`_WITH_IDS` with `ids`, or `_IN_TEAMS` with `teams`
    and `period_id`) counted, in one query."""
    return _counted(_run(_COUNTS_SQL.replace("%(which)s", which), now, **values))


def _count_rows(*, team_ids: list[int] | None, period_id: int | None, now: datetime.datetime, ids: list[int]) -> list:
    """`_COUNTS_SQL`'s rows for a page: of every KR of the team tree `team_ids` (its tiles sum
    them), or of the page's `ids` for the whole org (None)."""
    if team_ids is not None:
        return _run(_COUNTS_SQL.replace("%(which)s", _IN_TEAMS), now, teams=team_ids, period_id=period_id)
    return _run(_COUNTS_SQL.replace("%(which)s", _WITH_IDS), now, ids=ids)


def _counted(rows: Iterable[tuple]) -> dict[int, WorkCounts]:
    """`_COUNTS_SQL`'s rows by key result."""
    return {row[0]: WorkCounts(*(int(value or 0) for value in row[1:])) for row in rows}


def _set_counts(key_result: CardKeyResult, counts: WorkCounts, now: datetime.datetime) -> None:
    """Give the KR its counts (the names `okrs.progress.linked_issue_counts` reads, as annotated
    by `with_issue_counts`) and then its state."""
    key_result.counts = counts
    key_result.issues_total, key_result.issues_closed = counts.issues_total, counts.issues_closed
    key_result.points_total, key_result.points_closed = counts.points_total, counts.points_closed
    key_result.state = key_result_state(key_result, now)


def _work_of(key_result: CardKeyResult, url: str) -> KeyResultWork:
    return KeyResultWork(key_result=key_result, url=url, state=key_result.state, counts=key_result.counts)


def _url_maker(name: str) -> Callable[[int], str]:
    """`reverse(name, args=[pk])` for many pks at the cost of one reverse (17 µs each)."""
    marker = 2_147_483_647  # a pk that appears nowhere else in an address
    head, _, tail = reverse(name, args=[marker]).partition(str(marker))
    return lambda pk: f"{head}{pk}{tail}"


def _work_of_each(key_results: Iterable[CardKeyResult]) -> list[KeyResultWork]:
    key_result_url = _url_maker("okrs:key_result_detail")
    return [_work_of(key_result, key_result_url(key_result.pk)) for key_result in key_results]


def _named(work: list[KeyResultWork], names: Iterable[tuple]) -> None:
    """Name the issues of `_ISSUES_SQL`'s rows on their KRs' lists: up to LISTED recently closed,
    blocked and stale (not blocked) issues of each."""
    by_key_result = {entry.key_result.pk: entry for entry in work}
    lists = {"recently_closed": "recently_closed", "blocked": "blocked_issues", "stale": "stale_issues"}
    for key_result_id, kind, repo, number, title, html_url in names:
        line = IssueLine(
            reference=issue_reference(repo, number),
            url=issue_url(repo, number, html_url),
            title=title if len(title) <= TITLE_CHARS else f"{title[: TITLE_CHARS - 1]}…",
        )
        getattr(by_key_result[key_result_id], lists[kind]).append(line)


def _totals(counts: Iterable[WorkCounts], *, of_page: bool) -> Totals:
    counts = list(counts)
    return Totals(
        of_page=of_page,
        key_results=len(counts),
        open=sum(c.open for c in counts),
        closed=sum(c.issues_closed for c in counts),
        stale=sum(c.stale for c in counts),
        blocked=sum(c.blocked for c in counts),
        without_work=sum(not c.links for c in counts),
    )


STATUS_CHOICES = [(status.value, status.label) for status in Status]
STATUS_VALUES = {status.value for status in Status}
