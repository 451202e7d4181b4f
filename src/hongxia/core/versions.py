"""Data versions: what a page cache is keyed by.

Each topic has one row in `core_dataversion`. Triggers on the topic's tables raise it inside
the writing transaction (PostgreSQL: once per statement, before it runs; SQLite: per row), so a
reader either sees the new rows and the new number, or neither. Every server process reads the
same row, unlike a counter kept in a per-process cache.

The price on PostgreSQL: two transactions writing one topic's tables queue on that row until
the first commits. The registry is written by clerks and imports, one batch at a time; the
trigger runs before the statement touches any row, so the queue cannot deadlock with the rows'
own locks.

A migration declares its tables with `install(topic, table)` / `uninstall(...)`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from typing import TypeVar

from django.db import connection, transaction

FUNCTION = "hx_bump_data_version"
_T = TypeVar("_T")

# The tables whose writes raise each topic. Migrations install the triggers; `ensure_triggers`
# (after every migrate) puts back any that a migration lost: SQLite rebuilds a table for many
# column changes, and the rebuilt table has no triggers.
TABLES: dict[str, tuple[str, ...]] = {
    "regions": ("core_region",),
    "people": ("people_person", "people_person_tags", "people_tag"),
    "auth": ("core_user_user_permissions", "core_user_groups", "auth_group_permissions"),
    # What visit tasks are derived from, besides the people: stored tasks, campaigns, pairs.
    "care": ("care_visittask", "care_visitcampaign", "care_pairing", "care_leader"),
}


def _upsert(topic_sql: str) -> str:
    return (
        f"INSERT INTO core_dataversion (topic, version) VALUES ({topic_sql}, 1) "  # noqa: S608
        "ON CONFLICT (topic) DO UPDATE SET version = core_dataversion.version + 1"
    )


def function_sql(vendor: str) -> tuple[list[str], list[str]]:
    """The shared PostgreSQL trigger function (SQLite triggers carry their own body)."""
    if vendor != "postgresql":
        return [], []
    create = (
        f"CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger AS $$ "
        f"BEGIN {_upsert('TG_ARGV[0]')}; RETURN NULL; END; $$ LANGUAGE plpgsql"
    )
    return [create], [f"DROP FUNCTION IF EXISTS {FUNCTION}()"]


def trigger_sql(vendor: str, topic: str, table: str) -> tuple[list[str], list[str]]:
    """Statements that make writes to `table` raise `topic` (idempotent), and those that undo
    it."""
    name = f"hx_version_{table}"
    if vendor == "postgresql":
        return (
            [
                f"CREATE OR REPLACE TRIGGER {name} BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE "
                f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}('{topic}')"
            ],
            [f"DROP TRIGGER IF EXISTS {name} ON {table}"],
        )
    if vendor == "sqlite":
        forward, backward = [], []
        for event in ("INSERT", "UPDATE", "DELETE"):
            trig = f"{name}_{event.lower()}"
            forward.append(
                f"CREATE TRIGGER IF NOT EXISTS {trig} AFTER {event} ON {table} "
                f"BEGIN {_upsert(repr(topic))}; END"
            )
            backward.append(f"DROP TRIGGER IF EXISTS {trig}")
        return forward, backward
    return [], []


def ensure_triggers(using: str = "default") -> None:
    """Install every topic's triggers that are missing (a post_migrate hook)."""
    from django.db import connections

    conn = connections[using]
    existing = set(conn.introspection.table_names())
    with conn.cursor() as cur:
        for sql in function_sql(conn.vendor)[0]:
            cur.execute(sql)
        for topic, tables in TABLES.items():
            for table in tables:
                if table in existing:
                    for sql in trigger_sql(conn.vendor, topic, table)[0]:
                        cur.execute(sql)


def install(topic: str, *tables: str):  # type: ignore[no-untyped-def]
    """A pair of RunPython functions for a migration: (forward, backward)."""

    def forward(apps, schema_editor):  # type: ignore[no-untyped-def]
        vendor = schema_editor.connection.vendor
        for table in tables:
            for sql in trigger_sql(vendor, topic, table)[0]:
                schema_editor.execute(sql)

    def backward(apps, schema_editor):  # type: ignore[no-untyped-def]
        vendor = schema_editor.connection.vendor
        for table in tables:
            for sql in trigger_sql(vendor, topic, table)[1]:
                schema_editor.execute(sql)

    return forward, backward


# Inside `read_once()`: every topic's version, read on first use. None: read each time.
_snapshot: ContextVar[dict[str, int] | None] = ContextVar("hongxia_versions", default=None)


@contextlib.contextmanager
def read_once() -> Iterator[None]:
    """Read the versions at most once inside the block: for a request that writes nothing
    (a GET), so the page cache and the permission cache share one query. A block that
    writes must not use it: it would key what it reads after its write by the old number."""
    token = _snapshot.set({})
    try:
        yield
    finally:
        _snapshot.reset(token)


def _read(topics: list[str] | None) -> dict[str, int]:
    with connection.cursor() as cur:
        if topics is None:
            cur.execute("SELECT topic, version FROM core_dataversion")
        else:
            marks = ", ".join(["%s"] * len(topics))
            cur.execute(
                f"SELECT topic, version FROM core_dataversion WHERE topic IN ({marks})",  # noqa: S608
                topics,
            )
        return dict(cur.fetchall())


def current(topics: Iterable[str]) -> str:
    """The topics' versions as one string for a cache key ("people=12,regions=1"), in one
    query (none inside `read_once` after the first). A topic with no row yet reads 0."""
    wanted = sorted(set(topics))
    snapshot = _snapshot.get()
    if snapshot is None:
        found = _read(wanted)
    else:
        if not snapshot:
            snapshot.update(_read(None))
            snapshot.setdefault("", 0)  # read, even if the table is empty
        found = snapshot
    return ",".join(f"{t}={found.get(t, 0)}" for t in wanted)


def cached(key: str, topics: Iterable[str], compute: Callable[[], _T], timeout: int = 3600) -> _T:
    """`compute()`, kept in the cache under `key` and the topics' versions: a committed
    write to any of their tables makes the next call compute again."""
    from django.core.cache import cache

    full = f"hongxia:v:{key}:{current(topics)}"
    found = cache.get(full, _MISSING)
    if found is _MISSING:
        found = compute()
        cache.set(full, found, timeout)
    return found  # type: ignore[no-any-return]


_MISSING = object()


@contextlib.contextmanager
def one_bump_for_inserts(topic: str, table: str) -> Iterator[None]:
    """Inside a transaction: the inserts into `table` in the block raise `topic` once, not
    once per row. On SQLite, whose triggers run per row, the insert trigger is dropped for the
    block and put back in the same transaction, so no other connection ever sees the table
    without it (a rollback puts it back too). PostgreSQL's trigger already runs once per
    statement: nothing changes there."""
    if connection.vendor != "sqlite":
        yield
        return
    if not connection.in_atomic_block:
        raise RuntimeError("one_bump_for_inserts needs a transaction")
    name = f"hx_version_{table}_insert"
    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name = %s", [name]
        )
        installed = cur.fetchone()[0] == 1
        if installed:
            cur.execute(f"DROP TRIGGER {name}")
    done = False
    try:
        yield
        done = True
    finally:
        if installed:
            try:
                with connection.cursor() as cur:
                    cur.execute(_upsert("%s"), [topic])
                    for sql in trigger_sql("sqlite", topic, table)[0]:
                        cur.execute(sql)
            except Exception:
                # After a failed insert the caller rolls the transaction back, and the DROP
                # with it; the first error is the one to see.
                if done:
                    raise


def bump(topic: str) -> None:
    """Raise a topic whose tables have no trigger (its writers call this)."""
    with connection.cursor() as cur:
        cur.execute(_upsert("%s"), [topic])


def bump_on_commit(topic: str) -> None:
    """Raise `topic` once when the current transaction commits (at once outside one)."""
    pending: set[str] = connection.__dict__.setdefault("hongxia_version_bumps", set())
    if topic in pending:
        return
    pending.add(topic)

    def run() -> None:
        pending.discard(topic)
        bump(topic)

    transaction.on_commit(run)
