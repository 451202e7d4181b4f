"""Authentication with lockout, and permissions that follow from a user's role."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from hongxia.core.models import AuditLog, Role, User

# What each role may do; a user may also be granted single permissions (e.g. view_sensitive).
REPORTS_READ = {"reports.view_statistics", "reports.export_statistics", "reports.view_filedreport"}
REPORTS_ALL = REPORTS_READ | {"reports.add_filedreport"}

PARTY_READ = {
    *(
        f"party.view_{m}"
        for m in (
            "organisation",
            "member",
            "meeting",
            "rating",
            "partyhome",
            "transfer",
            "committeeseat",
            "reorganisation",
            "meetingrequirement",
        )
    ),
    "party.export_party",
}
PARTY_CLERK = PARTY_READ | {
    f"party.{p}"
    for p in (
        "add_organisation",
        "change_organisation",
        "add_member",
        "change_member",
        "add_transfer",
        "add_meeting",
        "change_meeting",
        "add_rating",
        "add_partyhome",
        "change_partyhome",
    )
}
PARTY_SECRETARY = {
    "party.view_organisation",
    "party.view_member",
    "party.change_member",
    "party.view_meeting",
    "party.add_meeting",
    "party.view_rating",
    "party.view_partyhome",
    "people.view_person",
}

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
        *REPORTS_ALL,
        *PARTY_CLERK,
        "party.change_meetingrequirement",
    },
    Role.COUNTY_CLERK: {
        "people.view_person",
        "people.add_person",
        "people.change_person",
        "people.export_person",
        "people.record_death",
        *REPORTS_ALL,
        *PARTY_CLERK,
    },
    Role.LEADER: {"people.view_person", "people.export_person", *REPORTS_READ, *PARTY_READ},
    Role.BRANCH_SECRETARY: PARTY_SECRETARY,
    Role.RETIREE: {"people.view_person", "people.view_own_sensitive"},
}


class RoleBackend:
    """Grants the permissions of the user's role; authenticates nobody."""

    def authenticate(self, request: Any, **kwargs: Any) -> None:
        return None

    def get_user(self, user_id: int) -> None:
        return None

    def has_perm(self, user_obj: Any, perm: str, obj: Any = None) -> bool:
        if not getattr(user_obj, "is_active", False):
            return False
        return perm in ROLE_PERMISSIONS.get(getattr(user_obj, "role", ""), set())

    def has_module_perms(self, user_obj: Any, app_label: str) -> bool:
        perms = ROLE_PERMISSIONS.get(getattr(user_obj, "role", ""), set())
        return any(p.startswith(app_label + ".") for p in perms)


class AccountLocked(PermissionDenied):
    """Raised while an account is locked; Django treats it as "stop trying other backends"."""

    def __init__(self, until: datetime.datetime) -> None:
        self.until = until


class LockoutModelBackend(ModelBackend):
    """Django's backend, plus: N failures lock the account for M minutes (both settings)."""

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
