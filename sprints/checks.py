"""The handbook's working rules as checks: measurable progress, no lone wolves, finish what we start."""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import pairwise
from zoneinfo import ZoneInfo

from platformhub.models import Person
from sprints.models import Card, Milestone

SAME_TIMEZONE_HOURS = 3
IN_PROGRESS_LIMIT = 2


def project_progress(milestones: Iterable[Milestone]) -> float | None:
    """The mean of the milestones' progress; None for a project without milestones."""
    values = [milestone.progress for milestone in milestones]
    return sum(values) / len(values) if values else None


def utc_offset_hours(timezone: str, at: datetime.datetime) -> float:
    offset = at.astimezone(ZoneInfo(timezone)).utcoffset() or datetime.timedelta(0)
    return offset.total_seconds() / 3600


def lone_wolf_reason(timezones: list[str], *, at: datetime.datetime) -> str | None:
    """Why a goal or project, whose owners are in these `timezones` (one each), breaks "more than
    one person, in the same timezone", or None.

    Timezones are compared at `at`, so daylight saving time counts as it is that day."""
    if len(timezones) < 2:
        return "Only one owner" if timezones else "No owner"
    offsets = sorted(utc_offset_hours(timezone, at) for timezone in timezones)
    if all(later - earlier > SAME_TIMEZONE_HOURS for earlier, later in pairwise(offsets)):
        return f"No two owners within {SAME_TIMEZONE_HOURS} hours of each other"
    return None


@dataclass(frozen=True)
class Overload:
    person: Person
    cards: int


def people_over_the_limit(cards: Iterable[Card], *, limit: int = IN_PROGRESS_LIMIT) -> list[Overload]:
    """People with more cards in progress than the limit (each card with its `owner_list`, as
    sprints.selectors.card_details gives it)."""
    counts: dict[int, Overload] = {}
    for card in cards:
        if card.column != Card.Column.IN_PROGRESS:
            continue
        for person in card.owner_list:
            previous = counts.get(person.pk)
            counts[person.pk] = Overload(person, (previous.cards if previous else 0) + 1)
    return sorted((entry for entry in counts.values() if entry.cards > limit), key=lambda entry: -entry.cards)


def is_lingering(card: Card) -> bool:
    """In progress and carried over at least once: two or more sprints without finishing."""
    return card.column == Card.Column.IN_PROGRESS and card.carry_overs >= 1
