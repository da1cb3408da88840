"""Rows of long pages rendered once per distinct content, not once per request.

Django's template engine spends about half a millisecond on a row of the OKR page or the board,
and those pages draw dozens to hundreds of rows; a page copy (platformhub/conditional.py) is lost
at any write anywhere. A row drawn by `{% memo partial row %}` is rendered from `row` alone: a
frozen dataclass of plain values (the "view" of the row: text, numbers, flags, never a model),
in a context holding nothing else. The HTML is then a function of the partial and of `row`, so
it is kept under exactly that key, and a row is rendered again only when something it shows has
changed. There is nothing to invalidate: a changed row is a different key, and the least recently
used rows fall out of a memo bounded in rows and in characters (per process: an objective's card
is kilobytes, and its key results' rows are remembered inside it and on their own).
"""

import dataclasses
import datetime
import threading
from collections import OrderedDict
from collections.abc import Callable
from decimal import Decimal

from django.template import Context
from django.template.base import PartialTemplate
from django.urls import get_script_prefix, get_urlconf
from django.utils.translation import get_language

from platformhub import html

MEMO_SIZE = 20_000
MEMO_CHARS = 32_000_000  # about 32 MB of ASCII HTML and keys
PLAIN_TYPES = (str, int, float, bool, Decimal, datetime.date, type(None))

_memo: OrderedDict[tuple, str] = OrderedDict()
_memo_chars = 0
_lock = threading.Lock()


def page_locale() -> tuple:
    """What a row's HTML depends on besides the row: the active language, URLconf and script
    prefix. Each is a look-up in asgiref's context-local storage; a page reads them once
    (`locale_of`), not once for each of its hundreds of rows."""
    return (get_language(), get_urlconf(), get_script_prefix())


_LOCALE = "platformhub.fragments.locale"


def locale_of(context) -> tuple:
    """`page_locale()`, read once per render of a template. It is kept in the render context's
    outermost scope: each partial and include pushes a scope of its own, and a page draws each of
    its rows through a partial. It lasts as long as the Context: a page is drawn in one language
    (rows inside a `{% language %}` block would need it read again; no template has one)."""
    outermost = context.render_context.dicts[0]
    locale = outermost.get(_LOCALE)
    if locale is None:
        locale = outermost[_LOCALE] = page_locale()
    return locale


_IN_ROW = "platformhub.fragments.in_row"
KEEP_PLACEHOLDER = object()


def csrf_token_for_row(context):
    """The CSRF token that rows drawn in `context` put in their forms: the page's own, or, for a
    row drawn inside another (an objective's card holds its key results' rows), none yet: the
    placeholder stays for the outer row's reader."""
    if context.render_context.dicts[0].get(_IN_ROW):
        return KEEP_PLACEHOLDER
    return context.get("csrf_token")


@dataclasses.dataclass(frozen=True)
class Sourced:
    """A row named by what it is made from, for a row that costs more to make than its sources
    cost to name (a whole page below its header): `build()` makes the row from `source` and
    nothing else, and `source` is plain values, as a row is. The page is then remembered under
    its source, and a request that read the same rows draws it without making the row at all."""

    source: object
    build: Callable[[], object] = dataclasses.field(compare=False, repr=False)


def render_row(partial: PartialTemplate, row, *, template, csrf_token, locale: tuple | None = None) -> str:
    """`partial` rendered with `row` as its only variable, in the active language and URLconf,
    with the reader's CSRF token in its forms (`{% csrf_input_placeholder %}`). `template` is the
    one being rendered: its engine decides how a missing variable prints. `csrf_token` is the
    page's own (its context's lazy `csrf_token`): masking a new one for every row cost a sixth of
    the board's time. `locale`: `page_locale()`, when the caller has it already. A row
    drawn inside another keeps its placeholders (`csrf_token_for_row`).

    The key holds `repr(row)`, not `row`: equal is not identical (`True == 1`, and
    `Decimal("0.7") == Decimal("0.70")` prints differently), while a plain value's repr is. A
    `Sourced` row is kept under its source, and made only when its source is new."""
    sourced = isinstance(row, Sourced)
    key = (partial, locale or page_locale(), type(row), repr(row.source if sourced else row))
    with _lock:
        rendered = _memo.get(key)
        if rendered is not None:
            _memo.move_to_end(key)
    if rendered is None:
        if sourced:
            check_plain(row.source, "source")
            row = row.build()
        check_plain(row)
        context = Context({"row": row})
        context.render_context.dicts[0][_IN_ROW] = True
        with context.bind_template(template):
            rendered = partial.render(context)
        _remember(key, rendered)
    if csrf_token is KEEP_PLACEHOLDER:
        return rendered
    if html.CSRF_PLACEHOLDER in rendered:
        if csrf_token is None:
            raise ValueError("A row with a form is drawn only on a page rendered for a request (its CSRF token).")
        return html.with_csrf_token(rendered, str(csrf_token))
    return rendered


def _size(key: tuple, rendered: str) -> int:
    return len(key[3]) + len(rendered)


def _remember(key: tuple, rendered: str) -> None:
    """Keep `rendered`, letting the least recently used rows go past either bound."""
    global _memo_chars
    with _lock:
        previous = _memo.pop(key, None)
        if previous is not None:
            _memo_chars -= _size(key, previous)
        _memo[key] = rendered
        _memo_chars += _size(key, rendered)
        while len(_memo) > MEMO_SIZE or (_memo_chars > MEMO_CHARS and len(_memo) > 1):
            old_key, old = _memo.popitem(last=False)
            _memo_chars -= _size(old_key, old)


def forget_rendered_rows() -> None:
    """Empty the memo (the benchmark also measures pages built with nothing remembered)."""
    global _memo_chars
    with _lock:
        _memo.clear()
        _memo_chars = 0


def check_plain(value, path: str = "row") -> None:
    """Refuse a row that holds anything but plain values: a model instance is equal to another
    with the same key whatever its fields say, so a memo keyed by it could show stale data."""
    if isinstance(value, PLAIN_TYPES):
        return
    if isinstance(value, tuple | frozenset):
        for position, item in enumerate(value):
            check_plain(item, f"{path}[{position}]")
        return
    if dataclasses.is_dataclass(value) and not isinstance(value, type) and value.__dataclass_params__.frozen:
        for field in dataclasses.fields(value):
            check_plain(getattr(value, field.name), f"{path}.{field.name}")
        return
    raise TypeError(f"{path} is a {type(value).__name__}: a memoised row holds only plain values")
