"""Writes for OKRs. Every function validates, runs in one transaction, and refuses to touch
a quarter the team has closed."""

import datetime
import hashlib
import secrets
from collections.abc import Iterable
from decimal import Decimal
from typing import Literal

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Max, Prefetch, QuerySet
from django.utils import timezone

from okrs.models import (
    CheckIn,
    Horizon,
    KeyResult,
    Objective,
    Period,
    RoadmapItem,
    RoadmapShareLink,
    RoadmapSnapshot,
    TeamPeriod,
    with_issue_counts,
)
from okrs.progress import key_result_progress
from platformhub.concurrency import save_versioned, set_versioned_many
from platformhub.models import Person, Team
from platformhub.prepared import prepared

Direction = Literal["up", "down"]


def period_get_or_create(*, year: int, quarter: int) -> Period:
    start, end = Period.bounds(year, quarter)
    period, _ = Period.objects.get_or_create(year=year, quarter=quarter, defaults={"start": start, "end": end})
    return period


def period_for_date(day: datetime.date) -> Period:
    year, quarter = Period.quarter_of(day)
    return period_get_or_create(year=year, quarter=quarter)


def ensure_period_open(*, team: Team, period: Period) -> None:
    """Raise if the team has closed (scored) this quarter: it is read-only until reopened.

    Locks the team's row for the rest of the caller's transaction, so a write and a closing
    of the quarter (which checks here too) cannot interleave. SQLite has no row locks: its
    transactions begin IMMEDIATE (settings), holding the database's one write lock throughout."""
    if connection.features.has_select_for_update:
        _lock_team(team_id=team.pk)
    if team_quarter_is_closed(team_id=team.pk, period_id=period.pk):
        raise ValidationError(f"{period.name} is closed for {team.name}. A lead can reopen it to make changes.")


@prepared
def _lock_team(*, team_id: int) -> QuerySet[Team]:
    return Team.objects.select_for_update().filter(pk=team_id).order_by().values_list("pk", flat=True)


def team_quarter_is_closed(*, team_id: int, period_id: int | None) -> bool:
    """Whether the team has closed (scored) the quarter."""
    return bool(_closed_team_quarter(team_id=team_id, period_id=period_id))


@prepared
def _closed_team_quarter(*, team_id: int, period_id: int | None) -> QuerySet[TeamPeriod]:
    closed = TeamPeriod.objects.filter(team_id=team_id, period_id=period_id, closed_at__isnull=False)
    return closed.order_by().values_list("pk", flat=True)[:1]


def _next_order(queryset) -> int:
    return (queryset.aggregate(highest=Max("order"))["highest"] or 0) + 1


@transaction.atomic
def objective_create(
    *,
    team: Team,
    period: Period,
    title: str,
    why: str = "",
    owners: Iterable[Person] = (),
    parent: Objective | None = None,
) -> Objective:
    ensure_period_open(team=team, period=period)
    objective = Objective(
        team=team,
        period=period,
        title=title,
        why=why,
        parent=parent,
        order=_next_order(Objective.objects.filter(team=team, period=period)),
    )
    objective.full_clean()
    objective.save()
    objective.owners.set(owners)
    return objective


@transaction.atomic
def objective_update(
    *,
    objective: Objective,
    expected_version: int,
    title: str,
    why: str,
    owners: Iterable[Person],
    parent: Objective | None,
    archived: bool,
) -> Objective:
    ensure_period_open(team=objective.team, period=objective.period)
    objective.title, objective.why, objective.parent, objective.archived = title, why, parent, archived
    objective.full_clean(exclude=["team", "period"])  # unchanged, and kept real by the database's foreign keys
    save_versioned(
        objective, expected_version=expected_version, update_fields=["title", "why", "parent", "archived", "updated_at"]
    )
    set_versioned_many(objective, "owners", owners)
    return objective


@transaction.atomic
def objective_delete(*, objective: Objective) -> None:
    """Delete the objective with its key results and their check-ins (all kept in the history)."""
    ensure_period_open(team=objective.team, period=objective.period)
    objective.delete()


def _swap_with_neighbour(item, siblings, direction: Direction) -> None:
    """Move `item` one place up or down among `siblings`, renumbering them 1..n."""
    ordered = list(siblings.order_by("order", "pk"))
    index = next((i for i, sibling in enumerate(ordered) if sibling.pk == item.pk), None)
    if index is None:
        return  # not among the ordered ones (e.g. archived)
    target = index - 1 if direction == "up" else index + 1
    if not 0 <= target < len(ordered):
        return
    ordered[index], ordered[target] = ordered[target], ordered[index]
    for position, sibling in enumerate(ordered, start=1):
        if sibling.order != position:
            sibling.order = position
            sibling.save(update_fields=["order"])


@transaction.atomic
def objective_move(*, objective: Objective, direction: Direction) -> None:
    ensure_period_open(team=objective.team, period=objective.period)
    siblings = Objective.objects.filter(team=objective.team, period=objective.period, archived=False)
    _swap_with_neighbour(objective, siblings, direction)


@transaction.atomic
def key_result_create(
    *,
    objective: Objective,
    title: str,
    kind: str,
    unit: str = "",
    direction: str = KeyResult.Direction.INCREASE,
    start_value: Decimal = Decimal(0),
    target_value: Decimal = Decimal(100),
    due_date: datetime.date | None = None,
    owners: Iterable[Person] = (),
    weight_by_points: bool = False,
) -> KeyResult:
    ensure_period_open(team=objective.team, period=objective.period)
    key_result = KeyResult(
        weight_by_points=weight_by_points,
        objective=objective,
        title=title,
        kind=kind,
        unit=unit,
        direction=direction,
        start_value=start_value,
        target_value=target_value,
        current_value=start_value if kind == KeyResult.Kind.METRIC else Decimal(0),
        due_date=due_date or objective.period.end,
        order=_next_order(objective.key_results.all()),
    )
    key_result.full_clean()
    key_result.save()
    key_result.owners.set(owners)
    return key_result


# What an edit (or a restore from the history) of a key result sets.
KEY_RESULT_FIELDS = (
    "title",
    "kind",
    "unit",
    "direction",
    "start_value",
    "target_value",
    "due_date",
    "weight_by_points",
)


@transaction.atomic
def key_result_update(
    *,
    key_result: KeyResult,
    expected_version: int,
    title: str,
    kind: str,
    unit: str,
    direction: str,
    start_value: Decimal,
    target_value: Decimal,
    due_date: datetime.date | None,
    owners: Iterable[Person],
    weight_by_points: bool = False,
) -> KeyResult:
    objective = key_result.objective
    ensure_period_open(team=objective.team, period=objective.period)
    key_result.title, key_result.kind, key_result.unit, key_result.direction = title, kind, unit, direction
    key_result.start_value, key_result.target_value = start_value, target_value
    key_result.due_date = due_date or objective.period.end
    key_result.weight_by_points = weight_by_points
    key_result.full_clean()
    save_versioned(key_result, expected_version=expected_version, update_fields=[*KEY_RESULT_FIELDS, "updated_at"])
    set_versioned_many(key_result, "owners", owners)
    return key_result


@transaction.atomic
def key_result_delete(*, key_result: KeyResult) -> None:
    objective = key_result.objective
    ensure_period_open(team=objective.team, period=objective.period)
    key_result.delete()


@transaction.atomic
def key_result_move(*, key_result: KeyResult, direction: Direction) -> None:
    objective = key_result.objective
    ensure_period_open(team=objective.team, period=objective.period)
    _swap_with_neighbour(key_result, objective.key_results.all(), direction)


@transaction.atomic
def check_in_record(
    *,
    key_result: KeyResult,
    author: Person | None,
    expected_version: int,
    confidence: str,
    value: Decimal | None = None,
    done: bool | None = None,
    note: str = "",
    at: datetime.datetime | None = None,
) -> CheckIn:
    """Record a check-in and move the KR's current value, confidence and last check-in with it."""
    objective = key_result.objective
    ensure_period_open(team=objective.team, period=objective.period)
    if key_result.kind == KeyResult.Kind.MILESTONE:
        value = None
        done = bool(done)
    elif key_result.kind == KeyResult.Kind.ISSUES:
        value, done = None, None
    elif value is None:
        raise ValidationError({"value": "Enter the current value."})
    elif key_result.kind == KeyResult.Kind.PERCENT and not 0 <= value <= 100:
        raise ValidationError({"value": "A percentage is between 0 and 100."})
    check_in = CheckIn(
        key_result=key_result,
        author=author,
        value=value,
        done=done,
        confidence=confidence,
        note=note,
        created_at=at or timezone.now(),
    )
    # The key result, its objective and the author were read for this request, and the database's
    # foreign keys refuse a row that points nowhere: full_clean need not ask, a query each, whether
    # they still exist (no unique constraint involves them).
    check_in.full_clean(exclude=["key_result", "author"])
    if value is not None:
        key_result.current_value = value
    if done is not None:
        key_result.is_done = done
    key_result.confidence = confidence
    key_result.last_check_in_at = check_in.created_at
    key_result.full_clean(exclude=["objective"])
    save_versioned(
        key_result,
        expected_version=expected_version,
        update_fields=["current_value", "is_done", "confidence", "last_check_in_at", "updated_at"],
    )
    check_in.save()
    return check_in


@transaction.atomic
def period_open_next(*, team: Team, period: Period, copy_unfinished: bool) -> Period:
    """Open the quarter after `period`; optionally carry the team's unfinished objectives into it,
    each with its unfinished key results starting from where they stand now."""
    year, quarter = period.next_quarter()
    next_period = period_get_or_create(year=year, quarter=quarter)
    if not copy_unfinished:
        return next_period
    ensure_period_open(team=team, period=next_period)
    already_copied = set(Objective.objects.filter(team=team, period=next_period).values_list("title", flat=True))
    key_results = Prefetch(
        "key_results",
        queryset=with_issue_counts(KeyResult.objects.prefetch_related("owners")).order_by("order", "pk"),
    )  # explicit order: Meta.ordering is dropped from the GROUP BY query that counts issues
    objectives = (
        Objective.objects.filter(team=team, period=period, archived=False)
        .prefetch_related("owners", key_results)
        .order_by("order", "pk")
    )
    for objective in objectives:
        unfinished = [kr for kr in objective.key_results.all() if key_result_progress(kr) < 1]
        if not unfinished or objective.title in already_copied:
            continue
        copy = objective_create(
            team=team, period=next_period, title=objective.title, why=objective.why, owners=objective.owners.all()
        )
        for key_result in unfinished:
            carried = key_result_create(
                objective=copy,
                title=key_result.title,
                kind=key_result.kind,
                unit=key_result.unit,
                direction=key_result.direction,
                start_value=key_result.current_value if key_result.kind == KeyResult.Kind.METRIC else Decimal(0),
                target_value=key_result.target_value,
                owners=key_result.owners.all(),
                weight_by_points=key_result.weight_by_points,
            )
            if key_result.kind == KeyResult.Kind.PERCENT:
                carried.current_value = key_result.current_value
                carried.save(update_fields=["current_value"])
    return next_period


@transaction.atomic
def period_close(
    *, team: Team, period: Period, closed_by: Person | None, scores: dict[int, tuple[Decimal, str]]
) -> TeamPeriod:
    """Score every key result of the team's quarter and make the quarter read-only.

    `scores` maps each KR id to (score from 0.0 to 1.0, comment); every KR needs one.
    """
    ensure_period_open(team=team, period=period)
    key_results = list(KeyResult.objects.filter(objective__team=team, objective__period=period))
    missing = [kr.title for kr in key_results if kr.pk not in scores]
    if missing:
        raise ValidationError(f"Score every key result before closing; missing: {', '.join(missing)}.")
    for key_result in key_results:
        key_result.final_score, key_result.score_comment = scores[key_result.pk]
        key_result.full_clean()
        key_result.save(update_fields=["final_score", "score_comment", "updated_at"])
    team_period, _ = TeamPeriod.objects.get_or_create(team=team, period=period)
    team_period.closed_at = timezone.now()
    team_period.closed_by = closed_by
    team_period.save(update_fields=["closed_at", "closed_by"])
    return team_period


@transaction.atomic
def period_reopen(*, team: Team, period: Period) -> None:
    """Make a closed quarter editable again; the scores stay until it is closed anew."""
    team_period = TeamPeriod.objects.select_for_update().filter(team=team, period=period).first()
    if team_period is None or not team_period.is_closed:
        raise ValidationError(f"{period.name} is not closed for {team.name}.")
    team_period.closed_at = None
    team_period.closed_by = None
    team_period.save(update_fields=["closed_at", "closed_by"])


# Roadmap


@transaction.atomic
def horizon_create(*, team: Team | None, name: str, target_date: datetime.date | None = None) -> Horizon:
    horizon = Horizon(
        team=team, name=name, target_date=target_date, order=_next_order(Horizon.objects.filter(team=team))
    )
    horizon.full_clean()
    horizon.save()
    return horizon


@transaction.atomic
def roadmap_item_create(
    *,
    team: Team,
    horizon: Horizon,
    title: str,
    description: str = "",
    owners: Iterable[Person] = (),
    status: str = RoadmapItem.Status.PLANNED,
    commitment: str = RoadmapItem.Commitment.CANDIDATE,
    health: str = RoadmapItem.Health.ON_TRACK,
) -> RoadmapItem:
    item = RoadmapItem(
        team=team,
        horizon=horizon,
        title=title,
        description=description,
        status=status,
        commitment=commitment,
        health=health,
        order=_next_order(RoadmapItem.objects.filter(team=team, horizon=horizon)),
    )
    item.full_clean()
    item.save()
    item.owners.set(owners)
    return item


@transaction.atomic
def roadmap_item_update(
    *,
    item: RoadmapItem,
    expected_version: int,
    title: str,
    description: str,
    owners: Iterable[Person],
    status: str,
    commitment: str,
    health: str,
) -> RoadmapItem:
    item.title, item.description = title, description
    item.status, item.commitment, item.health = status, commitment, health
    item.full_clean()
    save_versioned(
        item,
        expected_version=expected_version,
        update_fields=["title", "description", "status", "commitment", "health", "updated_at"],
    )
    item.owners.set(owners)
    return item


@transaction.atomic
def roadmap_item_delete(*, item: RoadmapItem) -> None:
    item.delete()


@transaction.atomic
def roadmap_item_move(*, item: RoadmapItem, horizon: Horizon, expected_version: int) -> None:
    """Move an item to the end of another horizon; EditConflict if someone changed it since
    `expected_version` (they may have moved it already)."""
    if horizon.pk == item.horizon_id:
        return
    item.horizon = horizon
    item.order = _next_order(RoadmapItem.objects.filter(team=item.team, horizon=horizon))
    item.full_clean()
    save_versioned(item, expected_version=expected_version, update_fields=["horizon", "order", "updated_at"])


@transaction.atomic
def roadmap_item_reorder(*, item: RoadmapItem, direction: Direction) -> None:
    """Move an item one place up or down in its horizon."""
    _swap_with_neighbour(item, RoadmapItem.objects.filter(team=item.team, horizon=item.horizon), direction)


def _check_same_tree(item: RoadmapItem, team: Team) -> None:
    if team.root_id != item.team.root_id:
        raise ValidationError("Link key results of this team, its parent or its sub-teams.")


@transaction.atomic
def roadmap_item_link_key_result(*, item: RoadmapItem, key_result: KeyResult) -> None:
    """Record that the key result delivers the item; its progress now counts in the item's."""
    _check_same_tree(item, key_result.objective.team)
    item.key_results.add(key_result)


@transaction.atomic
def roadmap_item_unlink_key_result(*, item: RoadmapItem, key_result: KeyResult) -> None:
    item.key_results.remove(key_result)


@transaction.atomic
def roadmap_item_link_objective(*, item: RoadmapItem, objective: Objective) -> None:
    """Record that an objective works towards the item (shown with it; progress comes from KRs)."""
    _check_same_tree(item, objective.team)
    item.objectives.add(objective)


@transaction.atomic
def roadmap_item_unlink_objective(*, item: RoadmapItem, objective: Objective) -> None:
    item.objectives.remove(objective)


@transaction.atomic
def roadmap_snapshot_take(
    *, team: Team, name: str, taken_by: Person | None, items: list[dict], at: datetime.datetime | None = None
) -> RoadmapSnapshot:
    """Save the roadmap as it stands; `items` comes from `selectors.roadmap_item_summaries`."""
    snapshot = RoadmapSnapshot(team=team, name=name, taken_by=taken_by, items=items, taken_at=at or timezone.now())
    snapshot.full_clean()
    snapshot.save()
    return snapshot


@transaction.atomic
def roadmap_share_link_create(*, team: Team, label: str, created_by: Person | None) -> tuple[RoadmapShareLink, str]:
    """A new read-only link; returns it with its secret token, which is not stored and shown only now."""
    token = secrets.token_urlsafe(32)
    link = RoadmapShareLink(team=team, label=label, created_by=created_by, token_hash=share_token_hash(token))
    link.full_clean()
    link.save()
    return link, token


def share_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def roadmap_share_link_revoke(*, link: RoadmapShareLink) -> None:
    if link.revoked_at is None:
        link.revoked_at = timezone.now()
        link.save(update_fields=["revoked_at"])
