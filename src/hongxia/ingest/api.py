"""The import and export API, mounted under /api/import/ by hongxia.api.urls.

The same steps as the web import — upload a file (a job is created and checked in the
background), read the job for its preview and problems, confirm it, follow its progress,
download the problem report — the merge queue (待合并: each held row beside the registered
person, and a clerk's decision), and the roster export with the registry's filters. Thin
handlers over ``ingest.jobs`` / ``ingest.services`` / ``ingest.exports``; jobs only through
``visible_to(user)`` (ScopedAPIView), people only through ``people.selectors``.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Callable, Iterable
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import FileResponse, HttpResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, PermissionDenied, ValidationError
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from hongxia.api import schema
from hongxia.api.paging import page_response, page_size
from hongxia.api.views import ScopedAPIView
from hongxia.core.pagination import paginate
from hongxia.ingest import blank, exports, forms, jobs, readers, services
from hongxia.ingest import selectors as ingest_selectors
from hongxia.ingest.choices import MergeStatus
from hongxia.ingest.models import ImportJob, MergeCandidate
from hongxia.people import selectors

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class Gone(APIException):
    status_code = status.HTTP_410_GONE
    default_detail = gettext_lazy("The uploaded file is no longer available.")
    default_code = "gone"


class ProblemSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text="The row number as Excel shows it; 0: the file.")
    column = serializers.CharField(help_text="The column's header text, as in the file.")
    message = serializers.CharField()
    severity = serializers.ChoiceField(choices=["error", "warning", "info"])
    value = serializers.CharField(
        help_text="The cell as read, when the problem is one cell; empty unless the caller may "
        "take the problem report (it may be an ID number or a phone)."
    )


class JobSerializer(serializers.Serializer):
    """An import job: where it has got to, and once checked its preview and problems."""

    id = serializers.IntegerField()
    url = serializers.CharField()
    filename = serializers.CharField()
    region = serializers.CharField(source="region_id")
    status = serializers.ChoiceField(
        choices=["uploaded", "previewed", "running", "done", "failed", "interrupted"],
        help_text="uploaded → running (the check) → previewed → running (the import) → done; "
        "or failed, with `message`; or interrupted: the stage stopped with its server process "
        "(no progress for 10 minutes), and the uploader may restart it.",
    )
    stage = serializers.CharField(help_text="check or import: what the job is (or was) doing.")
    processed = serializers.IntegerField(help_text="Rows of the file read so far.")
    total = serializers.IntegerField(help_text="Rows in the file.")
    percent = serializers.IntegerField()
    all_or_nothing = serializers.BooleanField()
    can_confirm = serializers.BooleanField(help_text="The caller may confirm the import now.")
    can_restart = serializers.BooleanField(
        help_text="The stage was interrupted and the caller may start it again."
    )
    summary = serializers.DictField(
        help_text="Counts of the check (would be …) or of the import: rows, created, updated, "
        "unchanged, rejected, queued (possible duplicates), blank_rows, total_rows, repaired, "
        "errors, problems; "
        "and sheet, encoding, header_row, columns, unknown_columns."
    )
    problems = ProblemSerializer(
        many=True,
        allow_null=True,
        help_text="Every problem, on the job itself; null in the list (a file can have one "
        "for every cell).",
    )
    message = serializers.CharField(help_text="Why the job failed.")
    report = serializers.CharField(allow_null=True, help_text="The problem report (.xlsx).")
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)


class JobPageSerializer(serializers.Serializer):
    results = JobSerializer(many=True)
    next = serializers.CharField(allow_null=True)
    previous = serializers.CharField(allow_null=True)
    count = serializers.IntegerField()
    count_capped = serializers.BooleanField()


class UploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text=".xlsx, .xls, .ods or .csv (any Chinese encoding).")
    region = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="Region code for rows without one (default: the caller's county).",
    )
    sheet = serializers.CharField(required=False, allow_blank=True)
    all_or_nothing = serializers.BooleanField(
        required=False, default=False, help_text="Import nothing if any row is refused."
    )
    mapping = serializers.FileField(
        required=False,
        help_text='For an unusual sheet: a JSON file {"header text": "field"}, as '
        "`hongxia import roster --mapping` takes.",
    )

    def validate_mapping(self, upload: Any) -> dict[str, str]:
        try:
            return forms.mapping_from_upload(upload)
        except DjangoValidationError as exc:
            raise ValidationError(exc.messages) from exc


def job_json(job: ImportJob, request: Request, *, listed: bool = False) -> dict[str, Any]:
    """``listed``: for the list, without the problems (the job was read without them; the
    summary of a checked job counts them, but for a job checked before it did)."""
    url = request.build_absolute_uri(reverse("api:import-job-detail", args=[job.pk]))
    if listed:
        summary = job.summary or {}
        has_problems = bool(summary.get("problems", bool(summary)))
    else:
        has_problems = bool(job.problems)
    return {
        "id": job.pk,
        "url": url,
        "filename": job.filename,
        "region": job.region_id,
        "status": job.status,
        "stage": job.options.get("stage", ""),
        "processed": job.processed,
        "total": job.total,
        "percent": job.percent,
        "all_or_nothing": bool(job.options.get("all_or_nothing")),
        "can_confirm": jobs.can_confirm(actor=request.user, job=job),
        "can_restart": jobs.can_restart(actor=request.user, job=job),
        "summary": job.summary,
        "problems": None if listed else _problems_for(job, request.user),
        "message": job.message,
        "report": request.build_absolute_uri(reverse("api:import-job-report", args=[job.pk]))
        if has_problems and jobs.may_take_report(actor=request.user, job=job)
        else None,
        "created_at": job.created_at.isoformat() if job.created_at else None,
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
    }


def _problems_for(job: ImportJob, user: Any) -> list[dict[str, Any]]:
    """The job's problems; each with the cell as read only for a caller who may take the
    problem report (the uploader, or one who may see ID numbers and phones): a cell may be
    an ID number or a phone."""
    if jobs.may_take_report(actor=user, job=job):
        return list(job.problems)
    return [{**p, "value": ""} for p in job.problems]


JOB_ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description="The import job's id.")
_ADD = "people.add_person"


class _JobView(ScopedAPIView):
    model = ImportJob
    required_permissions: dict[str, str | None] = {"GET": _ADD, "POST": _ADD}


class JobListView(_JobView):
    """Import jobs within the caller's region; upload a roster file to start one."""

    lists_rows = True
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(
        operation_id="import_jobs_list",
        summary="Import jobs",
        description="Newest first, a page at a time; each job without its problems (read the "
        "job itself for them).",
        parameters=schema.PAGE_PARAMETERS,
        responses={200: JobPageSerializer, **schema.READ_ERRORS},
    )
    def get(self, request: Request) -> Response:
        jobs.interrupt_stale()
        size = page_size(request, most=200)
        page = paginate(
            self.scoped_queryset().defer("problems"),
            ordering=["id"],
            descending=True,
            cursor=request.query_params.get("cursor") or None,
            page_size=size,
        )
        return page_response(
            request, page, [job_json(j, request, listed=True) for j in page.rows]
        )

    @extend_schema(
        operation_id="import_jobs_create",
        summary="Upload a roster file",
        description="Keeps the file and checks it in the background (nothing is written to the "
        "registry). Poll the job until its status is `previewed`, read the problems, then "
        "confirm it.",
        request={"multipart/form-data": UploadSerializer},
        responses={202: JobSerializer, **schema.WRITE_ERRORS},
    )
    def post(self, request: Request) -> Response:
        form = UploadSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        region = (data.get("region") or "").strip() or None
        if region and not selectors.region_choices(user=request.user).filter(code=region).exists():
            raise ValidationError({"region": [_("Choose a region within your own area.")]})
        try:
            job = jobs.job_create(
                actor=request.user,
                upload=data["file"],
                region=region,
                sheet=(data.get("sheet") or "").strip() or None,
                all_or_nothing=data["all_or_nothing"],
                mapping=data.get("mapping") or None,
            )
        except readers.ReadError as exc:
            raise ValidationError({"file": [str(exc)]}) from exc
        job.refresh_from_db()
        body = job_json(job, request)
        return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["url"]})


class JobDetailView(_JobView):
    """One import job: its progress while it runs, then its preview or result and problems."""

    @extend_schema(
        operation_id="import_jobs_retrieve",
        summary="One import job",
        description="Progress is read from the job row, so any server answers the same.",
        parameters=[JOB_ID],
        responses={200: JobSerializer, 404: schema.NOT_FOUND, **schema.READ_ERRORS},
    )
    def get(self, request: Request, pk: int) -> Response:
        jobs.interrupt_stale()
        return Response(job_json(self.get_object(pk), request))


# A stage started (confirm, restart): the job, or why not.
_STARTED = {
    202: JobSerializer,
    400: schema.BAD_REQUEST,
    404: schema.NOT_FOUND,
    **schema.READ_ERRORS,
}


def _start(request: Request, start: Callable[..., ImportJob], job: ImportJob) -> Response:
    """A stage of the job started by a jobs service (confirm, restart): 202 and the job."""
    try:
        job = start(actor=request.user, job=job)
    except DjangoValidationError as exc:
        raise ValidationError({"non_field_errors": exc.messages}) from exc
    job.refresh_from_db()
    return Response(job_json(job, request), status=status.HTTP_202_ACCEPTED)


class JobConfirmView(_JobView):
    """Import the checked file for real."""

    required_permissions = {"POST": _ADD}

    @extend_schema(
        operation_id="import_jobs_confirm",
        summary="Confirm a checked import",
        description="Only the uploader may confirm, once the job is `previewed`; an "
        "all-or-nothing job whose check refused rows cannot be confirmed. The import runs "
        "in the background: poll the job.",
        parameters=[JOB_ID],
        request=None,
        responses=_STARTED,
    )
    def post(self, request: Request, pk: int) -> Response:
        return _start(request, jobs.job_confirm, self.get_object(pk))


class JobRestartView(_JobView):
    """Start an interrupted stage again."""

    required_permissions = {"POST": _ADD}

    @extend_schema(
        operation_id="import_jobs_restart",
        summary="Restart an interrupted job",
        description="Only the uploader, once the job is `interrupted`. The check runs anew; "
        "the import recognises the rows it had committed and does not import them twice. "
        "Poll the job.",
        parameters=[JOB_ID],
        request=None,
        responses=_STARTED,
    )
    def post(self, request: Request, pk: int) -> Response:
        return _start(request, jobs.job_restart, self.get_object(pk))


class JobReportView(_JobView):
    """The original rows plus a problem column, as .xlsx, to fix and upload again."""

    required_permissions = {"GET": _ADD}

    @extend_schema(
        operation_id="import_jobs_report",
        summary="The problem report (.xlsx)",
        parameters=[JOB_ID],
        responses={
            (200, XLSX): OpenApiResponse(OpenApiTypes.BINARY),
            404: schema.NOT_FOUND,
            410: OpenApiResponse(
                schema.ErrorSerializer, description="The uploaded file is no longer kept."
            ),
            **schema.READ_ERRORS,
        },
    )
    def get(self, request: Request, pk: int) -> FileResponse:
        job = self.get_object(pk)
        if not jobs.may_take_report(actor=request.user, job=job):
            raise PermissionDenied(
                _(
                    "The problem report holds the file's ID numbers and phones unmasked: only "
                    "the clerk who uploaded it, or someone who may see them, may take it."
                )
            )
        tmp = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it
        try:
            jobs.problem_report(actor=request.user, job=job, out=tmp)
        except (readers.ReadError, OSError, ValueError) as exc:
            tmp.close()
            raise Gone from exc
        tmp.seek(0)
        return FileResponse(
            tmp, as_attachment=True, content_type=XLSX, filename=f"problems-{job.pk}.xlsx"
        )


class ExportQuerySerializer(serializers.Serializer):
    format = serializers.ChoiceField(choices=list(exports.FORMATS), default="xlsx")
    encoding = serializers.ChoiceField(choices=list(exports.ENCODINGS), default="utf-8")
    unmasked = serializers.BooleanField(default=False)


_EXPORT_PARAMS = [
    OpenApiParameter(
        "format", str, OpenApiParameter.QUERY, required=False, enum=list(exports.FORMATS)
    ),
    OpenApiParameter(
        "encoding",
        str,
        OpenApiParameter.QUERY,
        required=False,
        enum=list(exports.ENCODINGS),
        description="For CSV: utf-8 (with a BOM, for Excel) or gbk.",
    ),
    OpenApiParameter(
        "unmasked",
        OpenApiTypes.BOOL,
        OpenApiParameter.QUERY,
        required=False,
        description="Full ID numbers and phones: needs permission to see sensitive data; audited.",
    ),
]


class _FormatNamesTheFile(DefaultContentNegotiation):
    """Here `?format=` names the file to export (xlsx or csv), not DRF's renderer override;
    errors are JSON as everywhere in the API."""

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        renderer = next(iter(renderers))
        return renderer, renderer.media_type


class RosterExportView(ScopedAPIView):
    """The registry, or the people matching the filters of /api/people, as a roster file."""

    required_permissions = {"GET": "people.export_person"}
    content_negotiation_class = _FormatNamesTheFile
    lists_rows = True

    @extend_schema(
        operation_id="import_roster_export",
        summary="Export the roster (.xlsx or .csv)",
        description="The same filters as /api/people; ID numbers and phones masked unless "
        "`unmasked` is asked for by a caller allowed to see them. Every export is audited. "
        "The file imports back unchanged.",
        parameters=[*schema.filter_parameters(selectors.PersonFilter), *_EXPORT_PARAMS],
        responses={
            (200, XLSX): OpenApiResponse(OpenApiTypes.BINARY),
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY),
            400: schema.BAD_REQUEST,
            **schema.READ_ERRORS,
        },
    )
    def get(self, request: Request) -> FileResponse:
        params = request.query_params.copy()
        query = ExportQuerySerializer(
            data={k: params.pop(k)[-1] for k in ("format", "encoding", "unmasked") if k in params}
        )
        query.is_valid(raise_exception=True)
        fmt = query.validated_data["format"]
        encoding = query.validated_data["encoding"]
        unmasked = query.validated_data["unmasked"]
        if unmasked and not request.user.has_perm("people.view_sensitive"):
            raise PermissionDenied(_("You may not see ID numbers and phones unmasked."))
        filters, qs = selectors.people_filtered(request=request, params=params)
        if not filters.is_valid():
            raise ValidationError(
                {
                    name: [e["message"] for e in problems]
                    for name, problems in filters.errors.get_json_data().items()
                }
            )
        return exports.roster_response(
            user=request.user,
            queryset=qs,
            fmt=fmt,
            encoding=encoding,
            unmasked=unmasked,
            note=f"API {params.urlencode()}",
        )


# --- the merge queue (待合并) ------------------------------------------------------------------


class ComparedSerializer(serializers.Serializer):
    field = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # (the metaclass takes it)
    row = serializers.CharField(help_text="As the row gives it; empty: the row leaves it alone.")
    record = serializers.CharField(help_text="As registered. ID numbers and phones are masked.")
    differs = serializers.BooleanField()


class CandidateSerializer(serializers.Serializer):
    """A row held for a clerk: it looks like a registered person (same name, birth date and
    region) and no ID number tells them apart."""

    id = serializers.IntegerField()
    url = serializers.CharField()
    name = serializers.CharField()
    person = serializers.DictField(help_text="The registered person it looks like: id, name, url.")
    region = serializers.CharField()
    job = serializers.IntegerField(allow_null=True, help_text="The import job that held it.")
    row = serializers.IntegerField(help_text="Its row number in the file.")
    status = serializers.ChoiceField(choices=MergeStatus.choices)
    compared = ComparedSerializer(
        many=True, allow_null=True, help_text="On the row itself; null in the list."
    )
    warnings = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="After a decision: what the clerk should know (a cadre not linked).",
    )
    decided_by = serializers.CharField(allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


class CandidatePageSerializer(serializers.Serializer):
    results = CandidateSerializer(many=True)
    next = serializers.CharField(allow_null=True)
    previous = serializers.CharField(allow_null=True)
    count = serializers.IntegerField()
    count_capped = serializers.BooleanField()


class DecisionSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(
        choices=[MergeStatus.MERGED, MergeStatus.SEPARATE, MergeStatus.DISMISSED],
        help_text="merged: the same person, the record takes the row's ID number and filled "
        "cells (the registry's checks apply); separate: register the row as a new person; "
        "dismissed: the same person, the row is dropped.",
    )


def candidate_json(
    candidate: MergeCandidate, request: Request, *, listed: bool = False
) -> dict[str, Any]:
    """``listed``: for the list, without the comparison (a few queries and decryptions a
    row)."""
    def url(name: str, pk: int) -> str:
        return request.build_absolute_uri(reverse(name, args=[pk]))

    return {
        "id": candidate.pk,
        "url": url("api:import-duplicate-detail", candidate.pk),
        "name": candidate.name,
        "person": {
            "id": candidate.person_id,
            "name": candidate.person.name,
            "url": url("api:person-detail", candidate.person_id),
        },
        "region": candidate.region_id,
        "job": candidate.job_id,
        "row": candidate.row_number,
        "status": candidate.status,
        "compared": None
        if listed
        else [
            c.as_dict() for c in ingest_selectors.candidate_comparison(candidate, request.user)
        ],
        "decided_by": candidate.resolved_by.username if candidate.resolved_by else None,
        "decided_at": candidate.resolved_at.isoformat() if candidate.resolved_at else None,
        "created_at": candidate.created_at.isoformat() if candidate.created_at else None,
    }


CANDIDATE_ID = OpenApiParameter(
    "id", int, OpenApiParameter.PATH, description="The held row's id."
)
_CHANGE = "people.change_person"


class _CandidateView(ScopedAPIView):
    model = MergeCandidate
    required_permissions: dict[str, str | None] = {"GET": _CHANGE, "POST": _CHANGE}

    def scoped_queryset(self) -> Any:
        return super().scoped_queryset().select_related("person__region", "resolved_by")


class CandidateListView(_CandidateView):
    """待合并: rows held because they look like someone registered, newest first."""

    lists_rows = True

    @extend_schema(
        operation_id="import_duplicates_list",
        summary="Possible duplicates",
        description="Each held row beside the registered person it looks like. Filter by "
        "`status` (pending: waiting for a decision) and search with `q` as the registry's "
        "search does.",
        parameters=[*schema.filter_parameters(forms.MergeCandidateFilter), *schema.PAGE_PARAMETERS],
        responses={200: CandidatePageSerializer, 400: schema.BAD_REQUEST, **schema.READ_ERRORS},
    )
    def get(self, request: Request) -> Response:
        filters = forms.MergeCandidateFilter(
            request.query_params, queryset=self.scoped_queryset(), request=request
        )
        if not filters.is_valid():
            raise ValidationError(
                {
                    name: [e["message"] for e in problems]
                    for name, problems in filters.errors.get_json_data().items()
                }
            )
        page = paginate(
            filters.qs,
            ordering=["id"],
            descending=True,
            cursor=request.query_params.get("cursor") or None,
            page_size=page_size(request, most=200),
        )
        return page_response(
            request, page, [candidate_json(c, request, listed=True) for c in page.rows]
        )


class CandidateDetailView(_CandidateView):
    """One held row beside the registered person."""

    @extend_schema(
        operation_id="import_duplicates_retrieve",
        summary="One possible duplicate",
        parameters=[CANDIDATE_ID],
        responses={200: CandidateSerializer, 404: schema.NOT_FOUND, **schema.READ_ERRORS},
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(candidate_json(self.get_object(pk), request))


class CandidateDecideView(_CandidateView):
    """A clerk's decision on a held row. Nothing is merged without one."""

    required_permissions = {"POST": _CHANGE}

    @extend_schema(
        operation_id="import_duplicates_decide",
        summary="Decide a possible duplicate",
        description="Once only: a decided row answers 400. The registry's checks apply to "
        "merged and separate (an ID registered since is refused, and the row stays waiting).",
        parameters=[CANDIDATE_ID],
        request=DecisionSerializer,
        responses={
            200: CandidateSerializer,
            400: schema.BAD_REQUEST,
            404: schema.NOT_FOUND,
            **schema.READ_ERRORS,
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        candidate = self.get_object(pk)
        form = DecisionSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            decided = services.merge_decide(
                actor=request.user, candidate=candidate, decision=form.validated_data["decision"]
            )
        except DjangoValidationError as exc:
            raise ValidationError(
                exc.message_dict if hasattr(exc, "error_dict") else {"decision": exc.messages}
            ) from exc
        body = candidate_json(self.get_object(pk), request)
        body["warnings"] = [str(w) for w in decided.warnings]  # type: ignore[attr-defined]
        return Response(body)


class BlankRosterView(ScopedAPIView):
    """The blank roster to fill in (导入模板), with the regions of the caller's own area."""

    model = ImportJob
    required_permissions = {"GET": _ADD}
    content_negotiation_class = _FormatNamesTheFile

    @extend_schema(
        operation_id="import_roster_template",
        summary="The roster template (.xlsx)",
        description="A blank roster with exactly the columns the import reads; the ID, phone "
        "and date columns are text, and the columns with fixed values offer them in a list.",
        responses={(200, XLSX): OpenApiResponse(OpenApiTypes.BINARY), **schema.READ_ERRORS},
    )
    def get(self, request: Request) -> HttpResponse:
        out = io.BytesIO()
        blank.write(request.user, out)
        response = HttpResponse(out.getvalue(), content_type=XLSX)
        response["Content-Disposition"] = blank.disposition()
        return response


def _route(route: str, view: type[ScopedAPIView], name: str) -> list[Any]:
    # As in hongxia.api.urls: both spellings, only the bare one in the OpenAPI document.
    return [
        path(route + "/", view.as_view(schema=None), name=name),
        path(route, view.as_view(), name=name),
    ]


urlpatterns: list[Any] = [
    *_route("jobs", JobListView, "import-job-list"),
    *_route("jobs/<int:pk>", JobDetailView, "import-job-detail"),
    *_route("jobs/<int:pk>/confirm", JobConfirmView, "import-job-confirm"),
    *_route("jobs/<int:pk>/restart", JobRestartView, "import-job-restart"),
    *_route("jobs/<int:pk>/report", JobReportView, "import-job-report"),
    *_route("export", RosterExportView, "import-roster-export"),
    *_route("template", BlankRosterView, "import-roster-template"),
    *_route("duplicates", CandidateListView, "import-duplicate-list"),
    *_route("duplicates/<int:pk>", CandidateDetailView, "import-duplicate-detail"),
    *_route("duplicates/<int:pk>/decide", CandidateDecideView, "import-duplicate-decide"),
]
