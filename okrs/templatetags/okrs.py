import datetime
from decimal import Decimal

from django import template
from django.utils import timezone
from django.utils.timesince import timesince

from okrs.models import KeyResult
from okrs.progress import linked_issue_counts
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
