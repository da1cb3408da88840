"""Reads for the board, the sprint page and the sprint report, each in a fixed number of queries."""

import datetime
from dataclasses import dataclass, field

from django.db.models import Prefetch, Q, QuerySet

from okrs.models import KeyResult, with_issue_counts
from okrs.progress import Status, as_percent, key_result_state
from okrs.selectors import people_for_team, team_tree_ids
from platformhub.models import Person, Team
from sprints.checks import is_lingering, lone_wolf_reason, people_over_the_limit, project_progress
from sprints.models import ActionItem, Board, Card, CardMove, Meeting, Project, RosterEntry, Sprint, SprintGoal

VELOCITY_SPRINTS = 6


@dataclass
class BoardColumn:
    key: str
    label: str
    cards: list[Card]
    limit: int | None

    @property
    def over_limit(self) -> bool:
        return self.limit is not None and len(self.cards) > self.limit


@dataclass
class BoardFilters:
    sprint: Sprint | None = None
    owner: Person | None = None
    project: Project | None = None
    sub_team: Team | None = None

    @property
    def active(self) -> bool:
        return any((self.sprint, self.owner, self.project, self.sub_team))


@dataclass
class BoardPage:
    team: Team
    board: Board
    columns: list[BoardColumn]
    filters: BoardFilters
    sprints: list[Sprint]
    people: list[Person]
    projects: list[Project]
    sub_teams: list[Team]
    flagged_goals: list[tuple[SprintGoal, str]] = field(default_factory=list)
    flagged_projects: list[tuple[Project, str]] = field(default_factory=list)
    overloaded: list = field(default_factory=list)


def board_page(
    *, team: Team, board: Board, filters: BoardFilters, now: datetime.datetime, viewer_id: int | None = None
) -> BoardPage:
    """The team's board (with its sub-teams' cards), filtered; `viewer_id` marks the reader's own cards."""
    cards = (
        Card.objects.filter(team_id__in=team_tree_ids(team))
        .select_related("project", "issue")
        .prefetch_related("owners", "sprints")
        .order_by("order", "pk")
    )
    if filters.sprint:
        cards = cards.filter(sprints=filters.sprint)
    if filters.owner:
        cards = cards.filter(owners=filters.owner)
    if filters.project:
        cards = cards.filter(project=filters.project)
    sprint = filters.sprint or current_sprint(now.date())
    if filters.sub_team:
        on_roster = RosterEntry.objects.filter(sprint=sprint, team=filters.sub_team).values("person")
        cards = cards.filter(Q(team=filters.sub_team) | Q(owners__in=on_roster)).distinct()
    cards = list(cards)
    for card in cards:
        card.lingering = is_lingering(card)
        card.is_mine = any(owner.pk == viewer_id for owner in card.owners.all())
    columns = [
        BoardColumn(key, label, [card for card in cards if card.column == key], board.limit_for(key))
        for key, label in Card.Column.choices
    ]
    goals = list(
        SprintGoal.objects.filter(sprint=sprint, team_id__in=team_tree_ids(team)).prefetch_related("owners")
        if sprint
        else []
    )
    projects = list(
        Project.objects.filter(team_id__in=team_tree_ids(team), archived=False).prefetch_related("owners", "milestones")
    )
    return BoardPage(
        team=team,
        board=board,
        columns=columns,
        filters=filters,
        sprints=list(
            Sprint.objects.filter(start__lte=now.date() + datetime.timedelta(days=60)).order_by("-number")[:12]
        ),
        people=list(people_for_team(team)),
        projects=projects,
        sub_teams=list(Team.objects.filter(parent=team).order_by("name")),
        flagged_goals=_flagged(goals, now),
        flagged_projects=_flagged(projects, now),
        overloaded=people_over_the_limit(cards),
    )


def _flagged(items, now: datetime.datetime) -> list:
    flagged = []
    for item in items:
        reason = lone_wolf_reason(list(item.owners.all()), at=now)
        if reason:
            flagged.append((item, reason))
    return flagged


def current_sprint(today: datetime.date) -> Sprint | None:
    return Sprint.objects.filter(start__lte=today, end__gte=today).first()


@dataclass
class GoalRow:
    goal: SprintGoal
    lone_wolf: str | None


@dataclass
class SprintPage:
    sprint: Sprint
    previous: Sprint | None
    following: Sprint | None
    goals_by_team: list[tuple[Team, list[GoalRow]]]
    roster_by_team: list[tuple[Team, list[Person]]]


def sprint_page(*, sprint: Sprint, teams: list[Team], now: datetime.datetime) -> SprintPage:
    team_ids = [team.pk for team in teams]
    goals = (
        SprintGoal.objects.filter(sprint=sprint, team_id__in=team_ids)
        .select_related("team", "milestone__project", "key_result")
        .prefetch_related("owners")
        .order_by("team__name", "pk")
    )
    by_team: dict[int, tuple[Team, list[GoalRow]]] = {}
    for goal in goals:
        by_team.setdefault(goal.team_id, (goal.team, []))[1].append(
            GoalRow(goal, lone_wolf_reason(list(goal.owners.all()), at=now))
        )
    roster: dict[int, tuple[Team, list[Person]]] = {}
    for entry in (
        RosterEntry.objects.filter(sprint=sprint, team_id__in=team_ids)
        .select_related("team", "person")
        .order_by("team__name", "person__display_name")
    ):
        roster.setdefault(entry.team_id, (entry.team, []))[1].append(entry.person)
    neighbours = {s.number: s for s in Sprint.objects.filter(number__in=[sprint.number - 1, sprint.number + 1])}
    return SprintPage(
        sprint=sprint,
        previous=neighbours.get(sprint.number - 1),
        following=neighbours.get(sprint.number + 1),
        goals_by_team=list(by_team.values()),
        roster_by_team=list(roster.values()),
    )


@dataclass(frozen=True)
class BurnPoint:
    x: float
    y_done: float
    y_scope: float
    label: str


@dataclass
class SprintReport:
    sprint: Sprint
    planned: list[Card]
    done: list[Card]
    carried: list[Card]
    goals: list[SprintGoal]
    burn_up: list[BurnPoint]
    velocity: list[tuple[Sprint, int]]
    width: int = 320
    height: int = 140

    @property
    def done_polyline(self) -> str:
        return " ".join(f"{point.x:.1f},{point.y_done:.1f}" for point in self.burn_up)

    @property
    def scope_polyline(self) -> str:
        return " ".join(f"{point.x:.1f},{point.y_scope:.1f}" for point in self.burn_up)

    @property
    def velocity_max(self) -> int:
        return max((count for _, count in self.velocity), default=0) or 1


def _done_in(sprint: Sprint, moves: list[CardMove]) -> dict[int, datetime.date]:
    """When each card was last moved to Done, if that was by the sprint's end."""
    finished: dict[int, datetime.date] = {}
    for move in sorted(moves, key=lambda move: move.moved_at):
        day = move.moved_at.date()
        if day > sprint.end:
            continue  # what happened after the sprint does not rewrite its report
        if move.to_column == Card.Column.DONE:
            finished[move.card_id] = day
        elif move.from_column == Card.Column.DONE:
            finished.pop(move.card_id, None)
    return finished


def sprint_report(*, sprint: Sprint, teams: list[Team]) -> SprintReport:
    team_ids = [team.pk for team in teams]
    planned = list(
        Card.objects.filter(sprints=sprint, team_id__in=team_ids)
        .prefetch_related("owners", Prefetch("sprints", queryset=Sprint.objects.order_by("number")))
        .order_by("title")
    )
    moves = list(CardMove.objects.filter(card__in=[card.pk for card in planned]))
    finished = _done_in(sprint, moves)
    done = [card for card in planned if card.pk in finished]
    carried = [card for card in planned if any(tagged.number > sprint.number for tagged in card.sprints.all())]
    days = (sprint.end - sprint.start).days + 1
    scope = len(planned) or 1
    left, right, top, bottom = 30, 312, 10, 118
    burn_up = []
    for offset in range(days):
        day = sprint.start + datetime.timedelta(days=offset)
        count = sum(1 for finished_on in finished.values() if finished_on <= day)
        x = left + (right - left) * offset / max(days - 1, 1)
        burn_up.append(
            BurnPoint(x, bottom - (bottom - top) * count / scope, top if planned else bottom, f"{day:%-d %b}: {count}")
        )
    return SprintReport(
        sprint=sprint,
        planned=planned,
        done=done,
        carried=carried,
        goals=list(
            SprintGoal.objects.filter(sprint=sprint, team_id__in=team_ids).select_related("team").order_by("team__name")
        ),
        burn_up=burn_up,
        velocity=velocity(before=sprint, teams=teams),
    )


def velocity(*, before: Sprint, teams: list[Team]) -> list[tuple[Sprint, int]]:
    """Cards done in each of the last six sprints up to `before`, counted as the report counts
    them: planned for the sprint (tagged with it) and in Done at its end."""
    sprints = list(Sprint.objects.filter(number__lte=before.number).order_by("-number")[:VELOCITY_SPRINTS])
    if not sprints:
        return []
    team_ids = [team.pk for team in teams]
    tagged = list(
        Card.sprints.through.objects.filter(sprint__in=sprints, card__team_id__in=team_ids).values_list(
            "sprint_id", "card_id"
        )
    )
    moves = list(CardMove.objects.filter(card_id__in={card for _, card in tagged}))
    results = []
    for sprint in reversed(sprints):
        planned = {card for sprint_id, card in tagged if sprint_id == sprint.pk}
        finished = _done_in(sprint, [move for move in moves if move.card_id in planned])
        results.append((sprint, len(finished)))
    return results


def projects_page(*, team: Team, now: datetime.datetime) -> list[Project]:
    projects = list(
        Project.objects.filter(team_id__in=team_tree_ids(team))
        .select_related("team")
        .prefetch_related("owners", "milestones", "key_results")
        .order_by("archived", "title")
    )
    for project in projects:
        project.progress = project_progress(project.milestones.all())
        project.percent = None if project.progress is None else as_percent(project.progress)
        project.lone_wolf = lone_wolf_reason(list(project.owners.all()), at=now)
    return projects


# Rituals

BLOCKED_TOO_LONG = datetime.timedelta(days=2)


def actions_for_meeting(meeting: Meeting) -> QuerySet[ActionItem]:
    """The action items a meeting goes through: those raised in it, and every earlier one of its
    series that was still open when it took place (open items carry until they are done)."""
    earlier_and_open_then = Q(raised_in__date__lt=meeting.date) & (
        Q(done_at__isnull=True) | Q(done_at__date__gte=meeting.date)
    )
    return (
        ActionItem.objects.filter(series=meeting.series)
        .filter(Q(raised_in=meeting) | earlier_and_open_then)
        .select_related("owner", "raised_in")
        .order_by("raised_in__date", "pk")
    )


@dataclass(frozen=True)
class AgendaSuggestion:
    kind: str  # key_result, blocked_card, carried_card, lone_goal, action
    text: str


def agenda_suggestions(*, meeting: Meeting, now: datetime.datetime) -> list[AgendaSuggestion]:
    """What needs talking about, for the agenda: KRs at risk or stale, cards blocked for more than
    two days, carried-over cards, sprint goals without two owners, and the open action items
    from the previous meeting of the series."""
    team = meeting.series.team
    tree = team_tree_ids(team.parent or team) if team else Team.objects.values("pk")
    suggestions: list[AgendaSuggestion] = []
    key_results = with_issue_counts(
        KeyResult.objects.filter(
            objective__team_id__in=tree,
            objective__archived=False,
            objective__period__start__lte=meeting.date,
            objective__period__end__gte=meeting.date,
        ).select_related("objective__period")
    )
    for key_result in key_results:
        state = key_result_state(key_result, now)
        if state.status in (Status.AT_RISK, Status.OFF_TRACK):
            suggestions.append(AgendaSuggestion("key_result", f"{key_result.title} is {state.status.label.lower()}"))
        elif state.is_stale:
            suggestions.append(AgendaSuggestion("key_result", f"{key_result.title} has had no check-in for a week"))
    cards = Card.objects.filter(team_id__in=tree).exclude(column=Card.Column.DONE)
    blocked_since = {
        move.card_id: move.moved_at
        for move in CardMove.objects.filter(card__in=cards, to_column=Card.Column.BLOCKED).order_by("moved_at")
    }
    for card in cards.filter(column=Card.Column.BLOCKED):
        since = blocked_since.get(card.pk, card.updated_at)
        if now - since > BLOCKED_TOO_LONG:
            suggestions.append(
                AgendaSuggestion("blocked_card", f"“{card.title}” blocked for {(now - since).days} days")
            )
    for card in cards.filter(carry_overs__gte=1):
        suggestions.append(AgendaSuggestion("carried_card", f"“{card.title}” carried over {card.carry_overs}×"))
    sprint = current_sprint(meeting.date)
    if sprint is not None:
        for goal in SprintGoal.objects.filter(sprint=sprint, team_id__in=tree).prefetch_related("owners"):
            if len(goal.owners.all()) < 2:
                suggestions.append(AgendaSuggestion("lone_goal", f"Goal “{goal.title}” has fewer than two owners"))
    previous = meeting.series.meetings.filter(date__lt=meeting.date).order_by("-date").first()
    if previous is not None:
        for action in actions_for_meeting(previous).filter(done_at__isnull=True):
            owner = action.owner.display_name if action.owner else "nobody"
            suggestions.append(AgendaSuggestion("action", f"Open action: {action.title} ({owner})"))
    return suggestions
