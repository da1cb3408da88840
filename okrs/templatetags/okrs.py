import datetime
from dataclasses import dataclass
from decimal import Decimal

from django import template
from django.utils import timezone
from django.utils.timesince import timesince

from okrs.models import KeyResult
from okrs.progress import Status, linked_issue_counts
from platformhub.urls_cache import reverse_pk

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
def checked_in(moment: datetime.datetime | None) -> str:
    """ "3 days ago" for the last month, the date before that."""
    if moment is None:
        return "No check-ins yet"
    if timezone.now() - moment < datetime.timedelta(days=30):
        return f"Checked in {timesince(moment, depth=1)} ago"
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


@register.simple_tag(takes_context=True)
def key_result_row(context, key_result: KeyResult) -> KeyResultRow:
    """The row of `key_result` (with `.state` and `.can_check_in`) as the page's reader sees it:
    its buttons depend on `can_edit`, `is_closed` and `reordering` (the objective whose key
    results show move buttons)."""
    can_edit = bool(context.get("can_edit"))
    reordering = can_edit and context.get("reordering") == key_result.objective_id
    return KeyResultRow(
        pk=key_result.pk,
        title=key_result.title,
        measure=measure(key_result),
        owners=tuple(str(owner) for owner in key_result.owners.all()),
        percent=key_result.state.percent,
        status=key_result.state.status,
        is_stale=key_result.state.is_stale,
        confidence=key_result.confidence,
        confidence_label=key_result.get_confidence_display() if key_result.confidence else "",
        checked_in=checked_in(key_result.last_check_in_at),
        final_score=key_result.final_score,
        can_check_in=getattr(key_result, "can_check_in", False) and not context.get("is_closed"),
        can_edit=can_edit,
        reordering=reordering,
        is_first=reordering and key_result.is_first,
        is_last=reordering and key_result.is_last,
    )
