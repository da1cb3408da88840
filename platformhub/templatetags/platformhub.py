import datetime

from django import template
from django.utils import timezone
from django.utils.timesince import timesince

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
