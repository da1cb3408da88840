"""Querysets compiled to SQL once per process and run again with new values.

Building a queryset (`filter`, `select_related`, …) and compiling it to SQL cost Django several
times what the database takes to run it: on the meeting page at L, 0.1–0.4 ms of SQL a query
against 1.2–1.8 ms in all. A query a page runs on every request has the same shape every time;
only its values change. `@prepared` builds the queryset once per shape, with stand-in values,
compiles it, notes where each value lands among the SQL's parameters, and from then on runs the
same SQL with the request's values, turning rows into models, values or tuples exactly as the
queryset would (its compiler does, select_related and prefetch_related included).

A value may be an int, a date, an aware datetime, or a collection of ints (an `IN` list: its
length is part of the shape, and, as Django does, None and repeats are dropped), or a string the
builder names as text (`@prepared(text=("slug",))`: a slug from a URL, compared as a whole).
None, bools, other strings, functions and the arguments a builder names as shape
(`shape=("size",)`: a page size, which the SQL holds as a LIMIT, not a parameter) are part of
the shape, compiled as given: a string is for a choice (a builder given free text fills its
MAX_SHAPES and is built the usual way from then on), a function for a builder that takes the
function making its filter, one of a few defined once. A call given
a queryset (a subquery) or an int beyond 64 bits is built the usual way. A value of another kind,
or one that lands in the SQL where it cannot be traced (inside a LIKE pattern, say), is refused
when its shape is first compiled. With `PREPARED_QUERIES_CHECK` on (the test suite), every call
also compiles its queryset the usual way and fails unless both give the same SQL and parameters.
"""

import copy
import datetime
import functools
import weakref
from collections.abc import Callable, Collection
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import QuerySet

MAX_SHAPES = 256  # per query; beyond them (IN lists of many lengths), calls are built the usual way
_SMALL_INT_STAND_IN = 31_000  # within every integer field's range, so no lookup is dropped as out of range


class NotPreparable(TypeError):
    """A value `@prepared` cannot stand in for, or that lands in the SQL where it cannot trace it."""


@dataclass(frozen=True)
class _Slot:
    """Where a parameter of the compiled SQL comes from: a value the caller passes (its name, and
    for an IN list the position in it) turned into what the database is given by `adapt`."""

    name: str
    index: int | None
    adapt: Callable


@dataclass(frozen=True)
class _Compiled:
    """A shape compiled: its queryset (what turns rows into results), compiler and SQL."""

    queryset: QuerySet | None  # None: the shape matches nothing (an empty IN list)
    compiler: object = None
    sql: str = ""
    params: tuple = ()  # constants, and _Slot where a caller's value goes
    # The converters of the compiler's select (the ids of its expressions, which it keeps alive),
    # worked out once per database connection, as they are the connection's own functions:
    # Django works them out again for every query, 60 to 100 µs for a row of 16 columns.
    selected: frozenset[int] = frozenset()
    converters: weakref.WeakKeyDictionary = field(default_factory=weakref.WeakKeyDictionary, compare=False)


def _identity(value):
    return value


def _adapters(connection) -> tuple[Callable, ...]:
    """How the backend may have turned a value into a parameter: PostgreSQL, binding on the
    server, wraps an int in the type of its column (Int2, Int4, Int8); SQLite writes dates and
    datetimes as text."""
    ops = connection.ops
    integer_types = dict.fromkeys(getattr(ops, "integerfield_type_map", {}).values())
    return (_identity, *integer_types, ops.adapt_datetimefield_value, ops.adapt_datefield_value, str)


def _shape_of(name: str, value, text: frozenset[str], shape: frozenset[str]) -> object:
    """A value's part of the shape: itself for None, bools, strings, functions and the values
    named in `shape`, else its kind (and an IN list's length); the kind for a string named in
    `text`. `value`: as `_given` made it."""
    if name in shape:
        return ("shape", value)
    if name in text and isinstance(value, str):
        return str
    if value is None or isinstance(value, (bool, str)) or callable(value):
        return value
    if isinstance(value, int):
        return int
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            raise NotPreparable(f"{name}: a naive datetime")
        return datetime.datetime
    if isinstance(value, datetime.date):
        return datetime.date
    if isinstance(value, tuple):
        return ("in", len(value))
    raise NotPreparable(f"{name}: {type(value).__name__} values cannot be prepared")


def _given(name: str, value):
    """A caller's value as it goes into the SQL: an IN list as the tuple of its ids Django keeps."""
    if isinstance(value, Collection) and not isinstance(value, (str, bytes)):
        return _in_list(name, value)
    return value


class _StandIns:
    """Distinct stand-in values for one compile, and how to find them among the parameters."""

    def __init__(self):
        self.made: list[tuple[object, str, int | None]] = []

    def _next(self, kind: type, name: str, index: int | None):
        n = len(self.made)
        if kind is int:
            value = _SMALL_INT_STAND_IN + n
        elif kind is str:
            value = f"prepared-stand-in-{n}"
        elif kind is datetime.datetime:
            value = datetime.datetime(1001 + n, 2, 3, 4, 5, 6, tzinfo=datetime.UTC)
        else:
            value = datetime.date(1001 + n, 2, 3)
        self.made.append((value, name, index))
        return value

    def for_value(self, name: str, value, shape: object):
        """The stand-in for a value of this `shape`."""
        if isinstance(shape, tuple) and shape[0] == "shape":
            return value
        if isinstance(shape, tuple):
            return [self._next(int, name, i) for i in range(shape[1])]
        if shape in (int, str, datetime.datetime, datetime.date):
            return self._next(shape, name, None)
        return value

    def slot_for(self, param, connection) -> "_Slot | object":
        for value, name, index in self.made:
            for adapt in _adapters(connection):
                try:
                    adapted = adapt(value)
                except (AttributeError, TypeError, ValueError):
                    continue
                if type(adapted) is type(param) and adapted == param:
                    return _Slot(name, index, adapt)
        for value, name, _ in self.made:
            if isinstance(param, str) and str(value) in param:
                raise NotPreparable(f"{name} is part of a larger parameter ({param!r})")
        return param


def _in_list(name: str, value: Collection) -> tuple[int, ...]:
    """The ids of an IN list as Django gives them to the database: without None and repeats."""
    items = tuple(dict.fromkeys(item for item in value if item is not None))
    if not all(isinstance(item, int) and not isinstance(item, bool) for item in items):
        raise NotPreparable(f"{name}: only lists of ints can be prepared")
    return items


def _beyond_64_bits(value) -> bool:
    """An id no database column holds: Django answers it with no rows, without asking."""
    items = value if isinstance(value, tuple) else (value,)
    return any(isinstance(item, int) and not -(2**63) <= item < 2**63 for item in items)


class _CompiledQuery:
    """Stands in for a queryset's Query when it is run: its compiler gives the compiled SQL, and
    the converters of its select worked out for the connection before."""

    def __init__(self, query, compiled: _Compiled, params: tuple):
        self._query, self._compiled, self._params = query, compiled, params

    def get_compiler(self, using=None, connection=None, elide_empty=True):
        compiled = self._compiled
        compiler = copy.copy(compiled.compiler)
        compiler.connection = connection or connections[using]
        compiler.using = using
        sql, params = compiled.sql, self._params
        compiler.as_sql = lambda with_limits=True, with_col_aliases=False: (sql, params)
        known = compiled.converters.setdefault(compiler.connection, {})
        work_out = compiler.get_converters

        def get_converters(expressions):
            key = tuple(map(id, expressions))
            if not compiled.selected.issuperset(key):
                return work_out(expressions)
            if (converters := known.get(key)) is None:
                converters = known[key] = work_out(expressions)
            return converters

        compiler.get_converters = get_converters
        return compiler

    def __getattr__(self, name):
        return getattr(self._query, name)


class Prepared:
    def __init__(self, build: Callable[..., QuerySet], text: frozenset[str] = frozenset(), shape=frozenset()):
        self.build = build
        self.text = text
        self.shape = shape
        self.shapes: dict[tuple, _Compiled] = {}
        functools.update_wrapper(self, build)

    def __call__(self, **values) -> list:
        """The rows of the queryset `build(**values)` would give, as a list. A queryset among the
        values (a subquery) is compiled into the SQL, so that call is built the usual way."""
        if any(isinstance(value, QuerySet) for value in values.values()):
            return list(self.build(**values))
        given = {name: _given(name, value) for name, value in values.items()}
        if any(_beyond_64_bits(value) for value in given.values()):
            return list(self.build(**values))
        shape = tuple(sorted((name, _shape_of(name, value, self.text, self.shape)) for name, value in given.items()))
        compiled = self.shapes.get(shape)
        if compiled is None:
            if len(self.shapes) >= MAX_SHAPES:
                return list(self.build(**values))
            compiled = self.shapes[shape] = self._compile(given, shape)
        if compiled.queryset is None:
            return []
        params = tuple(
            param.adapt(given[param.name] if param.index is None else given[param.name][param.index])
            if isinstance(param, _Slot)
            else param
            for param in compiled.params
        )
        queryset = compiled.queryset
        if settings.PREPARED_QUERIES_CHECK:
            self._check(values, queryset.db, compiled.sql, params)
        run = QuerySet.__new__(type(queryset))
        run.__dict__ = {**queryset.__dict__, "_result_cache": None, "_prefetch_done": False}
        run._query = _CompiledQuery(queryset.query, compiled, params)
        return list(run)

    def _compile(self, given: dict, shape: tuple) -> _Compiled:
        stand_ins = _StandIns()
        queryset = self.build(**{name: stand_ins.for_value(name, given[name], part) for name, part in shape})
        connection = connections[queryset.db]
        compiler = queryset.query.get_compiler(using=queryset.db)
        try:
            sql, params = compiler.as_sql()
        except EmptyResultSet:
            return _Compiled(None)
        if not sql:
            return _Compiled(None)
        slots = tuple(stand_ins.slot_for(param, connection) for param in params)
        used = {(slot.name, slot.index) for slot in slots if isinstance(slot, _Slot)}
        unused = [(name, index) for _, name, index in stand_ins.made if (name, index) not in used]
        if unused:
            raise NotPreparable(f"{self.build.__qualname__}: {unused} not found among the SQL's parameters")
        selected = frozenset(id(expression) for expression, *_ in compiler.select)
        return _Compiled(queryset, compiler, sql, slots, selected)

    def _check(self, values: dict, using: str, sql: str, params: tuple) -> None:
        queryset = self.build(**values)
        try:
            expected = queryset.query.get_compiler(using=using).as_sql()
        except EmptyResultSet:
            expected = ("", ())
        if (sql, tuple(params)) != (expected[0], tuple(expected[1])):
            raise AssertionError(
                f"{self.build.__qualname__} prepared as\n{sql}\n{params}\nbut compiles as\n{expected[0]}\n{expected[1]}"
            )


def prepared(build: Callable[..., QuerySet] | None = None, *, text: Collection[str] = (), shape: Collection[str] = ()):
    """Make `build` (keyword arguments in, a queryset out) a query compiled once per shape of its
    arguments; calling it gives the rows as a list. `text`: the arguments that are strings to
    compare, not choices that shape the query (`@prepared(text=("slug",))`); `shape`: the
    arguments that do shape it, whatever their kind (`@prepared(shape=("size",))`)."""
    if build is None:
        return lambda build: Prepared(build, frozenset(text), frozenset(shape))
    return Prepared(build, frozenset(text), frozenset(shape))
