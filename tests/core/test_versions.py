"""Data-version triggers (core.versions): present on every table they watch, and put back
after a migration that lost them (SQLite rebuilds a table for many column changes)."""

from __future__ import annotations

import pytest
from django.db import connection
from tests.factories import PersonFactory

from hongxia.core import versions

pytestmark = pytest.mark.django_db


def _triggers(table: str) -> set[str]:
    with connection.cursor() as cur:
        if connection.vendor == "sqlite":
            cur.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s", [table]
            )
        else:
            cur.execute(
                "SELECT tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE c.relname = %s AND NOT t.tgisinternal",
                [table],
            )
        return {row[0] for row in cur.fetchall()}


@pytest.mark.parametrize(
    ("topic", "table"), [(t, table) for t, tables in versions.TABLES.items() for table in tables]
)
def test_every_watched_table_has_its_trigger(topic: str, table: str) -> None:
    assert any(name.startswith(f"hx_version_{table}") for name in _triggers(table))


def test_a_lost_trigger_is_put_back_and_counts_again() -> None:
    for sql in versions.trigger_sql(connection.vendor, "people", "people_person")[1]:
        with connection.cursor() as cur:
            cur.execute(sql)
    assert not {n for n in _triggers("people_person") if n.startswith("hx_version_")}
    before = versions.current(["people"])
    PersonFactory()
    assert versions.current(["people"]) == before  # the loss is real: writes go unseen
    versions.ensure_triggers()
    PersonFactory()
    assert versions.current(["people"]) != before


def test_bulk_inserts_raise_the_version_and_keep_the_trigger() -> None:
    from django.db import transaction

    before_triggers = _triggers("people_person")
    start = versions.current(["people"])
    with transaction.atomic(), versions.one_bump_for_inserts("people", "people_person"):
        PersonFactory()
    after = versions.current(["people"])
    assert after != start
    assert _triggers("people_person") == before_triggers
    PersonFactory()  # the trigger counts again after the block
    assert versions.current(["people"]) != after
