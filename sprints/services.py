"""Writes for sprints: the cadence and its sprints, rosters, cards and their moves, closing."""

import datetime
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from platformhub.models import Person, Team
from sprints.models import Cadence, Card, CardMove, RosterEntry, Sprint, planning_day

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
    return Sprint.objects.get(number=current)


@transaction.atomic
def roster_set(*, sprint: Sprint, team: Team, people: Iterable[Person]) -> None:
    """Who is on `team` (a sub-team) during `sprint`."""
    people = list(people)
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
) -> Card:
    card = Card(
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
    moved_by: Person | None,
    blocked_reason: str = "",
    at: datetime.datetime | None = None,
) -> CardMove | None:
    """Move a card to the end of another column and record who moved it, when, from and to."""
    if to_column == card.column:
        return None
    from_column = card.column
    card.column = to_column
    card.blocked_reason = blocked_reason if to_column == Card.Column.BLOCKED else ""
    card.order = (Card.objects.filter(team=card.team, column=to_column).aggregate(m=Max("order"))["m"] or 0) + 1
    card.full_clean()
    card.save(update_fields=["column", "blocked_reason", "order", "updated_at"])
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
    if sprint.is_closed:
        raise ValidationError(f"{sprint.name} is already closed.")
    following = Sprint.objects.filter(number=sprint.number + 1).first()
    if following is None:
        raise ValidationError(f"Generate {_name(sprint.number + 1)} before closing {sprint.name}.")
    unfinished = list(sprint.cards.exclude(column=Card.Column.DONE))
    for card in unfinished:
        card.sprints.add(following)
        card.carry_overs += 1
        card.save(update_fields=["carry_overs", "updated_at"])
    sprint.closed_at, sprint.closed_by = timezone.now(), closed_by
    sprint.save(update_fields=["closed_at", "closed_by"])
    return len(unfinished)
