import datetime
from dataclasses import dataclass

from django import template

from sprints.forms import ActionItemForm, AgendaItemForm
from sprints.models import ActionItem, Card, StandupUpdate
from sprints.selectors import BoardCard, StandupRow

register = template.Library()


@dataclass(frozen=True)
class CardRow:
    """What a card on the board shows, as plain values (platformhub/fragments.py)."""

    pk: int
    version: int
    title: str
    description: str
    blocked_reason: str
    owners: tuple[str, ...]
    project_title: str
    sprint_numbers: tuple[int, ...]
    issue_url: str
    issue_reference: str
    column: str
    lingering: bool
    sprints_in_progress: int
    is_mine: bool
    can_work: bool
    picked: str
    board_slug: str
    query: str
    columns: tuple[tuple[str, str], ...] = tuple(Card.Column.choices)


@register.simple_tag(takes_context=True)
def card_row(context, card: BoardCard) -> CardRow:
    """The card (with what `selectors.card_details` gives it) as the reader sees it on the board
    `team`: its forms depend on `can_work`, and carry the board and its filters (`query`)."""
    team = context["team"]
    return CardRow(
        pk=card.pk,
        version=card.version,
        title=card.title,
        description=card.description,
        blocked_reason=card.blocked_reason,
        owners=tuple(owner.display_name for owner in card.owner_list),
        project_title=card.project_title,
        sprint_numbers=tuple(card.sprint_numbers),
        issue_url=card.issue_url,
        issue_reference=card.issue_reference,
        column=card.column,
        lingering=card.lingering,
        sprints_in_progress=card.carry_overs + 1,
        is_mine=card.is_mine,
        can_work=bool(context.get("can_work")),
        picked=card.picked,
        board_slug=team.slug if card.team_id != team.pk else "",
        query=context.get("query") or "",
    )


@register.simple_tag
def standup_rows(standups: list[StandupUpdate]) -> tuple[StandupRow, ...]:
    """The standups (each with its person and team) as anyone reading them sees them."""
    return tuple(
        StandupRow.of(
            standup.person.display_name,
            standup.team.name,
            standup.date,
            standup.yesterday,
            standup.today,
            standup.blockers,
            standup.blocker_cleared_at,
        )
        for standup in standups
    )


@register.simple_tag(takes_context=True)
def card_rows(context, cards: list[BoardCard]) -> tuple[CardRow, ...]:
    """`card_row` of each of the cards."""
    return tuple(card_row(context, card) for card in cards)


@dataclass(frozen=True)
class ActionRow:
    """What an action item shows on a meeting page, as plain values (platformhub/fragments.py)."""

    pk: int
    title: str
    owner: str
    due_date: datetime.date | None
    done: bool
    overdue: bool
    carried: bool
    raised_on: datetime.date
    shown_on: str
    can_attend: bool


@register.simple_tag(takes_context=True)
def action_rows(context, actions: list[ActionItem]) -> tuple[ActionRow, ...]:
    """The actions (with `overdue` and `carried`, as selectors.meeting_page gives them) on the page
    of `meeting`: each tick-off form, when the reader `can_attend`, says which meeting it was on."""
    shown_on, can_attend = context["meeting"].date.isoformat(), bool(context.get("can_attend"))
    return tuple(
        ActionRow(
            pk=action.pk,
            title=action.title,
            owner=action.owner.display_name if action.owner else "",
            due_date=action.due_date,
            done=action.done_at is not None,
            overdue=action.overdue,
            carried=action.carried,
            raised_on=action.raised_in.date,
            shown_on=shown_on,
            can_attend=can_attend,
        )
        for action in actions
    )


@dataclass(frozen=True)
class EmptyActionForm:
    """The "new action" form before anything is typed, as plain values: who may own the action,
    as (id, name) (platformhub/fragments.py)."""

    owners: tuple[tuple[int, str], ...]


@register.simple_tag
def empty_action_form(row: EmptyActionForm) -> ActionItemForm:
    return ActionItemForm.empty(owners=row.owners, prefix="action")


@register.simple_tag
def empty_agenda_form() -> AgendaItemForm:
    return AgendaItemForm()
