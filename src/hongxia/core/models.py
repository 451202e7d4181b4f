"""Regions, users with a region scope, and the audit trail."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from hongxia.core import regions
from hongxia.core.scope import ScopedManagerMixin, ScopedQuerySet


class Region(models.Model):
    """行政区划 — a node of the GB/T 2260 tree; its code is its key and its scope prefix."""

    code = models.CharField(_("code"), max_length=12, primary_key=True)
    name = models.CharField(_("name"), max_length=64)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent"),
    )
    level = models.CharField(
        _("level"),
        max_length=10,
        choices=[(lvl, lvl) for lvl in regions.LEVELS],
    )
    prefix = models.CharField(_("scope prefix"), max_length=12, db_index=True)
    former_names = models.CharField(_("former names"), max_length=200, blank=True)
    name_pinyin = models.CharField(_("pinyin"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.level = self.level or regions.level_of(self.code)
        self.prefix = regions.prefix_of(self.code) if self.level != "community" else self.code
        super().save(*args, **kwargs)

    def contains(self, code: str) -> bool:
        return code.startswith(self.prefix)


class Role(models.TextChoices):
    CITY_ADMIN = "city_admin", _("City administrator")
    COUNTY_CLERK = "county_clerk", _("County clerk")
    LEADER = "leader", _("Leader (read-only)")
    BRANCH_SECRETARY = "branch_secretary", _("Party branch secretary")
    RETIREE = "retiree", _("Retiree (own record)")


class User(AbstractUser):
    """A staff member or retiree account; `region` bounds everything it may see."""

    full_name = models.CharField(_("full name"), max_length=64, blank=True)
    role = models.CharField(
        _("role"), max_length=20, choices=Role.choices, default=Role.COUNTY_CLERK
    )
    region = models.ForeignKey(
        Region,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name=_("region"),
        related_name="+",
    )
    failed_logins = models.PositiveSmallIntegerField(_("failed logins"), default=0)
    locked_until = models.DateTimeField(_("locked until"), null=True, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def scope_prefix(self) -> str | None:
        """The region prefix this user sees; None means nothing (no region and not superuser)."""
        if self.region_id:
            return (
                str(self.region_id)
                if len(str(self.region_id)) == 12
                else regions.prefix_of(str(self.region_id))
            )
        return "" if self.is_superuser else None


class AuditQuerySet(ScopedQuerySet):
    def update(self, **kwargs: Any) -> int:
        raise PermissionError("audit rows are immutable")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError("audit rows are immutable")


class AuditManager(ScopedManagerMixin, models.Manager.from_queryset(AuditQuerySet)):  # type: ignore[misc]
    pass


class AuditLog(models.Model):
    """审计日志 — who did what to which row, when and from where; never changed once written."""

    class Action(models.TextChoices):
        CREATE = "create", _("Create")
        UPDATE = "update", _("Update")
        DELETE = "delete", _("Delete")
        VIEW_SENSITIVE = "view_sensitive", _("Viewed unmasked")
        EXPORT = "export", _("Export")
        LOGIN = "login", _("Log in")
        LOGIN_FAILED = "login_failed", _("Failed log in")
        LOCKED = "locked", _("Account locked")
        LOGOUT = "logout", _("Log out")
        IMPORT = "import", _("Import")
        SEED = "seed", _("Synthetic data")

    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        verbose_name=_("user"),
        related_name="+",
        db_constraint=False,
    )
    actor_name = models.CharField(_("user name"), max_length=150, blank=True)
    ip = models.GenericIPAddressField(_("address"), null=True, blank=True)
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    model = models.CharField(_("record type"), max_length=64, blank=True)
    object_pk = models.CharField(_("record id"), max_length=64, blank=True)
    object_repr = models.CharField(_("record"), max_length=200, blank=True)
    person_id = models.BigIntegerField(_("person id"), null=True, blank=True, db_index=True)
    region = models.ForeignKey(
        Region,
        on_delete=models.DO_NOTHING,
        null=True,
        blank=True,
        db_constraint=False,
        related_name="+",
        verbose_name=_("region"),
    )
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    scope_field = "region"
    owner_field = None

    objects = AuditManager()

    class Meta:
        verbose_name = _("audit record")
        verbose_name_plural = _("audit records")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["actor", "at"]), models.Index(fields=["region", "at"])]
        default_permissions = ("view",)

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.action} {self.object_repr}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise PermissionError("audit rows are immutable")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise PermissionError("audit rows are immutable")


class DataVersion(models.Model):
    """A counter per topic ("people", "regions") that a database trigger raises on every write
    to the topic's tables, inside the writer's transaction. A cache keyed by it cannot serve a
    page older than a committed change, however the change was made (form, import, COPY, raw
    SQL), and every server process sees the same number. See `hongxia.core.versions`."""

    topic = models.CharField(primary_key=True, max_length=32)
    version = models.BigIntegerField(default=1)

    class Meta:
        default_permissions = ()

    def __str__(self) -> str:
        return f"{self.topic}={self.version}"
