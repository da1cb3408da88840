"""Reads for OKR pages. Each returns what its page needs in a fixed number of queries and
attaches the computed progress and status (from okrs.progress) to the objects."""

import datetime
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db.models import Prefetch, Q, QuerySet

from okrs.models import CheckIn, KeyResult, Objective, Period, TeamPeriod
from okrs.progress import Status, key_result_state, objective_progress, objective_score, objective_status
from okrs.services import period_for_date
from platformhub.models import Person, Team
from platformhub.permissions import access_for


def _key_results() -> QuerySet[KeyResult]:
    return KeyResult.objects.prefetch_related("owners").order_by("order", "pk")


def _objectives(period: Period) -> QuerySet[Objective]:
    return (
        Objective.objects.filter(period=period)
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
        objective.percent = round(objective.progress * 100)
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
        _objectives(period).filter(team=team).select_related("parent", "parent__team").prefetch_related(children)
    )
    unaligned = list(_objectives(period).filter(team__parent=team, archived=False).filter(Q(parent__isnull=True)))
    active = [objective for objective in objectives if not objective.archived]
    for position, objective in enumerate(active):
        objective.is_first, objective.is_last = position == 0, position == len(active) - 1
        attach_progress(objective.aligned, now)
    return TeamOkrPage(
        team=team,
        period=period,
        team_period=TeamPeriod.objects.filter(team=team, period=period).select_related("closed_by").first(),
        objectives=attach_progress(active, now),
        unaligned_sub_team_objectives=attach_progress(unaligned, now),
        archived=[objective for objective in objectives if objective.archived],
        periods=periods_for_switcher(team=team, shown=[period, current]),
    )


def default_period(*, today: datetime.date, objectives: QuerySet[Objective]) -> Period:
    """This quarter if it has objectives, else the latest quarter that has some (else this one)."""
    current = period_for_date(today)
    if objectives.filter(period=current).exists():
        return current
    latest = Period.objects.filter(objectives__in=objectives).order_by("-start").first()
    return latest or current


def periods_for_switcher(*, team: Team, shown: list[Period]) -> list[Period]:
    """Quarters the team has objectives in, plus the one being shown and the current one."""
    used = Period.objects.filter(Q(objectives__team=team) | Q(pk__in=[period.pk for period in shown]))
    return list(used.distinct().order_by("start"))


def objective_for_card(*, objective_id: int, now: datetime.datetime) -> Objective:
    """One objective, ready to render as a card on the team OKR page."""
    objective = (
        _objectives_any_period()
        .select_related("parent", "parent__team")
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
    return TeamPeriod.objects.filter(team=team, period=period, closed_at__isnull=False).exists()


def key_result_for_page(*, key_result_id: int, now: datetime.datetime) -> KeyResult:
    """A key result with its objective, owners and whole check-in history (newest first)."""
    key_result = (
        KeyResult.objects.select_related("objective__team__parent", "objective__period", "objective__parent")
        .prefetch_related(
            "owners",
            Prefetch("check_ins", queryset=CheckIn.objects.select_related("author").order_by("-created_at", "-pk")),
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
    return Objective.objects.filter(team_id=team.parent_id, period=period, archived=False).order_by("order", "pk")


@dataclass
class TeamOverview:
    team: Team
    objectives: list[Objective]

    @property
    def percent(self) -> int:
        if not self.objectives:
            return 0
        return round(sum(objective.progress for objective in self.objectives) / len(self.objectives) * 100)


def org_overview(*, user: User, period: Period, now: datetime.datetime) -> list[TeamOverview]:
    """Every team the user may read, with its objectives for the quarter and their roll-up."""
    access = access_for(user)
    teams = Team.objects.select_related("parent").order_by("name")
    if not (access.is_staff or access.is_org_viewer):
        teams = teams.filter(Q(pk__in=access.root_team_ids) | Q(parent_id__in=access.root_team_ids))
    teams = list(
        teams.prefetch_related(
            Prefetch("objectives", _objectives(period).filter(archived=False), to_attr="quarter_objectives")
        )
    )
    ordered = sorted(
        teams, key=lambda team: (team.parent.name if team.parent else team.name, team.parent_id is not None, team.name)
    )
    return [TeamOverview(team=team, objectives=attach_progress(team.quarter_objectives, now)) for team in ordered]
