"""One filed report per county for the scope walk (its note and title carry the marker)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils import timezone

from hongxia.reports.models import FiledFigure, FiledReport
from hongxia.reports.registry import Period
from tests.factories import UserFactory


def _filed(region: str, marker: str) -> FiledReport:
    year = timezone.localdate().year
    period = Period.year(year)
    clerk = UserFactory(username=f"filer_{region}", region_id=region)
    report = FiledReport.objects.create(
        region_id=region, year=year, period_start=period.start, period_end=period.end,
        title=f"{marker}{year}年度工作综述", note=marker, filed_by=clerk,
        filed_by_name=marker,
    )
    FiledFigure.objects.create(report=report, key="people.cadres", label=marker, line="basic",
                               unit="人", value=1, row_model="people.Person", row_count=0)
    return report


SCOPE_FACTORIES: dict[type[Any], Callable[[str, str], Any]] = {FiledReport: _filed}
