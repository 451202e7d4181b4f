"""Authentication with lockout, and permissions that follow from a user's role."""

from __future__ import annotations

import datetime
import functools
import hashlib
import importlib
import importlib.util
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from hongxia.core import versions
from hongxia.core.models import AuditLog, Role, User

# What each role may do; a user may also be granted single permissions (e.g. view_sensitive).
# What each role may do in the foundation; each domain app adds its own in
# `hongxia.<app>.permissions.ROLE_PERMISSIONS`, merged by `role_permissions()`. A user may also
# be granted single permissions (e.g. people.view_sensitive) through Django's own tables.
ROLE_PERMISSIONS: dict[str, set[str]] = {
    Role.CITY_ADMIN: {
        "people.view_person",
        "people.add_person",
        "people.change_person",
        "people.delete_person",
        "people.view_sensitive",
        "people.export_person",
        "people.record_death",
        "core.view_auditlog",
        "core.manage_users",
        "people.manage_tags",
    },
    Role.COUNTY_CLERK: {
        "people.view_person",
        "people.add_person",
        "people.change_person",
        "people.export_person",
        "people.record_death",
    },
    Role.LEADER: {"people.view_person", "people.export_person"},
    Role.BRANCH_SECRETARY: {"people.view_person"},
    Role.RETIREE: {"people.view_person", "people.view_own_sensitive"},
}


@functools.cache
def role_permissions() -> dict[str, frozenset[str]]:
    """The foundation's role permissions merged with every app's `permissions.ROLE_PERMISSIONS`."""
    merged = {str(role): set(perms) for role, perms in ROLE_PERMISSIONS.items()}
    for config in apps.get_app_configs():
        if not config.name.startswith("hongxia.") or config.name == "hongxia.core":
            continue
        if importlib.util.find_spec(f"{config.name}.permissions") is None:
            continue
        module = importlib.import_module(f"{config.name}.permissions")
        for role, perms in getattr(module, "ROLE_PERMISSIONS", {}).items():
            merged.setdefault(str(role), set()).update(perms)
    return {role: frozenset(perms) for role, perms in merged.items()}


class RoleBackend:
    """Grants the permissions of the user's role; authenticates nobody."""

    def authenticate(self, request: Any, **kwargs: Any) -> None:
        return None

    def get_user(self, user_id: int) -> None:
        return None

    def has_perm(self, user_obj: Any, perm: str, obj: Any = None) -> bool:
        if not getattr(user_obj, "is_active", False):
            return False
        return perm in role_permissions().get(getattr(user_obj, "role", ""), frozenset())

    def get_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        # Also what caches vary by (core.generic's page cache, the menu): it must be complete.
        if not getattr(user_obj, "is_active", False) or obj is not None:
            return set()
        return set(role_permissions().get(getattr(user_obj, "role", ""), frozenset()))

    def has_module_perms(self, user_obj: Any, app_label: str) -> bool:
        perms = role_permissions().get(getattr(user_obj, "role", ""), frozenset())
        return any(p.startswith(app_label + ".") for p in perms)


def permission_key(user: Any) -> str:
    """A short digest of everything the user may do: what caches vary by (the registry's page
    cache, the main menu). Kept on the user object, so a request computes it once."""
    if not (user and user.is_authenticated):
        return "anonymous"
    key = getattr(user, "_hongxia_permission_key", None)
    if key is None:
        perms = ",".join(sorted(user.get_all_permissions()))
        key = hashlib.sha256(perms.encode()).hexdigest()[:32]
        user._hongxia_permission_key = key
    return str(key)


class AccountLocked(PermissionDenied):
    """Raised while an account is locked; Django treats it as "stop trying other backends"."""

    def __init__(self, until: datetime.datetime) -> None:
        self.until = until


class LockoutModelBackend(ModelBackend):
    """Django's backend, plus: N failures lock the account for M minutes (both settings)."""

    def _get_permissions(self, user_obj: Any, obj: Any, from_name: str) -> set[str]:
        """Django's two permission queries per request (the user's own, their groups'), cached
        per user and the "auth" data version: triggers on the permission and group tables raise
        it, so a revoked permission is gone on the next request, in every server process."""
        attr = f"_{from_name}_perm_cache"
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, attr):
            key = (
                f"hongxia:perms:{versions.current(['auth'])}:{user_obj.pk}:{from_name}:"
                f"{int(user_obj.is_superuser)}"
            )
            perms = cache.get(key)
            if perms is None:
                perms = super()._get_permissions(user_obj, obj, from_name)  # type: ignore[misc]
                cache.set(key, perms, 600)
            setattr(user_obj, attr, perms)
        return set(getattr(user_obj, attr))

    def get_user(self, user_id: Any) -> Any:
        # Every page names the user's region in its header: fetch it with the user.
        try:
            user = User._default_manager.select_related("region").get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None

    def authenticate(
        self, request: Any, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> Any:
        from hongxia.core import audit

        if username is None or password is None:
            return None
        user = User.objects.filter(username=username).first()
        now = timezone.now()
        if user is not None and user.locked_until and user.locked_until > now:
            # Even a correct password is refused while locked, so guessing gains nothing.
            raise AccountLocked(user.locked_until)
        found = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            return None
        if found is None:
            with transaction.atomic():
                locked = User.objects.select_for_update().get(pk=user.pk)
                locked.failed_logins += 1
                fields = ["failed_logins"]
                audit.record_event(AuditLog.Action.LOGIN_FAILED, actor=locked, note=username)
                if locked.failed_logins >= settings.HONGXIA_LOCKOUT_ATTEMPTS:
                    locked.locked_until = now + datetime.timedelta(
                        minutes=settings.HONGXIA_LOCKOUT_MINUTES
                    )
                    locked.failed_logins = 0
                    fields.append("locked_until")
                    audit.record_event(AuditLog.Action.LOCKED, actor=locked, note=username)
                locked.save(update_fields=fields)
            # Raised after the transaction commits, so the count and the lock are kept.
            if "locked_until" in fields and locked.locked_until:
                raise AccountLocked(locked.locked_until)
            return None
        if found.failed_logins or found.locked_until:
            found.failed_logins = 0
            found.locked_until = None
            found.save(update_fields=["failed_logins", "locked_until"])
        return found
