"""The reports API, mounted under /api/reports/ by hongxia.api.urls.

Figures are aggregates for a region inside the caller's scope (another region answers 404);
drill-down rows come through `visible_to(user)` on their own model; filed reports through
`FiledReport.objects.visible_to(user)`.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import URLPattern, path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from hongxia.api import schema
from hongxia.api.views import ScopedAPIView
from hongxia.core.pagination import paginate
from hongxia.reports import selectors
from hongxia.reports.models import FiledReport
from hongxia.reports.registry import Period
from hongxia.reports.views import indicator_or_default, parse_year

SCOPE_PARAMETERS = [
    OpenApiParameter("region", str, description="Region code inside the caller's scope; "
                     "default the caller's own region."),
    OpenApiParameter("year", int, description="Calendar year; default this year."),
]
INDICATOR_PARAMETER = OpenApiParameter("indicator", str, description="Indicator key.")
ID_PARAMETER = OpenApiParameter("id", int, OpenApiParameter.PATH,
                                description="The filed report's id.")


def _filing(report: FiledReport) -> dict[str, Any]:
    return {"id": report.pk, "title": report.title, "region": report.region_id,
            "year": report.year, "filed_by": report.filed_by_name,
            "filed_at": report.filed_at.isoformat(), "note": report.note}


class StatsAPIView(ScopedAPIView):
    model = FiledReport
    required_permissions: dict[str, str | None] = {"GET": "reports.view_statistics"}

    def scope(self, request: Request) -> tuple[Any, int]:
        region = selectors.region_in_scope(user=request.user,
                                           code=request.query_params.get("region"))
        return region, parse_year(request.query_params.get("year"))


class AnnualAPIView(StatsAPIView):
    @extend_schema(operation_id="reports_annual", summary="The annual summary",
                   description="Every indicator for a region and year with last year's value, "
                   "and the filings of that summary.",
                   parameters=SCOPE_PARAMETERS,
                   responses={200: OpenApiTypes.OBJECT, **schema.READ_ERRORS})
    def get(self, request: Request) -> Response:
        region, year = self.scope(request)
        data = selectors.annual_summary(region=region, year=year).as_json()
        data["filings"] = [_filing(r) for r in
                           selectors.filings(user=request.user, region=region, year=year)]
        return Response(data)


class ValuesAPIView(StatsAPIView):
    @extend_schema(operation_id="reports_values", summary="Indicator values",
                   description="All values for a region and year; with `indicator`, also that "
                   "figure for each unit below the region (counties side by side) and for the "
                   "last five years.",
                   parameters=[*SCOPE_PARAMETERS, INDICATOR_PARAMETER],
                   responses={200: OpenApiTypes.OBJECT, **schema.READ_ERRORS})
    def get(self, request: Request) -> Response:
        region, year = self.scope(request)
        period = Period.year(year)
        data: dict[str, Any] = {
            "region": region.code if region else "", "year": year,
            "values": selectors.values(selectors.prefix_of(region), period),
        }
        key = request.query_params.get("indicator")
        if key:
            ind = indicator_or_default(key)
            data["indicator"] = ind.key
            data["by_region"] = [
                {"region": c["code"], "name": c["name"], "value": c["value"]}
                for c in selectors.county_comparison(region=region, key=ind.key, period=period)
            ]
            data["by_year"] = selectors.period_over_period(region=region, key=ind.key, year=year)
        data["filings"] = [_filing(r) for r in selectors.filings(user=request.user, region=region)]
        return Response(data)


class RowsAPIView(StatsAPIView):
    @extend_schema(operation_id="reports_rows", summary="The rows behind a figure",
                   parameters=[*SCOPE_PARAMETERS, INDICATOR_PARAMETER, *schema.PAGE_PARAMETERS],
                   responses={200: OpenApiTypes.OBJECT, **schema.READ_ERRORS})
    def get(self, request: Request) -> Response:
        region, year = self.scope(request)
        ind = indicator_or_default(request.query_params.get("indicator"))
        qs = selectors.drill_rows(user=request.user, key=ind.key, region=region,
                                  period=Period.year(year))
        try:
            size = min(int(request.query_params.get("page_size", settings.HONGXIA_PAGE_SIZE)),
                       500)
        except ValueError:
            size = settings.HONGXIA_PAGE_SIZE
        page = paginate(qs, ordering=["pk"], cursor=request.query_params.get("cursor"),
                        page_size=max(1, size))
        cols = selectors.columns_for(ind, qs.model)
        return Response({
            "indicator": ind.key, "region": region.code if region else "", "year": year,
            "count": page.total, "count_capped": page.total_capped,
            "next_cursor": page.next_cursor, "prev_cursor": page.prev_cursor,
            "columns": [label for _a, label in cols],
            "results": [{"id": o.pk, "cells": [_json(selectors.cell(o, a)) for a, _l in cols]}
                        for o in page.rows],
        })


def _json(v: Any) -> Any:
    if hasattr(v, "isoformat"):
        return v.isoformat()
    if v is None or isinstance(v, int | float | str | bool):
        return v
    return str(v)


class FiledListAPIView(ScopedAPIView):
    model = FiledReport

    @extend_schema(operation_id="reports_filed_list", summary="Filed reports",
                   parameters=schema.filter_parameters(selectors.FiledReportFilter),
                   responses={200: OpenApiTypes.OBJECT, **schema.READ_ERRORS})
    def get(self, request: Request) -> Response:
        f = selectors.FiledReportFilter(request.query_params, queryset=self.scoped_queryset(),
                                        request=request)
        qs = f.qs if f.is_valid() else self.scoped_queryset().none()
        return Response([_filing(r) for r in qs.order_by("-id")[:500]])


class FiledDetailAPIView(ScopedAPIView):
    model = FiledReport

    @extend_schema(operation_id="reports_filed_detail", summary="A filed report as filed",
                   parameters=[ID_PARAMETER],
                   responses={200: OpenApiTypes.OBJECT, 404: schema.NOT_FOUND,
                              **schema.READ_ERRORS})
    def get(self, request: Request, pk: int) -> Response:
        report = self.get_object(pk)
        data = selectors.filed_summary(report).as_json()
        data["filing"] = _filing(report)
        rows = {f.key: f.row_count for f in report.figures.all()}
        for item in data["indicators"]:
            item["rows"] = rows.get(item["key"], 0)
        return Response(data)


class FiledCompareAPIView(ScopedAPIView):
    model = FiledReport

    @extend_schema(operation_id="reports_filed_compare",
                   summary="A filed report against a fresh computation",
                   parameters=[ID_PARAMETER],
                   responses={200: OpenApiTypes.OBJECT, 404: schema.NOT_FOUND,
                              **schema.READ_ERRORS})
    def get(self, request: Request, pk: int) -> Response:
        report = self.get_object(pk)
        return Response({
            "filing": _filing(report),
            "differences": [
                {"key": d.key, "label": d.label, "then": d.then, "now": d.now,
                 "added": d.added, "removed": d.removed, "changed": d.changed, "note": d.note}
                for d in selectors.compare_with_fresh(report)
            ],
        })


def _route(route: str, view: type[ScopedAPIView], name: str) -> list[URLPattern]:
    return [
        path(route + "/", view.as_view(schema=None), name=name),
        path(route, view.as_view(), name=name),
    ]


urlpatterns: list[Any] = [
    *_route("annual", AnnualAPIView, "reports-annual"),
    *_route("values", ValuesAPIView, "reports-values"),
    *_route("rows", RowsAPIView, "reports-rows"),
    *_route("filed", FiledListAPIView, "reports-filed-list"),
    *_route("filed/<int:pk>", FiledDetailAPIView, "reports-filed-detail"),
    *_route("filed/<int:pk>/compare", FiledCompareAPIView, "reports-filed-compare"),
]
