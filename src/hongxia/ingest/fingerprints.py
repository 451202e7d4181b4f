"""Import fingerprints: a row imported again unchanged is recognised without checking it anew.

When an import creates a person from a row, updates a person to a row, or finds a person
equal to a row, it stores a digest of the row's converted values (``RowFingerprint``). The
next import of the same row, with the same columns, finds the digest still there and counts
the row unchanged: what ``build_person`` would conclude (the same values give the same checked
person, and that person was equal to the record) without the ID parse, hashes, masks, pinyin,
field checks and the decryption of the stored record.

It also stores a digest of the row's cells as read, with what their conversion depends on
(``CellsDigester``), when the conversion had nothing to report (no repaired text, no upgraded
ID): the same cells again are recognised before they are even converted. A row that had
something to report is converted every time, so its report says it again.

That holds only while the record is exactly as that import left it. A trigger on the person
table deletes a person's fingerprint on every UPDATE or DELETE of the row, by any path (the
registry form, the admin, a bulk ``update()``, raw SQL), so a fingerprint still there proves
it. The trigger is installed by a migration and put back after every migrate (a SQLite table
rebuild drops it); whenever it had to be put back, every fingerprint is deleted, since edits
made while it was missing were not seen. An import reads fingerprints only when the trigger
is in place.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

# Raise when what a row becomes changes in a way the model's field list does not show (the
# rules of people.services.apply_derived or of ingest.services.build_person): fingerprints
# written before are then never matched again.
# 2: dates typed as 193805 or 38.05, names padded with spaces, apostrophes, regions such as
# 怀化市 or 麻阳县, a date of death without a status, cells merged down: rows imported by 1
# may hold what these are read as now only when converted again.
# 3: a number in text is no Excel serial (19605), control characters are dropped, and a date
# of joining the revolution or of retirement before the birth date is refused.
VERSION = 3

TABLE = "ingest_rowfingerprint"
PERSON_TABLE = "people_person"
FUNCTION = "hx_forget_import_fingerprint"
TRIGGER = "hx_fingerprint_people_person"


def trigger_sql(vendor: str) -> tuple[list[str], list[str]]:
    """Statements that make every update or delete of a person forget its fingerprint
    (idempotent), and those that undo it."""
    forget = f"DELETE FROM {TABLE} WHERE person_id = OLD.id"  # noqa: S608 - constant names
    if vendor == "postgresql":
        return (
            [
                f"CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger AS $$ "
                f"BEGIN {forget}; RETURN NULL; END; $$ LANGUAGE plpgsql",
                f"CREATE OR REPLACE TRIGGER {TRIGGER} AFTER UPDATE OR DELETE ON {PERSON_TABLE} "
                f"FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()",
            ],
            [
                f"DROP TRIGGER IF EXISTS {TRIGGER} ON {PERSON_TABLE}",
                f"DROP FUNCTION IF EXISTS {FUNCTION}()",
            ],
        )
    if vendor == "sqlite":
        forward, backward = [], []
        for event in ("UPDATE", "DELETE"):
            name = f"{TRIGGER}_{event.lower()}"
            forward.append(
                f"CREATE TRIGGER IF NOT EXISTS {name} AFTER {event} ON {PERSON_TABLE} "
                f"BEGIN {forget}; END"
            )
            backward.append(f"DROP TRIGGER IF EXISTS {name}")
        return forward, backward
    return [], []


def installed(connection: Any) -> bool:
    """True when the trigger that keeps fingerprints honest is in place."""
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute(
                "SELECT count(*) FROM pg_trigger WHERE tgname = %s AND NOT tgisinternal",
                [TRIGGER],
            )
            return bool(cur.fetchone()[0] == 1)
        if connection.vendor == "sqlite":
            cur.execute(
                "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name IN (%s, %s)",
                [f"{TRIGGER}_update", f"{TRIGGER}_delete"],
            )
            return bool(cur.fetchone()[0] == 2)
    return False


def ensure(connection: Any) -> None:
    """Put the trigger back when it is missing (a post_migrate hook), forgetting every
    fingerprint: the records may have changed while nothing watched them."""
    tables = set(connection.introspection.table_names())
    if TABLE not in tables or PERSON_TABLE not in tables or installed(connection):
        return
    with connection.cursor() as cur:
        cur.execute(f"DELETE FROM {TABLE}")  # noqa: S608 - a constant name
        for sql in trigger_sql(connection.vendor)[0]:
            cur.execute(sql)


def install(apps: Any, schema_editor: Any) -> None:
    for sql in trigger_sql(schema_editor.connection.vendor)[0]:
        schema_editor.execute(sql)


def uninstall(apps: Any, schema_editor: Any) -> None:
    for sql in trigger_sql(schema_editor.connection.vendor)[1]:
        schema_editor.execute(sql)


@functools.cache
def _model_signature() -> str:
    """What the person model checks a value against (lengths, choices, blank, null, defaults):
    a change to any of them changes every digest, without remembering to raise VERSION."""
    from hongxia.people.models import Person

    parts = []
    for f in Person._meta.concrete_fields:
        default = repr(f.default) if not callable(f.default) else f.default.__name__
        choices = tuple(value for value, _label in f.flatchoices)  # labels are lazy objects
        parts.append((f.name, type(f).__name__, f.max_length, f.blank, f.null, default, choices))
    return repr(parts)


class Digester:
    """The fingerprint of a row: its converted values and the columns the file carries (the
    same values under other columns are compared on other fields)."""

    def __init__(self, fields: Iterable[str]) -> None:
        # Everything but the values is the same for every row of a file: hashed once.
        self._base = hashlib.blake2b(digest_size=16)
        self._base.update(repr((VERSION, _model_signature(), sorted(fields))).encode())

    def __call__(self, values: Mapping[str, Any]) -> str:
        h = self._base.copy()
        h.update(repr(sorted(values.items())).encode())
        return h.hexdigest()


class CellsDigester:
    """The fingerprint of a row's cells as read, with all their conversion depends on besides
    the code (VERSION): which column is which field, the region a row without one goes to, and
    the version of the region table (names resolve to codes through it)."""

    def __init__(self, columns: Mapping[int, str], default_region: str, regions: str) -> None:
        self._indexes = sorted(columns)
        self._base = hashlib.blake2b(digest_size=16)
        context = (VERSION, sorted(columns.items()), default_region, regions)
        self._base.update(repr(context).encode())

    def __call__(self, cells: Sequence[Any]) -> str:
        n = len(cells)
        read = [cells[i] if i < n else None for i in self._indexes]
        h = self._base.copy()
        h.update(repr(read).encode())  # repr keeps 1, 1.0, True and "1" apart
        return h.hexdigest()
