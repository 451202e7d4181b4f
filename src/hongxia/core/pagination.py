"""Keyset pagination: a page costs the same on page 1 and page 10,000.

The cursor names the last row seen by its ordering values; the next page asks for rows after
it. Ordering must end in a unique column (the primary key).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

# (queryset after the cursor, order, how many rows, the cursor's values) -> rows in that order
Fetch = Callable[[QuerySet[Any], list[str], int, "list[Any] | None"], list[Any]]


def encode_cursor(values: list[Any], direction: str) -> str:
    raw = json.dumps([direction, *values], ensure_ascii=False, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[str, list[Any]] | None:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(data, list) or len(data) < 2 or data[0] not in ("n", "p"):
        return None
    return data[0], data[1:]


def _after(fields: list[str], values: list[Any], ascending: bool) -> Q:
    """(f1, f2, ...) > (v1, v2, ...) (or <) as OR-of-ANDs, which both databases index well."""
    op = "gt" if ascending else "lt"
    q = Q()
    for i, field in enumerate(fields):
        step = Q(**{f"{field}__{op}": values[i]})
        for j in range(i):
            step &= Q(**{fields[j]: values[j]})
        q |= step
    return q


@dataclass
class Page:
    rows: list[Any]
    next_cursor: str | None
    prev_cursor: str | None
    total: int
    total_capped: bool
    page_size: int

    @property
    def has_other_pages(self) -> bool:
        return bool(self.next_cursor or self.prev_cursor)


def paginate(
    qs: QuerySet[Any],
    *,
    ordering: list[str],
    cursor: str | None,
    page_size: int,
    count_cap: int = 10_000,
    descending: bool = False,
    columns: tuple[str, ...] = (),
    fetch: Fetch | None = None,
) -> Page:
    """One page of `qs` ordered by `ordering` (ascending, or all descending), after `cursor`.
    With `columns`, the rows are dicts of those columns (the ordering's among them). `fetch`
    replaces the plain ORDER BY ... LIMIT for a queryset that knows a cheaper way to its first
    rows in that order (it gets the queryset, the order, the row count and the cursor's values).
    """
    decoded = decode_cursor(cursor) if cursor else None
    if decoded and len(decoded[1]) != len(ordering):
        decoded = None
    forward = decoded is None or decoded[0] == "n"
    ascending = forward != descending
    qs_page = qs.filter(_after(ordering, decoded[1], ascending)) if decoded else qs
    order = ordering if ascending else [f"-{f}" for f in ordering]
    if columns:
        qs_page = qs_page.values(*columns)
    if fetch is not None:
        rows = fetch(qs_page, order, page_size + 1, decoded[1] if decoded else None)
    else:
        rows = list(qs_page.order_by(*order)[: page_size + 1])
    more = len(rows) > page_size
    rows = rows[:page_size]
    if not forward:
        rows.reverse()

    def key(row: Any) -> list[Any]:
        values = [row[f] if isinstance(row, dict) else getattr(row, f) for f in ordering]
        return [v.isoformat() if hasattr(v, "isoformat") else v for v in values]

    has_next = more if forward else decoded is not None
    has_prev = (decoded is not None) if forward else more
    total = qs.order_by()[: count_cap + 1].count()
    return Page(
        rows=rows,
        next_cursor=encode_cursor(key(rows[-1]), "n") if rows and has_next else None,
        prev_cursor=encode_cursor(key(rows[0]), "p") if rows and has_prev else None,
        total=min(total, count_cap),
        total_capped=total > count_cap,
        page_size=page_size,
    )
