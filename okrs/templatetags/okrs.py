import datetime
import itertools
from dataclasses import dataclass
from decimal import Decimal

from django import template
from django.template.defaultfilters import date as date_filter
from django.utils import timezone

from integrations.selectors import Dashboard, IssueLine, KeyResultWork, Totals, WorkCounts
from okrs.forms import CheckInForm
from okrs.models import KeyResult, RoadmapItem
from okrs.progress import Status, linked_issue_counts
from okrs.selectors import ObjectivePlace
from platformhub.fragments import Sourced, locale_of
from platformhub.templatetags.platformhub import PagerLinks, ago, pager_links
from platformhub.timesince import time_since
from platformhub.urls_cache import reverse_cached, reverse_pk

register = template.Library()


@register.filter
def number(value: Decimal | None) -> str:
    """1234.5000 → "1,234.5"; whole numbers without decimals."""
    if value is None:
        return "–"
    value = Decimal(value)
    if value == value.to_integral_value():
        return f"{value.quantize(Decimal(1)):,}"
    return f"{value.normalize():,f}"


@register.filter
def measure(key_result: KeyResult) -> str:
    """Where the KR stands against its target, in words."""
    kind = key_result.kind
    if kind == KeyResult.Kind.MILESTONE:
        return "Done" if key_result.is_done else "Not done yet"
    if kind == KeyResult.Kind.PERCENT:
        return f"{number(key_result.current_value)}% of 100%"
    if kind == KeyResult.Kind.ISSUES:
        closed, total = linked_issue_counts(key_result)
        what = "points of linked issues" if key_result.weight_by_points else "linked issues"
        return f"{closed} of {total} {what} closed"
    unit = f" {key_result.unit}" if key_result.unit else ""
    current, target, start = (
        number(v) for v in (key_result.current_value, key_result.target_value, key_result.start_value)
    )
    return f"{current} of {target}{unit} (from {start})"


@register.filter
def checked_in(moment: datetime.datetime | None, language: str | None = None) -> str:
    """ "3 days ago" for the last month, the date before that (`language`: the active one)."""
    if moment is None:
        return "No check-ins yet"
    if timezone.now() - moment < datetime.timedelta(days=30):
        return f"Checked in {time_since(moment, language=language)} ago"
    return f"Last check-in {moment:%-d %b %Y}"


@register.simple_tag
def pk_url(view_name: str, pk: int) -> str:
    """`{% url view_name pk %}` cheap enough for every row of a long page (platformhub/urls_cache.py)."""
    return reverse_pk(view_name, pk)


@dataclass(frozen=True)
class KeyResultRow:
    """What a key result's row on the OKR page shows, as plain values (platformhub/fragments.py)."""

    pk: int
    title: str
    measure: str
    owners: tuple[str, ...]
    percent: float
    status: Status
    is_stale: bool
    confidence: str
    confidence_label: str
    checked_in: str
    final_score: Decimal | None
    can_check_in: bool
    can_edit: bool
    reordering: bool
    is_first: bool
    is_last: bool


_CONFIDENCE_LABELS = dict(KeyResult.Confidence.choices)  # get_confidence_display() costs more, for every row


@register.simple_tag(takes_context=True)
def key_result_row(context, key_result: KeyResult) -> KeyResultRow:
    """The row of `key_result` (with `.state`, `.owner_names` and `.can_check_in`) as the page's reader sees it:
    its buttons depend on `can_edit`, `is_closed` and `reordering` (the objective whose key
    results show move buttons)."""
    can_edit = bool(context.get("can_edit"))
    reordering = can_edit and context.get("reordering") == key_result.objective_id
    return KeyResultRow(
        pk=key_result.pk,
        title=key_result.title,
        measure=measure(key_result),
        owners=key_result.owner_names,
        percent=key_result.state.percent,
        status=key_result.state.status,
        is_stale=key_result.state.is_stale,
        confidence=key_result.confidence,
        confidence_label=_CONFIDENCE_LABELS.get(key_result.confidence, key_result.confidence)
        if key_result.confidence
        else "",
        checked_in=checked_in(key_result.last_check_in_at, locale_of(context)[0]),
        final_score=key_result.final_score,
        can_check_in=getattr(key_result, "can_check_in", False) and not context.get("is_closed"),
        can_edit=can_edit,
        reordering=reordering,
        is_first=reordering and key_result.is_first,
        is_last=reordering and key_result.is_last,
    )


@dataclass(frozen=True)
class CheckInRow:
    """A check-in on its key result's timeline, as plain values (platformhub/fragments.py); its
    time shows in `timezone`, the reader's."""

    value: Decimal | None
    unit_suffix: str
    done: bool | None
    confidence: str
    confidence_label: str
    author: str
    created_at: datetime.datetime
    timezone: str
    note: str


@register.simple_tag
def check_in_row(check_in, key_result: KeyResult) -> CheckInRow:
    """The row of `check_in` (with its author) of `key_result`."""
    return CheckInRow(
        value=check_in.value,
        unit_suffix=_unit_suffix(key_result),
        done=check_in.done,
        confidence=check_in.confidence,
        confidence_label=_CONFIDENCE_LABELS.get(check_in.confidence, check_in.confidence),
        author=check_in.author.display_name if check_in.author else "",
        created_at=check_in.created_at,
        timezone=timezone.get_current_timezone_name(),
        note=check_in.note,
    )


def _unit_suffix(key_result: KeyResult) -> str:
    """What follows a value of the key result: "%", " databases", or nothing."""
    if key_result.kind == KeyResult.Kind.PERCENT:
        return "%"
    return f" {key_result.unit}" if key_result.unit else ""


@dataclass(frozen=True)
class EmptyCheckInForm:
    """The check-in form before anything is typed, as plain values (platformhub/fragments.py):
    what `CheckInForm` reads of its key result (its kind and unit decide the fields) and starts from."""

    kind: str
    unit: str
    current_value: Decimal
    is_done: bool
    confidence: str
    version: int

    @classmethod
    def of(cls, key_result: KeyResult) -> "EmptyCheckInForm":
        return cls(
            key_result.kind,
            key_result.unit,
            key_result.current_value,
            key_result.is_done,
            key_result.confidence,
            key_result.version,
        )


@register.simple_tag
def empty_check_in_form(row: EmptyCheckInForm) -> CheckInForm:
    return CheckInForm(initial=CheckInForm.initial_for(row), key_result=row)


@dataclass(frozen=True)
class ObjectiveHeadRow:
    """What the head of an objective's card shows, as plain values (platformhub/fragments.py): its
    title, the objective it aligns to, its owners, progress, score and why."""

    pk: int
    title: str
    aligns_to_team: str
    aligns_to_url: str
    aligns_to_title: str
    owners: tuple[str, ...]
    percent: float
    status: Status | None
    score: Decimal | None
    why: str


@register.simple_tag
def objective_head_row(objective) -> ObjectiveHeadRow:
    """The head of `objective` (a model or a `PlainObjective`, with `.owner_names` and its roll-up)."""
    parent = objective.parent
    return ObjectiveHeadRow(
        pk=objective.pk,
        title=objective.title,
        aligns_to_team=parent.team.name if parent else "",
        aligns_to_url=parent.get_absolute_url() if parent else "",
        aligns_to_title=parent.title if parent else "",
        owners=tuple(objective.owner_names),
        percent=objective.percent,
        status=objective.status,
        score=objective.score,
        why=objective.why,
    )


@dataclass(frozen=True)
class ObjectiveActionsRow:
    """An objective's buttons as the lead sees them, as plain values (platformhub/fragments.py)."""

    pk: int
    oob: bool
    can_reorder: bool
    reordering: bool
    url: str
    team_page_url: str
    is_first: bool
    is_last: bool


@register.simple_tag(takes_context=True)
def objective_actions_row(context, objective) -> ObjectiveActionsRow:
    """The buttons of `objective` on the page of `team` and `period`: reordering its key results
    takes two of them, and while `reordering` is this objective its button ends it. `oob`: sent
    out of band, beside what else changed."""
    return ObjectiveActionsRow(
        pk=objective.pk,
        oob=bool(context.get("oob")),
        can_reorder=_key_result_count(objective) > 1,
        reordering=context.get("reordering") == objective.pk,
        url=objective.get_absolute_url(),
        team_page_url=reverse_cached("okrs:team_okrs", context["team"].slug, context["period"].slug),
        is_first=bool(objective.is_first),
        is_last=bool(objective.is_last),
    )


def _key_result_count(objective) -> int:
    """How many key results `objective` has: counted when only its place was read (after a move,
    `ObjectivePlace`), else its key results loaded with it."""
    return objective.key_result_count if isinstance(objective, ObjectivePlace) else len(objective.krs)


@dataclass(frozen=True)
class ChildObjectiveRow:
    """A sub-team's objective under the objective it aligns to (or among those aligned to none)."""

    title: str
    url: str
    team_name: str
    percent: float
    status: Status | None


@register.simple_tag
def child_objective_rows(children) -> tuple[ChildObjectiveRow, ...]:
    """The rows of sub-team objectives (models or `PlainObjective`s with their roll-up)."""
    return tuple(
        ChildObjectiveRow(child.title, child.get_absolute_url(), child.team.name, child.percent, child.status)
        for child in children
    )


@dataclass(frozen=True)
class KeyResultListRow:
    """An objective's key results' rows, in order."""

    objective_pk: int
    rows: tuple[KeyResultRow, ...]


@register.simple_tag(takes_context=True)
def key_result_list_row(context, objective) -> KeyResultListRow:
    """The rows of the key results of `objective` (with `.krs`), as `key_result_row` makes each."""
    return KeyResultListRow(objective.pk, tuple(key_result_row(context, key_result) for key_result in objective.krs))


@dataclass(frozen=True)
class ObjectiveCardRow:
    """An objective's whole card, as plain values (platformhub/fragments.py): its head, its key
    results' rows, the sub-team objectives aligned to it and, for a lead, its buttons. A page of
    objectives looks up one remembered card for each instead of drawing a dozen partials; a card
    that changed draws again only the rows in it that changed (each is remembered too)."""

    pk: int
    head: ObjectiveHeadRow
    key_results: KeyResultListRow
    aligned: tuple[ChildObjectiveRow, ...]
    actions: ObjectiveActionsRow | None


@register.simple_tag(takes_context=True)
def objective_card_row(context, objective) -> ObjectiveCardRow:
    """The card of `objective` (a `PlainObjective` with `.krs`, `.aligned` and its roll-up) as the
    page's reader sees it (`can_edit`, `is_closed`, `reordering`, `oob`: see the rows it holds)."""
    return ObjectiveCardRow(
        pk=objective.pk,
        head=objective_head_row(objective),
        key_results=key_result_list_row(context, objective),
        aligned=child_objective_rows(objective.aligned),
        actions=objective_actions_row(context, objective) if context.get("can_edit") else None,
    )


@register.simple_tag(takes_context=True)
def objective_card_rows(context, objectives) -> tuple[ObjectiveCardRow, ...]:
    """`objective_card_row` of each of the objectives."""
    return tuple(objective_card_row(context, objective) for objective in objectives)


@dataclass(frozen=True)
class WorkRow:
    """An objective or key result as a roadmap draws it: a title linking to it, a note (its quarter,
    or its team in the Now lane) and a progress bar."""

    pk: int
    title: str
    url: str
    note: str
    percent: float
    status: Status


@dataclass(frozen=True)
class MoveConflict:
    """Someone moved or edited a roadmap item while the reader was moving it (409)."""

    changed_by: str
    changed_at: str
    wanted: str
    wanted_pk: int
    now_in: str


@dataclass(frozen=True)
class RoadmapItemRow:
    """What a roadmap item's card shows, as plain values (platformhub/fragments.py)."""

    pk: int
    version: int
    title: str
    heading: int
    team_name: str
    status: str
    status_label: str
    commitment: str
    commitment_label: str
    health: str
    health_label: str
    percent: int | None
    explanation: str
    description: str
    objectives: tuple[WorkRow, ...]
    key_results: tuple[WorkRow, ...]
    move_choices: tuple[tuple[int, str], ...]
    read_only: bool
    can_edit: bool
    is_first: bool
    is_last: bool
    conflict: MoveConflict | None


_STATUS_LABELS = dict(RoadmapItem.Status.choices)
_COMMITMENT_LABELS = dict(RoadmapItem.Commitment.choices)
_HEALTH_LABELS = dict(RoadmapItem.Health.choices)  # get_FOO_display() costs more, for every card of the page


def _roadmap_item_row(context, item, is_first: bool, is_last: bool) -> RoadmapItemRow:
    """The card of `item` (from okrs.selectors._roadmap_lanes: `.rollup`, `.krs` with `.state`,
    `.linked_objectives`, `.move_choices`) as the reader sees it: headed at `item_heading`, with
    the team's name when it is a sub-team's, and buttons when `can_edit` and not `read_only`."""
    moved_meanwhile = context.get("moved_meanwhile") or {}
    return RoadmapItemRow(
        pk=item.pk,
        version=item.version,
        title=item.title,
        heading=int(context.get("item_heading") or 3),
        team_name=_team_name_unless_shown(context, item.team_id, item.team.name),
        status=item.status,
        status_label=_STATUS_LABELS.get(item.status, item.status),
        commitment=item.commitment,
        commitment_label=_COMMITMENT_LABELS.get(item.commitment, item.commitment),
        health=item.health,
        health_label=_HEALTH_LABELS.get(item.health, item.health),
        percent=item.rollup.percent,
        explanation=item.rollup.explanation,
        description=item.description,
        objectives=tuple(
            WorkRow(o.pk, o.title, o.get_absolute_url(), f"Objective · {o.period.name}", o.percent, o.status)
            for o in item.linked_objectives
        ),
        key_results=tuple(
            WorkRow(kr.pk, kr.title, kr.get_absolute_url(), kr.objective.period.name, kr.state.percent, kr.state.status)
            for kr in item.krs
        ),
        move_choices=tuple((horizon.pk, str(horizon)) for horizon in item.move_choices),
        read_only=bool(context.get("read_only")),
        can_edit=bool(context.get("can_edit")),
        is_first=is_first,
        is_last=is_last,
        conflict=_move_conflict(moved_meanwhile) if moved_meanwhile.get("item") == item.pk else None,
    )


def _team_name_unless_shown(context, team_id: int, team_name: str) -> str:
    """The name of the team an item or objective belongs to, unless it is the team whose roadmap
    the lanes are drawn for (a sub-team's work is named)."""
    team = context.get("team")
    return team_name if team is None or team_id != team.pk else ""


def _move_conflict(moved_meanwhile: dict) -> MoveConflict:
    change = moved_meanwhile["changed_by"]
    person = getattr(getattr(change, "history_user", None), "person", None) if change else None
    return MoveConflict(
        changed_by=getattr(person, "display_name", "") or "Someone else",
        changed_at=date_filter(timezone.localtime(change.history_date), "H:i T") if change else "",
        wanted=moved_meanwhile["wanted"].name,
        wanted_pk=moved_meanwhile["wanted"].pk,
        now_in=moved_meanwhile["now_in"].name,
    )


@dataclass(frozen=True)
class NowObjectiveRow:
    """An objective of the quarter in a roadmap's Now lane (platformhub/fragments.py)."""

    heading: int
    read_only: bool
    objective: WorkRow


def _now_objective_row(context, objective) -> NowObjectiveRow:
    """`objective` (with `.percent` and `.status`) in the Now lane; named with its team when it is a sub-team's."""
    return NowObjectiveRow(
        heading=int(context.get("item_heading") or 3),
        read_only=bool(context.get("read_only")),
        objective=WorkRow(
            objective.pk,
            objective.title,
            objective.get_absolute_url(),
            _team_name_unless_shown(context, objective.team_id, objective.team.name),
            objective.percent,
            objective.status,
        ),
    )


@dataclass(frozen=True)
class LaneRow:
    """A roadmap lane with its cards (platformhub/fragments.py): a lane is drawn again only when
    one of its cards, or the lane itself, changed. `tree`: the team whose tree the lane belongs
    to on the roadmap of every team (its heading labels the lane), else None."""

    key: str
    name: str
    heading: int
    tree: int | None
    target_date: datetime.date | None
    horizon_pk: int | None
    objectives: tuple[NowObjectiveRow, ...]
    items: tuple[RoadmapItemRow, ...]
    health_filtered: bool
    add_url: str


@register.simple_tag(takes_context=True)
def roadmap_lane_row(context, lane) -> LaneRow:
    """`lane` (okrs.selectors.Lane) as the reader sees it: its Now objectives or its items' cards
    (as `_now_objective_row` and `_roadmap_item_row` make them), and the link to add an item when
    they may edit and the roadmap is not read-only."""
    horizon = lane.horizon
    can_add = horizon is not None and context.get("can_edit") and not context.get("read_only")
    page = context.get("page")
    last = len(lane.items) - 1
    items = tuple(_roadmap_item_row(context, item, index == 0, index == last) for index, item in enumerate(lane.items))
    return LaneRow(
        key=lane.key,
        name=lane.name,
        heading=int(context.get("lane_heading") or 2),
        tree=context["team"].pk if context.get("all_teams") else None,
        target_date=horizon.target_date if horizon is not None else None,
        horizon_pk=horizon.pk if horizon is not None else None,
        objectives=tuple(_now_objective_row(context, objective) for objective in lane.objectives)
        if horizon is None
        else (),
        items=items,
        health_filtered=bool(getattr(page, "health", None)),
        add_url=reverse_cached("okrs:roadmap_item_create", context["team"].slug) if can_add else "",
    )


@dataclass(frozen=True)
class RoadmapHead:
    """A roadmap page's heading, actions and filters (platformhub/fragments.py). `health` is ""
    when no health is filtered on; `team_name` and `team_slug` are "" on the roadmap of every team."""

    all_teams: bool
    team_name: str
    team_slug: str
    can_edit: bool
    team_query: str
    health: str
    health_choices: tuple[tuple[str, str], ...]


@register.simple_tag(takes_context=True)
def roadmap_head(context) -> RoadmapHead:
    """The head of the roadmap page drawn in `context` (okrs/roadmap_views.py's)."""
    team, page = context.get("team"), context["page"]
    return RoadmapHead(
        all_teams=bool(context.get("all_teams")),
        team_name=team.name if team else "",
        team_slug=team.slug if team else "",
        can_edit=bool(context.get("can_edit")),
        team_query=getattr(page, "team_query", "") or "",
        health=page.health or "",
        health_choices=tuple((value, str(label)) for value, label in context["health_choices"]),
    )


@dataclass(frozen=True)
class RoadmapTreeRow:
    """A top-level team on the roadmap of every team, with its lanes (its sub-teams' work in them)."""

    pk: int
    name: str
    url: str
    lanes: tuple[LaneRow, ...]


@dataclass(frozen=True)
class OrgRoadmapBody:
    """All the roadmap of every team shows below the site header (platformhub/fragments.py)."""

    head: RoadmapHead
    health_counts: tuple[tuple[str, str, str], ...]  # (health, shown count, label)
    trees: tuple[RoadmapTreeRow, ...]
    pager: PagerLinks | None


@register.simple_tag(takes_context=True)
def org_roadmap_body(context, page, page_size: int) -> Sourced:
    """`page` (okrs.selectors.org_roadmap_page) as the row its page is drawn from: each tree's
    lanes as `roadmap_lane_row` makes them there (lanes headed h3, cards h4, nothing to edit).
    Named by what it is made from (`page.source`, its head, and the query string its pager's links
    keep), so that a page whose reads are unchanged is drawn without making its lanes' rows."""
    head = roadmap_head(context)

    def build() -> OrgRoadmapBody:
        lane_context = {"all_teams": True, "page": page, "lane_heading": 3, "item_heading": 4}
        return OrgRoadmapBody(
            head=head,
            health_counts=tuple((count.health, count.shown, str(count.label)) for count in page.health_counts),
            trees=tuple(
                RoadmapTreeRow(
                    pk=tree.team.pk,
                    name=tree.team.name,
                    url=reverse_cached("okrs:team_roadmap", tree.team.slug),
                    lanes=tuple(roadmap_lane_row(lane_context | {"team": tree.team}, lane) for lane in tree.lanes),
                )
                for tree in page.trees
            ),
            pager=pager_links(context, page.pager, "More teams", f"{page_size:d} teams"),
        )

    return Sourced(source=(page.source, head, page_size, context.request.GET.urlencode()), build=build)


@dataclass(frozen=True)
class OverviewObjectiveRow:
    pk: int
    title: str
    key_results: int
    percent: int
    status: Status | None


@dataclass(frozen=True)
class OverviewTeamRow:
    """A team's section of the OKR overview, as plain values (platformhub/fragments.py)."""

    pk: int
    name: str
    parent_name: str
    url: str
    period_name: str
    percent: int
    objectives: tuple[OverviewObjectiveRow, ...]


@register.simple_tag
def overview_team_row(row, period) -> OverviewTeamRow:
    """`row` (okrs.selectors.TeamOverview) for `period`: the team, its roll-up and its objectives."""
    team = row.team
    return OverviewTeamRow(
        pk=team.pk,
        name=team.name,
        parent_name=team.parent.name if team.parent_id else "",
        url=reverse_cached("okrs:team_okrs", team.slug, period.slug),
        period_name=period.name,
        percent=row.percent,
        objectives=tuple(OverviewObjectiveRow(o.pk, o.title, len(o.krs), o.percent, o.status) for o in row.objectives),
    )


@dataclass(frozen=True)
class WorkCardRow:
    """A key result's card on the dashboard, as plain values (platformhub/fragments.py)."""

    pk: int
    title: str
    url: str
    objective_title: str
    measure: str
    percent: int
    status: Status
    counts: WorkCounts
    blocked_issues: tuple[IssueLine, ...]
    stale_issues: tuple[IssueLine, ...]
    recently_closed: tuple[IssueLine, ...]


def work_card_row(entry: KeyResultWork) -> WorkCardRow:
    """The dashboard's card of `entry`: the key result, where it stands and its linked work."""
    key_result = entry.key_result
    return WorkCardRow(
        pk=key_result.pk,
        title=key_result.title,
        url=entry.url,
        objective_title=key_result.objective.title,
        measure=measure(key_result),
        percent=entry.state.percent,
        status=entry.state.status,
        counts=entry.counts,
        blocked_issues=tuple(entry.blocked_issues),
        stale_issues=tuple(entry.stale_issues),
        recently_closed=tuple(entry.recently_closed),
    )


@dataclass(frozen=True)
class WorkCardRun:
    """Cards of one team in a row on the dashboard, under its team's heading."""

    team_name: str
    rows: tuple[WorkCardRow, ...]


def work_card_runs(entries) -> tuple[WorkCardRun, ...]:
    """The dashboard's cards (listed team by team) as runs of one team each, so that each run is
    drawn by `{% memo_each %}` under one heading."""
    runs = []
    for _, entries_of_team in itertools.groupby(entries, key=lambda entry: entry.key_result.team_id):
        first, *rest = entries_of_team
        rows = tuple(work_card_row(entry) for entry in (first, *rest))
        runs.append(WorkCardRun(team_name=first.key_result.team_name, rows=rows))
    return tuple(runs)


@dataclass(frozen=True)
class DashboardBody:
    """All the dashboard shows below the site header, as plain values (platformhub/fragments.py):
    a page built again is drawn again only when something on it changed, and its cards only
    when theirs did. `synced_ago` is "" when GitHub was never synced; `status_label` "" when no
    status is filtered on."""

    team_name: str
    team_is_top_level: bool
    period_name: str
    synced_ago: str
    sync_error: str
    team_choices: tuple[tuple[str, str, bool], ...]
    quarter_choices: tuple[tuple[str, str, bool], ...]
    status_choices: tuple[tuple[str, str, bool], ...]
    totals: Totals
    status_label: str
    runs: tuple[WorkCardRun, ...]
    is_paginated: bool
    scan_size: int
    scanned_without_filling: bool  # a status filter found fewer than a page in its scan, and more lie beyond
    pager: PagerLinks | None


@register.simple_tag(takes_context=True)
def dashboard_body(context, board: Dashboard) -> DashboardBody | Sourced:
    """The dashboard `board` (integrations.selectors.dashboard) as the row its page is drawn from;
    without a status filter, named by what it is made from (`board.source`, what the last sync's
    "5 minutes ago" says, and the query string its pager's links keep), so that a page whose
    reads are unchanged is drawn without working its key results out again."""
    last_sync = board.last_sync
    synced_ago = ago(last_sync.started_at) if last_sync else ""

    def build() -> DashboardBody:
        page = board.page
        return DashboardBody(
            team_name=board.team_name,
            team_is_top_level=board.team_is_top_level,
            period_name=board.period.name,
            synced_ago=synced_ago,
            sync_error=(last_sync.error or "") if last_sync else "",
            team_choices=tuple(board.team_choices),
            quarter_choices=tuple(board.quarter_choices),
            status_choices=tuple(board.status_choices),
            totals=board.totals,
            status_label=board.status.label if board.status else "",
            runs=work_card_runs(page),
            is_paginated=page.is_paginated,
            scan_size=board.scan_size,
            scanned_without_filling=bool(board.status and page.items and page.has_next and len(page) < board.page_size),
            pager=pager_links(context, page, "Pages of key results", board.page_size),
        )

    source = board.source
    if source is None:
        return build()
    return Sourced(source=(source, synced_ago, context.request.GET.urlencode()), build=build)
