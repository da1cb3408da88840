import datetime
import functools
from decimal import Decimal

from django import template
from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone
from django.utils.timesince import timesince

from okrs.models import KeyResult
from okrs.progress import linked_issue_counts
from platformhub.html import render_markdown

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


@register.filter
@functools.lru_cache(maxsize=512)
def cached_markdown(text: str):
    """The `markdown` filter (platformhub.html.render_markdown) for texts shown on every view of a
    page, such as the objectives' whys on the team OKR page: each text is rendered and sanitised
    once, not on every request (the result depends on nothing but the text)."""
    return render_markdown(text)


_PK_PLACEHOLDER = 2_147_483_647


@register.simple_tag
def pk_url(view_name: str, pk: int) -> str:
    """`{% url view_name pk %}` for a URL whose one argument is a primary key, cheap enough for
    every row of a long page: the URL is reversed once (per view name, URLconf and script prefix)
    and the key put in its place."""
    prefix, suffix = _pk_url_parts(view_name, get_urlconf() or settings.ROOT_URLCONF, get_script_prefix())
    return f"{prefix}{int(pk)}{suffix}"


@functools.cache
def _pk_url_parts(view_name: str, urlconf: str, script_prefix: str) -> tuple[str, str]:
    """The URL around the key; `script_prefix` is in the cache key because reverse() puts it in."""
    prefix, _, suffix = reverse(view_name, args=[_PK_PLACEHOLDER], urlconf=urlconf).rpartition(str(_PK_PLACEHOLDER))
    return prefix, suffix
