"""Roster import jobs and the merge queue of likely duplicates."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from hongxia.core.scope import ScopedModel
from hongxia.ingest.choices import JobStatus, MergeStatus


class ImportJob(ScopedModel):
    """导入任务 — one roster file brought in by one user, with its preview, progress and result.

    ``region`` is the importing user's region (or the one given with --region): the job is seen
    by those who see that region.
    """

    region = models.ForeignKey(
        "core.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("region")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("user"),
    )
    filename = models.CharField(_("file"), max_length=200)
    path = models.CharField(_("stored file"), max_length=500, blank=True)
    sheet = models.CharField(_("sheet"), max_length=100, blank=True)
    options = models.JSONField(_("options"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=JobStatus.choices, default=JobStatus.UPLOADED
    )
    total = models.PositiveIntegerField(_("rows"), default=0)
    processed = models.PositiveIntegerField(_("rows done"), default=0)
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    problems = models.JSONField(_("problems"), default=list, blank=True)
    message = models.TextField(_("message"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    # Written with the progress: a running stage that has not written it for a long while
    # has stopped (jobs.interrupt_stale).
    heartbeat = models.DateTimeField(_("last progress"), null=True, blank=True)

    scope_field = "region"
    owner_field = None

    class Meta:
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["region", "created_at"], name="importjob_region")]

    def __str__(self) -> str:
        return self.filename

    def get_absolute_url(self) -> str:
        return reverse("ingest:job", args=[self.pk])

    @property
    def percent(self) -> int:
        return int(100 * self.processed / self.total) if self.total else 0


class MergeCandidate(ScopedModel):
    """待合并 — an imported row that looks like a person already registered (same name, birth
    date and region) where no ID number tells them apart: the row has none, or the record
    has none. A clerk decides; nothing is merged automatically. The row's ID number and
    phones are kept encrypted in ``data``."""

    region = models.ForeignKey(
        "core.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("region")
    )
    job = models.ForeignKey(
        ImportJob,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="candidates",
        verbose_name=_("import job"),
    )
    person = models.ForeignKey(
        "people.Person",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("registered person"),
    )
    name = models.CharField(_("name"), max_length=64)
    row_number = models.PositiveIntegerField(_("row"), default=0)
    data = models.JSONField(_("imported values"), default=dict)
    status = models.CharField(
        _("status"), max_length=12, choices=MergeStatus.choices, default=MergeStatus.PENDING
    )
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    resolved_at = models.DateTimeField(_("decided"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    scope_field = "region"
    owner_field = None

    class Meta:
        verbose_name = _("possible duplicate")
        verbose_name_plural = _("possible duplicates")
        ordering = ["status", "-created_at", "-id"]
        indexes = [models.Index(fields=["region", "status"], name="mergecand_region")]

    def __str__(self) -> str:
        return self.name


class RowFingerprint(models.Model):
    """导入指纹 — a digest of the roster row the last import wrote (or found equal) to a person;
    deleted by a database trigger as soon as the person's record changes (ingest.fingerprints).
    """

    person = models.OneToOneField(
        "people.Person",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="+",
        verbose_name=_("registered person"),
    )
    digest = models.CharField(_("digest"), max_length=32)
    # The row's cells as read, when their conversion had nothing to report (else empty).
    cells = models.CharField(_("cells digest"), max_length=32, blank=True)

    class Meta:
        verbose_name = _("import fingerprint")
        verbose_name_plural = _("import fingerprints")
        # A plain index: db_index would add a LIKE index on PostgreSQL, never used.
        indexes = [models.Index(fields=["cells"], name="rowfingerprint_cells")]

    def __str__(self) -> str:
        return self.digest
