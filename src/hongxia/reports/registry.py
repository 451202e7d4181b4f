"""The indicator registry: every figure on a dashboard or in a report is an Indicator.

Each app declares its indicators in its own `indicators.py` with `register(Indicator(...))`;
`reports` finds them all at start-up (AppConfig.ready → autodiscover_modules("indicators")).
An indicator computes its value in the database for a region prefix and a period, and gives
the queryset of rows behind the value, so every number opens onto its records.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet

from hongxia.core.pinyin import prefix_upper_bound

# Lines of work, in the order a summary lists them.
LINES: dict[str, tuple[str, str]] = {
    "basic": ("基本情况", "Basic facts"),
    "party": ("党建", "Party building"),
    "care": ("服务管理", "Care and services"),
    "contrib": ("作用发挥", "Contributions"),
    "education": ("教育", "Education"),
}


@dataclass(frozen=True)
class Period:
    """[start, end): a year, a quarter, a month, or any span."""

    start: datetime.date
    end: datetime.date

    @classmethod
    def year(cls, year: int) -> Period:
        return cls(datetime.date(year, 1, 1), datetime.date(year + 1, 1, 1))

    def previous_year(self) -> Period:
        return Period(
            self.start.replace(year=self.start.year - 1), self.end.replace(year=self.end.year - 1)
        )


@dataclass(frozen=True)
class Indicator:
    key: str
    label_zh: str
    label_en: str
    unit: str  # e.g. "人", "个", "元", "%"
    line: str  # a key of LINES
    # value(prefix, period) -> number, computed by an aggregate in the database
    value: Callable[[str, Period], int | Decimal | float]
    # rows(prefix, period) -> the queryset of records the value counts
    rows: Callable[[str, Period], QuerySet[Any]] | None = None
    # "stock" figures are as at the period's end; "flow" figures happen within the period
    kind: str = "stock"
    order: int = 100
    # Optional keys of `extra`: "columns" [(attribute, label)] for drill-down lists;
    # "models" [labels] whose changes invalidate cached values; and, for a plain count of rows,
    # "model" (label), "region_field" and "count_q" (period -> Q), which lets the reports app
    # count many indicators of one model in a single aggregate. `value` must agree with them.
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


_REGISTRY: dict[str, Indicator] = {}


def register(indicator: Indicator) -> Indicator:
    if indicator.line not in LINES:
        raise ValueError(f"unknown line of work {indicator.line!r} for {indicator.key}")
    if indicator.key in _REGISTRY and _REGISTRY[indicator.key] is not indicator:
        raise ValueError(f"indicator {indicator.key!r} registered twice")
    _REGISTRY[indicator.key] = indicator
    return indicator


def all_indicators() -> list[Indicator]:
    order = list(LINES)
    return sorted(_REGISTRY.values(), key=lambda i: (order.index(i.line), i.order, i.key))


def get(key: str) -> Indicator:
    return _REGISTRY[key]


def region_q(field_name: str, prefix: str) -> Q:
    """`field_name` (a region code column or FK) lies under `prefix`, as an index range."""
    if not prefix:
        return Q()
    if not (field_name.endswith("_id") or "__" in field_name):
        field_name = f"{field_name}_id"
    q = Q(**{f"{field_name}__gte": prefix})
    upper = prefix_upper_bound(prefix)
    if upper is not None:
        q &= Q(**{f"{field_name}__lt": upper})
    return q


def label_of(indicator: Indicator) -> str:
    """The indicator's label in the active language (Chinese unless English is active)."""
    from django.utils.translation import get_language

    return indicator.label_en if (get_language() or "").startswith("en") else indicator.label_zh


def line_label(line: str) -> str:
    from django.utils.translation import get_language

    zh, en = LINES.get(line, (line, line))
    return en if (get_language() or "").startswith("en") else zh
