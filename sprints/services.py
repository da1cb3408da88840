"""Writes for sprints: the cadence and its sprints, rosters, cards and their moves, closing."""

import datetime
import hashlib
import secrets
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from integrations.models import GitHubIssue
from platformhub.concurrency import EditConflict, save_versioned
from platformhub.models import Person, Team
from sprints.models import (
    DEFAULT_WIP_LIMITS,
    ActionItem,
    AgendaItem,
    BlockedRequest,
    Board,
    Cadence,
    CalendarFeed,
    Card,
    CardMove,
    Meeting,
    MeetingSeries,
    Milestone,
    PlanningComment,
    Project,
    RetroNote,
    RosterEntry,
    Sprint,
    SprintGoal,
    StandupUpdate,
    planning_day,
)

UPCOMING = 2  # sprints planned ahead of the current one


@transaction.atomic
def cadence_set(*, length_days: int, first_start: datetime.date) -> Cadence:
    """Set the org's cadence (there is one). Sprints already generated keep their dates."""
    cadence = Cadence.objects.first() or Cadence(first_start=first_start)
    cadence.length_days, cadence.first_start = length_days, first_start
    cadence.full_clean()
    cadence.save()
    return cadence


def _name(number: int) -> str:
    return f"Sprint {number}"


@transaction.atomic
def sprints_ensure(*, today: datetime.date) -> Sprint:
    """Generate every sprint up to today's and `UPCOMING` more; return today's sprint."""
    cadence = Cadence.objects.select_for_update().first()
    if cadence is None:
        raise ValidationError("Set the sprint cadence first (length and the first sprint's start).")
    current = cadence.number_on(today)
    highest = Sprint.objects.aggregate(highest=Max("number"))["highest"] or 0
    new = []
    for number in range(highest + 1, current + UPCOMING + 1):
        start = cadence.start_of(number)
        end = start + datetime.timedelta(days=cadence.length_days - 1)
        new.append(Sprint(number=number, name=_name(number), start=start, end=end, planning_date=planning_day(start)))
    for sprint in new:
        sprint.full_clean()
        sprint.save()
        roster_copy_forward(sprint=sprint)
    return Sprint.objects.get(number=current)


class RosterChanged(Exception):
    """Someone changed the roster since the lead was shown it; `people` is who is on it now."""

    def __init__(self, people: list[Person]):
        super().__init__("The roster changed since it was shown")
        self.people = people


@transaction.atomic
def roster_set(
    *, sprint: Sprint, team: Team, people: Iterable[Person], expected: Iterable[Person] | None = None
) -> None:
    """Who is on `team` (a sub-team) during `sprint`. With `expected`, the roster the lead was shown,
    a roster changed since is refused with RosterChanged instead of losing that change."""
    people = list(people)
    if expected is not None:
        Sprint.objects.select_for_update().get(pk=sprint.pk)  # one roster change at a time
        current = list(
            Person.objects.filter(roster_entries__sprint=sprint, roster_entries__team=team).order_by("display_name")
        )
        if {person.pk for person in current} != {person.pk for person in expected}:
            raise RosterChanged(current)
    RosterEntry.objects.filter(sprint=sprint, team=team).exclude(person__in=people).delete()
    for person in people:
        RosterEntry.objects.get_or_create(sprint=sprint, team=team, person=person)


@transaction.atomic
def roster_copy_forward(*, sprint: Sprint) -> int:
    """Start a sprint's rosters from the previous sprint's, unless it has its own; returns how many."""
    if RosterEntry.objects.filter(sprint=sprint).exists():
        return 0
    previous = Sprint.objects.filter(number__lt=sprint.number).order_by("-number").first()
    if previous is None:
        return 0
    copies = [
        RosterEntry(sprint=sprint, team_id=entry.team_id, person_id=entry.person_id)
        for entry in RosterEntry.objects.filter(sprint=previous)
    ]
    for entry in copies:
        entry.save()
    return len(copies)


@transaction.atomic
def card_create(
    *,
    team: Team,
    title: str,
    description: str = "",
    owners: Iterable[Person] = (),
    sprints: Iterable[Sprint] = (),
    column: str = Card.Column.BACKLOG,
    blocked_reason: str = "",
    project=None,
    issue=None,
) -> Card:
    """A new card at the end of its column; `issue` is an IssueReference to link (fetched by the next sync)."""
    if issue is not None:
        issue, _ = GitHubIssue.objects.get_or_create(repo=issue.repo, number=issue.number)
    card = Card(
        issue=issue,
        team=team,
        title=title,
        description=description,
        column=column,
        blocked_reason=blocked_reason,
        project=project,
        order=(Card.objects.filter(team=team, column=column).aggregate(m=Max("order"))["m"] or 0) + 1,
    )
    card.full_clean()
    card.save()
    card.owners.set(owners)
    card.sprints.set(sprints)
    return card


@transaction.atomic
def card_move(
    *,
    card: Card,
    to_column: str,
    expected_version: int,
    moved_by: Person | None,
    blocked_reason: str = "",
    at: datetime.datetime | None = None,
) -> CardMove | None:
    """Move a card to the end of another column and record who moved it, when, from and to.
    Raises EditConflict, recording nothing, when the card changed since `expected_version`, even
    if someone else has just moved it where this move meant to."""
    if to_column == card.column:
        if card.version != expected_version:
            raise EditConflict(current=card)
        return None
    from_column = card.column
    card.column = to_column
    card.blocked_reason = blocked_reason if to_column == Card.Column.BLOCKED else ""
    card.order = (Card.objects.filter(team=card.team, column=to_column).aggregate(m=Max("order"))["m"] or 0) + 1
    card.full_clean(exclude=["team", "project", "issue"])  # a move changes none of them: no lookups
    save_versioned(
        card, expected_version=expected_version, update_fields=["column", "blocked_reason", "order", "updated_at"]
    )
    return CardMove.objects.create(
        card=card, moved_by=moved_by, moved_at=at or timezone.now(), from_column=from_column, to_column=to_column
    )


@transaction.atomic
def card_take(*, card: Card, person: Person) -> None:
    """Make `person` an owner of the card, so nobody else picks up the same work."""
    card.owners.add(person)


@transaction.atomic
def sprint_close(*, sprint: Sprint, closed_by: Person | None) -> int:
    """Close a sprint: its unfinished cards are tagged with the next sprint and counted as
    carried over. Returns how many cards were carried."""
    if Sprint.objects.filter(number__lt=sprint.number, closed_at__isnull=True).exists():
        raise ValidationError(f"Close the sprints before {sprint.name} first.")
    following = Sprint.objects.filter(number=sprint.number + 1).first()
    if following is None:
        raise ValidationError(f"Generate {_name(sprint.number + 1)} before closing {sprint.name}.")
    # Claim the close first: of two clicks on "Close", only one carries the cards over.
    closing_at = timezone.now()
    if not Sprint.objects.filter(pk=sprint.pk, closed_at__isnull=True).update(
        closed_at=closing_at, closed_by=closed_by
    ):
        raise ValidationError(f"{sprint.name} is already closed.")
    unfinished = list(sprint.cards.exclude(column=Card.Column.DONE))
    for card in unfinished:
        card.sprints.add(following)
        card.carry_overs += 1
        card.save(update_fields=["carry_overs", "updated_at"])
    sprint.closed_at, sprint.closed_by = closing_at, closed_by
    sprint.save(update_fields=["closed_at", "closed_by"])  # once more through save(), for the history
    return len(unfinished)


@transaction.atomic
def board_for(team: Team) -> Board:
    """The team's board settings, created with the default WIP limits the first time."""
    board, _ = Board.objects.get_or_create(team=team, defaults={"wip_limits": dict(DEFAULT_WIP_LIMITS)})
    return board


@transaction.atomic
def sprint_goal_create(
    *, sprint: Sprint, team: Team, title: str, owners: Iterable[Person] = (), milestone=None, key_result=None
) -> SprintGoal:
    goal = SprintGoal(sprint=sprint, team=team, title=title, milestone=milestone, key_result=key_result)
    goal.full_clean()
    goal.save()
    goal.owners.set(owners)
    return goal


@transaction.atomic
def sprint_goal_set_outcome(*, goal: SprintGoal, expected_version: int, outcome: str) -> SprintGoal:
    goal.outcome = outcome
    goal.full_clean()
    save_versioned(goal, expected_version=expected_version, update_fields=["outcome"])
    return goal


@transaction.atomic
def project_create(
    *, team: Team, title: str, description: str = "", owners: Iterable[Person] = (), key_results=()
) -> Project:
    project = Project(team=team, title=title, description=description)
    project.full_clean()
    project.save()
    project.owners.set(owners)
    project.key_results.set(key_results)
    return project


@transaction.atomic
def milestone_create(*, project: Project, title: str, target=None, current=0, is_done: bool = False) -> Milestone:
    milestone = Milestone(
        project=project,
        title=title,
        target=target,
        current=current,
        is_done=is_done,
        order=(project.milestones.aggregate(m=Max("order"))["m"] or 0) + 1,
    )
    milestone.full_clean()
    milestone.save()
    return milestone


@transaction.atomic
def milestone_update_progress(*, milestone: Milestone, expected_version: int, current=None, is_done=None) -> Milestone:
    if current is not None:
        milestone.current = current
    if is_done is not None:
        milestone.is_done = is_done
    milestone.full_clean()
    save_versioned(milestone, expected_version=expected_version, update_fields=["current", "is_done"])
    return milestone


# Rituals


@transaction.atomic
def meeting_series_create(
    *,
    team: Team | None,
    kind: str,
    name: str,
    weekdays: list[int],
    starts_at: datetime.time | None = None,
    duration_minutes: int = 30,
    timezone_name: str = "UTC",
) -> MeetingSeries:
    series = MeetingSeries(
        team=team,
        kind=kind,
        name=name,
        weekdays=sorted(set(weekdays)),
        starts_at=starts_at,
        duration_minutes=duration_minutes,
        timezone=timezone_name,
    )
    series.full_clean()
    series.save()
    return series


@transaction.atomic
def meetings_schedule(*, series: MeetingSeries, start: datetime.date, until: datetime.date) -> list[Meeting]:
    """Create the series' meetings on its weekdays from `start` to `until`; existing ones are kept."""
    existing = set(series.meetings.filter(date__range=(start, until)).values_list("date", flat=True))
    created = []
    day = start
    while day <= until:
        if day.weekday() in series.weekdays and day not in existing:
            created.append(Meeting.objects.create(series=series, date=day))
        day += datetime.timedelta(days=1)
    return created


@transaction.atomic
def agenda_item_add(*, meeting: Meeting, title: str, added_by: Person | None) -> AgendaItem:
    item = AgendaItem(
        meeting=meeting,
        title=title,
        added_by=added_by,
        order=(meeting.agenda.aggregate(m=Max("order"))["m"] or 0) + 1,
    )
    item.full_clean()
    item.save()
    return item


@transaction.atomic
def action_item_add(
    *, meeting: Meeting, title: str, owner: Person | None, due_date: datetime.date | None = None
) -> ActionItem:
    item = ActionItem(series=meeting.series, raised_in=meeting, title=title, owner=owner, due_date=due_date)
    item.full_clean()
    item.save()
    return item


@transaction.atomic
def action_item_complete(
    *, item: ActionItem, at: datetime.datetime | None = None, on: datetime.date | None = None
) -> ActionItem:
    """Tick an action item off in the meeting on day `on` (by default the day it is ticked):
    it shows there as done and no longer carries into the meetings after it."""
    if item.done_at is None:
        item.done_at = at or timezone.now()
        item.done_on = max(on or timezone.localdate(item.done_at), item.raised_in.date)
        item.save(update_fields=["done_at", "done_on"])
    return item


@transaction.atomic
def action_item_reopen(*, item: ActionItem) -> ActionItem:
    """Undo a tick: the item carries on again."""
    if item.done_at is not None:
        item.done_at = item.done_on = None
        item.save(update_fields=["done_at", "done_on"])
    return item


@transaction.atomic
def meeting_for(*, series: MeetingSeries, date: datetime.date) -> Meeting:
    """The series' meeting on `date`, created by the first thing written to it (reading a
    meeting page never creates one). Refuses days the series does not meet on."""
    meeting = series.meetings.filter(date=date).first()
    if meeting is not None:
        return meeting
    nearby = datetime.timedelta(days=14)
    sprints = Sprint.objects.filter(start__lte=date + nearby, end__gte=date - nearby)
    ad_hoc = not series.follows_sprints and not series.weekdays
    if not ad_hoc and not series.occurs_on(date, sprints):
        raise ValidationError(f"{series.name} does not meet on {date:%A %-d %B %Y}.")
    meeting, _ = Meeting.objects.get_or_create(series=series, date=date)
    return meeting


@transaction.atomic
def meeting_update(
    *, meeting: Meeting, expected_version: int, notes: str, decisions: str, attendees: Iterable[Person]
) -> Meeting:
    """Notes, decisions and who came; refused with EditConflict if someone saved meanwhile."""
    meeting.notes = notes
    meeting.decisions = decisions
    meeting.full_clean()
    save_versioned(meeting, expected_version=expected_version, update_fields=["notes", "decisions"])
    meeting.attendees.set(attendees)
    return meeting


@transaction.atomic
def agenda_item_set_discussed(*, item: AgendaItem, discussed: bool) -> AgendaItem:
    if item.discussed != discussed:
        item.discussed = discussed
        item.save(update_fields=["discussed"])
    return item


@transaction.atomic
def standup_post(
    *,
    team: Team,
    person: Person,
    date: datetime.date,
    expected_version: int,
    yesterday: str,
    today: str,
    blockers: str,
) -> StandupUpdate:
    """Post (or rewrite) the person's standup for the day. A new blocker is flagged again even
    if an earlier one that day was cleared. `expected_version` is 0 for a first post."""
    standup = StandupUpdate.objects.filter(team=team, person=person, date=date).first()
    now = timezone.now()
    if standup is None:
        if expected_version != 0:
            raise ValidationError("That standup was deleted meanwhile; post it again.")
        standup = StandupUpdate(team=team, person=person, date=date, posted_at=now, version=1)
        standup.yesterday, standup.today, standup.blockers = yesterday, today, blockers
        standup.full_clean()
        try:
            with transaction.atomic():
                standup.save()
        except IntegrityError:
            raise EditConflict(current=StandupUpdate.objects.get(team=team, person=person, date=date)) from None
        return standup
    cleared = standup.blocker_cleared_at if blockers.strip() == standup.blockers.strip() else None
    standup.yesterday, standup.today, standup.blockers = yesterday, today, blockers
    standup.blocker_cleared_at, standup.posted_at = cleared, now
    standup.full_clean()
    save_versioned(
        standup,
        expected_version=expected_version,
        update_fields=["yesterday", "today", "blockers", "blocker_cleared_at", "posted_at"],
    )
    return standup


@transaction.atomic
def standup_clear_blocker(
    *, standup: StandupUpdate, expected_version: int, at: datetime.datetime | None = None
) -> StandupUpdate:
    """The blocker is sorted out: it stops being flagged on the team page and agendas. Refused
    with EditConflict if the standup changed since it was shown (a new blocker is not cleared
    unseen)."""
    if standup.blocker_cleared_at is None:
        standup.blocker_cleared_at = at or timezone.now()
        save_versioned(standup, expected_version=expected_version, update_fields=["blocker_cleared_at"])
    return standup


@transaction.atomic
def retro_note_add(*, meeting: Meeting, kind: str, text: str, author: Person | None) -> RetroNote:
    note = RetroNote(meeting=meeting, kind=kind, text=text, author=author)
    note.full_clean()
    note.save()
    return note


@transaction.atomic
def planning_comment_add(
    *, sprint: Sprint, team: Team, author: Person | None, body: str, is_concern: bool = False
) -> PlanningComment:
    comment = PlanningComment(sprint=sprint, team=team, author=author, body=body, is_concern=is_concern)
    comment.full_clean()
    comment.save()
    return comment


@transaction.atomic
def blocked_request_create(
    *, sprint: Sprint, from_team: Team, to_team: Team, requested_by: Person | None, body: str
) -> BlockedRequest:
    request = BlockedRequest(sprint=sprint, from_team=from_team, to_team=to_team, requested_by=requested_by, body=body)
    request.full_clean()
    request.save()
    return request


@transaction.atomic
def blocked_request_answer(*, request: BlockedRequest, answer: str, answered_by: Person | None) -> BlockedRequest:
    """Answer a "blocked on you" request; it leaves the receiving team's agenda and board.
    The first answer stands: answering twice is refused rather than overwriting it."""
    locked = BlockedRequest.objects.select_for_update().get(pk=request.pk)
    if locked.answered_at is not None:
        raise ValidationError("Someone on the team answered this request already.")
    locked.answer, locked.answered_by, locked.answered_at = answer, answered_by, timezone.now()
    locked.full_clean()
    locked.save(update_fields=["answer", "answered_by", "answered_at"])
    return locked


def calendar_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def calendar_feed_create(*, team: Team, created_by: Person | None) -> tuple[CalendarFeed, str]:
    """A new subscription address; the token is returned once and only its hash is kept."""
    token = secrets.token_urlsafe(32)
    feed = CalendarFeed.objects.create(team=team, created_by=created_by, token_hash=calendar_token_hash(token))
    return feed, token


@transaction.atomic
def calendar_feed_revoke(*, feed: CalendarFeed) -> CalendarFeed:
    if feed.revoked_at is None:
        feed.revoked_at = timezone.now()
        feed.save(update_fields=["revoked_at"])
    return feed
