"""Planner statistics after bulk writes.

PostgreSQL's autovacuum analyses a table some time after a bulk load; SQLite never does, and
without `sqlite_stat1` its planner guesses. On the registry list (56,000 people, one filter)
the guess is the category index plus a sort of every match, ~440 ms; with statistics it walks
the ordering index and stops after one page, ~100 ms. So whatever loads many rows at once (the
seed, a roster import) calls `analyze()`, and `hongxia serve` analyses a SQLite database that
has never been analysed.
"""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.models import Model


def analyze(*models: type[Model]) -> None:
    """ANALYZE the models' tables (every table when none are named)."""
    qn = connection.ops.quote_name
    with connection.cursor() as cur:
        if not models:
            cur.execute("ANALYZE")
            return
        for model in models:
            cur.execute(f"ANALYZE {qn(model._meta.db_table)}")
            for field in model._meta.local_many_to_many:
                through: Any = field.remote_field.through
                if through._meta.auto_created:
                    cur.execute(f"ANALYZE {qn(through._meta.db_table)}")


def never_analyzed() -> bool:
    """True for a SQLite database the planner has no statistics for (PostgreSQL: False)."""
    if connection.vendor != "sqlite":
        return False
    with connection.cursor() as cur:
        cur.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")
        return cur.fetchone() is None
