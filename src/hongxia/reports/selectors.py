"""Reads of statistics shared by the pages, the API, exports and the `report_annual` command.

Values come from the registry's aggregates, computed in the database and cached per region
prefix and period. The cache key carries a data version that a save or delete of any model
behind an indicator bumps (see `apps.py`); bulk writes that send no signals (seeding, imports)
are covered by the short expiry `HONGXIA_REPORTS_CACHE_SECONDS` (default 300 s).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache as memoize
from typing import Any

import django_filters
from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.db import connection
from django.db.models import Count, Model, Q, QuerySet
from django.db.models.functions import Substr
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from hongxia.core import regions, versions
from hongxia.core.models import Region
from hongxia.people.models import Person
from hongxia.people.selectors import search_q
from hongxia.reports import registry
from hongxia.reports.models import FiledFigure, FiledReport
from hongxia.reports.registry import Indicator, Period

# ---------------------------------------------------------------- numbers and ids


def plain(value: Any) -> int | float:
    """A figure as a JSON number: integral values as int."""
    if value is None:
        return 0
    if isinstance(value, Decimal | float) and value == int(value):
        return int(value)
    if isinstance(value, Decimal):
        return float(value)
    return value  # type: ignore[no-any-return]


def compact_ids(ids: Iterable[int]) -> list[list[int]]:
    """Sorted ids as runs [[first, last], ...]."""
    runs: list[list[int]] = []
    for i in sorted(ids):
        if runs and i == runs[-1][1] + 1:
            runs[-1][1] = i
        elif not runs or i > runs[-1][1]:
            runs.append([i, i])
    return runs


def expand_ids(runs: Iterable[Iterable[int]]) -> Iterator[int]:
    for first, last in runs:
        yield from range(first, last + 1)


# ---------------------------------------------------------------- scope


def _root() -> Region | None:
    roots = list(Region.objects.filter(parent__isnull=True)[:2])
    return roots[0] if len(roots) == 1 else None


def region_in_scope(*, user: Any, code: str | None) -> Region | None:
    """The region a user asks about, inside their scope. Without a code, the user's own region.

    A region outside the user's scope answers 404 like a missing one; a user with no scope at
    all is refused. None means the whole registry (a superuser without a region).
    """
    prefix = getattr(user, "scope_prefix", None)
    if prefix is None or getattr(user, "role", "") in ("retiree", "branch_secretary"):
        raise PermissionDenied
    code = "".join(ch for ch in (code or "") if ch.isdigit())
    if not code:
        return user.region if user.region_id else _root()
    region = Region.objects.filter(code=code).first()
    if region is None or not region.prefix.startswith(prefix):
        raise Http404
    return region


def prefix_of(region: Region | None) -> str:
    return region.prefix if region is not None else ""


def subregions(region: Region | None) -> list[Region]:
    """The units a region compares side by side: a city's counties, a county's towns."""
    if region is None:
        return list(Region.objects.filter(parent__isnull=True).order_by("code"))
    return list(Region.objects.filter(parent=region).order_by("code"))


# ---------------------------------------------------------------- values, cached


def data_version() -> str:
    """What cached figures are keyed by, the same in every server process (core.versions):
    "reports" is raised when a watched model is saved or deleted through the ORM; "people",
    "regions" and "care" by database triggers, so bulk imports and planning (rows written in
    one statement) invalidate the figures too."""
    return versions.current(["reports", "people", "regions", "care"])


def bump_version() -> None:
    versions.bump_on_commit("reports")


@memoize
def watched_models() -> frozenset[type[Model]]:
    """Models whose changes bump the version: every model of each app whose module defines an
    indicator's functions, and any named in `extra["models"]`. Found without touching the
    database: these signals also fire during migrations."""
    found: set[type[Model]] = set()
    for ind in registry.all_indicators():
        for label in ind.extra.get("models", []):
            found.add(apps.get_model(label))
        for fn in (ind.value, ind.rows):
            config = apps.get_containing_app_config(getattr(fn, "__module__", None) or "")
            if config is not None:
                found.update(config.get_models())
    return frozenset(m for m in found if m._meta.app_label != "reports")


def _cache_seconds() -> int:
    return int(getattr(settings, "HONGXIA_REPORTS_CACHE_SECONDS", 300))


def compute(ind: Indicator, prefix: str, period: Period) -> int | float:
    return plain(ind.value(prefix, period))


def _region_filter(region_field: str, prefix: str) -> Q:
    """The region condition of a batched count. SQLite walks an index range row by row, which
    for a city or a large county (much of an embedded database) is twice as slow as a table
    scan; a LIKE it cannot index makes it scan. PostgreSQL's planner makes that choice itself."""
    if prefix and len(prefix) <= 6 and connection.vendor == "sqlite":
        return Q(**{f"{region_field}__code__startswith": prefix})
    return registry.region_q(region_field, prefix)


def values(prefix: str, period: Period, *, fresh: bool = False) -> dict[str, int | float]:
    """Every indicator's value for a region prefix and a period: {key: value}."""
    key = f"hongxia:reports:v{data_version()}:{prefix}:{period.start}:{period.end}"
    if not fresh:
        hit = cache.get(key)
        if hit is not None:
            return hit  # type: ignore[no-any-return]
    result: dict[str, int | float] = {}
    # Counts that declare their condition (extra["count_q"]) are taken together: one
    # aggregate per model over the region's rows, instead of one query per indicator.
    groups: dict[tuple[str, str], list[Indicator]] = {}
    for ind in registry.all_indicators():
        if ind.extra.get("count_q") and ind.extra.get("model"):
            groups.setdefault((ind.extra["model"], ind.extra.get("region_field", "region")),
                              []).append(ind)
    for (label, region_field), inds in groups.items():
        model = apps.get_model(label)
        in_region = model._default_manager.filter(_region_filter(region_field, prefix))
        counted = in_region.aggregate(**{f"v{i}": Count("pk", filter=ind.extra["count_q"](period))
                                         for i, ind in enumerate(inds)})
        for i, ind in enumerate(inds):
            result[ind.key] = plain(counted[f"v{i}"])
    for ind in registry.all_indicators():
        if ind.key not in result:
            result[ind.key] = compute(ind, prefix, period)
    ordered = {ind.key: result[ind.key] for ind in registry.all_indicators()}
    cache.set(key, ordered, _cache_seconds())
    return ordered


def value(key: str, prefix: str, period: Period) -> int | float:
    found = values(prefix, period).get(key)
    if found is None:  # registered after the cache was filled
        return compute(registry.get(key), prefix, period)
    return found


# ---------------------------------------------------------------- the annual summary


@dataclass
class Figure:
    key: str
    label: str
    line: str
    value: int | float
    unit: str
    previous: int | float | None
    kind: str = "stock"

    @property
    def change(self) -> int | float | None:
        if self.previous is None:
            return None
        return plain(Decimal(str(self.value)) - Decimal(str(self.previous)))

    def as_json(self) -> dict[str, Any]:
        return {"key": self.key, "label": self.label, "line": self.line, "value": self.value,
                "unit": self.unit, "previous": self.previous}


@dataclass
class Summary:
    region: str
    region_name: str
    year: int
    figures: list[Figure]
    filed: FiledReport | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"region": self.region, "year": self.year,
                "indicators": [f.as_json() for f in self.figures]}

    def by_line(self) -> list[tuple[str, str, list[Figure]]]:
        """[(line key, line label, figures)] in the order of LINES, empty lines left out."""
        out = []
        for line in registry.LINES:
            figs = [f for f in self.figures if f.line == line]
            if figs:
                out.append((line, registry.line_label(line), figs))
        known = set(registry.LINES)
        rest = [f for f in self.figures if f.line not in known]
        if rest:
            out.append(("other", "其他", rest))
        return out


def region_name(region: Region | None) -> str:
    return region.name if region is not None else "全部"


def annual_summary(*, region: Region | None, year: int, fresh: bool = False) -> Summary:
    """All indicators for a region and year, with the previous year's values."""
    prefix = prefix_of(region)
    period = Period.year(year)
    now = values(prefix, period, fresh=fresh)
    before = values(prefix, period.previous_year(), fresh=fresh)
    figures = [
        Figure(key=ind.key, label=registry.label_of(ind), line=ind.line, value=now[ind.key],
               unit=ind.unit, previous=before.get(ind.key), kind=ind.kind)
        for ind in registry.all_indicators()
        if ind.key in now
    ]
    return Summary(region=region.code if region else "", region_name=region_name(region),
                   year=year, figures=figures)


def filed_summary(report: FiledReport) -> Summary:
    """A filed report as it was filed, whatever the registry says today."""
    figures = [
        Figure(key=f.key, label=f.label, line=f.line, value=plain(f.value), unit=f.unit,
               previous=None if f.previous is None else plain(f.previous))
        for f in report.figures.all()
    ]
    return Summary(region=report.region_id, region_name=report.region.name, year=report.year,
                   figures=figures, filed=report)


# ---------------------------------------------------------------- comparisons and trends


def _cached(key: str, compute_fn: Any) -> Any:
    full = f"hongxia:reports:v{data_version()}:{key}"
    hit = cache.get(full)
    if hit is None:
        hit = compute_fn()
        cache.set(full, hit, _cache_seconds())
    return hit


def series(ind: Indicator, prefix: str, periods: list[Period]) -> list[int | float]:
    """One indicator over several periods: a single aggregate when it declares its count."""
    if not (ind.extra.get("count_q") and ind.extra.get("model")):
        return [compute(ind, prefix, p) for p in periods]
    model = apps.get_model(ind.extra["model"])
    in_region = model._default_manager.filter(
        _region_filter(ind.extra.get("region_field", "region"), prefix))
    counted = in_region.aggregate(**{f"p{i}": Count("pk", filter=ind.extra["count_q"](p))
                                     for i, p in enumerate(periods)})
    return [plain(counted[f"p{i}"]) for i in range(len(periods))]


def county_comparison(*, region: Region | None, key: str, period: Period) -> list[dict[str, Any]]:
    """The indicator for each unit under `region`, side by side: one GROUP BY for a declared
    count, else one query per unit."""
    ind = registry.get(key)
    units = subregions(region)

    def compute_all() -> dict[str, int | float]:
        lengths = {len(r.prefix) for r in units}
        if ind.extra.get("count_q") and ind.extra.get("model") and len(lengths) == 1:
            field_name = ind.extra.get("region_field", "region")
            column = field_name if "__" in field_name else f"{field_name}_id"
            model = apps.get_model(ind.extra["model"])
            grouped = (model._default_manager
                       .filter(registry.region_q(field_name, prefix_of(region)))
                       .filter(ind.extra["count_q"](period))
                       .annotate(unit=Substr(column, 1, lengths.pop()))
                       .order_by().values("unit").annotate(n=Count("pk")))
            found = {row["unit"]: plain(row["n"]) for row in grouped}
            return {r.code: found.get(r.prefix, 0) for r in units}
        return {r.code: compute(ind, r.prefix, period) for r in units}

    by_code = _cached(f"units:{prefix_of(region)}:{key}:{period.start}:{period.end}", compute_all)
    return [{"region": r, "code": r.code, "name": r.name, "value": by_code.get(r.code, 0)}
            for r in units]


def years_back(year: int, count: int) -> list[int]:
    return list(range(year - count + 1, year + 1))


def period_over_period(*, region: Region | None, key: str, year: int,
                       count: int = 5) -> list[dict[str, Any]]:
    prefix = prefix_of(region)
    years = years_back(year, count)
    found = _cached(f"years:{prefix}:{key}:{year}:{count}",
                    lambda: series(registry.get(key), prefix, [Period.year(y) for y in years]))
    rows: list[dict[str, Any]] = []
    for y, v in zip(years, found, strict=True):
        prev = rows[-1]["value"] if rows else None
        change = None if prev is None else plain(Decimal(str(v)) - Decimal(str(prev)))
        rows.append({"year": y, "value": v, "change": change})
    return rows


def month_periods(year: int) -> list[Period]:
    out = []
    for m in range(1, 13):
        start = datetime.date(year, m, 1)
        end = datetime.date(year + (m == 12), m % 12 + 1, 1)
        out.append(Period(start, end))
    return out


def monthly_trend(*, region: Region | None, key: str, year: int,
                  until: datetime.date | None = None) -> list[dict[str, Any]]:
    """Month by month: a flow figure within each month, a stock figure at each month's end."""
    prefix = prefix_of(region)
    months = [p for p in month_periods(year) if until is None or p.start <= until]
    found = _cached(f"trend:{prefix}:{key}:{year}:{until}",
                    lambda: series(registry.get(key), prefix, months))
    return [{"month": p.start.month, "value": v} for p, v in zip(months, found, strict=True)]


# ---------------------------------------------------------------- drill-down


def drill_rows(*, user: Any, key: str, region: Region | None, period: Period) -> QuerySet[Any]:
    """The records behind a figure, as the user may see them."""
    ind = registry.get(key)
    if ind.rows is None:
        raise Http404
    qs = ind.rows(prefix_of(region), period)
    if not user.has_perm(f"{qs.model._meta.app_label}.view_{qs.model._meta.model_name}"):
        raise PermissionDenied
    return qs.visible_to(user)  # type: ignore[attr-defined,no-any-return]


def columns_for(ind: Indicator | None, model: type[Model]) -> list[tuple[str, str]]:
    if ind is not None and ind.extra.get("columns"):
        return list(ind.extra["columns"])
    return [("__str__", str(model._meta.verbose_name))]


def cell(obj: Any, attr: str) -> Any:
    v = getattr(obj, attr, "")
    v = v() if callable(v) else v
    if isinstance(v, Model):
        return str(v)
    return v


def figure_rows(*, user: Any, figure: FiledFigure) -> tuple[type[Model] | None, list[int]]:
    """The frozen ids behind a filed figure and their model (the rows may since have changed)."""
    if not figure.row_model:
        return None, []
    model = apps.get_model(figure.row_model)
    if not user.has_perm(f"{model._meta.app_label}.view_{model._meta.model_name}"):
        raise PermissionDenied
    return model, list(expand_ids(figure.row_ids))


def person_path(model: type[Model] | None) -> str | None:
    """How rows of `model` name a person for the search box: "pk" for people themselves,
    "person" for rows with a `person` foreign key; None for rows about no one."""
    if model is None:
        return None
    if issubclass(model, Person):
        return "pk"
    try:
        field = model._meta.get_field("person")
    except FieldDoesNotExist:
        return None
    if field.is_relation and field.related_model is Person:
        return "person"
    return None


def person_search(model: type[Model] | None, text: str | None) -> Q | None:
    """The registry's search (name characters, pinyin, initials, last 4 digits of ID or phone)
    as a filter on rows of `model`; None when the text is empty or the rows name no one."""
    path = person_path(model)
    q = search_q(text or "") if path else None
    if q is None:
        return None
    return Q(**{f"{path}__in": Person.objects.filter(q).values("pk")})


def searched_ids(*, user: Any, model: type[Model], ids: list[int], search: Q) -> list[int]:
    """Those of the sorted `ids` whose rows match `search` and the user may see, in order."""
    if not ids:
        return []
    matched = set(
        model._default_manager.visible_to(user)  # type: ignore[attr-defined]
        .filter(search, pk__gte=ids[0], pk__lte=ids[-1])
        .values_list("pk", flat=True)
    )
    return [i for i in ids if i in matched]


def rows_by_ids(*, user: Any, model: type[Model], ids: list[int]) -> list[Any]:
    """Rows with these ids that still exist and the user may see, in id order."""
    qs = model._default_manager.visible_to(user).filter(pk__in=ids)  # type: ignore[attr-defined]
    if hasattr(model, "region"):
        qs = qs.select_related("region")
    return sorted(qs, key=lambda r: r.pk)


# ---------------------------------------------------------------- filed vs fresh


@dataclass
class Difference:
    key: str
    label: str
    unit: str
    then: int | float | None
    now: int | float | None
    added: int
    removed: int
    note: str = ""

    @property
    def changed(self) -> bool:
        return self.then != self.now or self.added > 0 or self.removed > 0


def current_ids(ind: Indicator, prefix: str, period: Period) -> set[int]:
    if ind.rows is None:
        return set()
    return set(ind.rows(prefix, period).order_by().values_list("pk", flat=True))


def compare_with_fresh(report: FiledReport) -> list[Difference]:
    """Each filed figure against a fresh computation: value then/now, rows added/removed."""
    prefix = report.region.prefix
    period = Period(report.period_start, report.period_end)
    out: list[Difference] = []
    seen = set()
    for fig in report.figures.all():
        seen.add(fig.key)
        try:
            ind = registry.get(fig.key)
        except KeyError:
            out.append(Difference(fig.key, fig.label, fig.unit, plain(fig.value), None, 0, 0,
                                  note="no longer computed"))
            continue
        then_ids = set(expand_ids(fig.row_ids))
        now_ids = current_ids(ind, prefix, period)
        out.append(Difference(
            fig.key, fig.label, fig.unit, plain(fig.value), compute(ind, prefix, period),
            added=len(now_ids - then_ids), removed=len(then_ids - now_ids),
        ))
    for ind in registry.all_indicators():
        if ind.key not in seen:
            out.append(Difference(ind.key, registry.label_of(ind), ind.unit, None,
                                  compute(ind, prefix, period), 0, 0, note="new indicator"))
    return out


def filings(*, user: Any, region: Region | None = None, year: int | None = None,
            limit: int = 10) -> list[FiledReport]:
    qs = FiledReport.objects.visible_to(user).select_related("region")
    if region is not None:
        qs = qs.filter(region=region)
    if year is not None:
        qs = qs.filter(year=year)
    return list(qs.order_by("-filed_at", "-id")[:limit])


def region_choices(*, user: Any) -> list[Region]:
    prefix = getattr(user, "scope_prefix", None)
    if prefix is None:
        return []
    qs = Region.objects.filter(level__in=["province", "city", "county"])
    if prefix:
        low, high = regions.prefix_range(prefix)
        qs = qs.filter(code__gte=low)
        if high:
            qs = qs.filter(code__lt=high)
    return list(qs.order_by("code"))



class FiledReportFilter(django_filters.FilterSet):
    """Filtering of filed reports: the list page, its export and the API."""

    q = django_filters.CharFilter(
        method="filter_q", label=_("Search"),
        help_text=_("Title, region name, who filed it or the note"))
    year = django_filters.NumberFilter(field_name="year", label=_("Year"))
    region = django_filters.CharFilter(method="filter_region", label=_("Region code"))

    class Meta:
        model = FiledReport
        fields = ["q", "year", "region"]

    def __init__(self, *args: Any, request: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, request=request, **kwargs)

    def filter_q(self, qs: QuerySet[FiledReport], name: str,
                 value: str) -> QuerySet[FiledReport]:
        value = value.strip()
        if not value:
            return qs
        return qs.filter(Q(title__contains=value) | Q(region__name__contains=value)
                         | Q(filed_by_name__contains=value) | Q(note__contains=value))

    def filter_region(self, qs: QuerySet[FiledReport], name: str,
                      value: str) -> QuerySet[FiledReport]:
        code = "".join(ch for ch in value if ch.isdigit())
        if not code:
            return qs
        prefix = regions.prefix_of(code) if len(code) in (6, 9, 12) else code
        low, high = regions.prefix_range(prefix)
        qs = qs.filter(region_id__gte=low)
        return qs.filter(region_id__lt=high) if high else qs
