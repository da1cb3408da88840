import datetime

from django import template
from django.utils import timezone
from django.utils.timesince import timesince

from platformhub import html
from platformhub.html import render_markdown

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text: str):
    """Render user-written Markdown as sanitised HTML."""
    return render_markdown(text)


@register.filter
def ago(moment) -> str:
    """ "just now", "5 minutes ago", "3 days ago"."""
    if moment is None:
        return ""
    if timezone.now() - moment < datetime.timedelta(minutes=1):
        return "just now"
    return f"{timesince(moment, depth=1)} ago"


@register.simple_tag
def progress_bar(percent, status="", label=""):
    """A bar for `percent` (0–100); a tag, not an include: long pages draw hundreds of bars, and
    an include costs more than its markup."""
    return html.progress_bar(percent, status=status, label=label)


@register.simple_tag
def status_badge(status):
    """A status (on track, at risk, ...) as a coloured label; nothing without one."""
    return html.status_badge(status)
