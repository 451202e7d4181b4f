"""Filed reports: a year's summary frozen when a clerk files it upward (上报)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from hongxia.core.scope import ScopedModel


class FiledReport(ScopedModel):
    """上报的年度工作综述 — the figures of one region and period as filed, never recomputed."""

    region = models.ForeignKey(
        "core.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("region")
    )
    year = models.PositiveSmallIntegerField(_("year"))
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end (exclusive)"))
    title = models.CharField(_("title"), max_length=200)
    note = models.CharField(_("note"), max_length=200, blank=True)
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("filed by"),
    )
    filed_by_name = models.CharField(_("filed by"), max_length=150)
    filed_at = models.DateTimeField(_("filed at"), auto_now_add=True)

    scope_field = "region"
    owner_field = None

    class Meta:
        verbose_name = _("filed report")
        verbose_name_plural = _("filed reports")
        ordering = ["-filed_at", "-id"]
        indexes = [models.Index(fields=["region", "year", "id"], name="filedreport_region_year")]
        default_permissions = ("view", "add")
        permissions = [
            ("view_statistics", _("Can see statistics, dashboards and drill-downs")),
            ("export_statistics", _("Can export statistics")),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("reports:filed-detail", args=[self.pk])


class FiledFigure(models.Model):
    """One frozen figure of a filed report, with the ids of the rows behind it.

    `row_ids` holds sorted ids as runs [[first, last], ...]: a registry seeded or imported in
    order gives long runs, so a city's 56,000 people take a few hundred bytes. Reached only
    through its report, so it needs no scope of its own.
    """

    report = models.ForeignKey(FiledReport, on_delete=models.CASCADE, related_name="figures")
    key = models.CharField(_("indicator"), max_length=100)
    label = models.CharField(_("label"), max_length=200)
    line = models.CharField(_("line of work"), max_length=20)
    unit = models.CharField(_("unit"), max_length=10)
    value = models.DecimalField(_("value"), max_digits=20, decimal_places=4)
    previous = models.DecimalField(
        _("previous period"), max_digits=20, decimal_places=4, null=True, blank=True
    )
    position = models.PositiveIntegerField(default=0)
    row_model = models.CharField(max_length=100, blank=True)
    row_count = models.PositiveIntegerField(default=0)
    row_ids = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name = _("filed figure")
        verbose_name_plural = _("filed figures")
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["report", "key"], name="filedfigure_unique_key"),
        ]

    def __str__(self) -> str:
        return f"{self.label}: {self.value}"
