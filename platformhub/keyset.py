"""Keyset pagination: pages of a long list found by where the last page ended, not by an offset.

An offset makes the database read and throw away every row before the page, and a row written
meanwhile shifts everything after it by one; a keyset page asks for the rows after (or before)
the ordering values of one row, which an index answers directly however deep the page is.

The cursor in the address is those ordering values, JSON in URL-safe base64. It is not secret:
a reader who edits it only moves to another page of what they may already read. One that does
not decode to values of the right types is ignored and the first page is shown.

Ordering fields must be non-null, and the last one unique (end with "pk"), so that every row
has one place in the order. Rows may be models or, from a `values()` queryset, dicts.
"""

import base64
import binascii
import datetime
import decimal
import json
import uuid
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import F, Q, QuerySet

MAX_PAGE_SIZE = 100


@dataclass(frozen=True)
class KeysetPage[T]:
    items: list[T]
    has_next: bool
    has_previous: bool
    next_cursor: str | None  # for ?after=
    previous_cursor: str | None  # for ?before=

    def __iter__(self):
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    @property
    def is_paginated(self) -> bool:
        return self.has_next or self.has_previous


def keyset_page[T](
    queryset: QuerySet[T],
    *,
    ordering: tuple[str, ...],
    size: int,
    after: str | None = None,
    before: str | None = None,
) -> KeysetPage[T]:
    """The `size` rows of `queryset` in `ordering` after the cursor `after` (or before `before`),
    or the first `size` rows; one query, of at most size + 1 rows."""
    _check_size(size)
    queryset = keyed(queryset, ordering)
    backwards = False
    if (position := _decode(queryset, ordering, after)) is not None:
        queryset = queryset.filter(_beyond(ordering, position, backwards=False))
    elif (position := _decode(queryset, ordering, before)) is not None:
        queryset = queryset.filter(_beyond(ordering, position, backwards=True))
        backwards = True
    order = [_reversed(field) if backwards else field for field in ordering]
    rows = list(queryset.order_by(*order)[: size + 1])
    return _page_of(rows, ordering=ordering, size=size, backwards=backwards, after_cursor=position is not None)


def first_page_query[T](queryset: QuerySet[T], *, ordering: tuple[str, ...], size: int) -> QuerySet[T]:
    """What `keyset_page` asks for the first page (no cursor), as a queryset that a builder
    compiled once can return (platformhub/prepared.py); `first_page` makes the page of its rows.
    Most requests are for the first page, and building a keyset query costs more than running it."""
    _check_size(size)
    return keyed(queryset, ordering).order_by(*ordering)[: size + 1]


def first_page[T](rows: list[T], *, ordering: tuple[str, ...], size: int) -> KeysetPage[T]:
    """The first page, as `keyset_page` gives it, from the rows of `first_page_query`."""
    return _page_of(rows, ordering=ordering, size=size, backwards=False, after_cursor=False)


def _check_size(size: int) -> None:
    if not 0 < size <= MAX_PAGE_SIZE:
        raise ValueError(f"a page has 1 to {MAX_PAGE_SIZE} rows")


def keyed(queryset: QuerySet, ordering: tuple[str, ...]) -> QuerySet:
    """`queryset` with its ordering values as `keyset_<n>`, which cursors are made of: for a query
    that reads a first page's rows among others, to make the page of with `first_page`."""
    return queryset.annotate(**{f"keyset_{index}": F(field.removeprefix("-")) for index, field in enumerate(ordering)})


def _page_of(rows: list, *, ordering: tuple[str, ...], size: int, backwards: bool, after_cursor: bool) -> KeysetPage:
    """The page of `rows` (at most size + 1, read in the page's direction, from a cursor or not)."""
    more = len(rows) > size
    rows = rows[:size]
    if backwards:
        rows.reverse()
    has_next = more if not backwards else True
    has_previous = more if backwards else after_cursor
    return KeysetPage(
        items=rows,
        has_next=has_next and bool(rows),
        has_previous=has_previous and bool(rows),
        next_cursor=_encode(rows[-1], len(ordering)) if rows and has_next else None,
        previous_cursor=_encode(rows[0], len(ordering)) if rows and has_previous else None,
    )


def _reversed(field: str) -> str:
    return field[1:] if field.startswith("-") else f"-{field}"


def _beyond(ordering: tuple[str, ...], position: list, *, backwards: bool) -> Q:
    """Rows after `position` in `ordering` (before it when `backwards`): (a > x) or (a = x and b > y) …"""
    condition = Q()
    equal = Q()
    for field, value in zip(ordering, position, strict=True):
        name = field.removeprefix("-")
        ascending = not field.startswith("-")
        lookup = "gt" if ascending != backwards else "lt"
        condition |= equal & Q(**{f"{name}__{lookup}": value})
        equal &= Q(**{name: value})
    return condition


def _encode(row: object, count: int) -> str:
    """The cursor of `row`: its `keyset_<n>` annotations, as attributes of a model or keys of a dict."""
    names = [f"keyset_{index}" for index in range(count)]
    values = [row[name] for name in names] if isinstance(row, dict) else [getattr(row, name) for name in names]
    text = json.dumps(values, default=_exact_text, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _exact_text(value: object) -> str:
    """Times to the microsecond (Django's JSON encoder stops at milliseconds, which would make
    the next page start inside a millisecond of rows), decimals and UUIDs as they are written."""
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    raise TypeError(f"cannot put a {type(value).__name__} in a cursor")


def _decode(queryset: QuerySet, ordering: tuple[str, ...], cursor: str | None) -> list | None:
    """The ordering values in `cursor`, each converted by its field; None when there is no
    cursor or it is not one this list made."""
    if not cursor:
        return None
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError):
        return None
    if not isinstance(values, list) or len(values) != len(ordering) or not all(map(_storable, values)):
        return None
    fields = [queryset.query.annotations[f"keyset_{index}"].output_field for index in range(len(ordering))]
    try:
        return [field.to_python(value) for field, value in zip(fields, values, strict=True)]
    except (ValidationError, TypeError, ValueError, OverflowError):
        return None


def _storable(value: object) -> bool:
    """Whether every database can compare a column with the value (no NULL, NUL byte or 64-bit overflow)."""
    if value is None:
        return False
    if isinstance(value, int):
        return -(2**63) <= value < 2**63
    return isinstance(value, str | float) and "\x00" not in str(value)
