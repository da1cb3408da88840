"""Reads for OKR pages. Each returns what its page needs in a fixed number of queries and
attaches the computed progress and status (from okrs.progress) to the objects."""

import datetime
from dataclasses import dataclass, field

from django.contrib.auth.models import User
from django.db.models import F, Prefetch, Q, QuerySet

from integrations.models import IssueLink
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
    Status,
    as_percent,
    key_result_state,
    objective_progress,
    objective_score,
    objective_status,
    roadmap_item_rollup,
)
from okrs.services import share_token_hash
from platformhub.models import Person, Team
from platformhub.permissions import access_for


def _key_results() -> QuerySet[KeyResult]:
    return with_issue_counts(KeyResult.objects.prefetch_related("owners").order_by("order", "pk"))


def _objectives(period: Period) -> QuerySet[Objective]:
    return (
        Objective.objects.filter(period_id=period.pk)
        .select_related("team", "period")
        .prefetch_related("owners", Prefetch("key_results", queryset=_key_results()))
        .order_by("order", "pk")
    )


def attach_progress(objectives, now: datetime.datetime) -> list[Objective]:
    """Give each objective `.krs` (its key results, each with `.state`), `.progress`, `.status`, `.score`."""
    objectives = list(objectives)
    for objective in objectives:
        objective.krs = list(objective.key_results.all())
        for key_result in objective.krs:
            key_result.objective = objective
            key_result.state = key_result_state(key_result, now)
        objective.progress = objective_progress(objective.krs)
        objective.percent = as_percent(objective.progress)
        objective.status = objective_status([kr.state for kr in objective.krs])
        objective.score = objective_score(objective.krs)
    return objectives


@dataclass
class TeamOkrPage:
    team: Team
    period: Period
    team_period: TeamPeriod | None
    objectives: list[Objective]
    unaligned_sub_team_objectives: list[Objective]
    archived: list[Objective]
    periods: list[Period]

    @property
    def is_closed(self) -> bool:
        return self.team_period is not None and self.team_period.is_closed

    @property
    def status_counts(self) -> dict[str, int]:
        """How many of the quarter's key results are in each status, and how many are stale."""
        states = [kr.state for objective in self.objectives for kr in objective.krs]
        counts = {status.value: 0 for status in Status}
        for state in states:
            counts[state.status.value] += 1
        return {**counts, "total": len(states), "stale": sum(state.is_stale for state in states)}


def team_okr_page(*, team: Team, period: Period, current: Period, now: datetime.datetime) -> TeamOkrPage:
    """The team's objectives for the quarter, each with the sub-team objectives aligned to it."""
    children = Prefetch(
        "children", queryset=_objectives(period).filter(archived=False, team__parent=team), to_attr="aligned"
    )
    objectives = list(
        _objectives(period)
        .filter(team=team)
        .select_related("parent", "parent__team", "parent__period")
        .prefetch_related(children)
    )
    unaligned = list(_objectives(period).filter(team__parent=team, archived=False).filter(Q(parent__isnull=True)))
    active = [objective for objective in objectives if not objective.archived]
    for position, objective in enumerate(active):
        objective.is_first, objective.is_last = position == 0, position == len(active) - 1
        attach_progress(objective.aligned, now)
    return TeamOkrPage(
        team=team,
        period=period,
        team_period=TeamPeriod.objects.filter(team=team, period_id=period.pk).select_related("closed_by").first(),
        objectives=attach_progress(active, now),
        unaligned_sub_team_objectives=attach_progress(unaligned, now),
        archived=[objective for objective in objectives if objective.archived],
        periods=periods_for_switcher(team=team, shown=[period, current]),
    )


def period_find(year: int, quarter: int) -> Period:
    """The quarter as stored, or an unsaved one with its dates when nothing was planned in it yet.

    Reads never create rows; the services save a quarter when something is first written to it."""
    start, end = Period.bounds(year, quarter)
    stored = Period.objects.filter(year=year, quarter=quarter).first()
    return stored or Period(year=year, quarter=quarter, start=start, end=end)


def parse_quarter(text: str) -> tuple[int, int] | None:
    """(year, quarter) from "2022-q4", for years 2000–2100; None for anything else."""
    year, separator, quarter = text.partition("-q")
    if not separator or not (year.isascii() and year.isdigit() and len(year) == 4 and quarter in {"1", "2", "3", "4"}):
        return None
    if not 2000 <= int(year) <= 2100:
        return None
    return int(year), int(quarter)


def default_period(*, today: datetime.date, objectives: QuerySet[Objective]) -> Period:
    """This quarter if it has objectives, else the latest quarter that has some (else this one)."""
    current = period_find(*Period.quarter_of(today))
    if current.pk and objectives.filter(period=current).exists():
        return current
    latest = Period.objects.filter(objectives__in=objectives).order_by("-start").first()
    return latest or current


def periods_for_switcher(*, team: Team, shown: list[Period]) -> list[Period]:
    """Quarters the team has objectives in, plus the one being shown and the current one."""
    used = Period.objects.filter(Q(objectives__team=team) | Q(pk__in=[period.pk for period in shown if period.pk]))
    by_slug = {period.slug: period for period in used.distinct()}
    for period in shown:
        by_slug.setdefault(period.slug, period)
    return sorted(by_slug.values(), key=lambda period: period.start)


def objective_for_card(*, objective_id: int, now: datetime.datetime) -> Objective:
    """One objective, ready to render as a card on the team OKR page."""
    objective = (
        _objectives_any_period()
        .select_related("parent", "parent__team", "parent__period")
        .prefetch_related(
            Prefetch(
                "children",
                queryset=Objective.objects.filter(archived=False)
                .select_related("team", "period")
                .prefetch_related("owners", Prefetch("key_results", queryset=_key_results())),
                to_attr="aligned",
            )
        )
        .get(pk=objective_id)
    )
    siblings = list(
        Objective.objects.filter(team=objective.team, period=objective.period, archived=False)
        .order_by("order", "pk")
        .values_list("pk", flat=True)
    )
    objective.is_first = bool(siblings) and siblings[0] == objective.pk
    objective.is_last = bool(siblings) and siblings[-1] == objective.pk
    attach_progress(objective.aligned, now)
    return attach_progress([objective], now)[0]


def _objectives_any_period() -> QuerySet[Objective]:
    return Objective.objects.select_related("team", "team__parent", "period").prefetch_related(
        "owners", Prefetch("key_results", queryset=_key_results())
    )


def team_period_is_closed(*, team: Team, period: Period) -> bool:
    return TeamPeriod.objects.filter(team=team, period_id=period.pk, closed_at__isnull=False).exists()


def key_result_for_page(*, key_result_id: int, now: datetime.datetime) -> KeyResult:
    """A key result with its objective, owners and whole check-in history (newest first)."""
    key_result = (
        with_issue_counts(KeyResult.objects.all())
        .select_related("objective__team__parent", "objective__period", "objective__parent")
        .prefetch_related(
            "owners",
            "saved_searches",
            Prefetch("check_ins", queryset=CheckIn.objects.select_related("author").order_by("-created_at", "-pk")),
            Prefetch(
                "issue_links",
                queryset=IssueLink.objects.select_related("issue").order_by("issue__state", "-issue__last_activity_at"),
            ),
        )
        .get(pk=key_result_id)
    )
    key_result.state = key_result_state(key_result, now)
    return key_result


def key_result_for_edit(*, key_result_id: int) -> KeyResult:
    return (
        KeyResult.objects.select_related("objective__team__parent", "objective__period")
        .prefetch_related("owners")
        .get(pk=key_result_id)
    )


def people_for_team(team: Team) -> QuerySet[Person]:
    """Who can own a team's objectives and key results: people in the team's tree."""
    root_id = team.root_id
    return (
        Person.objects.filter(Q(memberships__team_id=root_id) | Q(memberships__team__parent_id=root_id))
        .distinct()
        .order_by("display_name")
    )


def parent_objective_choices(*, team: Team, period: Period) -> QuerySet[Objective]:
    """Objectives of the parent team this quarter, which a sub-team objective can align to."""
    if team.parent_id is None:
        return Objective.objects.none()
    return Objective.objects.filter(team_id=team.parent_id, period_id=period.pk, archived=False).order_by("order", "pk")


@dataclass
class TeamOverview:
    team: Team
    objectives: list[Objective]

    @property
    def percent(self) -> int:
        if not self.objectives:
            return 0
        return as_percent(sum(objective.progress for objective in self.objectives) / len(self.objectives))


def org_overview(*, user: User, period: Period, now: datetime.datetime) -> list[TeamOverview]:
    """Every team the user may read, with its objectives for the quarter and their roll-up."""
    quarter_objectives = Prefetch(
        "objectives", _objectives(period).filter(archived=False), to_attr="quarter_objectives"
    )
    teams = list(readable_teams(user).prefetch_related(quarter_objectives))
    teams.sort(key=lambda team: (team.parent.name if team.parent else team.name, team.parent_id is not None, team.name))
    return [TeamOverview(team=team, objectives=attach_progress(team.quarter_objectives, now)) for team in teams]


# Roadmap


@dataclass
class Lane:
    """A column of the roadmap: "Now" (this quarter's objectives) or a horizon's items."""

    key: str
    name: str
    horizon: Horizon | None = None
    items: list[RoadmapItem] = field(default_factory=list)
    objectives: list[Objective] = field(default_factory=list)


@dataclass
class RoadmapPage:
    team: Team | None
    teams: list[Team]
    health: str | None
    period: Period
    lanes: list[Lane]

    @property
    def item_count(self) -> int:
        return sum(len(lane.items) for lane in self.lanes)


def readable_teams(user: User) -> QuerySet[Team]:
    """Every team the user may read: all for staff and org-wide viewers, else their trees."""
    access = access_for(user)
    teams = Team.objects.select_related("parent").order_by("name")
    if access.is_staff or access.is_org_viewer:
        return teams
    return teams.filter(Q(pk__in=access.root_team_ids) | Q(parent_id__in=access.root_team_ids))


def team_tree(team: Team) -> list[Team]:
    """The team and its sub-teams."""
    return list(Team.objects.filter(Q(pk=team.pk) | Q(parent_id=team.pk)).select_related("parent"))


def team_tree_ids(team: Team) -> QuerySet[Team]:
    """The ids of the team and its sub-teams, as a subquery."""
    return Team.objects.filter(Q(pk=team.pk) | Q(parent_id=team.pk)).values("pk")


def _roadmap_items() -> QuerySet[RoadmapItem]:
    return (
        RoadmapItem.objects.select_related("team", "horizon")
        .prefetch_related(
            "owners",
            Prefetch(
                "objectives",
                queryset=Objective.objects.select_related("team", "period")
                .prefetch_related(Prefetch("key_results", queryset=_key_results()))
                .order_by("period__start", "order", "pk"),
            ),
            Prefetch(
                "key_results",
                queryset=with_issue_counts(KeyResult.objects.all())
                .select_related("objective__period", "objective__team")
                .order_by("objective__period__start", "objective__order", "order", "pk"),
            ),
        )
        .order_by("order", "pk")
    )


def _with_rollup(items, now: datetime.datetime) -> list[RoadmapItem]:
    items = list(items)
    for item in items:
        item.krs = list(item.key_results.all())
        for key_result in item.krs:
            key_result.state = key_result_state(key_result, now)
        item.rollup = roadmap_item_rollup(item.krs)
        item.linked_objectives = attach_progress(item.objectives.all(), now)
    return items


def roadmap_page(
    *, teams: list[Team], team: Team | None, health: str | None, now: datetime.datetime, only_own_work: bool = False
) -> RoadmapPage:
    """The roadmap of one team (with its sub-teams) or of all `teams` (those the reader may see),
    in lanes: Now (the quarter's objectives), then each horizon with its items and their KRs."""
    if team is not None:
        team_ids = [t.pk for t in teams if t.pk == team.pk or t.parent_id == team.pk]
    else:
        team_ids = [t.pk for t in teams]
    items = _roadmap_items().filter(team_id__in=team_ids)
    if health:
        items = items.filter(health=health)
    horizons = list(
        Horizon.objects.filter(Q(team__isnull=True) | Q(team_id__in=team_ids))
        .select_related("team")
        .order_by(F("team_id").asc(nulls_first=True), "order", "pk")
    )
    objectives = Objective.objects.filter(team_id__in=team_ids, archived=False)
    period = default_period(today=now.date(), objectives=objectives)
    now_objectives = attach_progress(
        _objectives(period).filter(team_id__in=team_ids, archived=False, parent__isnull=True), now
    )
    lanes = [Lane(key="now", name=f"Now · {period.name}", objectives=now_objectives)]
    by_horizon = {horizon.pk: Lane(key=f"h{horizon.pk}", name=str(horizon), horizon=horizon) for horizon in horizons}
    for item in _with_rollup(items, now):
        if only_own_work:  # a share link shows nothing of other teams, not even linked titles
            item.krs = [kr for kr in item.krs if kr.objective.team_id in team_ids]
            item.linked_objectives = [o for o in item.linked_objectives if o.team_id in team_ids]
            item.rollup = roadmap_item_rollup(item.krs)
        item.move_choices = [h for h in horizons if h.team_id in (None, item.team_id) and h.pk != item.horizon_id]
        by_horizon[item.horizon_id].items.append(item)
    lanes.extend(by_horizon.values())
    return RoadmapPage(team=team, teams=teams, health=health, period=period, lanes=lanes)


def roadmap_item_summaries(*, team: Team, now: datetime.datetime) -> list[dict]:
    """The team's roadmap as plain data: what a snapshot stores and what "what changed" compares."""
    items = _with_rollup(_roadmap_items().filter(team_id__in=team_tree_ids(team)), now)
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
