"""Reads for the board, the sprint page, the sprint report and the team rituals (meetings,
standups, planning), each in a fixed number of queries."""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field, replace
from typing import NamedTuple

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from integrations.models import issue_reference, issue_url
from okrs.models import CheckIn
from okrs.progress import Status, as_percent
from okrs.selectors import key_results_of_teams_on, people_for_team, plain_key_results, team_tree_ids
from platformhub.keyset import KeysetPage, keyset_page
from platformhub.models import Person, Team
from platformhub.prepared import prepared
from sprints.checks import is_lingering, lone_wolf_reason, people_over_the_limit, project_progress
from sprints.models import (
    DEFAULT_WIP_LIMITS,
    ActionItem,
    AgendaItem,
    BlockedRequest,
    Board,
    Card,
    CardMove,
    Meeting,
    MeetingSeries,
    PlanningComment,
    Project,
    RetroNote,
    RosterEntry,
    Sprint,
    SprintGoal,
    StandupUpdate,
    standup_is_blocked,
)

VELOCITY_SPRINTS = 6


DONE_SHOWN = 20  # at most this many of the sprint's done cards on the board; all are on the column's pages
OPEN_SHOWN = 50  # at most this many cards of any other column on the board, in the board's order
COLUMN_PAGE_SIZE = 50
DONE_ORDER = ("-updated_at", "-pk")  # a done card's last change is its move to Done
BOARD_ORDER = ("order", "pk")


def column_order(column: str) -> tuple[str, ...]:
    """Done newest first; every other column in the board's order."""
    return DONE_ORDER if column == Card.Column.DONE else BOARD_ORDER


class Titled(NamedTuple):
    """A goal or project as the board names it (its filter, its lone-wolf warnings)."""

    pk: int
    title: str


class OpenRequest(NamedTuple):
    """An unanswered "blocked on you" request as the board shows it, by the names it shows."""

    pk: int
    from_team: str
    to_team: str
    requested_by: str | None
    sprint: str
    body: str


@dataclass
class BoardCard:
    """A card as the board draws it: plain values read from its row (a Card with its project and
    issue costs several times as much to build), then what `card_details` adds."""

    pk: int
    version: int
    team_id: int
    title: str
    description: str
    blocked_reason: str
    column: str
    carry_overs: int
    project_title: str
    issue_url: str
    issue_reference: str
    owner_list: list[Person] = field(default_factory=list)
    sprint_numbers: list[int] = field(default_factory=list)
    is_mine: bool = False
    lingering: bool = False
    picked: str = ""

    @classmethod
    def of(cls, card: Card) -> "BoardCard":
        """The board's view of a card already read as a model (with its project and issue)."""
        return cls(
            pk=card.pk,
            version=card.version,
            team_id=card.team_id,
            title=card.title,
            description=card.description,
            blocked_reason=card.blocked_reason,
            column=card.column,
            carry_overs=card.carry_overs,
            project_title=card.project.title if card.project else "",
            issue_url=card.issue.url if card.issue else "",
            issue_reference=card.issue.reference if card.issue else "",
        )


_BOARD_CARD_COLUMNS = (
    "pk",
    "version",
    "team_id",
    "title",
    "description",
    "blocked_reason",
    "column",
    "carry_overs",
    "project__title",
    "issue__repo",
    "issue__number",
    "issue__html_url",
)


def _board_cards(rows: list[tuple]) -> list[BoardCard]:
    """Cards as the board draws them, from rows of `_BOARD_CARD_COLUMNS`."""
    return [
        BoardCard(
            *values,
            project_title=project_title or "",
            issue_url=issue_url(repo, number, html_url) if repo else "",
            issue_reference=issue_reference(repo, number) if repo else "",
        )
        for *values, project_title, repo, number, html_url in rows
    ]


@dataclass
class BoardColumn:
    key: str
    label: str
    count: int  # every card of the column on the board (filtered), shown or not
    limit: int | None
    cards: list[BoardCard] = field(default_factory=list)

    @property
    def over_limit(self) -> bool:
        return self.limit is not None and self.count > self.limit

    @property
    def more(self) -> bool:
        return self.count > len(self.cards)


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
    people: list[tuple[int, str]]  # (pk, display_name), named
    projects: list[Titled]
    sub_teams: list[Team]
    flagged_goals: list[tuple[Titled, str]] = field(default_factory=list)
    flagged_projects: list[tuple[Titled, str]] = field(default_factory=list)
    overloaded: list = field(default_factory=list)
    requests: list["OpenRequest"] = field(default_factory=list)


def board_settings(team: Team) -> Board:
    """The team's board settings (no query when the team was fetched with select_related("board")); a
    team without its own row gets the default WIP limits, unsaved, so reading a board never writes."""
    try:
        return team.board
    except Board.DoesNotExist:
        return Board(team=team, wip_limits=dict(DEFAULT_WIP_LIMITS))


def board_cards(*, team: Team, filters: BoardFilters, today: datetime.date) -> QuerySet[Card]:
    """The cards on the team's board (its sub-teams' cards too), filtered, one row per card. A
    sub-team's cards are its own and those of the people on its roster for the sprint filtered on,
    or else the running one."""
    return _cards_on_board(**_board_values(team, filters, today))


def _board_values(team: Team, filters: BoardFilters, today: datetime.date) -> dict:
    """The board and its filters as ids (and the day whose roster a sub-team filter reads): what
    `_cards_on_board`, and the board's queries compiled once, take."""
    return {
        "team_id": team.pk,
        "sprint_id": filters.sprint.pk if filters.sprint else None,
        "owner_id": filters.owner.pk if filters.owner else None,
        "project_id": filters.project.pk if filters.project else None,
        "sub_team_id": filters.sub_team.pk if filters.sub_team else None,
        "today": today if filters.sub_team and not filters.sprint else None,
    }


def _cards_on_board(
    *,
    team_id: int,
    sprint_id: int | None,
    owner_id: int | None,
    project_id: int | None,
    sub_team_id: int | None,
    today: datetime.date | None,
) -> QuerySet[Card]:
    cards = Card.objects.filter(team_id__in=team_tree_ids(Team(pk=team_id)))
    if sprint_id is not None:
        cards = cards.filter(_tagged(sprint_id))
    if owner_id is not None:
        cards = cards.filter(owners=owner_id)
    if project_id is not None:
        cards = cards.filter(project_id=project_id)
    if sub_team_id is not None:
        roster_sprint = sprint_id
        if roster_sprint is None:  # the running sprint
            roster_sprint = Subquery(Sprint.objects.filter(start__lte=today, end__gte=today).values("pk")[:1])
        on_roster = RosterEntry.objects.filter(sprint=roster_sprint, team_id=sub_team_id)
        owned = Card.owners.through.objects.filter(person__in=on_roster.values("person")).values("card")
        cards = cards.filter(Q(team_id=sub_team_id) | Q(pk__in=owned))
    return cards


@prepared
def _column_counts(**board) -> QuerySet[Card]:
    """(column, cards) of the board's columns that have cards."""
    return _cards_on_board(**board).order_by().values_list("column").annotate(Count("pk"))


@prepared
def _open_card_rows(*, ranked: bool, **board) -> QuerySet[Card]:
    """The board's cards in its open columns, in its order; `ranked`, each column's first OPEN_SHOWN
    (ranking them costs more, so only when a column has more)."""
    shown = _cards_on_board(**board).filter(column__in=_OPEN_COLUMNS).order_by(*BOARD_ORDER)
    if ranked:
        place = Window(RowNumber(), partition_by=F("column"), order_by=BOARD_ORDER)
        shown = shown.annotate(place=place).filter(place__lte=OPEN_SHOWN)
    return shown.values_list(*_BOARD_CARD_COLUMNS)


@prepared
def _done_card_rows(*, done_in_sprint_id: int | None, **board) -> QuerySet[Card]:
    """The newest DONE_SHOWN cards of the board's Done column (of those tagged with a sprint, if given)."""
    done = _cards_on_board(**board).filter(column=Card.Column.DONE).order_by(*DONE_ORDER)
    if done_in_sprint_id is not None:
        done = done.filter(_tagged(done_in_sprint_id))
    return done.values_list(*_BOARD_CARD_COLUMNS)[:DONE_SHOWN]


_OPEN_COLUMNS = [key for key in Card.Column.values if key != Card.Column.DONE]


def _tagged(sprint: Sprint | int) -> Exists:
    """Whether a card is tagged with `sprint`: asked of each of the board's cards, rather than
    starting from every card of the sprint (across the whole org) as a join would."""
    return Exists(Card.sprints.through.objects.filter(card=OuterRef("pk"), sprint=sprint))


def board_columns(
    *, team: Team, filters: BoardFilters, today: datetime.date, board: Board, keys: list[str] | None = None
) -> list[BoardColumn]:
    """The columns (all, or those in `keys`) of the team's board, filtered, with their card
    counts and WIP limits, without their cards: one query, counting only the board's own cards
    through the (team, column) index."""
    keys = [key for key in Card.Column.values if keys is None or key in keys]
    counts = dict(_column_counts(**_board_values(team, filters, today)))
    return [BoardColumn(key, Card.Column(key).label, counts.get(key, 0), board.limit_for(key)) for key in keys]


def card_details(cards: list[BoardCard], viewer_id: int | None) -> None:
    """What the board shows of each card, for all of them in two queries: its owners (`owner_list`,
    one Person each however many cards they own) and the numbers of its sprints (`sprint_numbers`);
    whether it lingers or is the reader's; and the column picked in its "Move to" (where it is)."""
    ids = [card.pk for card in cards]
    people: dict[int, Person] = {}
    owners: dict[int, list[Person]] = defaultdict(list)
    for pk, display_name, card_id in _card_owners(card_ids=ids):
        person = people.get(pk)
        if person is None:
            person = people[pk] = Person(pk=pk, display_name=display_name)
        owners[card_id].append(person)
    sprint_numbers: dict[int, list[int]] = defaultdict(list)
    for card_id, number in _card_sprint_numbers(card_ids=ids):
        sprint_numbers[card_id].append(number)
    for card in cards:
        card.owner_list = owners[card.pk]
        card.sprint_numbers = sprint_numbers[card.pk]
        card.is_mine = any(owner.pk == viewer_id for owner in card.owner_list)
        card.lingering = is_lingering(card)
        card.picked = card.column


@prepared
def _card_owners(*, card_ids: list[int]) -> QuerySet[Person]:
    """(person id, name, card id) of the cards' owners, by name: a Person with only its name
    would be a deferred model, several times dearer to make than one from these two values."""
    return (
        Person.objects.filter(cards__in=card_ids)
        .order_by("display_name", "pk")
        .values_list("pk", "display_name", "cards__id")
    )


@prepared
def _card_sprint_numbers(*, card_ids: list[int]) -> QuerySet:
    return (
        Card.sprints.through.objects.filter(card_id__in=card_ids)
        .order_by("sprint__number")
        .values_list("card_id", "sprint__number")
    )


@prepared
def _sprints_starting_by(*, day: datetime.date) -> QuerySet[Sprint]:
    return Sprint.objects.filter(start__lte=day).order_by("-number")[:12]


@prepared
def _goal_owner_timezones(*, sprint_id: int, team_id: int) -> QuerySet[SprintGoal]:
    goals = SprintGoal.objects.filter(sprint_id=sprint_id, team_id__in=team_tree_ids(Team(pk=team_id)))
    return goals.order_by(*SprintGoal._meta.ordering, "pk").values_list("pk", "title", "owners__timezone")


@prepared
def _project_owner_timezones(*, team_id: int) -> QuerySet[Project]:
    projects = Project.objects.filter(team_id__in=team_tree_ids(Team(pk=team_id)), archived=False)
    return projects.order_by(*Project._meta.ordering, "pk").values_list("pk", "title", "owners__timezone")


@prepared
def _board_people(*, root_id: int) -> QuerySet[Person]:
    return people_for_team(Team(pk=root_id)).values_list("pk", "display_name", named=True)


@prepared
def _sub_teams_of(*, team_id: int) -> QuerySet[Team]:
    return Team.objects.filter(parent_id=team_id).order_by("name")


@prepared
def _open_request_rows(*, team_id: int) -> QuerySet[BlockedRequest]:
    return open_requests_to(team_tree_ids(Team(pk=team_id))).values_list(
        "pk", "from_team__name", "to_team__name", "requested_by__display_name", "sprint__name", "body"
    )


def board_page(
    *, team: Team, board: Board, filters: BoardFilters, now: datetime.datetime, viewer_id: int | None = None
) -> BoardPage:
    """The team's board (with its sub-teams' cards), filtered; `viewer_id` marks the reader's own cards.
    Each column counts all its cards and shows a bounded number: Done the newest of those done in
    the sprint the board is about (the one filtered on, or the running one), the others their first."""
    today = now.date()
    # The filter's choices: the latest sprints up to two months ahead. Sprints last a week or more,
    # so the running one is among them.
    sprints = _sprints_starting_by(day=today + datetime.timedelta(days=60))
    sprint = filters.sprint or next((sprint for sprint in sprints if sprint.contains(today)), None)
    values = _board_values(team, filters, today)
    columns = board_columns(team=team, filters=filters, today=today, board=board)
    ranked = any(column.count > OPEN_SHOWN for column in columns if column.key != Card.Column.DONE)
    # (filtering on a sprint has narrowed every column to it already)
    done_in = sprint.pk if sprint and not filters.sprint else None
    everything = [
        *_board_cards(_open_card_rows(ranked=ranked, **values)),
        *_board_cards(_done_card_rows(done_in_sprint_id=done_in, **values)),
    ]
    card_details(everything, viewer_id)
    for column in columns:
        column.cards = [card for card in everything if card.column == column.key]
    goals = _titles_and_owner_timezones(_goal_owner_timezones(sprint_id=sprint.pk, team_id=team.pk)) if sprint else []
    projects = _titles_and_owner_timezones(_project_owner_timezones(team_id=team.pk))
    return BoardPage(
        team=team,
        board=board,
        columns=columns,
        filters=filters,
        sprints=sprints,
        people=_board_people(root_id=team.root_id),
        projects=[project for project, _ in projects],
        sub_teams=_sub_teams_of(team_id=team.pk),
        flagged_goals=_flagged(goals, now),
        flagged_projects=_flagged(projects, now),
        overloaded=people_over_the_limit(everything),
        requests=[OpenRequest(*row) for row in _open_request_rows(team_id=team.pk)],
    )


def column_page(
    cards: QuerySet[Card], *, column: str, after: str | None, before: str | None, viewer_id: int | None
) -> KeysetPage[BoardCard]:
    """One page of a column's cards, in the column's order (Done newest first)."""
    page = keyset_page(
        cards.filter(column=column).select_related("project", "issue"),
        ordering=column_order(column),
        size=COLUMN_PAGE_SIZE,
        after=after,
        before=before,
    )
    page = replace(page, items=[BoardCard.of(card) for card in page.items])
    card_details(page.items, viewer_id)
    return page


def _titles_and_owner_timezones(rows: list[tuple[int, str, str | None]]) -> list[tuple[Titled, list[str]]]:
    """Goals or projects (rows of id, title and an owner's timezone, in their model's order) with
    their owners' timezones: what the board's filter and its lone-wolf check need of them."""
    read: dict[int, tuple[Titled, list[str]]] = {}
    for pk, title, zone in rows:
        _, zones = read.setdefault(pk, (Titled(pk, title), []))
        if zone is not None:
            zones.append(zone)
    return list(read.values())


def _flagged(items: list[tuple[Titled, list[str]]], now: datetime.datetime) -> list[tuple[Titled, str]]:
    flagged = []
    for item, timezones in items:
        reason = lone_wolf_reason(timezones, at=now)
        if reason:
            flagged.append((item, reason))
    return flagged


def _timezones(owners) -> list[str]:
    return [owner.timezone for owner in owners]


def current_sprint(today: datetime.date) -> Sprint | None:
    return _sprints_running_on(today).first()


def _sprints_running_on(day: datetime.date) -> QuerySet[Sprint]:
    return Sprint.objects.filter(start__lte=day, end__gte=day).order_by("number")


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
            GoalRow(goal, lone_wolf_reason(_timezones(goal.owners.all()), at=now))
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
    """A sprint's report; its cards are rows of what the page shows (pk, title, carry_overs,
    carried): a report reads every card of the sprint."""

    sprint: Sprint
    planned: list[tuple]
    done: list[tuple]
    carried: list[tuple]
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


@prepared
def _moves_in_order(*, cards) -> QuerySet[CardMove]:
    """The moves of `cards` oldest first, as named tuples of the fields `_done_in` reads: a report
    reads hundreds of moves, and plain tuples cost a fraction of model instances."""
    return (
        CardMove.objects.filter(card_id__in=cards)
        .order_by("moved_at", "pk")
        .values_list("card_id", "moved_at", "from_column", "to_column", named=True)
    )


def _done_in(sprint: Sprint, moves: list[tuple]) -> dict[int, datetime.date]:
    """When each card was last moved to Done, if that was by the sprint's end (`moves` oldest first)."""
    finished: dict[int, datetime.date] = {}
    for move in moves:
        day = move.moved_at.date()
        if day > sprint.end:
            continue  # what happened after the sprint does not rewrite its report
        if move.to_column == Card.Column.DONE:
            finished[move.card_id] = day
        elif move.from_column == Card.Column.DONE:
            finished.pop(move.card_id, None)
    return finished


def sprint_report(*, sprint: Sprint, team_ids: list[int]) -> SprintReport:
    planned = _planned_cards(sprint_id=sprint.pk, number=sprint.number, team_ids=team_ids)
    finished = _done_in(sprint, _moves_in_order(cards=[card.pk for card in planned]))
    done = [card for card in planned if card.pk in finished]
    carried = [card for card in planned if card.carried]
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
        goals=_goals_of(sprint_id=sprint.pk, team_ids=team_ids),
        burn_up=burn_up,
        velocity=velocity(before=sprint, team_ids=team_ids),
    )


@prepared
def _planned_cards(*, sprint_id: int, number: int, team_ids: list[int]) -> QuerySet[Card]:
    """The teams' cards tagged with the sprint, each with whether a later sprint has it too."""
    tagged_later = Card.sprints.through.objects.filter(card=OuterRef("pk"), sprint__number__gt=number)
    return (
        Card.objects.filter(_tagged(sprint_id), team_id__in=team_ids)
        .annotate(carried=Exists(tagged_later))
        .order_by("title")
        .values_list("pk", "title", "carry_overs", "carried", named=True)
    )


@prepared
def _goals_of(*, sprint_id: int, team_ids: list[int]) -> QuerySet[SprintGoal]:
    return (
        SprintGoal.objects.filter(sprint_id=sprint_id, team_id__in=team_ids)
        .select_related("team")
        .order_by("team__name")
    )


@prepared
def _sprints_up_to(*, number: int) -> QuerySet[Sprint]:
    return Sprint.objects.filter(number__lte=number).order_by("-number")[:VELOCITY_SPRINTS]


@prepared
def _tagged_in(*, sprint_ids: list[int], team_ids: list[int]) -> QuerySet:
    """(sprint, card) of the teams' cards tagged with the sprints."""
    return Card.sprints.through.objects.filter(sprint_id__in=sprint_ids, card__team_id__in=team_ids).values_list(
        "sprint_id", "card_id"
    )


def velocity(*, before: Sprint, team_ids: list[int]) -> list[tuple[Sprint, int]]:
    """Cards done in each of the last six sprints up to `before`, counted as the report counts
    them: planned for the sprint (tagged with it) and in Done at its end."""
    sprints = _sprints_up_to(number=before.number)
    if not sprints:
        return []
    tagged = _tagged_in(sprint_ids=[sprint.pk for sprint in sprints], team_ids=team_ids)
    moves = _moves_in_order(cards={card for _, card in tagged})
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
        project.lone_wolf = lone_wolf_reason(_timezones(project.owners.all()), at=now)
    return projects


# Rituals

BLOCKED_TOO_LONG = datetime.timedelta(days=2)
PLANNING_KINDS = (MeetingSeries.Kind.SPRINT_PLANNING, MeetingSeries.Kind.TEAM_PLANNING)


def meeting_scope(series: MeetingSeries, readable) -> list[int] | QuerySet[Team]:
    """The teams a meeting is about: a team's whole tree, as a list of ids, or for an org-wide
    series the teams the reader can read (`readable`), as a subquery of ids, so it never shows
    another tree's work."""
    if series.team is not None:
        return _tree_of(root_id=series.team.root_id)
    return Team.objects.filter(pk__in=readable.values("pk")).values("pk")


@prepared
def _tree_of(*, root_id: int) -> QuerySet[Team]:
    return team_tree_ids(Team(pk=root_id)).order_by().values_list("pk", flat=True)


def actions_for_meeting(meeting: Meeting) -> list[ActionItem]:
    """The action items a meeting goes through: those raised in it, and every earlier one of its
    series not yet ticked off in an earlier meeting (open items carry until they are done)."""
    return _actions_for_meeting(series_id=meeting.series_id, date=meeting.date)


@prepared
def _actions_for_meeting(*, series_id: int, date: datetime.date) -> QuerySet[ActionItem]:
    earlier_and_open_then = Q(raised_in__date__lt=date) & (Q(done_at__isnull=True) | Q(done_on__gte=date))
    return (
        ActionItem.objects.filter(series_id=series_id)
        .filter(Q(raised_in__date=date) | earlier_and_open_then)
        .select_related("owner", "raised_in")
        .order_by("raised_in__date", "pk")
    )


def open_blockers(*, teams, as_of: datetime.date) -> list[StandupUpdate]:
    """Blockers still standing on `as_of`: each person's latest standup in each team, when it
    names a blocker nobody has cleared (one row per person and team, however old). `teams`: their
    ids, or a subquery of them."""
    return _open_blockers(teams=teams, as_of=as_of)


@prepared
def _open_blockers(*, teams, as_of: datetime.date) -> QuerySet[StandupUpdate]:
    latest = (
        StandupUpdate.objects.filter(person=OuterRef("person"), team=OuterRef("team"), date__lte=as_of)
        .order_by("-date", "-posted_at")
        .values("pk")[:1]
    )
    return (
        StandupUpdate.objects.filter(team_id__in=teams, date__lte=as_of, blocker_cleared_at__isnull=True)
        .exclude(blockers="")
        .filter(pk=Subquery(latest))
        .select_related("person", "team")
        .order_by("-date", "person__display_name")
    )


def open_requests_to(teams) -> QuerySet[BlockedRequest]:
    """ "Blocked on you" requests to these teams that nobody has answered yet."""
    return (
        BlockedRequest.objects.filter(to_team_id__in=teams, answered_at__isnull=True)
        .select_related("from_team", "to_team", "requested_by", "sprint")
        .order_by("created_at", "pk")
    )


@dataclass(frozen=True)
class AgendaSuggestion:
    kind: str  # key_result, blocked_card, carried_card, lone_goal, action, blocker, request
    text: str


def agenda_suggestions(
    *, meeting: Meeting, now: datetime.datetime, scope=None, actions: list[ActionItem] | None = None
) -> list[AgendaSuggestion]:
    """What needs talking about, for the agenda: KRs at risk or stale, cards blocked for more than
    two days, carried-over cards, sprint goals without two owners, the open action items from the
    previous meeting of the series, standup blockers (at standups) and unanswered "blocked on
    you" requests (at planning). `scope`: the team ids it is about (by default the team's tree,
    or every team for an org-wide series); `actions`: the meeting's action items as
    `actions_for_meeting` reads them, when the caller has them already."""
    series = meeting.series
    tree = scope if scope is not None else meeting_scope(series, Team.objects.all())
    suggestions: list[AgendaSuggestion] = []
    key_results = plain_key_results(key_results_of_teams_on, {}, now, team_ids=tree, day=meeting.date).values()
    in_order = sorted(
        key_results, key=lambda kr: (kr.objective.team_id, kr.objective.order, kr.objective_id, kr.order, kr.pk)
    )
    for key_result in in_order:
        state = key_result.state
        if state.status in (Status.AT_RISK, Status.OFF_TRACK):
            suggestions.append(AgendaSuggestion("key_result", f"{key_result.title} is {state.status.label.lower()}"))
        elif state.is_stale:
            suggestions.append(AgendaSuggestion("key_result", f"{key_result.title} has had no check-in for a week"))
    cards = _cards_to_talk_about(tree=tree)
    for card in cards:
        since = card.blocked_since or card.updated_at
        if card.column == Card.Column.BLOCKED and now - since > BLOCKED_TOO_LONG:
            suggestions.append(
                AgendaSuggestion("blocked_card", f"“{card.title}” blocked for {(now - since).days} days")
            )
    for card in cards:
        if card.carry_overs >= 1:
            suggestions.append(AgendaSuggestion("carried_card", f"“{card.title}” carried over {card.carry_overs}×"))
    for title in _goals_with_fewer_than_two_owners(series, meeting.date, tree):
        suggestions.append(AgendaSuggestion("lone_goal", f"Goal “{title}” has fewer than two owners"))
    actions = actions if actions is not None else list(actions_for_meeting(meeting))
    for action in _still_open_from_earlier(actions, meeting.date):
        owner = action.owner.display_name if action.owner else "nobody"
        suggestions.append(AgendaSuggestion("action", f"Open action: {action.title} ({owner})"))
    if series.kind == MeetingSeries.Kind.STANDUP:
        for standup in open_blockers(teams=tree, as_of=meeting.date):
            suggestions.append(
                AgendaSuggestion("blocker", f"{standup.person.display_name} is blocked: {standup.blockers.strip()}")
            )
    if series.kind in PLANNING_KINDS:
        for request in open_requests_to(tree):
            suggestions.append(
                AgendaSuggestion(
                    "request", f"{request.from_team.name} is blocked on {request.to_team.name}: {request.body}"
                )
            )
    return suggestions


@prepared
def _cards_to_talk_about(*, tree) -> QuerySet[Card]:
    """The open cards of the teams that are blocked or were carried over, in the board's order,
    each with when it was last moved to Blocked (None if it never was: it was created there)."""
    last_blocked = (
        CardMove.objects.filter(card=OuterRef("pk"), to_column=Card.Column.BLOCKED)
        .order_by("-moved_at")
        .values("moved_at")[:1]
    )
    return (
        Card.objects.filter(team_id__in=tree)
        .exclude(column=Card.Column.DONE)
        .filter(Q(column=Card.Column.BLOCKED) | Q(carry_overs__gte=1))
        .annotate(blocked_since=Subquery(last_blocked))
        .values_list("title", "column", "carry_overs", "updated_at", "blocked_since", named=True)
    )


def _goals_with_fewer_than_two_owners(series: MeetingSeries, day: datetime.date, tree) -> list[str]:
    """The titles of the teams' goals with fewer than two owners, for the sprint the meeting is
    about: sprint planning is about the sprint it plans, every other meeting about the running one."""
    return _lone_goals(planning=series.kind == MeetingSeries.Kind.SPRINT_PLANNING, day=day, tree=tree)


@prepared
def _lone_goals(*, planning: bool, day: datetime.date, tree) -> QuerySet[SprintGoal]:
    sprint = _sprints_starting_after(day) if planning else _sprints_running_on(day)
    return (
        SprintGoal.objects.filter(sprint=Subquery(sprint.values("pk")[:1]), team_id__in=tree)
        .annotate(owner_count=Count("owners"))
        .filter(owner_count__lt=2)
        .values_list("title", flat=True)
    )


def _still_open_from_earlier(actions: list[ActionItem], day: datetime.date) -> list[ActionItem]:
    """Of the action items of the series' meeting on `day` (`actions_for_meeting`, in order), those
    raised at an earlier meeting and still open: every open one the previous meeting went
    through (an action raised before this meeting was raised at the previous one or before it)."""
    return [action for action in actions if action.done_at is None and action.raised_in.date < day]


def next_sprint(day: datetime.date) -> Sprint | None:
    """The first sprint starting after `day`: the one being planned."""
    return _sprints_starting_after(day).first()


def _sprints_starting_after(day: datetime.date) -> QuerySet[Sprint]:
    return Sprint.objects.filter(start__gt=day).order_by("start")


def meeting_dates(
    series: MeetingSeries, sprints: list[Sprint], held: list[datetime.date]
) -> list[datetime.date] | None:
    """Every date of a series that follows the sprints or meets ad hoc (`held`: its meetings'
    dates); None for a weekly series, whose dates never run out."""
    if series.follows_sprints:
        return sorted(series.date_for_sprint(sprint) for sprint in sprints)
    if series.weekdays:
        return None
    return sorted(held)


def meeting_dates_near(
    series: MeetingSeries,
    day: datetime.date,
    *,
    sprints: list[Sprint] | None = None,
    held: list[datetime.date] | None = None,
) -> tuple[datetime.date | None, datetime.date | None]:
    """The series' meetings just before and just after `day` (from its weekdays, its sprints, or
    for an ad-hoc series the meetings it has had). Pass `sprints` and `held` to save queries."""
    if series.weekdays and not series.follows_sprints:
        step = datetime.timedelta(days=1)
        before = next(day - step * n for n in range(1, 8) if (day - step * n).weekday() in series.weekdays)
        after = next(day + step * n for n in range(1, 8) if (day + step * n).weekday() in series.weekdays)
        return before, after
    if sprints is None:
        sprints = list(Sprint.objects.all())
    if held is None:
        held = list(series.meetings.values_list("date", flat=True))
    dates = meeting_dates(series, sprints, held)
    before = max((date for date in dates if date < day), default=None)
    after = min((date for date in dates if date > day), default=None)
    return before, after


def _next_date(series: MeetingSeries, today: datetime.date, dates: list[datetime.date] | None):
    if dates is None:
        return today if today.weekday() in series.weekdays else meeting_dates_near(series, today)[1]
    return min((date for date in dates if date >= today), default=None)


def next_meeting_date(series: MeetingSeries, today: datetime.date) -> datetime.date | None:
    """Today's meeting of the series, or the next one."""
    held = [] if series.follows_sprints or series.weekdays else list(series.meetings.values_list("date", flat=True))
    sprints = list(Sprint.objects.all()) if series.follows_sprints else []
    return _next_date(series, today, meeting_dates(series, sprints, held))


def series_with_next_dates(teams, today: datetime.date) -> list[MeetingSeries]:
    """The series of these teams (and the org-wide ones), each with `next_date`: today's meeting
    or the next one. Three queries, however many series."""
    series_list = list(series_for_teams(teams))
    sprints = list(Sprint.objects.all())
    held: dict[int, list[datetime.date]] = {}
    ad_hoc = [series.pk for series in series_list if not series.follows_sprints and not series.weekdays]
    for series_id, date in Meeting.objects.filter(series_id__in=ad_hoc).values_list("series_id", "date"):
        held.setdefault(series_id, []).append(date)
    for series in series_list:
        series.next_date = _next_date(series, today, meeting_dates(series, sprints, held.get(series.pk, [])))
    return series_list


@dataclass
class RetroPage:
    sprint: Sprint | None
    went_well: list[RetroNote]
    to_improve: list[RetroNote]
    goals: list[SprintGoal]


@dataclass
class MeetingPage:
    series: MeetingSeries
    meeting: Meeting
    previous_date: datetime.date | None
    next_date: datetime.date | None
    agenda: list[AgendaItem]
    suggestions: tuple[AgendaSuggestion, ...]  # a remembered row (platformhub/fragments.py)
    actions: list[ActionItem]
    attendees: list[Person]
    standups: tuple["StandupRow", ...] = ()  # rows (platformhub/fragments.py)
    requests: list[BlockedRequest] = field(default_factory=list)
    retro: RetroPage | None = None


def _attendees_shown(meeting: Meeting, scope) -> list[Person]:
    """Who came; for an org-wide meeting only the people on teams the reader can read."""
    if meeting.series.team is not None:
        return _attendees_of(meeting_id=meeting.pk)
    return list(meeting.attendees.filter(memberships__team__in=scope).distinct())


@prepared
def _attendees_of(*, meeting_id: int) -> QuerySet[Person]:
    return Person.objects.filter(meetings=meeting_id)


@prepared
def _meeting_on(*, series_id: int, date: datetime.date) -> QuerySet[Meeting]:
    return Meeting.objects.filter(series_id=series_id, date=date)[:1]


@prepared
def _agenda_of(*, meeting_id: int) -> QuerySet[AgendaItem]:
    return AgendaItem.objects.filter(meeting_id=meeting_id).select_related("added_by")


@dataclass(frozen=True)
class StandupRow:
    """What a standup shows, as plain values (platformhub/fragments.py)."""

    person: str
    team: str
    date: datetime.date
    yesterday: str
    today: str
    blockers: str
    is_blocked: bool
    cleared: bool

    @classmethod
    def of(cls, person: str, team: str, date, yesterday: str, today: str, blockers: str, cleared_at) -> "StandupRow":
        return cls(
            person=person,
            team=team,
            date=date,
            yesterday=yesterday,
            today=today,
            blockers=blockers,
            is_blocked=standup_is_blocked(blockers, cleared_at),
            cleared=cleared_at is not None,
        )


def _standup_rows_between(*, tree, after: datetime.date, until: datetime.date) -> tuple[StandupRow, ...]:
    """The teams' standups dated after `after` up to `until`, newest day first, read as rows: a
    meeting shows a few dozen, and a model with its person and team cost five times the row."""
    return tuple(StandupRow.of(*values) for values in _standup_values_between(tree=tree, after=after, until=until))


@prepared
def _standup_values_between(*, tree, after: datetime.date, until: datetime.date) -> QuerySet[StandupUpdate]:
    return (
        StandupUpdate.objects.filter(team_id__in=tree, date__lte=until, date__gt=after)
        .order_by("-date", "person__display_name")
        .values_list(
            "person__display_name", "team__name", "date", "yesterday", "today", "blockers", "blocker_cleared_at"
        )
    )


def latest_date_anywhere(now: datetime.datetime) -> datetime.date:
    """Today where it is latest (UTC+14): "now" for things dated in each person's time zone,
    such as a standup posted where it is already tomorrow."""
    return (now.astimezone(datetime.UTC) + datetime.timedelta(hours=14)).date()


def meeting_page(*, series: MeetingSeries, date: datetime.date, now: datetime.datetime, readable) -> MeetingPage:
    """Everything a meeting page shows, in the same number of queries however long its agenda.
    A meeting nobody has written to yet is shown unsaved: reading never creates one.
    `readable`: the teams the reader can read (what an org-wide meeting shows)."""
    meeting = next(iter(_meeting_on(series_id=series.pk, date=date)), None) or Meeting(date=date)
    meeting.series = series
    saved = meeting.pk is not None
    previous_date, next_date = meeting_dates_near(series, date)
    tree = meeting_scope(series, readable)
    actions = actions_for_meeting(meeting)
    page = MeetingPage(
        series=series,
        meeting=meeting,
        previous_date=previous_date,
        next_date=next_date,
        agenda=_agenda_of(meeting_id=meeting.pk) if saved else [],
        suggestions=tuple(agenda_suggestions(meeting=meeting, now=now, scope=tree, actions=actions)),
        actions=actions,
        attendees=_attendees_shown(meeting, tree) if saved else [],
    )
    flag_overdue(page.actions, timezone.localdate(now))
    for action in page.actions:
        action.carried = action.raised_in.date < date
    if series.kind == MeetingSeries.Kind.STANDUP:
        page.standups = _standup_rows_between(tree=tree, after=previous_date or date, until=date)
    if series.kind in PLANNING_KINDS:
        page.requests = list(open_requests_to(tree))
    if series.kind == MeetingSeries.Kind.RETRO:
        sprint = Sprint.objects.filter(end__lt=date).order_by("-end").first()
        notes = list(meeting.retro_notes.select_related("author")) if saved else []
        page.retro = RetroPage(
            sprint=sprint,
            went_well=[note for note in notes if note.kind == RetroNote.Kind.WENT_WELL],
            to_improve=[note for note in notes if note.kind == RetroNote.Kind.TO_IMPROVE],
            goals=list(
                SprintGoal.objects.filter(sprint=sprint, team_id__in=tree)
                .select_related("team")
                .prefetch_related("owners")
                .order_by("team__name", "pk")
            )
            if sprint
            else [],
        )
    return page


def series_for_teams(teams) -> QuerySet[MeetingSeries]:
    """The meeting series of these teams, and the org-wide ones."""
    return (
        MeetingSeries.objects.filter(Q(team_id__in=teams) | Q(team__isnull=True))
        .select_related("team")
        .order_by(F("team__name").asc(nulls_first=True), "name")
    )


def flag_overdue(actions, today: datetime.date) -> list[ActionItem]:
    """The action items as a list, each with `overdue` set for the page to flag."""
    actions = list(actions)
    for action in actions:
        action.overdue = action.is_overdue(today)
    return actions


def team_open_actions(teams) -> QuerySet[ActionItem]:
    """Open action items of these teams' meeting series and of the org-wide ones."""
    return (
        ActionItem.objects.filter(Q(series__team_id__in=teams) | Q(series__team__isnull=True), done_at__isnull=True)
        .select_related("owner", "series", "raised_in")
        .order_by("due_date", "pk")
    )


def standups_since(teams, after: datetime.date) -> QuerySet[StandupUpdate]:
    """These teams' standups dated after `after`, newest day first."""
    return (
        StandupUpdate.objects.filter(team_id__in=teams, date__gt=after)
        .select_related("person", "team")
        .order_by("-date", "person__display_name")
    )


def person_open_actions(person: Person, readable) -> QuerySet[ActionItem]:
    """The person's action items still to do that the reader may see (from meetings of
    `readable` teams, or org-wide), soonest due first (no due date last)."""
    return (
        ActionItem.objects.filter(owner=person, done_at__isnull=True)
        .filter(Q(series__team__in=readable) | Q(series__team__isnull=True))
        .select_related("series__team", "raised_in")
        .order_by(F("due_date").asc(nulls_last=True), "pk")
    )


def standup_prefill(*, person: Person, team: Team, now: datetime.datetime) -> dict[str, str]:
    """A first draft of the person's standup from what they did since their last one: cards
    they moved and key results they checked in on (yesterday), cards in progress (today) and
    blocked cards they own (blockers)."""
    tree = team_tree_ids(team.parent or team)
    today = timezone.localdate(now, timezone=person.tzinfo)
    last = StandupUpdate.objects.filter(person=person, team=team, date__lt=today).first()
    since = last.posted_at if last else now - datetime.timedelta(days=1)
    yesterday = []
    seen_cards = set()
    moves = CardMove.objects.filter(moved_by=person, moved_at__gt=since, card__team_id__in=tree)
    for move in moves.select_related("card"):
        if move.card_id not in seen_cards:  # newest move first: only where each card ended up
            seen_cards.add(move.card_id)
            yesterday.append(f"- Moved “{move.card.title}” to {move.get_to_column_display()}")
    check_ins = CheckIn.objects.filter(author=person, created_at__gt=since, key_result__objective__team_id__in=tree)
    for check_in in check_ins.select_related("key_result"):
        value = "done" if check_in.done else (f"{check_in.value.normalize():f}" if check_in.value is not None else "")
        said = f" ({check_in.note.strip()})" if check_in.note.strip() else ""
        yesterday.append(
            f"- Checked in on “{check_in.key_result.title}”: {value or 'not done'}, "
            f"{check_in.get_confidence_display().lower()} confidence{said}"
        )
    owned = Card.objects.filter(
        owners=person, team_id__in=tree, column__in=[Card.Column.IN_PROGRESS, Card.Column.BLOCKED]
    ).order_by("pk")
    doing, blockers = [], []
    for card in owned:
        if card.column == Card.Column.BLOCKED:
            blockers.append(f"- “{card.title}”: {card.blocked_reason}" if card.blocked_reason else f"- “{card.title}”")
        else:
            doing.append(f"- Carry on with “{card.title}”")
    return {"yesterday": "\n".join(yesterday), "today": "\n".join(doing), "blockers": "\n".join(blockers)}


@dataclass
class PlanningColumn:
    team: Team
    goals: list[SprintGoal]
    comments: list[PlanningComment]
    requests_made: list[BlockedRequest]
    requests_received: list[BlockedRequest]


def planning_page(*, sprint: Sprint, teams: list[Team], now: datetime.datetime) -> list[PlanningColumn]:
    """Every team's proposed goals for a sprint side by side, with the comments, concerns and
    "blocked on you" requests about them."""
    team_ids = [team.pk for team in teams]
    columns = {team.pk: PlanningColumn(team, [], [], [], []) for team in teams}
    for goal in (
        SprintGoal.objects.filter(sprint=sprint, team_id__in=team_ids)
        .select_related("milestone__project", "key_result")
        .prefetch_related("owners")
        .order_by("pk")
    ):
        goal.lone_wolf = lone_wolf_reason(_timezones(goal.owners.all()), at=now)
        columns[goal.team_id].goals.append(goal)
    for comment in PlanningComment.objects.filter(sprint=sprint, team_id__in=team_ids).select_related("author"):
        columns[comment.team_id].comments.append(comment)
    for request in (
        BlockedRequest.objects.filter(sprint=sprint)
        .filter(Q(from_team_id__in=team_ids) | Q(to_team_id__in=team_ids))
        .select_related("from_team", "to_team", "requested_by", "answered_by")
    ):
        if request.from_team_id in columns:
            columns[request.from_team_id].requests_made.append(request)
        if request.to_team_id in columns:
            columns[request.to_team_id].requests_received.append(request)
    return list(columns.values())


def person_open_cards(person: Person, readable) -> QuerySet[Card]:
    return (
        Card.objects.filter(owners=person, team__in=readable)
        .exclude(column=Card.Column.DONE)
        .select_related("team")
        .order_by("pk")
    )


def person_recent_standups(person: Person, readable, limit: int = 5) -> QuerySet[StandupUpdate]:
    return StandupUpdate.objects.filter(person=person, team__in=readable).select_related("team", "person")[:limit]
