"""The one place that marks HTML as safe. Everything here sanitises before it trusts.

User-written Markdown is rendered with raw HTML disabled, then cleaned again by nh3 with an
allowlist, so neither a <script> nor an on*= attribute nor a javascript: URL survives.
"""

import functools
import html
from collections.abc import Iterable

import nh3
from django.utils.html import escape, format_html
from django.utils.safestring import SafeData, SafeString, mark_safe
from markdown_it import MarkdownIt

URL_SCHEMES = {"http", "https", "mailto"}
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable(["table", "strikethrough"])


def _is_allowed_link(url: str) -> bool:
    """Links nh3 would strip stay plain text instead of becoming an <a> that goes nowhere."""
    scheme, colon, _ = url.partition(":")
    return not colon or "/" in scheme or scheme.strip().lower() in URL_SCHEMES


_markdown.validateLink = _is_allowed_link

ALLOWED_TAGS = {
    "a", "p", "br", "hr", "strong", "em", "del", "code", "pre", "blockquote",
    "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6",
    "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "th": {"align"}, "td": {"align"}}


CACHED_UP_TO = 4_000  # characters: whys, descriptions and notes; long guidelines are rendered each time


def render_markdown(text: str) -> SafeString:
    """Markdown to sanitised HTML, safe to put in any page. The result depends on nothing but the
    text, so short texts, drawn on every view of a page, are rendered once per process."""
    text = text or ""
    return _render_cached(text) if len(text) <= CACHED_UP_TO else _render(text)


@functools.lru_cache(maxsize=2048)
def _render_cached(text: str) -> SafeString:
    return _render(text)


def _render(text: str) -> SafeString:
    html = _markdown.render(text)
    cleaned = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )
    return mark_safe(cleaned)  # noqa: S308 - nh3 has just removed everything not on the allowlist


def progress_bar(percent, *, status="", label="") -> SafeString:
    """A bar for `percent` (0–100), coloured by `status` if given, named `label` (or "Progress")
    for screen readers; the track is the SVG's background (see .bar__svg). Every value is escaped."""
    status_class = f" bar--{status}" if status else ""
    return format_html(
        '<div class="bar{}" role="progressbar" aria-valuenow="{}" aria-label="{}: {}%">'
        '<svg class="bar__svg" viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true">'
        '<rect class="bar__fill" width="{}" height="10"/></svg><span class="bar__value">{}%</span></div>',
        status_class,
        percent,
        label or "Progress",
        percent,
        percent,
        percent,
    )


def status_badge(status) -> SafeString | str:
    """A status (a choices member: on track, at risk, ...) as a coloured label, escaped; "" without one."""
    if not status:
        return ""
    return format_html('<span class="status status--{}">{}</span>', status, status.label)


def select_options(choices) -> SafeString:
    """`<option>`s for (value, label, selected) triples, every value and label escaped as text
    (as `escape` does, without making a SafeString of each): the dashboard's team filter lists
    hundreds of teams, and a template loop over them cost several times the rest of the page's
    filters; `format_html_join` took five times as long as this."""
    text = html.escape
    return mark_safe(  # noqa: S308 - every value and label is escaped
        "".join(
            f'<option value="{text(str(value))}"{" selected" if selected else ""}>{text(str(label))}</option>'
            for value, label, selected in choices
        )
    )


CSRF_PLACEHOLDER = "<csrf-token>"


def csrf_input_placeholder() -> SafeString:
    """A form's CSRF field in a remembered row (platformhub/fragments.py), whose token is put in
    for each reader. No data can print the placeholder: escaped text has no "<", and sanitised
    Markdown has no such element."""
    return mark_safe(f'<input type="hidden" name="csrfmiddlewaretoken" value="{CSRF_PLACEHOLDER}">')  # noqa: S308


def with_csrf_token(rendered: SafeString, token: str) -> SafeString:
    """HTML a template rendered, with its CSRF placeholders replaced by the (escaped) token."""
    return mark_safe(rendered.replace(CSRF_PLACEHOLDER, escape(token)))  # noqa: S308


def joined(parts: Iterable[SafeString]) -> SafeString:
    """HTML that templates rendered (each part safe already: autoescaped), one part after another."""
    parts = list(parts)
    for part in parts:
        if not isinstance(part, SafeData):
            raise TypeError(f"only rendered HTML can be joined, not {type(part).__name__}")
    return mark_safe("".join(parts))  # noqa: S308
