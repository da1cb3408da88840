"""A number that goes up after every committed write to the app's data, for conditional GETs.

Every SQL statement on a connection passes through `track_writes` (a database execute wrapper
installed when the connection opens). An INSERT, UPDATE or DELETE on one of the app's tables
(but those no page shows, `UNSHOWN_TABLES`) schedules one bump of `DataVersion.number` for when
its transaction commits. Watching the SQL rather than model signals also catches
`QuerySet.update()`, bulk writes, raw SQL and writes made by the task worker or a management
command, on every database Django talks to.

On PostgreSQL the bump runs after the commit, in its own statement, so a write transaction
never holds the counter's row lock while it waits for another lock (no deadlocks), and a reader
that sees the new number also sees the data it stands for; a reader that read the number before
a commit only ever holds data at least as new as that number. SQLite lets one transaction write
at a time, so there the bump is part of the transaction itself (at its first write, undone with
it if it rolls back), which saves a second commit per write. What is not caught: writes made outside Django (a
psql session), and a write whose process dies between its commit and the bump; the next tracked
write bumps the number and covers both.
"""

import re

from django.db import connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

TRACKED_PREFIXES = ("platformhub_", "okrs_", "sprints_", "integrations_", "auth_user")
COUNTER_TABLE = "platformhub_dataversion"
# Tables of the app's that no page shows: a webhook delivery stored on arrival (or marked
# processed) changes no page; what its task then writes to the issues does, and moves it on then.
UNSHOWN_TABLES = frozenset({COUNTER_TABLE, "integrations_webhookdelivery"})
_WRITE = re.compile(r"\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+[\"`]?(\w+)", re.IGNORECASE)


def changes_data(sql: str) -> bool:
    """Whether the statement writes to a table whose rows pages show."""
    match = _WRITE.match(sql)
    if match is None:
        return False
    table = match.group(1).lower()
    return table not in UNSHOWN_TABLES and table.startswith(TRACKED_PREFIXES)


def track_writes(execute, sql, params, many, context):
    result = execute(sql, params, many, context)
    if isinstance(sql, str) and changes_data(sql):
        connection = context["connection"]
        if not connection.in_atomic_block:
            if connection.get_autocommit():
                data_version_bump(using=connection.alias)
        elif not any(callback in (_bump, _bumped) for _, callback, _ in connection.run_on_commit):
            if connection.vendor == "sqlite":
                data_version_bump(using=connection.alias)
                transaction.on_commit(_bumped, using=connection.alias)
            else:
                transaction.on_commit(_bump, using=connection.alias, robust=True)
    return result


def install(sender, connection: BaseDatabaseWrapper, **kwargs) -> None:
    """`connection_created` receiver: watch the new connection's statements."""
    if track_writes not in connection.execute_wrappers:
        connection.execute_wrappers.append(track_writes)


def _bump() -> None:
    data_version_bump()


def _bumped() -> None:
    """Marks a SQLite transaction as already bumped (an on-commit callback is dropped with the
    savepoint it was added in, as the bump itself is rolled back)."""


def data_version_bump(*, using: str = "default") -> None:
    """Move the number on: after a commit, or after writes made without the wrapper (COPY). Plain
    SQL, as every write runs it: building the ORM's UPDATE cost more than SQLite took to run it."""
    with connections[using].cursor() as cursor:
        cursor.execute(f"UPDATE {COUNTER_TABLE} SET number = number + 1 WHERE id = 1")  # noqa: S608 (a constant)
        if not cursor.rowcount:
            # One statement, not get_or_create's transaction: this may run in autocommit while the
            # write that called for it still has its cursor open (SQLite cannot commit then).
            cursor.execute(f"INSERT INTO {COUNTER_TABLE} (id, number) VALUES (1, 1) ON CONFLICT DO NOTHING")  # noqa: S608


def data_version_current(*, using: str = "default") -> int:
    from platformhub.models import DataVersion

    return DataVersion.objects.using(using).filter(pk=1).values_list("number", flat=True).first() or 0
