import datetime
from dataclasses import dataclass

from django import template
from django.template.base import Node, TemplateSyntaxError
from django.template.defaulttags import querystring
from django.utils import timezone
from django.utils.datastructures import DeferredSubDict

from platformhub import html
from platformhub.fragments import csrf_token_for_row, locale_of, render_row
from platformhub.html import render_markdown
from platformhub.timesince import time_since

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
    return f"{time_since(moment)} ago"


@dataclass(frozen=True)
class PagerLinks:
    """A keyset page's links (platformhub/keyset.py) as plain values, for includes/keyset_nav.html:
    each the address's query string with the cursor changed ("" for no such page)."""

    label: str
    size: str  # what a page holds: "25", "5 teams"
    previous: str
    first: str
    next: str


@register.simple_tag(takes_context=True)
def pager_links(context, page, label: str, size) -> PagerLinks | None:
    """The links of a paginated keyset `page` (None when it is the only page), keeping the rest
    of the request's query string (filters) as `{% querystring %}` does."""
    if not page.is_paginated:
        return None
    return PagerLinks(
        label=label,
        size=str(size),
        previous=querystring(context, after=None, before=page.previous_cursor) if page.has_previous else "",
        first=querystring(context, after=None, before=None) if page.has_previous else "",
        next=querystring(context, before=None, after=page.next_cursor) if page.has_next else "",
    )


@register.simple_tag
def progress_bar(percent, status="", label=""):
    """A bar for `percent` (0–100); a tag, not an include: long pages draw hundreds of bars, and
    an include costs more than its markup."""
    return html.progress_bar(percent, status=status, label=label)


@register.simple_tag
def status_badge(status):
    """A status (on track, at risk, ...) as a coloured label; nothing without one."""
    return html.status_badge(status)


@register.simple_tag
def select_options(choices):
    """A select's options from (value, label, selected) triples (platformhub/html.py)."""
    return html.select_options(choices)


class MemoNode(Node):
    def __init__(self, partial_name: str, partials: DeferredSubDict, row):
        self.partial_name = partial_name
        self.partials = partials
        self.row = row

    def render(self, context):
        return render_row(
            self.partials[self.partial_name],
            self.row.resolve(context),
            template=context.template,
            csrf_token=csrf_token_for_row(context),
            locale=locale_of(context),
        )


class MemoEachNode(MemoNode):
    def render(self, context):
        partial = self.partials[self.partial_name]
        csrf_token, locale = csrf_token_for_row(context), locale_of(context)
        return html.joined(
            render_row(partial, row, template=context.template, csrf_token=csrf_token, locale=locale)
            for row in self.row.resolve(context)
        )


@register.tag
def memo_each(parser, token):
    """`{% memo_each partial_name rows %}`: `{% memo partial_name row %}` for each of `rows`, one
    after another. A long list drawn this way costs no template loop around its rows (the board's
    cards, an OKR page's objectives: a few microseconds a row)."""
    match token.split_contents():
        case _, partial_name, rows:
            return MemoEachNode(
                partial_name, DeferredSubDict(parser.extra_data, "partials"), parser.compile_filter(rows)
            )
        case _:
            raise TemplateSyntaxError("'memo_each' takes a partial's name and a sequence of rows")


@register.tag
def memo(parser, token):
    """`{% memo partial_name row %}`: the partial rendered with `row` as its only variable, and
    remembered for that row (platformhub/fragments.py)."""
    match token.split_contents():
        case _, partial_name, row:
            return MemoNode(partial_name, DeferredSubDict(parser.extra_data, "partials"), parser.compile_filter(row))
        case _:
            raise TemplateSyntaxError("'memo' takes a partial's name and a row")


@register.simple_tag
def csrf_input_placeholder():
    """`{% csrf_token %}` for a remembered row: the reader's token is put in after (platformhub/fragments.py)."""
    return html.csrf_input_placeholder()


@dataclass(frozen=True, slots=True)
class SiteHeader:
    """What the site header shows besides the CSRF token: who is signed in (`name` None for no one),
    whether they may open the admin, and which sections of the navigation are the current page's.
    Drawn from memory (`{% memo %}`, platformhub/fragments.py) on every page: the same few dozen
    headers serve a whole organisation."""

    name: str | None
    is_staff: bool
    current: tuple[str, ...]


@register.simple_tag(takes_context=True)
def site_header(context) -> SiteHeader:
    user = context.get("user")
    if user is None or not user.is_authenticated:
        return SiteHeader(name=None, is_staff=False, current=())
    request = context.get("request")
    match = getattr(request, "resolver_match", None)
    url_name = (match.url_name or "") if match else ""
    app_name = match.app_name if match else ""
    sections = {
        "dashboard": "dashboard" in url_name,
        "teams": url_name in ("team_list", "team_detail"),
        "okrs": app_name == "okrs" and "roadmap" not in url_name,
        "roadmap": "roadmap" in url_name,
        "sprints": app_name == "sprints",
    }
    return SiteHeader(
        name=user.get_full_name() or user.get_username(),
        is_staff=user.is_staff,
        current=tuple(section for section, current in sections.items() if current),
    )
