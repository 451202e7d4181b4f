"""Statistics pages: thin — parse the region, period and indicator, call a selector, render.

Every page is a scoped view on `FiledReport` (its scope decides which regions a user may ask
about); figures are aggregates for the user's region prefix, and every drill-down goes through
`visible_to(user)` on the rows' own model.
"""

from __future__ import annotations

import bisect
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from hongxia.core import audit
from hongxia.core.exports import xlsx_response
from hongxia.core.generic import ScopedDetailView, ScopedListView, ScopedMixin
from hongxia.core.models import AuditLog, Region
from hongxia.core.pagination import paginate
from hongxia.reports import charts, exports, registry, selectors, services
from hongxia.reports.forms import FileReportForm
from hongxia.reports.models import FiledReport
from hongxia.reports.registry import Period

DEFAULT_INDICATOR = "people.cadres"
# Headline cards on the dashboard (those registered; the rest are a click away).
HEADLINES = ["people.cadres", "people.lixiu", "people.tuixiu", "people.survivors",
             "people.party_members", "people.elsewhere", "people.deaths"]


def parse_year(raw: str | None) -> int:
    today = timezone.localdate()
    try:
        year = int(raw or today.year)
    except ValueError:
        return today.year
    return year if 1949 <= year <= today.year + 1 else today.year


def indicator_or_default(key: str | None) -> registry.Indicator:
    try:
        return registry.get(key or DEFAULT_INDICATOR)
    except KeyError:
        try:
            return registry.get(DEFAULT_INDICATOR)
        except KeyError:
            return registry.all_indicators()[0]


class StatsMixin(ScopedMixin):
    """Login, `reports.view_statistics`, and the region the user asks for inside their scope."""

    model = FiledReport
    permission_required = "reports.view_statistics"

    def region(self) -> Region | None:
        code = self.request.GET.get("region")
        return selectors.region_in_scope(user=self.request.user, code=code)

    def year(self) -> int:
        return parse_year(self.request.GET.get("year"))

    def base_context(self) -> dict[str, Any]:
        region = self.region()
        year = self.year()
        return {
            "region": region, "region_code": region.code if region else "",
            "region_name": selectors.region_name(region), "year": year,
            "years": list(range(timezone.localdate().year, timezone.localdate().year - 10, -1)),
            "regions": selectors.region_choices(user=self.request.user),
            "filings": selectors.filings(user=self.request.user, limit=5),
        }


class DashboardView(StatsMixin, TemplateView):
    """数据驾驶舱 — headline figures, monthly trends, counties side by side."""

    template_name = "reports/dashboard.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        ctx.update(self.base_context())
        region, year = ctx["region"], ctx["year"]
        prefix = selectors.prefix_of(region)
        period = Period.year(year)
        vals = selectors.values(prefix, period)
        prev = selectors.values(prefix, period.previous_year())
        known = [k for k in HEADLINES if k in vals] or list(vals)[:6]
        ctx["headlines"] = [
            {"ind": registry.get(k), "label": registry.label_of(registry.get(k)),
             "value": vals[k], "previous": prev.get(k)} for k in known
        ]
        today = timezone.localdate()
        until = today if year == today.year else None
        trends = []
        flows = [i.key for i in registry.all_indicators() if i.kind == "flow"][:3]
        for key in [DEFAULT_INDICATOR, *flows]:
            if key not in vals:
                continue
            rows = selectors.monthly_trend(region=region, key=key, year=year, until=until)
            chart = charts.columns([(f"{r['month']}月", r["value"]) for r in rows])
            trends.append({"label": registry.label_of(registry.get(key)), "key": key,
                           "chart": chart})
        ctx["trends"] = trends
        ind = indicator_or_default(self.request.GET.get("indicator"))
        ctx["indicator"] = ind
        ctx["indicator_label"] = registry.label_of(ind)
        ctx["indicators"] = registry.all_indicators()
        counties = selectors.county_comparison(region=region, key=ind.key, period=period)
        ctx["counties"] = counties
        ctx["county_chart"] = charts.hbars([(c["name"], c["value"], c["code"]) for c in counties])
        ctx["by_line"] = selectors.annual_summary(region=region, year=year).by_line()
        return ctx


class AnnualView(StatsMixin, TemplateView):
    """年度工作综述 — every indicator for a region and year, with the change on last year."""

    template_name = "reports/annual.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        ctx.update(self.base_context())
        summary = selectors.annual_summary(region=ctx["region"], year=ctx["year"])
        ctx["summary"] = summary
        ctx["filings"] = selectors.filings(user=self.request.user, region=ctx["region"],
                                           year=ctx["year"])
        return ctx


class AnnualExportView(StatsMixin, TemplateView):
    """The annual summary as .xlsx or PDF (`fmt` from the URL configuration)."""

    permission_required = "reports.export_statistics"
    fmt = "xlsx"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        region, year = self.region(), self.year()
        summary = selectors.annual_summary(region=region, year=year)
        filings = selectors.filings(user=request.user, region=region, year=year)
        audit.record_event(AuditLog.Action.EXPORT, actor=request.user,
                           region_id=region.code if region else None,
                           note=f"annual summary {summary.region} {year} {self.fmt}")
        return file_response(summary, filings, self.fmt, f"annual-{summary.region}-{year}")


def file_response(summary: selectors.Summary, filings: list[FiledReport], fmt: str,
                  stem: str) -> HttpResponse:
    if fmt == "pdf":
        body, ctype = exports.annual_pdf(summary, filings), "application/pdf"
    else:
        body = exports.annual_xlsx(summary, filings)
        ctype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response = HttpResponse(body, content_type=ctype)
    response["Content-Disposition"] = f'attachment; filename="{stem}.{fmt}"'
    return response


class FileReportView(StatsMixin, TemplateView):
    """上报 — file the region's summary for a year (POST only)."""

    permission_required = "reports.add_filedreport"
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # The region and year come from the annual page's hidden fields; a post that does not
        # name both exactly is refused with the reason, never filed for a default region or
        # year, and a note longer than the field is not cut.
        form = FileReportForm(request.POST)
        if not form.is_valid():
            for field, errors in form.errors.items():
                label = form.fields[field].label if field in form.fields else field
                messages.error(request, _("Not filed. %(field)s: %(error)s")
                               % {"field": label, "error": " ".join(map(str, errors))})
            back = {k: request.POST[k] for k in ("region", "year")
                    if k in request.POST and k not in form.errors}
            return redirect(f"{reverse('reports:annual')}?{urlencode(back)}")
        region = selectors.region_in_scope(user=request.user, code=form.cleaned_data["region"])
        if region is None:
            raise Http404
        report = services.report_file(actor=request.user, region=region,
                                      year=form.cleaned_data["year"],
                                      note=form.cleaned_data["note"])
        messages.success(request, _("The summary was filed."))
        return redirect(report.get_absolute_url())


class DrillView(StatsMixin, TemplateView):
    """The records behind a figure, keyset-paginated and exportable."""

    template_name = "reports/drill.html"
    export = False

    def search_text(self) -> str:
        return self.request.GET.get("q", "").strip()

    def rows(self) -> tuple[registry.Indicator, Any, Region | None, int]:
        """The rows behind the figure; rows that are people or name one are narrowed by the
        search box (`q`), on the page and in its export alike."""
        ind = indicator_or_default(self.request.GET.get("indicator"))
        region, year = self.region(), self.year()
        qs = selectors.drill_rows(user=self.request.user, key=ind.key, region=region,
                                  period=Period.year(year))
        search = selectors.person_search(qs.model, self.search_text())
        if search is not None:
            qs = qs.filter(search)
        return ind, qs, region, year

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not self.export:
            return super().get(request, *args, **kwargs)
        if not request.user.has_perm("reports.export_statistics"):
            raise PermissionDenied
        ind, qs, region, year = self.rows()
        cols = selectors.columns_for(ind, qs.model)
        if hasattr(qs.model, "region"):
            qs = qs.select_related("region")
        qs = qs.order_by("pk")[: settings.HONGXIA_EXPORT_MAX_ROWS]
        searched = f" q={self.search_text()}" if self.search_text() else ""
        audit.record_event(AuditLog.Action.EXPORT, actor=request.user,
                           region_id=region.code if region else None,
                           note=f"drill-down {ind.key} {year}{searched}"[:200])
        data = ([selectors.cell(o, a) for a, _label in cols] for o in qs.iterator(chunk_size=2000))
        # A streamed FileResponse: constant memory for 200,000 rows.
        return xlsx_response(f"{ind.key}-{year}.xlsx", registry.label_of(ind),  # type: ignore[return-value]
                             [label for _a, label in cols], data)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        ctx.update(self.base_context())
        ind, qs, _region, year = self.rows()
        if hasattr(qs.model, "region"):
            qs = qs.select_related("region")
        page = paginate(qs, ordering=["pk"], cursor=self.request.GET.get("cursor"),
                        page_size=settings.HONGXIA_PAGE_SIZE)
        cols = selectors.columns_for(ind, qs.model)
        params = [("indicator", ind.key), ("region", ctx["region_code"]), ("year", year)]
        q = self.search_text()
        ctx.update(
            indicator=ind, indicator_label=registry.label_of(ind), page=page,
            headers=[label for _a, label in cols],
            table=[(o, [selectors.cell(o, a) for a, _l in cols]) for o in page.rows],
            value=selectors.value(ind.key, selectors.prefix_of(ctx["region"]), Period.year(year)),
            searchable=selectors.person_path(qs.model) is not None, q=q,
            search_keep=params, clear_query=urlencode(params),
            query=urlencode([*params, *([("q", q)] if q else [])]),
        )
        return ctx


class CompareView(StatsMixin, TemplateView):
    """Counties side by side for any indicator, and the same figure year over year."""

    template_name = "reports/compare.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        ctx.update(self.base_context())
        ind = indicator_or_default(self.request.GET.get("indicator"))
        region, year = ctx["region"], ctx["year"]
        period = Period.year(year)
        counties = selectors.county_comparison(region=region, key=ind.key, period=period)
        before = {c["code"]: c["value"] for c in selectors.county_comparison(
            region=region, key=ind.key, period=period.previous_year())}
        for c in counties:
            c["previous"] = before.get(c["code"])
        ctx.update(
            indicator=ind, indicator_label=registry.label_of(ind),
            indicators=registry.all_indicators(), counties=counties,
            county_chart=charts.hbars([(c["name"], c["value"], c["code"]) for c in counties]),
            years_rows=selectors.period_over_period(region=region, key=ind.key, year=year),
        )
        ctx["years_chart"] = charts.columns([(str(r["year"]), r["value"])
                                             for r in ctx["years_rows"]])
        return ctx


# ---------------------------------------------------------------- filed reports


class FiledListView(ScopedListView):
    """上报记录 — filed summaries in the user's scope; with `export`, the filtered list as .xlsx
    (for those who may also export statistics)."""

    model = FiledReport
    permission_required = "reports.view_filedreport"
    filterset_class = selectors.FiledReportFilter
    ordering = ["id"]
    descending = True  # newest first
    template_name = "reports/filed_list.html"
    export = False

    def get_queryset(self) -> Any:
        return super().get_queryset().select_related("region")

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not self.export:
            return super().get(request, *args, **kwargs)
        if not request.user.has_perm("reports.export_statistics"):
            raise PermissionDenied
        _f, qs = self.filtered()
        qs = qs.order_by("-id")[: settings.HONGXIA_EXPORT_MAX_ROWS]
        count = [0]

        def data() -> Any:
            for f in qs.iterator(chunk_size=2000):
                count[0] += 1
                yield [f.title, f.region.name, f.region_id, f.year, f.filed_by_name,
                       timezone.localtime(f.filed_at).strftime("%Y-%m-%d %H:%M"), f.note]

        headers = [_("Title"), _("Region"), _("Region code"), _("Year"), _("Filed by"),
                   _("Filed at"), _("Note")]
        response = xlsx_response(f"filed-reports-{timezone.localdate():%Y%m%d}.xlsx",
                                 _("Filed reports"), headers, data())
        audit.record_event(AuditLog.Action.EXPORT, actor=request.user,
                           note=f"filed reports {count[0]} rows: {request.GET.urlencode()}"[:200])
        return response  # type: ignore[return-value]  # a streamed file


class FiledDetailView(ScopedDetailView):
    model = FiledReport  # type: ignore[misc]
    permission_required = "reports.view_filedreport"
    template_name = "reports/filed_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        ctx["summary"] = selectors.filed_summary(self.object)
        figures = list(self.object.figures.all())
        for f in figures:
            f.shown = selectors.plain(f.value)  # type: ignore[attr-defined]
            f.shown_previous = (  # type: ignore[attr-defined]
                None if f.previous is None else selectors.plain(f.previous))
        ctx["figures"] = figures
        return ctx


class FiledExportView(ScopedDetailView):
    model = FiledReport  # type: ignore[misc]
    permission_required = "reports.view_filedreport"
    fmt = "xlsx"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        report = self.get_object()
        if not request.user.has_perm("reports.export_statistics"):
            raise PermissionDenied
        audit.record_event(AuditLog.Action.EXPORT, actor=request.user, obj=report,
                           note=f"filed report {self.fmt}")
        return file_response(selectors.filed_summary(report), [report], self.fmt,
                             f"filed-{report.region_id}-{report.year}-{report.pk}")


class FiledCompareView(ScopedDetailView):
    """The filed figures against a fresh computation, with the rows added and removed."""

    model = FiledReport  # type: ignore[misc]
    permission_required = "reports.view_filedreport"
    template_name = "reports/filed_compare.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        diffs = selectors.compare_with_fresh(self.object)
        ctx["differences"] = diffs
        ctx["changed"] = [d for d in diffs if d.changed]
        return ctx


class FiledRowsView(ScopedDetailView):
    """The frozen rows behind one filed figure (those that still exist and are in scope)."""

    model = FiledReport  # type: ignore[misc]
    permission_required = "reports.view_filedreport"
    template_name = "reports/filed_rows.html"
    export = False

    def figure(self, report: FiledReport) -> Any:
        figures = list(report.figures.all())
        key = self.request.GET.get("indicator")
        return next((f for f in figures if f.key == key), figures[0] if figures else None)

    def search_text(self) -> str:
        return self.request.GET.get("q", "").strip()

    def frozen_rows(self, fig: Any) -> tuple[Any, list[int], list[int]]:
        """The figure's model, its frozen ids, and those ids narrowed by the search box (`q`)
        when the rows are people or name one (else the same list)."""
        if fig is None:
            return None, [], []
        model, ids = selectors.figure_rows(user=self.request.user, figure=fig)
        search = selectors.person_search(model, self.search_text())
        if model is None or search is None:
            return model, ids, ids
        return model, ids, selectors.searched_ids(user=self.request.user, model=model, ids=ids,
                                                  search=search)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not self.export:
            return super().get(request, *args, **kwargs)
        report = self.get_object()
        if not request.user.has_perm("reports.export_statistics"):
            raise PermissionDenied
        fig = self.figure(report)
        model, _frozen, ids = self.frozen_rows(fig)
        try:
            ind: registry.Indicator | None = registry.get(fig.key) if fig else None
        except KeyError:
            ind = None
        cols = selectors.columns_for(ind, model) if model else [("__str__", "")]
        searched = f" q={self.search_text()}" if self.search_text() else ""
        audit.record_event(AuditLog.Action.EXPORT, actor=request.user, obj=report,
                           note=f"filed rows {fig.key if fig else ''}{searched}"[:200])

        def data() -> Any:
            for i in range(0, min(len(ids), settings.HONGXIA_EXPORT_MAX_ROWS), 1000):
                assert model is not None
                for o in selectors.rows_by_ids(user=request.user, model=model,
                                               ids=ids[i:i + 1000]):
                    yield [selectors.cell(o, a) for a, _l in cols]

        return xlsx_response(f"filed-{report.pk}-{fig.key if fig else ''}.xlsx",  # type: ignore[return-value]
                             fig.label if fig else "rows", [label for _a, label in cols], data())

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        fig = self.figure(self.object)
        ctx["figure"] = fig
        ctx["figures"] = list(self.object.figures.all())
        if fig is None:
            return ctx
        model, frozen, ids = self.frozen_rows(fig)
        q = self.search_text()
        try:
            after = int(self.request.GET.get("after", "0"))
        except ValueError:
            after = 0
        start = bisect.bisect_right(ids, after)
        chunk = ids[start:start + settings.HONGXIA_PAGE_SIZE]
        rows = (selectors.rows_by_ids(user=self.request.user, model=model, ids=chunk)
                if model else [])
        try:
            ind: registry.Indicator | None = registry.get(fig.key)
        except KeyError:
            ind = None
        cols = selectors.columns_for(ind, model) if model else []
        ctx.update(
            headers=[label for _a, label in cols],
            table=[(o, [selectors.cell(o, a) for a, _l in cols]) for o in rows],
            total=len(frozen), matching=len(ids) if ids is not frozen else None,
            next_after=chunk[-1] if start + len(chunk) < len(ids) else None,
            first_page=start == 0, searchable=selectors.person_path(model) is not None, q=q,
            search_keep=[("indicator", fig.key)], clear_query=urlencode([("indicator", fig.key)]),
            query=urlencode([("indicator", fig.key), *([("q", q)] if q else [])]),
        )
        return ctx

