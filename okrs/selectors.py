"""Reads for OKR pages. Each returns what its page needs in a fixed number of queries and
attaches the computed progress and status (from okrs.progress) to the objects."""

import datetime
import functools
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.models import User
from django.db import connection, router
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet, Window
from django.db.models.functions import RowNumber, TruncDate

from integrations.models import GitHubIssue, IssueFacts, IssueLink
from okrs.models import (
    CheckIn,
    Horizon,
    KeyResult,
    Objective,
    Period,
    RoadmapItem,
    RoadmapShareLink,
    TeamPeriod,
    with_issue_counts,
)
from okrs.progress import (
    KeyResultState,
    RollUp,
    Status,
    as_percent,
    key_result_state,
    objective_progress,
    objective_score,
    objective_status,
    roadmap_item_rollup,
)
from okrs.services import share_token_hash, team_quarter_is_closed
from platformhub.keyset import KeysetPage, first_page, first_page_query, keyed, keyset_page
from platformhub.models import Membership, Person, Team
from platformhub.permissions import access_for
from platformhub.prepared import prepared
from platformhub.urls_cache import reverse_cached, reverse_pk


def attach_progress(objectives, now: datetime.datetime) -> list[Objective]:
    """Give each objective `.krs` (its key results, each with `.state`), `.progress`, `.status`, `.score`."""
    objectives = list(objectives)
    for objective in objectives:
        objective.krs = list(objective.key_results.all())
        for key_result in objective.krs:
            key_result.objective = objective
            key_result.state = key_result_state(key_result, now)
        _roll_up(objective)
    return objectives


def _roll_up(objective) -> None:
    """Give the objective (with `.krs`, each with `.state`) `.progress`, `.percent`, `.status`, `.score`."""
    objective.progress = objective_progress(objective.krs)
    objective.percent = as_percent(objective.progress)
    objective.status = objective_status([kr.state for kr in objective.krs])
    objective.score = objective_score(objective.krs)


@dataclass
class TeamOkrPage:
    team: Team
    period: Period
    team_period: TeamPeriod | None
    objectives: list["PlainObjective"]
    unaligned_sub_team_objectives: list["PlainObjective"]
    archived: list["PlainObjective"]
    periods: list[Period]

    @property
    def is_closed(self) -> bool:
        return self.team_period is not None and self.team_period.is_closed

    @property
    def status_counts(self) -> dict[str, int]:
        return status_counts([kr for objective in self.objectives for kr in objective.krs])


def status_counts(key_results: list[KeyResult]) -> dict[str, int]:
    """How many of the key results (with `.state`) are in each status, and how many are stale."""
    counts = {status.value: 0 for status in Status}
    for key_result in key_results:
        counts[key_result.state.status.value] += 1
    return {**counts, "total": len(key_results), "stale": sum(kr.state.is_stale for kr in key_results)}


def _mark_ends(items: list) -> list:
    """Tell each item whether it is first or last, for its "move up/down" buttons."""
    for position, item in enumerate(items):
        item.is_first, item.is_last = position == 0, position == len(items) - 1
    return items


def _sub_team_objectives(period: Period, team: Team) -> QuerySet[Objective]:
    """The sub-teams' objectives, with what their progress bars need (no owners: the page lists none)."""
    return (
        Objective.objects.filter(period_id=period.pk, team__parent=team, archived=False)
        .select_related("team", "period")
        .prefetch_related(Prefetch("key_results", queryset=_key_results_without_owners()))
        .order_by("order", "pk")
    )


def _key_results_without_owners() -> QuerySet[KeyResult]:
    return with_issue_counts(KeyResult.objects.order_by("order", "pk"))


def team_okr_page(*, team: Team, period: Period, current: Period, now: datetime.datetime) -> TeamOkrPage:
    """The team's objectives for the quarter, each with the sub-team objectives aligned to it, as
    plain values (PlainObjective, PlainKeyResult) in four queries: objectives, key results, their
    linked issues' counts, and the owners of both."""
    tree = _plain_objectives(
        _of_team_page,
        team_id=team.pk,
        period_id=period.pk,
        teams={team.pk: team},
        periods={period.pk: period} if period.pk else {},
        now=now,
    )
    objectives = [objective for objective in tree if objective.team_id == team.pk]
    active = _mark_ends([objective for objective in objectives if not objective.archived])
    aligned: dict[int | None, list[PlainObjective]] = {}
    for child in tree:
        if child.team_id != team.pk:
            aligned.setdefault(child.parent_id, []).append(child)
    for objective in active:
        objective.aligned = aligned.get(objective.pk, [])
        _mark_ends(objective.krs)
    return TeamOkrPage(
        team=team,
        period=period,
        team_period=next(iter(_team_period(team_id=team.pk, period_id=period.pk)), None),
        objectives=active,
        unaligned_sub_team_objectives=aligned.get(None, []),
        archived=[objective for objective in objectives if objective.archived],
        periods=periods_for_switcher(team=team, shown=[period, current]),
    )


@dataclass(slots=True, eq=False)
class PlainObjective:
    """An objective as the OKR pages read it (a team's page, the partials that redraw parts of it,
    the overview), loaded as plain values (a page loads dozens with hundreds of key results, and
    model instances with prefetched relations cost several times as much), with its key results
    and their roll-up. An objective it aligns to (`parent`) has only its title, team and quarter."""

    pk: int
    title: str
    team: Team
    period: Period
    why: str = ""
    order: int = 0
    archived: bool = False
    parent_id: int | None = None
    parent: "PlainObjective | None" = None
    owner_names: tuple[str, ...] = ()
    krs: list["PlainKeyResult"] = field(default_factory=list)
    aligned: list["PlainObjective"] = field(default_factory=list)
    progress: float = 0.0
    percent: int = 0
    status: Status | None = None
    score: Decimal | None = None
    is_first: bool = False
    is_last: bool = False

    @property
    def team_id(self) -> int:
        return self.team.pk

    def get_absolute_url(self) -> str:
        return reverse_cached("okrs:team_okrs", self.team.slug, self.period.slug) + f"#objective-{self.pk}"


def _plain_objectives(
    shown: Callable[..., Q],
    *,
    teams: dict[int, Team],
    periods: dict[int, Period],
    now: datetime.datetime,
    with_owners: bool = True,
    **values,
) -> list[PlainObjective]:
    """The objectives `shown(**values)`, in order, with their key results (with their state, in
    order), their roll-up and, `with_owners`, the owners of both: in four queries, three without
    owners. `teams` and `periods`: those already loaded, by id (more are made as read, with only
    what the page shows of them)."""
    objectives = _objective_rows(shown, teams=teams, periods=periods, with_parents=True, **values)
    by_id = {objective.pk: objective for objective in objectives}
    key_results = _key_results_of(by_id, now)
    for key_result in sorted(key_results.values(), key=lambda kr: (kr.order, kr.pk)):
        by_id[key_result.objective_id].krs.append(key_result)
    for objective in objectives:
        _roll_up(objective)
    if with_owners:
        _attach_owners(objectives, list(key_results.values()))
    return objectives


_PERIOD_FIELDS = ("year", "quarter", "start", "end")
_OBJECTIVE_FIELDS = (
    "title",
    "team_id",
    "team__name",
    "team__slug",
    "team__parent_id",
    "period_id",
    *(f"period__{name}" for name in _PERIOD_FIELDS),
)


def _objective_rows(
    shown: Callable[..., Q], *, teams: dict[int, Team], periods: dict[int, Period], with_parents: bool, **values
) -> list[PlainObjective]:
    """The objectives `shown(**values)`, in order, as plain values without their key results, in
    one query; `with_parents`, each with the objective it aligns to (its title, team and quarter)."""
    rows = _objective_values(shown=shown, with_parents=with_parents, **values)
    return _objectives_from(rows, teams=teams, periods=periods, with_parents=with_parents)


def _objectives_from(
    rows: Iterable[tuple], *, teams: dict[int, Team], periods: dict[int, Period], with_parents: bool
) -> list[PlainObjective]:
    """`_objective_values`' rows as PlainObjectives (`teams` and `periods`: those made already)."""
    width = len(_OBJECTIVE_FIELDS)
    objectives = []
    for pk, why, order, archived, parent_id, *fields in rows:
        objective = _objective(pk, fields[:width], teams, periods)
        objective.why, objective.order, objective.archived, objective.parent_id = why, order, archived, parent_id
        if with_parents and parent_id is not None:
            objective.parent = _objective(parent_id, fields[width:], teams, periods)
        objectives.append(objective)
    return objectives


@prepared
def _objective_values(*, shown: Callable[..., Q], with_parents: bool, **values) -> QuerySet[Objective]:
    parent_fields = tuple(f"parent__{name}" for name in _OBJECTIVE_FIELDS) if with_parents else ()
    return (
        Objective.objects.filter(shown(**values))
        .order_by("order", "pk")
        .values_list("pk", "why", "order", "archived", "parent_id", *_OBJECTIVE_FIELDS, *parent_fields)
    )


# What the pages show of objectives (`_plain_objectives`, `_objective_rows`): a few filters, each
# compiled once (platformhub/prepared.py).


def _of_team_page(*, team_id: int, period_id: int | None) -> Q:
    """The team's objectives of the quarter and the active ones of its sub-teams."""
    return Q(period_id=period_id) & (Q(team_id=team_id) | Q(team__parent_id=team_id, archived=False))


def _the_objective(*, pk: int) -> Q:
    return Q(pk=pk)


def _of_team_quarter(*, team_id: int, period_id: int | None, aligned_to: int | None) -> Q:
    """The team's objectives of the quarter; with `aligned_to`, the sub-teams' active ones aligned to it."""
    shown = Q(team_id=team_id, period_id=period_id)
    if aligned_to is not None:
        shown |= Q(period_id=period_id, team__parent_id=team_id, archived=False, parent_id=aligned_to)
    return shown


def _active_of_teams(*, team_ids: list[int], period_id: int | None) -> Q:
    return Q(period_id=period_id, team_id__in=team_ids, archived=False)


def _in_now_lane_or(*, team_ids: list[int], period_id: int | None, pks: set[int]) -> Q:
    """The teams' active top-level objectives of the quarter (a roadmap's Now lane), and `pks`."""
    return Q(period_id=period_id, team_id__in=team_ids, archived=False, parent__isnull=True) | Q(pk__in=pks)


def _objective(pk: int, fields, teams: dict[int, Team], periods: dict[int, Period]) -> PlainObjective:
    """An objective from a row's `_OBJECTIVE_FIELDS`: its title, team (4 columns) and quarter (5)."""
    title, *team_fields = fields[:5]
    return PlainObjective(pk=pk, title=title, team=_team(teams, *team_fields), period=_period(periods, *fields[5:]))


def _team(teams: dict[int, Team], pk: int, name: str, slug: str, parent_id: int | None) -> Team:
    """The team `pk`, made once per page from the row's name, slug and parent."""
    team = teams.get(pk)
    if team is None:
        team = teams[pk] = Team(pk=pk, name=name, slug=slug, parent_id=parent_id)
    return team


def period_find(year: int, quarter: int) -> Period:
    """The quarter as stored, or an unsaved one with its dates when nothing was planned in it yet.

    Reads never create rows; the services save a quarter when something is first written to it."""
    start, end = Period.bounds(year, quarter)
    stored = _stored_quarter(year=year, quarter=quarter)
    return stored[0] if stored else Period(year=year, quarter=quarter, start=start, end=end)


@prepared
def _stored_quarter(*, year: int, quarter: int) -> QuerySet[Period]:
    return Period.objects.filter(year=year, quarter=quarter)[:1]


def parse_quarter(text: str) -> tuple[int, int] | None:
    """(year, quarter) from "2022-q4", for years 2000–2100; None for anything else."""
    year, separator, quarter = text.partition("-q")
    if not separator or not (year.isascii() and year.isdigit() and len(year) == 4 and quarter in {"1", "2", "3", "4"}):
        return None
    if not 2000 <= int(year) <= 2100:
        return None
    return int(year), int(quarter)


def default_period(*, today: datetime.date, team_ids: list[int] | None, active_only: bool = False) -> Period:
    """This quarter if the teams (None: every team) have objectives in it (`active_only`: not
    archived), else the latest quarter in which they have some (else this one, as `period_find`
    gives it). One query when this quarter is planned, as it mostly is; two otherwise."""
    year, quarter = Period.quarter_of(today)
    stored = _quarter_and_whether_planned(year=year, quarter=quarter, team_ids=team_ids, active_only=active_only)
    if stored and stored[0].planned:
        return stored[0]
    latest = _latest_period_with_objectives(team_ids=team_ids, active_only=active_only)
    if latest:
        return latest[0]
    return stored[0] if stored else period_find(year, quarter)


def default_period_among(quarters: list[Period], *, today: datetime.date) -> Period:
    """`default_period`'s choice, made from `planned_quarters`' rows instead of asking again."""
    year, quarter = Period.quarter_of(today)
    stored = next((period for period in quarters if (period.year, period.quarter) == (year, quarter)), None)
    if stored is not None and stored.planned:
        return stored
    latest = next((period for period in quarters if period.planned), None)
    if latest is not None:
        return latest
    if stored is not None:
        return stored
    start, end = Period.bounds(year, quarter)
    return Period(year=year, quarter=quarter, start=start, end=end)  # not stored: it would be among them


@prepared
def planned_quarters(*, team_ids: list[int] | None, year: int, quarter: int) -> QuerySet[Period]:
    """Every quarter anything was planned in, and the quarter (`year`, `quarter`) if it is stored,
    latest first; each with whether the teams `team_ids` (None: every team) have objectives in it
    (`planned`) and whether any team has (`used`). One query for what a page offering the quarters
    and opening on `default_period`'s would otherwise ask in two or three."""
    return (
        Period.objects.annotate(
            planned=Exists(_objectives_of(team_ids, False).filter(period=OuterRef("pk"))),
            used=Exists(Objective.objects.filter(period=OuterRef("pk"))),
        )
        .filter(Q(used=True) | Q(year=year, quarter=quarter))
        .order_by("-start")
    )


def _objectives_of(team_ids: list[int] | None, active_only: bool) -> QuerySet[Objective]:
    objectives = Objective.objects.all() if team_ids is None else Objective.objects.filter(team_id__in=team_ids)
    return objectives.filter(archived=False) if active_only else objectives


@prepared
def _quarter_and_whether_planned(
    *, year: int, quarter: int, team_ids: list[int] | None, active_only: bool
) -> QuerySet[Period]:
    planned = _objectives_of(team_ids, active_only).filter(period=OuterRef("pk"))
    return Period.objects.filter(year=year, quarter=quarter).annotate(planned=Exists(planned))[:1]


@prepared
def _latest_period_with_objectives(*, team_ids: list[int] | None, active_only: bool) -> QuerySet[Period]:
    planned = _objectives_of(team_ids, active_only).filter(period=OuterRef("pk"))
    return Period.objects.filter(Exists(planned)).order_by("-start")[:1]


@prepared
def _team_period(*, team_id: int, period_id: int | None) -> QuerySet[TeamPeriod]:
    return (
        TeamPeriod.objects.filter(team_id=team_id, period_id=period_id).select_related("closed_by").order_by("pk")[:1]
    )


def periods_for_switcher(*, team: Team, shown: list[Period]) -> list[Period]:
    """Quarters the team has objectives in, plus the one being shown and the current one: each
    quarter asks the (team, quarter) index, rather than joining every objective of the org."""
    used = _planned_or_shown(team_id=team.pk, shown_ids=[period.pk for period in shown if period.pk])
    by_slug = {period.slug: period for period in used}
    for period in shown:
        by_slug.setdefault(period.slug, period)
    return sorted(by_slug.values(), key=lambda period: period.start)


@prepared
def _planned_or_shown(*, team_id: int, shown_ids: list[int]) -> QuerySet[Period]:
    has_objectives = Exists(Objective.objects.filter(period=OuterRef("pk"), team_id=team_id))
    return Period.objects.filter(has_objectives | Q(pk__in=shown_ids))


@dataclass
class ObjectiveCard:
    """An objective ready to render as a card on the team OKR page, and the page's counts of key
    results by status, which a change to its key results may move."""

    objective: PlainObjective
    status_counts: dict[str, int]


def objective_card(*, objective: Objective, now: datetime.datetime) -> ObjectiveCard:
    """`objective` as it stands now, with its owners, its key results (with their owners and
    progress), the sub-team objectives aligned to it and its place among the team's objectives."""
    objectives = _team_quarter(
        team_id=objective.team_id, period_id=objective.period_id, now=now, aligned_to=objective.pk
    )
    card = next(candidate for candidate in objectives if candidate.pk == objective.pk)
    _attach_owners([card], _mark_ends(card.krs))
    return ObjectiveCard(objective=card, status_counts=_status_counts_of(objectives))


@dataclass
class ObjectiveListChange[O]:
    """What adding, moving or deleting an objective changes on the team OKR page: the card of the
    objective added or moved (with its active neighbours, to place it between), the first and last
    active objectives (their move buttons), and the counts of key results by status (None after a
    move, which changes none)."""

    objective: O | None
    previous: O | None
    next: O | None
    ends: list[O]
    status_counts: dict[str, int] | None


def _list_change[O](active: list[O], objective_id: int | None, status_counts: dict[str, int] | None):
    """`ObjectiveListChange` of the quarter's `active` objectives, in order, after `objective_id`
    (None, or not among them: the change left no objective to place)."""
    index = next((i for i, objective in enumerate(active) if objective.pk == objective_id), None)
    changed = previous = following = None
    if index is not None:
        changed = active[index]
        previous = active[index - 1] if index > 0 else None
        following = active[index + 1] if index + 1 < len(active) else None
    return ObjectiveListChange(
        objective=changed,
        previous=previous,
        next=following,
        ends=list({objective.pk: objective for objective in active[:1] + active[-1:]}.values()),
        status_counts=status_counts,
    )


def objective_list_change(
    *, team_id: int, period_id: int, now: datetime.datetime, objective_id: int | None = None
) -> ObjectiveListChange[PlainObjective]:
    """The team's quarter after an objective is added or deleted, with `objective_id` if it is an
    active objective (None otherwise) loaded as a whole card."""
    objectives = _team_quarter(team_id=team_id, period_id=period_id, now=now, aligned_to=objective_id)
    change = _list_change(
        [objective for objective in objectives if not objective.archived], objective_id, _status_counts_of(objectives)
    )
    if change.objective is not None:
        _attach_owners([change.objective], _mark_ends(change.objective.krs))
    return change


@dataclass
class ObjectivePlace:
    """An active objective as its buttons see it after a move: its place among the quarter's and
    how many key results it has (two or more can be reordered). A move changes no progress, so
    none is read."""

    pk: int
    team: Team
    period: Period
    key_result_count: int
    is_first: bool = False
    is_last: bool = False

    get_absolute_url = PlainObjective.get_absolute_url


def objective_list_move(*, team: Team, period: Period, objective_id: int) -> ObjectiveListChange[ObjectivePlace]:
    """The team's quarter after `objective_id` moved, as the places of its active objectives."""
    places = [
        ObjectivePlace(pk=pk, team=team, period=period, key_result_count=count)
        for pk, count in _active_objective_places(team_id=team.pk, period_id=period.pk)
    ]
    return _list_change(_mark_ends(places), objective_id, None)


@prepared
def _active_objective_pks(*, team_id: int, period_id: int) -> QuerySet[Objective]:
    return (
        Objective.objects.filter(team_id=team_id, period_id=period_id, archived=False)
        .order_by("order", "pk")
        .values_list("pk", flat=True)
    )


@prepared
def _active_objective_places(*, team_id: int, period_id: int) -> QuerySet[Objective]:
    return (
        Objective.objects.filter(team_id=team_id, period_id=period_id, archived=False)
        .annotate(key_result_count=Count("key_results"))
        .order_by("order", "pk")
        .values_list("pk", "key_result_count")
    )


def unaligned_sub_team_objectives(*, team: Team, period: Period, now: datetime.datetime) -> list[Objective]:
    """The sub-teams' objectives of the quarter that align to none of the team's."""
    return attach_progress(_sub_team_objectives(period, team).filter(parent__isnull=True), now)


def objective_rows(*, objective: Objective, now: datetime.datetime) -> Objective:
    """`objective` (with its team and quarter loaded) with its key results in order, with their
    owners and progress, and its place among the team's objectives: its rows and its buttons."""
    objective.krs = list(_key_results_without_owners().filter(objective=objective))
    for key_result in _mark_ends(objective.krs):
        key_result.objective = objective
        key_result.state = key_result_state(key_result, now)
    _attach_owners([], objective.krs)
    _mark_place(objective)
    return objective


def _mark_place(objective: Objective) -> None:
    """Whether the objective is the first or last of its team's quarter, for its move buttons."""
    siblings = _active_objective_pks(team_id=objective.team.pk, period_id=objective.period.pk)
    objective.is_first = bool(siblings) and siblings[0] == objective.pk
    objective.is_last = bool(siblings) and siblings[-1] == objective.pk


def objective_for_head(*, objective_id: int, now: datetime.datetime) -> PlainObjective:
    """One objective, ready to render the head of its card (title, owners, progress, why) and its
    buttons, but not its key results' rows."""
    [objective] = _plain_objectives(_the_objective, pk=objective_id, teams={}, periods={}, now=now)
    _mark_place(objective)
    return objective


@dataclass
class KeyResultChange:
    """What a check-in on (or an edit of) one key result changes on the team OKR page: its row,
    its objective's progress and status, and the page's counts of key results by status."""

    key_result: "PlainKeyResult"
    objective: PlainObjective
    status_counts: dict[str, int]


def key_result_change(*, key_result: KeyResult, now: datetime.datetime) -> KeyResultChange:
    """`key_result` (with its objective loaded, and its owners as `key_result_to_edit` prefetched
    them, unless this request changed them) as it stands now, its objective with that one's key
    results, and the counts of the key results of the team's quarter."""
    objectives = _team_quarter(team_id=key_result.objective.team_id, period_id=key_result.objective.period_id, now=now)
    objective = next(objective for objective in objectives if objective.pk == key_result.objective_id)
    row = next(kr for kr in _mark_ends(objective.krs) if kr.pk == key_result.pk)
    owners = getattr(key_result, "_prefetched_objects_cache", {}).get("owners")
    if owners is None:  # changed by this request (a write drops what was prefetched)
        _attach_owners([], [row])
    else:
        row.owner_ids = tuple(person.pk for person in owners)
        row.owner_names = tuple(person.display_name for person in owners)
    return KeyResultChange(key_result=row, objective=objective, status_counts=_status_counts_of(objectives))


def _team_quarter(
    *, team_id: int, period_id: int | None, now: datetime.datetime, aligned_to: int | None = None
) -> list[PlainObjective]:
    """The team's objectives of the quarter (archived ones too, which are neither first nor last)
    with their key results' progress, as plain values without owners; with `aligned_to` (one of
    them), the sub-team objectives aligned to it are its `.aligned`, read in the same queries."""
    loaded = _plain_objectives(
        _of_team_quarter,
        team_id=team_id,
        period_id=period_id,
        aligned_to=aligned_to,
        teams={},
        periods={},
        now=now,
        with_owners=False,
    )
    objectives = [objective for objective in loaded if objective.team_id == team_id]
    for objective in objectives:
        if objective.pk == aligned_to:
            objective.aligned = [child for child in loaded if child.team_id != team_id]
    _mark_ends([objective for objective in objectives if not objective.archived])
    return objectives


def _status_counts_of(objectives: list[PlainObjective]) -> dict[str, int]:
    return status_counts([kr for objective in objectives if not objective.archived for kr in objective.krs])


def team_period_is_closed(*, team: Team, period: Period) -> bool:
    return team_quarter_is_closed(team_id=team.pk, period_id=period.pk)


def key_result_for_page(*, key_result_id: int, now: datetime.datetime) -> KeyResult:
    """A key result with everything its page shows but the list of check-ins (`with_page_details`)."""
    [key_result] = key_result_to_show(pk=key_result_id)
    return with_page_details(key_result, now=now)


@prepared
def key_result_to_show(*, pk: int) -> QuerySet[KeyResult]:
    """The key result `pk` (a list of it, or empty) as `key_result_to_edit` reads it, with the
    objective its objective aligns to and its saved searches: then `with_page_details`."""
    return key_result_to_edit.build(pk=pk).select_related("objective__parent").prefetch_related("saved_searches")


@dataclass(frozen=True, slots=True)
class LinkedIssue(IssueFacts):
    """A key result's linked issue as its page, chart and counts use it: one row of the link and
    its issue, where two model instances cost several times as much (a KR links dozens)."""

    link_pk: int
    found_by_search: bool
    repo: str
    number: int
    title: str
    state: str
    html_url: str
    is_pull_request: bool
    deleted: bool
    points: int
    assignees: list
    labels: list
    closed_at: datetime.datetime | None
    last_activity_at: datetime.datetime | None


def _linked_issues(key_result: KeyResult) -> list[LinkedIssue]:
    """The key result's linked issues, open first, most recently active first."""
    rows = _linked_issue_rows(key_result_id=key_result.pk)
    return [LinkedIssue(pk, search_id is not None, *issue) for pk, search_id, *issue in rows]


@prepared
def _linked_issue_rows(*, key_result_id: int) -> QuerySet[IssueLink]:
    return (
        IssueLink.objects.filter(key_result_id=key_result_id)
        .order_by("issue__state", "-issue__last_activity_at")
        .values_list(
            "pk",
            "saved_search_id",
            "issue__repo",
            "issue__number",
            "issue__title",
            "issue__state",
            "issue__html_url",
            "issue__is_pull_request",
            "issue__deleted",
            "issue__points",
            "issue__assignees",
            "issue__labels",
            "issue__closed_at",
            "issue__last_activity_at",
        )
    )


CHECK_INS_PER_PAGE = 20


_CHECK_INS_ORDER = ("-created_at", "-pk")


def check_ins_page(*, key_result: KeyResult, after: str | None, before: str | None) -> KeysetPage[CheckIn]:
    """A page of the key result's check-ins, newest first, with their authors: years of weekly
    check-ins stay one bounded query (the first page's compiled once)."""
    if not after and not before:
        rows = _first_check_ins(key_result_id=key_result.pk, size=CHECK_INS_PER_PAGE)
        return first_page(rows, ordering=_CHECK_INS_ORDER, size=CHECK_INS_PER_PAGE)
    return keyset_page(
        _check_ins_of(key_result.pk), ordering=_CHECK_INS_ORDER, size=CHECK_INS_PER_PAGE, after=after, before=before
    )


def _check_ins_of(key_result_id: int) -> QuerySet[CheckIn]:
    return CheckIn.objects.filter(key_result_id=key_result_id).select_related("author")


@prepared(shape=("size",))
def _first_check_ins(*, key_result_id: int, size: int) -> QuerySet[CheckIn]:
    return first_page_query(_check_ins_of(key_result_id), ordering=_CHECK_INS_ORDER, size=size)


def with_page_details(key_result: KeyResult, *, now: datetime.datetime) -> KeyResult:
    """Give the key result (loaded by `key_result_to_show`) what its page shows, in two queries:
    its linked issues (`.linked_issues`), what the chart needs of the last check-in of each day
    (`.chart_check_ins`: (created_at, value, done), newest first; the list of check-ins is
    `check_ins_page`), its linked issues' counts (counted here as with_issue_counts counts them:
    the annotation's GROUP BY over five joined tables cost more than the rest of the page's
    queries) and its `.state`."""
    key_result.linked_issues = _linked_issues(key_result)
    key_result.chart_check_ins = _chart_check_ins(key_result_id=key_result.pk)
    live = [issue for issue in key_result.linked_issues if not issue.deleted]
    closed = [issue for issue in live if issue.is_closed]
    key_result.issues_total, key_result.issues_closed = len(live), len(closed)
    key_result.points_total = sum(issue.points for issue in live)
    key_result.points_closed = sum(issue.points for issue in closed)
    key_result.state = key_result_state(key_result, now)
    return key_result


@prepared
def _chart_check_ins(*, key_result_id: int) -> QuerySet[CheckIn]:
    """The last check-in of each day (UTC) the key result was checked in on: the chart draws a day
    at a time, and a key result checked in hundreds of times a day (by a script, say) still sends
    it one row a day."""
    day = TruncDate("created_at", tzinfo=datetime.UTC)
    latest_first = (F("created_at").desc(), F("pk").desc())
    return (
        CheckIn.objects.filter(key_result_id=key_result_id)
        .annotate(place_in_day=Window(RowNumber(), partition_by=day, order_by=latest_first))
        .filter(place_in_day=1)
        .order_by("-created_at", "-pk")
        .values_list("created_at", "value", "done")
    )


def people_for_team(team: Team) -> QuerySet[Person]:
    """Who can own a team's objectives and key results: people in the team's tree."""
    tree = Team.objects.filter(Q(pk=team.root_id) | Q(parent_id=team.root_id)).values("pk")
    return Person.objects.filter(pk__in=Membership.objects.filter(team_id__in=tree).values("person_id")).order_by(
        "display_name"
    )


def people_for_team_among(team: Team) -> Callable[..., list[Person]]:
    """`people_for_team(team)` narrowed to the ids a form was sent (`pks=`), compiled once: how an
    owners field checks its choices (`ModelMultipleChoiceField.among`) without building the
    query's subqueries on every save."""
    return functools.partial(_people_of_tree_among, root_id=team.root_id)


@prepared
def _people_of_tree_among(*, root_id: int, pks: list[int]) -> QuerySet[Person]:
    return people_for_team(Team(pk=root_id)).filter(pk__in=pks)


def parent_objective_choices(*, team: Team, period: Period) -> QuerySet[Objective]:
    """Objectives of the parent team this quarter, which a sub-team objective can align to."""
    if team.parent_id is None:
        return Objective.objects.none()
    return Objective.objects.filter(team_id=team.parent_id, period_id=period.pk, archived=False).order_by("order", "pk")


@dataclass
class TeamOverview:
    team: Team
    objectives: list[PlainObjective]

    @property
    def percent(self) -> int:
        if not self.objectives:
            return 0
        return as_percent(sum(objective.progress for objective in self.objectives) / len(self.objectives))


OVERVIEW_TEAMS_PER_PAGE = 10  # top-level teams, each with its sub-teams: at L 30 teams, 50 objectives, ~50 KiB


@dataclass
class OrgOverview:
    """A page of the OKR overview: top-level teams by name, each followed by its sub-teams."""

    rows: list[TeamOverview]
    pager: KeysetPage[Team]
    periods: list[Period]  # the quarters with objectives, for the quarter switcher


def org_overview(
    *, user: User, period: Period, now: datetime.datetime, after: str | None = None, before: str | None = None
) -> OrgOverview:
    """A page of the teams the user may read, with their objectives for the quarter and their roll-up."""
    if after or before:
        top_level = _readable_top_level_teams(user)
        pager = keyset_page(top_level, ordering=_TEAM_ORDER, size=OVERVIEW_TEAMS_PER_PAGE, after=after, before=before)
        sub_teams = _sub_teams(pager.items)
    else:
        pager, sub_teams = _first_trees(root_ids=readable_root_ids(user), size=OVERVIEW_TEAMS_PER_PAGE)
    teams = [team for top in pager.items for team in (top, *sub_teams.get(top.pk, []))]
    by_id = {team.pk: team for team in teams}
    objectives = _plain_objectives(
        _active_of_teams,
        team_ids=list(by_id),
        period_id=period.pk,
        teams=by_id,
        periods={period.pk: period} if period.pk else {},
        now=now,
        with_owners=False,
    )
    by_team: dict[int, list[PlainObjective]] = {}
    for objective in objectives:
        by_team.setdefault(objective.team_id, []).append(objective)
    return OrgOverview(
        rows=[TeamOverview(team=team, objectives=by_team.get(team.pk, [])) for team in teams],
        pager=pager,
        periods=_quarters_planned(),
    )


@prepared
def _quarters_planned() -> QuerySet[Period]:
    """The quarters with objectives, for the overview's quarter switcher."""
    return Period.objects.filter(Exists(Objective.objects.filter(period=OuterRef("pk")))).order_by("start")


_TEAM_ORDER = ("name", "pk")


def _readable_top_level_teams(user: User) -> QuerySet[Team]:
    """The top-level teams whose trees the user may read, with only what a list of teams shows."""
    return readable_teams(user).filter(parent__isnull=True).select_related(None).only("name", "slug", "parent")


def readable_team_ids(user: User) -> list[int]:
    """The ids of `readable_teams(user)`."""
    return _team_ids_in_trees(root_ids=readable_root_ids(user))


@prepared
def _team_ids_in_trees(*, root_ids: list[int] | None) -> QuerySet[Team]:
    return teams_in_trees(root_ids).values_list("pk", flat=True)


def readable_root_ids(user: User) -> list[int] | None:
    """The top-level teams whose trees the user may read, as `readable_teams` reads them (None:
    every team, for staff and org-wide viewers)."""
    access = access_for(user)
    return None if access.is_staff or access.is_org_viewer else sorted(access.root_team_ids)


def _top_level_teams(root_ids: list[int] | None) -> QuerySet[Team]:
    """`_readable_top_level_teams` of a reader of the trees of `root_ids` (None: every team)."""
    teams = Team.objects.filter(parent__isnull=True).only("name", "slug", "parent")
    return teams if root_ids is None else teams.filter(pk__in=root_ids)


def _first_trees(*, root_ids: list[int] | None, size: int) -> tuple[KeysetPage[Team], dict[int, list[Team]]]:
    """The first page of `size` top-level teams the reader of `root_ids` reads (None: every
    team), and the sub-teams of each, by name, as `_sub_teams` gives them: in one query."""
    rows = _first_trees_rows(root_ids=root_ids, size=size)
    top_level = [team for team in rows if team.parent_id is None]
    sub_teams = _by_parent(top_level, [team for team in rows if team.parent_id is not None])
    return first_page(top_level, ordering=_TEAM_ORDER, size=size), sub_teams


@prepared(shape=("size",))
def _first_trees_rows(*, root_ids: list[int] | None, size: int) -> QuerySet[Team]:
    """The teams of `_first_trees` (the page's top-level teams, and one more to tell whether there
    is a next page, with their sub-teams), by name."""
    first = first_page_query(_top_level_teams(root_ids), ordering=_TEAM_ORDER, size=size).values("pk")
    in_trees = Team.objects.filter(Q(pk__in=first) | Q(parent_id__in=first)).only("name", "slug", "parent")
    return keyed(in_trees, _TEAM_ORDER).order_by(*_TEAM_ORDER)


def _sub_teams(top_level: list[Team]) -> dict[int, list[Team]]:
    """The sub-teams of each of the top-level teams, by name, in one query."""
    return _by_parent(top_level, _sub_teams_of(parent_ids=[team.pk for team in top_level]))


def _by_parent(top_level: list[Team], sub_teams: list[Team]) -> dict[int, list[Team]]:
    """`sub_teams` (of the `top_level` teams) by their parent's id, each given its parent."""
    by_id = {team.pk: team for team in top_level}
    by_parent: dict[int, list[Team]] = {}
    for sub_team in sub_teams:
        sub_team.parent = by_id[sub_team.parent_id]
        by_parent.setdefault(sub_team.parent_id, []).append(sub_team)
    return by_parent


@prepared
def _sub_teams_of(*, parent_ids: list[int]) -> QuerySet[Team]:
    return Team.objects.filter(parent_id__in=parent_ids).only("name", "slug", "parent").order_by("name", "pk")


# Roadmap


@dataclass
class Lane:
    """A column of the roadmap: "Now" (this quarter's objectives, no horizon) or a horizon's items."""

    key: str
    name: str
    horizon: Horizon | None = None
    items: list["LaneItem"] = field(default_factory=list)
    objectives: list["PlainObjective"] = field(default_factory=list)


@dataclass
class RoadmapPage:
    team: Team
    health: str | None
    lanes: list[Lane]


ROADMAP_TEAMS_PER_PAGE = 5  # top-level teams, each with its sub-teams: at L 15 teams, 35 items, 70 to 86 KiB
HEALTH_COUNT_CAP = 999  # the org-wide counts read at most this many items (and one more) per health


@dataclass
class RoadmapTree:
    """A top-level team and its sub-teams, in lanes, on the roadmap of every team."""

    team: Team
    lanes: list[Lane]


@dataclass(frozen=True)
class HealthCount:
    health: str
    label: str
    count: int  # at most HEALTH_COUNT_CAP + 1

    @property
    def shown(self) -> str:
        return f"{HEALTH_COUNT_CAP}+" if self.count > HEALTH_COUNT_CAP else str(self.count)


@dataclass
class OrgRoadmapPage:
    """A page of the roadmap of every team: top-level teams by name, each with its sub-teams."""

    teams: list[list[Team]]  # each tree: its top-level team, then its sub-teams
    pager: KeysetPage[Team]
    health: str | None
    team_query: str
    health_counts: list[HealthCount]
    now: datetime.datetime
    reads: "LaneReads"

    @functools.cached_property
    def trees(self) -> list[RoadmapTree]:
        """Each tree in its lanes: made when first asked for, which a page drawn from memory never
        does (`source`)."""
        lanes = _lanes_from(self.reads, self.teams, now=self.now)
        return [RoadmapTree(team=tree[0], lanes=tree_lanes) for tree, tree_lanes in zip(self.teams, lanes, strict=True)]

    @property
    def source(self) -> tuple:
        """Everything the page shows is a function of, as plain values: the trees, the pager, the
        filters, the time it is judged at, what the lanes are made from and the counts by health."""
        pager = self.pager
        return (
            tuple(tuple((team.pk, team.name, team.slug, team.parent_id) for team in tree) for tree in self.teams),
            (pager.has_next, pager.has_previous, pager.next_cursor, pager.previous_cursor),
            self.health,
            self.team_query,
            self.now,
            self.reads,
            tuple((count.health, count.count) for count in self.health_counts),
        )


def readable_teams(user: User) -> QuerySet[Team]:
    """Every team the user may read: all for staff and org-wide viewers, else their trees."""
    return teams_in_trees(readable_root_ids(user)).select_related("parent")


def teams_in_trees(root_ids: list[int] | None) -> QuerySet[Team]:
    """The teams of the trees of `root_ids` (None: every team), by name."""
    teams = Team.objects.order_by("name")
    return teams if root_ids is None else teams.filter(Q(pk__in=root_ids) | Q(parent_id__in=root_ids))


def team_tree(team: Team) -> list[Team]:
    """The team and its sub-teams."""
    return [team, *_sub_teams_of(parent_ids=[team.pk])]


@prepared
def key_result_to_edit(*, pk: int) -> QuerySet[KeyResult]:
    """The key result `pk` (a list of it, or empty) with its objective, team and owners (in the
    order its row lists them, `_owners`)."""
    return (
        KeyResult.objects.filter(pk=pk)
        .select_related("objective__team__parent", "objective__period")
        .prefetch_related(Prefetch("owners", queryset=Person.objects.order_by("display_name", "pk")))
    )


def team_tree_ids(team: Team) -> QuerySet[Team]:
    """The ids of the team and its sub-teams, as a subquery."""
    return Team.objects.filter(Q(pk=team.pk) | Q(parent_id=team.pk)).values("pk")


def _roadmap_items() -> QuerySet[RoadmapItem]:
    """Items with the key results linked to them and what their progress needs."""
    return RoadmapItem.objects.prefetch_related(
        Prefetch(
            "key_results",
            queryset=with_issue_counts(KeyResult.objects.all())
            .select_related("objective__period")
            .order_by("objective__period__start", "objective__order", "order", "pk"),
        ),
    ).order_by("order", "pk")


def _with_rollup(items, now: datetime.datetime) -> list[RoadmapItem]:
    items = list(items)
    for item in items:
        item.krs = list(item.key_results.all())
        for key_result in item.krs:
            key_result.state = key_result_state(key_result, now)
        item.rollup = roadmap_item_rollup(item.krs)
    return items


@dataclass(frozen=True, slots=True)
class KeyResultObjective:
    """What a roadmap needs of a key result's objective: its quarter (progress, the row's note),
    its team (a share link names only its own work) and its order (an item's KRs follow it)."""

    team_id: int
    order: int
    period: Period


@dataclass(slots=True, eq=False)
class PlainKeyResult:
    """A key result as the roadmaps, a meeting's agenda and the team OKR page read it: the fields
    okrs.progress and its row (okrs.templatetags.okrs.key_result_row) read, loaded as plain values
    (a roadmap loads hundreds, and a model instance costs several times as much), with `.state`;
    the OKR page adds its owners, its place among its objective's key results and whether the
    reader may check in on it."""

    pk: int
    title: str
    order: int
    kind: str
    start_value: Decimal
    target_value: Decimal
    current_value: Decimal
    is_done: bool
    weight_by_points: bool
    confidence: str
    last_check_in_at: datetime.datetime | None
    created_at: datetime.datetime
    due_date: datetime.date
    unit: str
    final_score: Decimal | None
    # Counted for a key result measured by its linked issues; 0 for others, whose progress and
    # measure do not read them (okrs.progress.key_result_progress, okrs.templatetags.okrs.measure).
    issues_total: int
    issues_closed: int
    points_total: int
    points_closed: int
    objective_id: int
    objective: "KeyResultObjective | PlainObjective"
    state: KeyResultState | None = None
    owner_ids: tuple[int, ...] = ()
    owner_names: tuple[str, ...] = ()
    is_first: bool = False
    is_last: bool = False
    can_check_in: bool = False

    def get_absolute_url(self) -> str:
        return reverse_pk("okrs:key_result_detail", self.pk)


@dataclass(slots=True, eq=False)
class LaneItem:
    """A roadmap item as its card reads it (okrs.templatetags.okrs.roadmap_item_row), loaded as
    plain values, with its key results and objectives, its roll-up and the horizons it may move to."""

    pk: int
    version: int
    team_id: int
    team: Team
    horizon_id: int
    title: str
    description: str
    status: str
    commitment: str
    health: str
    krs: list[PlainKeyResult]
    linked_objectives: list[PlainObjective]
    rollup: RollUp
    move_choices: list[Horizon]


@dataclass
class LaneWork:
    """The objectives of a roadmap's Now lane, and the objectives and key results of each item."""

    now_lane: list[PlainObjective]
    objectives_of: dict[int, list[PlainObjective]]
    key_results_of: dict[int, list[PlainKeyResult]]


@dataclass(frozen=True)
class LaneReads:
    """What a roadmap's lanes are made from, as six queries read it, in plain values (so that a
    page drawn from them can be remembered under them): the horizons the trees see (every field
    of each), the quarter of the Now lane, the items with their links (`_roadmap_item_rows`), the
    objectives of the Now lane and those linked (`_objective_values`), their key results and those
    linked (`_key_result_values`), and the issues counted of the key results they measure."""

    horizons: tuple[tuple, ...]
    period: tuple  # pk (None when the quarter is not stored), year, quarter, start, end
    items: tuple[tuple, ...]
    objectives: tuple[tuple, ...]
    key_results: tuple[tuple, ...]
    issue_counts: tuple[tuple[int, tuple[int, int, int, int]], ...]


_HORIZON_FIELDS = ("id", "version", "team_id", "name", "target_date", "order")


def _roadmap_lanes(
    trees: list[list[Team]], *, health: str | None, now: datetime.datetime, only_own_work: bool = False
) -> list[list[Lane]]:
    """The lanes of each tree of teams: Now (the quarter's objectives), then each horizon the tree
    sees with its items and their KRs; in a fixed number of queries however many trees."""
    return _lanes_from(_lane_reads(trees, health=health, now=now), trees, now=now, only_own_work=only_own_work)


def _lane_reads(trees: list[list[Team]], *, health: str | None, now: datetime.datetime) -> LaneReads:
    """What the lanes of the trees are made from (`health`: only items of that health)."""
    team_ids = [team.pk for tree in trees for team in tree]
    horizons = _horizons_of(team_ids=team_ids)
    period = default_period(today=now.date(), team_ids=team_ids, active_only=True)
    items = _roadmap_item_rows(team_ids=team_ids, health=health or None)
    objectives = _objective_values(
        shown=_in_now_lane_or,
        with_parents=False,
        team_ids=team_ids,
        period_id=period.pk,
        pks={row[-2] for row in items if row[-2] is not None},
    )
    key_results = _key_result_values(
        shown=_of_objectives_or,
        objective_ids=[row[0] for row in objectives],
        pks={row[-1] for row in items if row[-1] is not None},
    )
    measured_by_issues = [row[0] for row in key_results if row[_KIND] == KeyResult.Kind.ISSUES]
    return LaneReads(
        horizons=tuple(tuple(getattr(horizon, name) for name in _HORIZON_FIELDS) for horizon in horizons),
        period=(period.pk, period.year, period.quarter, period.start, period.end),
        items=tuple(items),
        objectives=tuple(objectives),
        key_results=tuple(key_results),
        issue_counts=tuple(_issue_counts(measured_by_issues).items()),
    )


def _lanes_from(
    reads: LaneReads, trees: list[list[Team]], *, now: datetime.datetime, only_own_work: bool = False
) -> list[list[Lane]]:
    """The lanes `reads` make for the trees, judged at `now`. With more than one tree, lane keys
    start with the tree's first team, so that they are unique on the page."""
    by_id = {team.pk: team for tree in trees for team in tree}
    tree_of = {team.pk: index for index, tree in enumerate(trees) for team in tree}
    team_ids = list(by_id)
    horizons = [Horizon.from_db(router.db_for_read(Horizon), _HORIZON_FIELDS, row) for row in reads.horizons]
    for horizon in horizons:
        horizon.team = by_id.get(horizon.team_id)
    period_id, *period_fields = reads.period
    period = Period(period_id, *period_fields)
    rows = reads.items
    work = _lane_work(reads, team_ids=team_ids, period=period, now=now)
    lanes = []
    for index, tree in enumerate(trees):
        prefix = f"t{tree[0].pk}-" if len(trees) > 1 else ""
        objectives = [objective for objective in work.now_lane if tree_of[objective.team_id] == index]
        tree_lanes = [Lane(key=f"{prefix}now", name=f"Now · {period.name}", objectives=objectives)]
        for horizon in horizons:
            if horizon.team_id is None or tree_of.get(horizon.team_id) == index:
                tree_lanes.append(Lane(key=f"{prefix}h{horizon.pk}", name=str(horizon), horizon=horizon))
        lanes.append(tree_lanes)
    lane_of = {(index, lane.horizon.pk): lane for index, tree_lanes in enumerate(lanes) for lane in tree_lanes[1:]}
    drawn = set()
    for pk, version, team_id, horizon_id, title, description, status, commitment, health, _, _ in rows:
        if pk in drawn:  # the same item again, with another of its links
            continue
        drawn.add(pk)
        index = tree_of[team_id]
        krs = work.key_results_of.get(pk, [])
        objectives = work.objectives_of.get(pk, [])
        if only_own_work:  # a share link shows nothing of other teams, not even linked titles
            krs = [kr for kr in krs if tree_of.get(kr.objective.team_id) == index]
            objectives = [o for o in objectives if tree_of.get(o.team_id) == index]
        move_choices = [
            lane.horizon
            for lane in lanes[index][1:]
            if lane.horizon.team_id in (None, team_id) and lane.horizon.pk != horizon_id
        ]
        lane_of[index, horizon_id].items.append(
            LaneItem(
                pk=pk,
                version=version,
                team_id=team_id,
                team=by_id[team_id],
                horizon_id=horizon_id,
                title=title,
                description=description,
                status=status,
                commitment=commitment,
                health=health,
                krs=krs,
                linked_objectives=objectives,
                rollup=roadmap_item_rollup(krs),
                move_choices=move_choices,
            )
        )
    return lanes


@prepared
def _horizons_of(*, team_ids: list[int]) -> QuerySet[Horizon]:
    """The org-wide horizons, then the teams' own."""
    return Horizon.objects.filter(Q(team__isnull=True) | Q(team_id__in=team_ids)).order_by(
        F("team_id").asc(nulls_first=True), "order", "pk"
    )


def _roadmap_items_of(team_ids: list[int], health: str | None) -> QuerySet[RoadmapItem]:
    """The teams' roadmap items, with `health` only those of that health."""
    items = RoadmapItem.objects.filter(team_id__in=team_ids)
    return items if health is None else items.filter(health=health)


@prepared
def _roadmap_item_rows(*, team_ids: list[int], health: str | None) -> QuerySet[RoadmapItem]:
    """The teams' items in order, each with its links: a row for each (objective, key result) it
    links (None for a kind it links none of; an item links few), its rows one after another."""
    return (
        _roadmap_items_of(team_ids, health)
        .order_by("order", "pk")
        .values_list(
            "pk",
            "version",
            "team_id",
            "horizon_id",
            "title",
            "description",
            "status",
            "commitment",
            "health",
            "objectives",
            "key_results",
        )
    )


def _lane_work(reads: LaneReads, *, team_ids: list[int], period: Period, now: datetime.datetime) -> LaneWork:
    """The teams' objectives for the quarter (the Now lane), and the objectives and key results
    the items link to, with their progress, as `reads` hold them: the objectives (the Now lane's and
    the linked ones together, as they are mostly the same), the key results (of those objectives
    and the linked ones) and their linked issues' counts."""
    objective_links: set[tuple[int, int]] = set()
    key_result_links: set[tuple[int, int]] = set()
    for item_id, *_, objective_id, key_result_id in reads.items:
        if objective_id is not None:
            objective_links.add((item_id, objective_id))
        if key_result_id is not None:
            key_result_links.add((item_id, key_result_id))
    periods = {period.pk: period} if period.pk else {}
    objectives = _objectives_from(reads.objectives, teams={}, periods=periods, with_parents=False)
    key_results = _key_results_from(reads.key_results, periods, now, counts=dict(reads.issue_counts))
    key_results_of_objective: dict[int, list[PlainKeyResult]] = {}
    for key_result in sorted(key_results.values(), key=lambda kr: (kr.order, kr.pk)):
        key_results_of_objective.setdefault(key_result.objective_id, []).append(key_result)
    for objective in objectives:
        objective.krs = key_results_of_objective.get(objective.pk, [])
        _roll_up(objective)
    by_id = {objective.pk: objective for objective in objectives}
    objectives_of: dict[int, list[PlainObjective]] = {}
    for item_id, objective_id in objective_links:
        objectives_of.setdefault(item_id, []).append(by_id[objective_id])
    for item_objectives in objectives_of.values():
        item_objectives.sort(key=lambda objective: (objective.period.start, objective.order, objective.pk))
    key_results_of: dict[int, list[PlainKeyResult]] = {}
    for item_id, key_result_id in key_result_links:
        key_results_of.setdefault(item_id, []).append(key_results[key_result_id])
    for item_key_results in key_results_of.values():
        item_key_results.sort(key=lambda kr: (kr.objective.period.start, kr.objective.order, kr.order, kr.pk))
    return LaneWork(
        now_lane=[
            objective
            for objective in objectives
            if objective.period.pk == period.pk
            and objective.team_id in team_ids
            and not objective.archived
            and objective.parent_id is None
        ],
        objectives_of=objectives_of,
        key_results_of=key_results_of,
    )


def _period(periods: dict[int, Period], pk: int, *fields) -> Period:
    """The quarter `pk`, made once per page from the row's `fields` (year, quarter, start, end)."""
    period = periods.get(pk)
    if period is None:
        period = periods[pk] = Period(pk, *fields)
    return period


# PlainKeyResult's fields up to final_score, in its order: what a key result's row reads of it.
_KEY_RESULT_FIELDS = (
    "pk",
    "title",
    "order",
    "kind",
    "start_value",
    "target_value",
    "current_value",
    "is_done",
    "weight_by_points",
    "confidence",
    "last_check_in_at",
    "created_at",
    "due_date",
    "unit",
    "final_score",
)
_KIND = _KEY_RESULT_FIELDS.index("kind")


def plain_key_results(
    shown: Callable[..., Q], periods: dict[int, Period], now: datetime.datetime, **values
) -> dict[int, PlainKeyResult]:
    """The key results `shown(**values)`, by id, with their state and what it needs of their
    objectives, in two queries (one without key results). `periods`: the quarters already made, by
    id (more are added as read)."""
    return _key_results_from(_key_result_values(shown=shown, **values), periods, now)


def _key_results_from(
    rows: Iterable[tuple],
    periods: dict[int, Period],
    now: datetime.datetime,
    *,
    counts: dict[int, tuple[int, int, int, int]] | None = None,
) -> dict[int, PlainKeyResult]:
    """`_key_result_values`' rows as `plain_key_results` gives them (`counts`: their issues counted
    already, else counted in one query)."""
    objectives: dict[int, KeyResultObjective] = {}
    read = []
    for *fields, objective_id, team_id, order, period_id, year, quarter, start, end in rows:
        objective = objectives.get(objective_id)
        if objective is None:
            period = _period(periods, period_id, year, quarter, start, end)
            objective = objectives[objective_id] = KeyResultObjective(team_id=team_id, order=order, period=period)
        read.append((fields, objective_id, objective))
    return _with_state(read, now, counts=counts)


@prepared
def _key_result_values(*, shown: Callable[..., Q], **values) -> QuerySet[KeyResult]:
    return (
        KeyResult.objects.filter(shown(**values))
        .order_by()
        .values_list(
            *_KEY_RESULT_FIELDS,
            "objective_id",
            "objective__team_id",
            "objective__order",
            "objective__period_id",
            *(f"objective__period__{name}" for name in _PERIOD_FIELDS),
        )
    )


def _of_objectives_or(*, objective_ids: list[int], pks: set[int]) -> Q:
    """The key results of the objectives, and `pks`."""
    return Q(objective_id__in=objective_ids) | Q(pk__in=pks)


def key_results_of_teams_on(*, team_ids, day: datetime.date) -> Q:
    """The key results of the teams' active objectives of the quarter `day` is in (`team_ids`: a
    list, or a subquery)."""
    return Q(
        objective__team_id__in=team_ids,
        objective__archived=False,
        objective__period__start__lte=day,
        objective__period__end__gte=day,
    )


def _key_results_of(objectives: dict[int, PlainObjective], now: datetime.datetime) -> dict[int, PlainKeyResult]:
    """The key results of the `objectives` (by id), by id, with their state, in two queries (one
    without key results): the objectives are already read, so neither they nor their quarters
    are joined and read again (0.35 of the overview selector's 8.4 ms at L)."""
    rows = _key_result_values_of(objective_ids=list(objectives))
    return _with_state([(fields, pk, objectives[pk]) for *fields, pk in rows], now)


@prepared
def _key_result_values_of(*, objective_ids: list[int]) -> QuerySet[KeyResult]:
    key_results = KeyResult.objects.filter(objective_id__in=objective_ids).order_by()
    return key_results.values_list(*_KEY_RESULT_FIELDS, "objective_id")


def _with_state(
    rows: list[tuple[list, int, "KeyResultObjective | PlainObjective"]],
    now: datetime.datetime,
    *,
    counts: dict[int, tuple[int, int, int, int]] | None = None,
) -> dict[int, PlainKeyResult]:
    """PlainKeyResults, by id, from the values of their `_KEY_RESULT_FIELDS`, their objective's id
    and what they need of it, with their state and, for those measured by linked issues, the
    issues' counts (`counts`, else one query, over only their links: the others' links are not
    read)."""
    if counts is None:
        issues = KeyResult.Kind.ISSUES
        counts = _issue_counts([fields[0] for fields, _, _ in rows if fields[_KIND] == issues])
    key_results = {}
    for fields, objective_id, objective in rows:
        pk = fields[0]
        key_result = PlainKeyResult(
            *fields, *counts.get(pk, _NO_ISSUES), objective_id=objective_id, objective=objective
        )
        key_result.state = key_result_state(key_result, now)
        key_results[pk] = key_result
    return key_results


_NO_ISSUES = (0, 0, 0, 0)

# What `okrs.models.with_issue_counts` annotates, for many KRs at once. Raw SQL because the ORM
# spends longer building the aggregates (and grouping every column of the KRs by them) than the
# database takes to run this: 1.5 ms against 0.15 ms for the 86 KRs of the roadmap of every team
# at L. Every value is a parameter.
_ISSUE_COUNTS_SQL = f"""
SELECT l.key_result_id,
    COUNT(*),
    SUM(CASE WHEN i.state = %s THEN 1 ELSE 0 END),
    SUM(i.points),
    SUM(CASE WHEN i.state = %s THEN i.points ELSE 0 END)
FROM {IssueLink._meta.db_table} l JOIN {GitHubIssue._meta.db_table} i ON i.id = l.issue_id
WHERE NOT i.deleted AND l.key_result_id IN (%s)
GROUP BY l.key_result_id
"""  # noqa: S608 (table names; every value is a parameter)


def _issue_counts(key_result_ids: list[int]) -> dict[int, tuple[int, int, int, int]]:
    """(issues_total, issues_closed, points_total, points_closed) of each of the KRs that has
    linked issues not deleted, in one query (none for no KRs)."""
    if not key_result_ids:
        return {}
    closed = GitHubIssue.State.CLOSED.value
    sql = _ISSUE_COUNTS_SQL.replace("IN (%s)", f"IN ({_placeholders(key_result_ids)})")
    with connection.cursor() as cursor:
        cursor.execute(sql, [closed, closed, *key_result_ids])
        return {
            pk: (int(total), int(closed_issues), int(points), int(closed_points))
            for pk, total, closed_issues, points, closed_points in cursor.fetchall()
        }


# The owners of objectives and of key results, in one query (raw SQL: two prefetches, or two ORM
# queries, cost more to build than to run), ordered as Person is. Every value is a parameter.
_OWNERS_SQL = f"""
SELECT 0, o.objective_id, p.id, p.display_name
FROM {Objective.owners.through._meta.db_table} o JOIN {Person._meta.db_table} p ON p.id = o.person_id
WHERE o.objective_id IN (%s)
UNION ALL
SELECT 1, k.keyresult_id, p.id, p.display_name
FROM {KeyResult.owners.through._meta.db_table} k JOIN {Person._meta.db_table} p ON p.id = k.person_id
WHERE k.keyresult_id IN (%s)
ORDER BY 4, 3
"""  # noqa: S608 (table names; every value is a parameter)

Owners = dict[int, tuple[tuple[int, ...], tuple[str, ...]]]


def _owners(objective_ids: list[int], key_result_ids: list[int]) -> tuple[dict[int, tuple[str, ...]], Owners]:
    """The names of the owners of each of the objectives, and the ids and names of those of each
    of the key results, by display name, in one query (none for neither)."""
    if not objective_ids and not key_result_ids:
        return {}, {}
    sql = _OWNERS_SQL.replace("o.objective_id IN (%s)", f"o.objective_id IN ({_placeholders(objective_ids)})")
    sql = sql.replace("k.keyresult_id IN (%s)", f"k.keyresult_id IN ({_placeholders(key_result_ids)})")
    names: tuple[dict[int, list[str]], dict[int, list[str]]] = ({}, {})
    ids: dict[int, list[int]] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, [*objective_ids, *key_result_ids])
        for kind, owned_id, person_id, name in cursor.fetchall():
            names[kind].setdefault(owned_id, []).append(name)
            if kind:
                ids.setdefault(owned_id, []).append(person_id)
    objective_names, key_result_names = names
    return (
        {pk: tuple(owners) for pk, owners in objective_names.items()},
        {pk: (tuple(ids[pk]), tuple(owners)) for pk, owners in key_result_names.items()},
    )


def _attach_owners(objectives: list, key_results: list) -> None:
    """Give the objectives `.owner_names` and the key results `.owner_ids` and `.owner_names`
    (what their rows and the check-in permission read), in one query."""
    objective_owners, key_result_owners = _owners(
        [objective.pk for objective in objectives], [key_result.pk for key_result in key_results]
    )
    for objective in objectives:
        objective.owner_names = objective_owners.get(objective.pk, ())
    for key_result in key_results:
        key_result.owner_ids, key_result.owner_names = key_result_owners.get(key_result.pk, ((), ()))


def _placeholders(values: list) -> str:
    """As many parameters as `values`; NULL for none (IN (NULL) matches nothing)."""
    return ", ".join(["%s"] * len(values)) or "NULL"


def roadmap_page(*, team: Team, health: str | None, now: datetime.datetime, only_own_work: bool = False) -> RoadmapPage:
    """The roadmap of one team with its sub-teams, in lanes: Now (the quarter's objectives), then
    each horizon with its items and their KRs."""
    [lanes] = _roadmap_lanes([team_tree(team)], health=health, now=now, only_own_work=only_own_work)
    return RoadmapPage(team=team, health=health, lanes=lanes)


def org_roadmap_page(
    *,
    user: User,
    team_query: str,
    health: str | None,
    now: datetime.datetime,
    after: str | None = None,
    before: str | None = None,
) -> OrgRoadmapPage:
    """A page of the roadmap of every team the user may read: top-level teams by name, each with its
    sub-teams; only trees with a team whose name contains `team_query`, and with `health`, only
    trees with items of that health (and only those items)."""
    root_ids = readable_root_ids(user)
    if not (team_query or health or after or before):
        pager, sub_teams = _first_trees(root_ids=root_ids, size=ROADMAP_TEAMS_PER_PAGE)
    else:
        top_level = _readable_top_level_teams(user)
        if team_query:
            sub_team_named = Team.objects.filter(parent=OuterRef("pk"), name__icontains=team_query)
            top_level = top_level.filter(Q(name__icontains=team_query) | Exists(sub_team_named))
        if health:
            in_tree = Q(team=OuterRef("pk")) | Q(team__parent=OuterRef("pk"))
            top_level = top_level.filter(Exists(RoadmapItem.objects.filter(in_tree, health=health)))
        pager = keyset_page(top_level, ordering=_TEAM_ORDER, size=ROADMAP_TEAMS_PER_PAGE, after=after, before=before)
        sub_teams = _sub_teams(pager.items)
    trees = [[top, *sub_teams.get(top.pk, [])] for top in pager.items]
    reads = _lane_reads(trees, health=health, now=now)
    every_item_shown = root_ids is not None and not (team_query or health or pager.is_paginated)
    return OrgRoadmapPage(
        teams=trees,
        pager=pager,
        health=health,
        team_query=team_query,
        health_counts=_health_counts_shown(reads.items) if every_item_shown else _health_counts(root_ids),
        now=now,
        reads=reads,
    )


_HEALTH_WORST_FIRST = (RoadmapItem.Health.OFF_TRACK, RoadmapItem.Health.AT_RISK, RoadmapItem.Health.ON_TRACK)


def _health_counts_shown(items: Iterable[tuple]) -> list[HealthCount]:
    """`_health_counts` of a page that shows every item of the trees it counts (unfiltered, on
    one page: most readers, who read a tree or two), from the items it read (`_roadmap_item_rows`,
    a row per link), without asking again."""
    labels = dict(RoadmapItem.Health.choices)
    health_of = {pk: health for pk, *_, health, _, _ in items}
    counted = Counter(health_of.values())
    return [
        HealthCount(health, labels[health], min(counted[health], HEALTH_COUNT_CAP + 1))
        for health in _HEALTH_WORST_FIRST
    ]


def _health_counts(root_ids: list[int] | None) -> list[HealthCount]:
    """How many items of the trees of `root_ids` (None: every team; a tree as `teams_in_trees`
    reads it, its condition written out in SQL) are off track, at risk and on track, in one query
    (raw SQL: the ORM counts a sliced query only alone, and spent longer building three, or just
    the teams' subquery, than SQLite takes to run them): each count reads at most
    HEALTH_COUNT_CAP + 1 items, however big the org."""
    labels = dict(RoadmapItem.Health.choices)
    if root_ids == []:  # in no team, so no items
        return [HealthCount(health, labels[health], 0) for health in _HEALTH_WORST_FIRST]
    in_trees, tree_params = "", []
    if root_ids is not None:
        marks = ", ".join(["%s"] * len(root_ids))
        in_trees = (
            f" AND team_id IN (SELECT id FROM {Team._meta.db_table}"  # noqa: S608 (every value is a parameter)
            f" WHERE id IN ({marks}) OR parent_id IN ({marks}))"
        )
        tree_params = [*root_ids, *root_ids]
    capped = (
        f"(SELECT COUNT(*) FROM (SELECT 1 FROM {RoadmapItem._meta.db_table}"  # noqa: S608 (every value is a parameter)
        f" WHERE health = %s{in_trees} LIMIT %s) capped)"
    )
    params = [value for health in _HEALTH_WORST_FIRST for value in (health, *tree_params, HEALTH_COUNT_CAP + 1)]
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join([capped] * len(_HEALTH_WORST_FIRST)), params)
        counts = cursor.fetchone()
    return [
        HealthCount(health, labels[health], count) for health, count in zip(_HEALTH_WORST_FIRST, counts, strict=True)
    ]


def roadmap_item_summaries(*, team: Team, now: datetime.datetime) -> list[dict]:
    """The team's roadmap as plain data: what a snapshot stores and what "what changed" compares."""
    items = _with_rollup(_roadmap_items().filter(team_id__in=team_tree_ids(team)).select_related("horizon"), now)
    return [
        {
            "id": item.pk,
            "title": item.title,
            "horizon_id": item.horizon_id,
            "horizon": item.horizon.name,
            "status": item.status,
            "commitment": item.commitment,
            "health": item.health,
            "progress": item.rollup.percent,
        }
        for item in items
    ]


@dataclass(frozen=True)
class RoadmapChange:
    kind: str  # added, removed, moved, status, commitment, health, progress
    title: str
    before: str = ""
    after: str = ""


_LABELS = {
    "status": dict(RoadmapItem.Status.choices),
    "commitment": dict(RoadmapItem.Commitment.choices),
    "health": dict(RoadmapItem.Health.choices),
}


def _progress_label(percent: int | None) -> str:
    return "no linked KR" if percent is None else f"{percent}%"


def roadmap_diff(*, before: list[dict], after: list[dict]) -> list[RoadmapChange]:
    """What changed between two roadmaps: items added, removed, moved between horizons, and
    status, commitment, health or progress changes, in that order."""
    old = {entry["id"]: entry for entry in before}
    new = {entry["id"]: entry for entry in after}
    changes = [
        RoadmapChange("added", entry["title"], after=entry["horizon"]) for i, entry in new.items() if i not in old
    ]
    changes += [
        RoadmapChange("removed", entry["title"], before=entry["horizon"]) for i, entry in old.items() if i not in new
    ]
    for item_id, entry in new.items():
        previous = old.get(item_id)
        if previous is None:
            continue
        if previous["horizon_id"] != entry["horizon_id"]:
            changes.append(RoadmapChange("moved", entry["title"], previous["horizon"], entry["horizon"]))
        for name, labels in _LABELS.items():
            if previous[name] != entry[name]:
                changes.append(
                    RoadmapChange(name, entry["title"], labels.get(previous[name], previous[name]), labels[entry[name]])
                )
        if previous["progress"] != entry["progress"]:
            changes.append(
                RoadmapChange(
                    "progress",
                    entry["title"],
                    _progress_label(previous["progress"]),
                    _progress_label(entry["progress"]),
                )
            )
    return changes


def share_link_for_token(token: str) -> RoadmapShareLink | None:
    """The active link this token opens, if any."""
    return (
        RoadmapShareLink.objects.select_related("team")
        .filter(token_hash=share_token_hash(token), revoked_at__isnull=True)
        .first()
    )
