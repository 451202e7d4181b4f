"""Writes of the reports app: filing a year's summary upward (上报)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction

from hongxia.core import audit
from hongxia.core.models import AuditLog, Region
from hongxia.core.scope import is_visible
from hongxia.reports import registry, selectors
from hongxia.reports.models import FiledFigure, FiledReport
from hongxia.reports.registry import Period


def report_file(*, actor: Any, region: Region, year: int, note: str = "") -> FiledReport:
    """Freeze a region's summary for `year`: each figure, its previous-year value, and the ids
    of the rows behind it, as the actor sees them now. Nothing is recomputed later."""
    if not actor.has_perm("reports.add_filedreport"):
        raise PermissionDenied
    period = Period.year(year)
    prefix = region.prefix
    with transaction.atomic():
        before = selectors.values(prefix, period.previous_year())
        report = FiledReport.objects.create(
            region=region, year=year, period_start=period.start, period_end=period.end,
            title=f"{region.name}{year}年度工作综述", note=note[:200], filed_by=actor,
            filed_by_name=(getattr(actor, "full_name", "") or actor.username)[:150],
        )
        if not is_visible(report, actor):
            raise PermissionDenied  # rolls the filing back: the region is outside the scope
        figures = []
        for position, ind in enumerate(registry.all_indicators()):
            ids: list[int] = []
            model = ""
            if ind.rows is not None:
                qs = ind.rows(prefix, period).visible_to(actor)  # type: ignore[attr-defined]
                model = qs.model._meta.label
                ids = list(qs.order_by("pk").values_list("pk", flat=True))
            value = selectors.compute(ind, prefix, period)
            previous = before.get(ind.key)
            figures.append(FiledFigure(
                report=report, key=ind.key, label=ind.label_zh, line=ind.line, unit=ind.unit,
                value=Decimal(str(value)),
                previous=None if previous is None else Decimal(str(previous)),
                position=position, row_model=model, row_count=len(ids),
                row_ids=selectors.compact_ids(ids),
            ))
        FiledFigure.objects.bulk_create(figures, batch_size=200)
        audit.record_change(report, AuditLog.Action.CREATE, after=audit.snapshot(report),
                            actor=actor, note=f"filed {len(figures)} figures")
    return report
