"""Import and export pages: thin — parse input, call a service, render."""

from __future__ import annotations

import io
import tempfile
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views import View

from hongxia.core.generic import (
    ExportMixin,
    ScopedActionView,
    ScopedDetailView,
    ScopedListView,
    ScopedMixin,
)
from hongxia.ingest import blank, exports, jobs, readers, services
from hongxia.ingest import selectors as ingest_selectors
from hongxia.ingest.choices import JobStatus, MergeStatus
from hongxia.ingest.forms import (
    ImportJobFilter,
    MergeCandidateFilter,
    MergeDecisionForm,
    UploadForm,
)
from hongxia.ingest.models import ImportJob, MergeCandidate
from hongxia.people import selectors
from hongxia.people.models import Person

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class JobListView(ExportMixin, ScopedListView):
    """导入 — upload a roster; the list of earlier imports below, newest first."""

    model = ImportJob
    permission_required = "people.add_person"
    filterset_class = ImportJobFilter
    ordering = ["id"]
    descending = True
    template_name = "ingest/job_list.html"
    export_name = "imports"
    export_headers = (
        _l("File"),
        _l("Status"),
        _l("Rows"),
        _l("New"),
        _l("Changed"),
        _l("Unchanged"),
        _l("Refused"),
        _l("Region"),
        _l("User"),
        _l("Uploaded at"),
    )

    def get_queryset(self) -> Any:
        jobs.interrupt_stale()
        # A job's problems can be tens of thousands (a column wrong in every row): the list
        # shows counts from the summary and reads none of them.
        return super().get_queryset().select_related("user", "region").defer("problems")

    def export_row(self, job: ImportJob) -> list[Any]:
        summary = job.summary or {}
        return [
            job.filename,
            str(job.get_status_display()),
            summary.get("rows"),
            summary.get("created"),
            summary.get("updated"),
            summary.get("unchanged"),
            summary.get("rejected"),
            job.region.name if job.region_id else "",
            job.user.get_username() if job.user else "",
            f"{timezone.localtime(job.created_at):%Y-%m-%d %H:%M}",
        ]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        ctx.setdefault("form", UploadForm(user=self.request.user))
        # A file the check found nothing in (no header row, every row refused) is "checked"
        # like any other: the list says so, as the job's page does.
        ctx["nothing_to_import"] = {
            job.pk
            for job in ctx["page"].rows
            if job.status == JobStatus.PREVIEWED
            and not ingest_selectors.rows_to_write(job.summary or {})
        }
        ctx["pending_duplicates"] = (
            MergeCandidate.objects.visible_to(self.request.user)
            .filter(status=MergeStatus.PENDING)
            .count()
        )
        return ctx

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = UploadForm(request.POST, request.FILES, user=request.user)
        if form.is_valid():
            try:
                job = jobs.job_create(
                    actor=request.user,
                    upload=form.cleaned_data["file"],
                    region=form.cleaned_data["region"] or None,
                    sheet=form.cleaned_data["sheet"] or None,
                    all_or_nothing=form.cleaned_data["all_or_nothing"],
                    mapping=form.cleaned_data["mapping"],
                )
            except readers.ReadError as exc:
                form.add_error("file", str(exc))
            else:
                return redirect(job)
        return self.render_to_response(self.get_context_data(form=form))


SHOWN_PROBLEMS = 2000


class JobDetailView(ScopedDetailView):
    """One import: progress while it runs, then every problem, then the result."""

    model = ImportJob
    permission_required = "people.add_person"
    template_name = "ingest/job_detail.html"
    context_object_name = "job"

    def get_template_names(self) -> list[str]:
        if self.partial():
            return ["ingest/_job_status.html"]
        return [self.template_name]

    def partial(self) -> bool:
        return bool(self.request.GET.get("partial"))

    def get_queryset(self) -> Any:
        jobs.interrupt_stale()
        qs = super().get_queryset()
        # The progress poll, every second while the import runs, needs none of the check's
        # problems (up to one for each cell of the file).
        return qs.defer("problems") if self.partial() else qs

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        job = self.object  # progress is on the row itself, written by whichever worker runs it
        ctx["running"] = job.status in (JobStatus.UPLOADED, JobStatus.RUNNING)
        ctx["writes_rows"] = ingest_selectors.rows_to_write(job.summary or {}) > 0
        ctx["can_confirm"] = jobs.can_confirm(actor=self.request.user, job=job)
        ctx["all_or_nothing_refused"] = bool(
            job.options.get("all_or_nothing") and (job.summary or {}).get("rejected")
        )
        ctx["can_restart"] = jobs.can_restart(actor=self.request.user, job=job)
        ctx["can_check_sheet"] = jobs.can_check_sheet(actor=self.request.user, job=job)
        ctx["file_kept"] = jobs.file_kept(job)
        if self.partial():
            return ctx
        ctx["problem_groups"] = ingest_selectors.problem_groups(job.problems)
        # ?column=…&severity=…: one group of the summary, when the list is long.
        wanted = {k: self.request.GET[k] for k in ("column", "severity") if k in self.request.GET}
        shown = [p for p in job.problems if all(p.get(k) == v for k, v in wanted.items())]
        ctx["problem_filter"] = wanted
        ctx["problems"] = shown[:SHOWN_PROBLEMS]
        ctx["more_problems"] = max(len(shown) - SHOWN_PROBLEMS, 0)
        ctx["can_take_report"] = jobs.may_take_report(actor=self.request.user, job=job)
        return ctx

    def render_to_response(self, context: dict[str, Any], **kwargs: Any) -> HttpResponse:
        response = super().render_to_response(context, **kwargs)
        if self.request.headers.get("HX-Request") and not context["running"]:
            # The poll saw the stage end: reload the whole page for the problems and result.
            response["HX-Refresh"] = "true"
        return response


class _JobStageView(ScopedActionView):
    """The uploader starts a stage of the job (``start``, a jobs service); back to its page."""

    model = ImportJob
    permission_required = "people.add_person"
    http_method_names = ["post"]
    start: Callable[..., ImportJob]
    not_the_uploader: Any  # a lazily translated message

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        job = self.get_object()
        try:
            type(self).start(actor=request.user, job=job)
        except PermissionDenied:
            messages.error(request, self.not_the_uploader)
        except ValidationError as exc:
            for msg in exc.messages:
                messages.error(request, msg)
        return redirect(job)


class JobConfirmView(_JobStageView):
    start = jobs.job_confirm
    not_the_uploader = _l("Only the person who uploaded the file can confirm it.")


class BlankRosterView(ScopedMixin, View):
    """导入模板 — the blank roster to fill in, with the regions of the user's own area."""

    model = ImportJob
    permission_required = "people.add_person"
    http_method_names = ["get"]

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        out = io.BytesIO()
        blank.write(request.user, out)
        response = HttpResponse(out.getvalue(), content_type=XLSX)
        response["Content-Disposition"] = blank.disposition()
        return response


class JobRestartView(_JobStageView):
    start = jobs.job_restart
    not_the_uploader = _l("Only the person who uploaded the file can start it again.")


class JobSheetView(ScopedActionView):
    """检查其他工作表 — the uploader checks another sheet of the same file; to its new job."""

    model = ImportJob
    permission_required = "people.add_person"
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        job = self.get_object()
        try:
            new = jobs.job_check_sheet(
                actor=request.user, job=job, sheet=request.POST.get("sheet", "")
            )
        except PermissionDenied:
            messages.error(request, _("Only the person who uploaded the file can check it."))
        except ValidationError as exc:
            for msg in exc.messages:
                messages.error(request, msg)
        else:
            return redirect(new)
        return redirect(job)


class JobReportView(ScopedActionView):
    """The original rows plus a problem column, as .xlsx."""

    model = ImportJob
    permission_required = "people.add_person"
    http_method_names = ["get"]

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        job = self.get_object()
        if not jobs.may_take_report(actor=request.user, job=job):
            raise PermissionDenied
        tmp = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it
        try:
            jobs.problem_report(actor=request.user, job=job, out=tmp)
        except (readers.ReadError, OSError, ValueError):
            tmp.close()
            messages.error(request, _("The uploaded file is no longer available."))
            return redirect(job)
        tmp.seek(0)
        return FileResponse(
            tmp, as_attachment=True, content_type=XLSX, filename=f"problems-{job.pk}.xlsx"
        )


class MergeListView(ExportMixin, ScopedListView):
    """待合并 — rows that look like someone already registered where no ID number tells them
    apart, newest first."""

    model = MergeCandidate
    permission_required = "people.change_person"
    filterset_class = MergeCandidateFilter
    ordering = ["id"]
    descending = True
    template_name = "ingest/merge_list.html"
    export_name = "duplicates"
    export_headers = (
        _l("Name"),
        _l("Registered person"),
        _l("Birth date"),
        _l("Region"),
        _l("File"),
        _l("Row"),
        _l("Status"),
    )

    def get_queryset(self) -> Any:
        return super().get_queryset().select_related("person", "job", "region")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        # Each row names its file; a link where the user may open the import's page.
        job_ids = {c.job_id for c in ctx["page"].rows if c.job_id}
        ctx["jobs_shown"] = (
            set(
                ImportJob.objects.visible_to(self.request.user)
                .filter(pk__in=job_ids)
                .values_list("pk", flat=True)
            )
            if job_ids and self.request.user.has_perm("people.add_person")
            else set()
        )
        return ctx

    def export_row(self, c: MergeCandidate) -> list[Any]:
        return [
            c.name,
            c.person.name,
            c.person.birth_date,
            c.region.name,
            c.job.filename if c.job else "",
            c.row_number,
            str(c.get_status_display()),
        ]


class MergeDetailView(ScopedDetailView):
    """One held row beside the registered person it looks like, and the three decisions."""

    model = MergeCandidate
    permission_required = "people.change_person"
    template_name = "ingest/merge_detail.html"
    context_object_name = "candidate"

    def get_queryset(self) -> Any:
        return super().get_queryset().select_related("person__region", "job", "resolved_by")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        ctx["compared"] = ingest_selectors.candidate_comparison(self.object, self.request.user)
        return ctx


# What the clerk is told after a decision: whose row, and what became of it.
DECIDED = {
    MergeStatus.MERGED: _l("%(name)s: the same person; the record was updated from the row."),
    MergeStatus.DISMISSED: _l("%(name)s: the same person; the row was dropped."),
    MergeStatus.SEPARATE: _l("%(name)s: registered as a new person."),
}


class MergeDecideView(ScopedActionView):
    model = MergeCandidate
    permission_required = "people.change_person"
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        candidate = self.get_object()
        form = MergeDecisionForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Choose what to do with this row."))
        else:
            try:
                decided = services.merge_decide(
                    actor=request.user, candidate=candidate, decision=form.cleaned_data["decision"]
                )
            except ValidationError as exc:
                for msg in exc.messages:
                    messages.error(request, msg)
            else:
                decision = form.cleaned_data["decision"]
                messages.success(request, DECIDED[decision] % {"name": candidate.name})
                for warning in decided.warnings:  # type: ignore[attr-defined]
                    messages.warning(request, warning)
        return redirect(reverse("ingest:duplicates"))


class RosterExportView(ScopedListView):
    """The registry or the filtered list as .xlsx or .csv (UTF-8 with BOM, or GBK)."""

    model = Person
    permission_required = "people.export_person"
    filterset_class = selectors.PersonFilter
    ordering = selectors.LIST_ORDERING

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:  # type: ignore[override]
        params = request.GET.copy()
        fmt = params.pop("format", ["xlsx"])[-1]
        encoding = params.pop("encoding", ["utf-8"])[-1]
        unmasked = params.pop("unmasked", [""])[-1] == "1"
        if fmt not in exports.FORMATS or encoding not in exports.ENCODINGS:
            fmt, encoding = "xlsx", "utf-8"
        if unmasked and not request.user.has_perm("people.view_sensitive"):
            raise PermissionDenied
        _f, qs = selectors.people_filtered(request=request, params=params)
        return exports.roster_response(
            user=request.user,
            queryset=qs,
            fmt=fmt,
            encoding=encoding,
            unmasked=unmasked,
            note=params.urlencode(),
        )
