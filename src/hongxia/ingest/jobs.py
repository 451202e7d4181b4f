"""Web imports in the background: upload → check (a dry run) → confirm → import → result.

Each stage runs in a thread that writes its progress to the ImportJob row, in the database,
so whichever gunicorn worker answers the page's htmx poll reads the same figure (a per-process
cache would show it only to the worker running the thread). The thread holds its own database
connection and closes it when done.
A stage interrupted by a restart leaves whole batches committed (or, for a check or an
all-or-nothing import, nothing). Its thread writes no more progress, so after STALE_AFTER
without any the job is shown as interrupted, and the uploader starts the stage again: the
idempotent upsert finishes the work without importing a row twice.
"""

from __future__ import annotations

import datetime
import shutil
import threading
import uuid
from pathlib import Path
from typing import Any, BinaryIO

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import DEFAULT_DB_ALIAS, close_old_connections, connection, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from hongxia.core import audit
from hongxia.core.models import AuditLog, Region
from hongxia.ingest import exports, readers, selectors, services
from hongxia.ingest.choices import JobStatus
from hongxia.ingest.models import ImportJob

STAGE_CHECK = "check"
STAGE_IMPORT = "import"
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
# A running stage writes its progress after every batch (a second or two). Reading a large
# file before the first batch takes longer, and an all-or-nothing import on SQLite shows its
# progress only when it commits: hence the margin (the environment's
# HONGXIA_INGEST_STALE_SECONDS may set another).
STALE_AFTER = datetime.timedelta(minutes=10)


def upload_dir() -> Path:
    path = Path(settings.DATA_DIR) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _job_region(actor: Any, region: str | None) -> str:
    if region:
        return region
    if getattr(actor, "region_id", None):
        return str(actor.region_id)
    root = Region.objects.filter(parent__isnull=True).order_by("code").first()
    if root is None:
        raise PermissionDenied
    return root.code


def job_create(
    *,
    actor: Any,
    upload: UploadedFile,
    region: str | None = None,
    sheet: str | None = None,
    all_or_nothing: bool = False,
    mapping: dict[str, str] | None = None,
) -> ImportJob:
    """Keep the uploaded file and start checking it; ``mapping`` as services.parse_mapping
    gives it."""
    if not actor.has_perm("people.add_person"):
        raise PermissionDenied
    name = Path(upload.name or "roster").name
    suffix = Path(name).suffix.lower()
    if suffix not in readers.SUFFIXES:
        raise readers.ReadError(_("Only .xlsx, .xls, .ods and .csv files can be imported."))
    if (upload.size or 0) > MAX_UPLOAD_BYTES:
        raise readers.ReadError(_("The file is larger than 50 MB."))
    if region and not services._scope_ok(actor, region):
        raise PermissionDenied
    target = _stored_path(_disk_name(name))
    with target.open("wb") as fh:
        for chunk in upload.chunks():
            fh.write(chunk)
    job = ImportJob.objects.create(
        region_id=_job_region(actor, region),
        user=actor,
        filename=name[:200],
        path=str(target),
        sheet=sheet or "",
        options={
            "region": region or "",
            "all_or_nothing": all_or_nothing,
            "mapping": mapping or {},
            "stage": STAGE_CHECK,
            # The job's problems are written in the uploader's language, not the server's.
            "language": translation.get_language() or settings.LANGUAGE_CODE,
        },
    )
    launch(job, STAGE_CHECK)
    return job


def _stored_path(disk_name: str) -> Path:
    """Where a job keeps its file: under the clerk's own file name, in a directory of its own.
    The import names the file it reads in its audit notes and summary, and the clerk knows it
    by that name, not a uuid."""
    target = upload_dir() / uuid.uuid4().hex / disk_name
    target.parent.mkdir()
    return target


def _disk_name(name: str) -> str:
    """``name`` short enough for any file system (255 bytes a name; 3 bytes a Chinese
    character), its suffix kept."""
    suffix = Path(name).suffix
    stem = name[: len(name) - len(suffix)]
    while len((stem + suffix).encode()) > 240:
        stem = stem[:-1]
    return stem + suffix


def may_take_report(*, actor: Any, job: ImportJob) -> bool:
    """The problem report is the uploaded file's own rows, ID numbers and phones unmasked: the
    clerk who uploaded the file may take it back; anyone else in scope needs the permission to
    see those fields unmasked."""
    return actor.has_perm("people.add_person") and (
        job.user_id == actor.pk or actor.has_perm("people.view_sensitive")
    )


def problem_report(*, actor: Any, job: ImportJob, out: BinaryIO) -> None:
    """Write the job's problem report (the original rows plus a problem column) to `out`,
    audited as an unmasked export. Raises ReadError or OSError when the file is gone."""
    if not may_take_report(actor=actor, job=job):
        raise PermissionDenied
    exports.problem_report(
        job.path,
        job.sheet or None,
        job.problems,
        out,
        header_row=int(job.summary.get("header_row") or 0),
    )
    audit.record_event(
        AuditLog.Action.EXPORT,
        actor=actor,
        region_id=job.region_id,
        note=f"import problem report, unmasked: job {job.pk} {job.filename}",
    )


def stale_after() -> datetime.timedelta:
    seconds = getattr(settings, "HONGXIA_INGEST_STALE_SECONDS", None)
    return datetime.timedelta(seconds=seconds) if seconds else STALE_AFTER


def interrupt_stale(now: datetime.datetime | None = None) -> int:
    """Mark as interrupted the running stages that have given no sign of life for STALE_AFTER:
    their thread died with its server process. Returns how many. Called by the pages and the
    API before they show jobs; a read when nothing is stale."""
    now = now or timezone.now()
    cutoff = now - stale_after()
    stale = ImportJob.objects.filter(
        Q(heartbeat__lt=cutoff) | Q(heartbeat__isnull=True, created_at__lt=cutoff),
        status__in=[JobStatus.UPLOADED, JobStatus.RUNNING],
    )
    if not stale.exists():
        return 0
    return stale.update(status=JobStatus.INTERRUPTED)


def can_restart(*, actor: Any, job: ImportJob) -> bool:
    """The uploader may start an interrupted stage again while the uploaded file is kept."""
    return (
        job.status == JobStatus.INTERRUPTED
        and job.user_id == actor.pk
        and actor.has_perm("people.add_person")
        and file_kept(job)
    )


def file_kept(job: ImportJob) -> bool:
    return bool(job.path) and Path(job.path).exists()


def job_restart(*, actor: Any, job: ImportJob) -> ImportJob:
    """Start an interrupted stage again: the check anew, or the import, whose rows already
    committed are recognised and left as they are."""
    if not actor.has_perm("people.add_person") or job.user_id != actor.pk:
        raise PermissionDenied
    with transaction.atomic():
        locked = ImportJob.objects.select_for_update().get(pk=job.pk)
        if locked.status != JobStatus.INTERRUPTED:
            raise ValidationError(_("This import was not interrupted."))
        if not file_kept(locked):
            raise ValidationError(
                _("The uploaded file is no longer available: upload it again.")
            )
        locked.status = JobStatus.RUNNING
        locked.processed = 0
        locked.heartbeat = timezone.now()
        locked.save(update_fields=["status", "processed", "heartbeat"])
    launch(locked, locked.options.get("stage") or STAGE_CHECK)
    return locked


def can_check_sheet(*, actor: Any, job: ImportJob) -> bool:
    """The uploader may check another sheet of the file (one the check named as holding a
    roster) while the file is kept, once this job's stage has ended."""
    return (
        bool((job.summary or {}).get("other_sheets"))
        and job.status not in (JobStatus.UPLOADED, JobStatus.RUNNING)
        and job.user_id == actor.pk
        and actor.has_perm("people.add_person")
        and file_kept(job)
    )


def job_check_sheet(*, actor: Any, job: ImportJob, sheet: str) -> ImportJob:
    """A new job that checks ``sheet`` of this job's file, with the same choices (region,
    all or nothing, mapping): 离休 and 退休 on two sheets of one book, one after the other,
    without uploading the file again. This job and its result stay as they are."""
    if not actor.has_perm("people.add_person") or job.user_id != actor.pk:
        raise PermissionDenied
    with transaction.atomic():
        locked = ImportJob.objects.select_for_update().get(pk=job.pk)
        if sheet not in (locked.summary or {}).get("other_sheets", []):
            raise ValidationError(
                _("The file has no other sheet named %(sheet)s.") % {"sheet": sheet}
            )
        if locked.status in (JobStatus.UPLOADED, JobStatus.RUNNING):
            raise ValidationError(_("Wait until this check or import has finished."))
        checked = locked.options.get("sheets_checked", {})
        if sheet in checked and ImportJob.objects.filter(pk=checked[sheet]).exists():
            # Asked again (a second click): the job that checks it already.
            return ImportJob.objects.get(pk=checked[sheet])
        if not file_kept(locked):
            raise ValidationError(
                _("The uploaded file is no longer available: upload it again.")
            )
        source = Path(locked.path)
        target = _stored_path(source.name)
        shutil.copyfile(source, target)  # each job keeps its own file, as long as it needs it
        new = ImportJob.objects.create(
            region_id=locked.region_id,
            user=actor,
            filename=locked.filename,
            path=str(target),
            sheet=sheet,
            options={
                **{k: v for k, v in locked.options.items() if k != "sheets_checked"},
                "stage": STAGE_CHECK,
                "language": translation.get_language() or locked.options.get("language", ""),
            },
        )
        locked.options = {**locked.options, "sheets_checked": {**checked, sheet: new.pk}}
        locked.save(update_fields=["options"])
    launch(new, STAGE_CHECK)
    return new


def can_confirm(*, actor: Any, job: ImportJob) -> bool:
    """The uploader may confirm a checked job that would write something, unless it is
    all-or-nothing and rows were refused."""
    return (
        job.status == JobStatus.PREVIEWED
        and job.user_id == actor.pk
        and actor.has_perm("people.add_person")
        and selectors.rows_to_write(job.summary or {}) > 0
        and not (job.options.get("all_or_nothing") and job.summary.get("rejected"))
    )


def job_confirm(*, actor: Any, job: ImportJob) -> ImportJob:
    """Run the checked import for real."""
    if not actor.has_perm("people.add_person") or job.user_id != actor.pk:
        raise PermissionDenied
    with transaction.atomic():
        locked = ImportJob.objects.select_for_update().get(pk=job.pk)
        if locked.status != JobStatus.PREVIEWED:
            raise ValidationError(_("This import is not waiting for confirmation."))
        if not selectors.rows_to_write(locked.summary or {}):
            raise ValidationError(
                _(
                    "The check found no row to import; nothing was written. Correct the file "
                    "and upload it again."
                )
            )
        if locked.options.get("all_or_nothing") and locked.summary.get("rejected"):
            raise ValidationError(
                _(
                    "The check refused rows and this import is all-or-nothing: correct the file "
                    "and upload it again."
                )
            )
        locked.status = JobStatus.RUNNING
        locked.processed = 0
        locked.heartbeat = timezone.now()
        locked.options = {**locked.options, "stage": STAGE_IMPORT}
        locked.save(update_fields=["status", "processed", "heartbeat", "options"])
    launch(locked, STAGE_IMPORT)
    return locked


def record_progress(job_id: int, done: int, total: int) -> None:
    """Write how far a stage has got on the job row, where every worker reads it.

    A check and an ordinary import commit batch by batch and call this between batches, so
    the row is updated outside any transaction. An all-or-nothing import holds the whole
    file in one transaction; on PostgreSQL the row is then written through a connection of
    its own, so the figure is seen while the import runs. SQLite has one writer at a time:
    there the figure of an all-or-nothing import shows when it commits.
    """
    total, now = max(total, done), timezone.now()
    # A stage taken for stopped that shows life again is running (and may not be restarted).
    alive = Case(
        When(status=JobStatus.INTERRUPTED, then=Value(JobStatus.RUNNING.value)),
        default=F("status"),
    )
    if not (connection.in_atomic_block and connection.vendor == "postgresql"):
        ImportJob.objects.filter(pk=job_id).update(
            processed=done, total=total, heartbeat=now, status=alive
        )
        return
    side = _side_connection()
    try:
        with side.cursor() as cur:
            cur.execute(
                f"UPDATE {side.ops.quote_name(ImportJob._meta.db_table)} "  # noqa: S608
                "SET processed = %s, total = %s, heartbeat = %s, "
                "status = CASE WHEN status = %s THEN %s ELSE status END WHERE id = %s",
                [done, total, now, JobStatus.INTERRUPTED.value, JobStatus.RUNNING.value, job_id],
            )
    finally:
        side.close()


def _side_connection() -> BaseDatabaseWrapper:
    """A second connection to the same database, in autocommit, outside the import's
    transaction."""
    main = connections[DEFAULT_DB_ALIAS]
    wrapper: BaseDatabaseWrapper = type(main)(
        dict(main.settings_dict), alias=f"{DEFAULT_DB_ALIAS}-progress"
    )
    return wrapper


def launch(job: ImportJob, stage: str) -> None:
    if getattr(settings, "HONGXIA_INGEST_INLINE", False):
        run(job.pk, stage)
        return
    transaction.on_commit(
        lambda: threading.Thread(target=_thread, args=(job.pk, stage), daemon=True).start()
    )


def _thread(job_id: int, stage: str) -> None:
    close_old_connections()
    try:
        run(job_id, stage)
    finally:
        connection.close()


def run(job_id: int, stage: str) -> None:
    job = ImportJob.objects.select_related("user").get(pk=job_id)
    # A thread of its own has no request, so no language: the uploader's is taken.
    with translation.override(job.options.get("language") or settings.LANGUAGE_CODE):
        _run(job, stage)


def _run(job: ImportJob, stage: str) -> None:
    job_id = job.pk
    ImportJob.objects.filter(pk=job_id).update(
        status=JobStatus.RUNNING, processed=0, heartbeat=timezone.now()
    )

    last = [0, 0]

    def progress(done: int, total: int) -> None:
        last[:] = [done, max(total, done)]
        record_progress(job_id, done, total)

    try:
        result = services.roster_import(
            actor=job.user,
            path=job.path,
            region=job.options.get("region") or None,
            sheet=job.sheet or None,
            mapping=job.options.get("mapping") or None,
            dry_run=stage == STAGE_CHECK,
            all_or_nothing=bool(job.options.get("all_or_nothing")),
            job=job,
            progress=progress,
        )
    except Exception as exc:
        ImportJob.objects.filter(pk=job_id).update(
            status=JobStatus.FAILED, message=str(exc)[:2000], finished_at=timezone.now()
        )
        if not isinstance(exc, readers.ReadError | PermissionDenied):
            raise
        return
    status = JobStatus.PREVIEWED if stage == STAGE_CHECK else JobStatus.DONE
    ImportJob.objects.filter(pk=job_id).update(
        processed=last[0],
        total=last[1],
        status=status,
        summary=result.summary(),
        problems=[p.as_dict() for p in result.problems],
        sheet=result.sheet,
        finished_at=timezone.now() if status == JobStatus.DONE else None,
    )
