"""Writing the audit trail: one function per kind of event, called from services."""

from __future__ import annotations

import datetime
import decimal
from typing import Any

from django.db import models

from hongxia.core import context
from hongxia.core.models import AuditLog

# Fields whose values never go into the audit trail in clear: the diff says only that they changed.
SECRET_FIELDS = {"id_number", "phone", "landline", "password", "id_hash", "phone_hash"}
_SKIP = {"updated_at", "created_at", "search_text"}


def _plain(value: Any) -> Any:
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return str(value.pk)
    if isinstance(value, list | tuple | set):
        return sorted(_plain(v) for v in value)
    return value


def snapshot(obj: models.Model, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Field values of `obj` as JSON-ready data, keyed by field name (FKs by their id)."""
    data: dict[str, Any] = {}
    for field in obj._meta.concrete_fields:
        if field.name in _SKIP or field.primary_key:
            continue
        data[field.name] = _plain(getattr(obj, field.attname))
    data.update(extra or {})
    return data


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    changes: dict[str, list[Any]] = {}
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        if old != new:
            if key in SECRET_FIELDS:
                changes[key] = ["***", "***"]
            else:
                changes[key] = [old, new]
    return changes


def _actor_fields(actor: Any = None) -> dict[str, Any]:
    ctx = context.current()
    user = actor if actor is not None else (ctx.user if ctx else None)
    if user is not None and not getattr(user, "is_authenticated", False):
        user = None
    return {
        "actor": user,
        "actor_name": (getattr(user, "username", "") if user else (ctx.via if ctx else "system")),
        "ip": ctx.ip if ctx else None,
    }


def _region_of(obj: models.Model) -> str | None:
    region = getattr(obj, "region_id", None)
    if region is None and hasattr(obj, "person_id"):
        person = getattr(obj, "person", None)
        region = getattr(person, "region_id", None)
    return region


def _person_of(obj: models.Model) -> int | None:
    if obj._meta.label == "people.Person":
        return obj.pk
    return getattr(obj, "person_id", None)


def record_change(
    obj: models.Model,
    action: str,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    actor: Any = None,
    note: str = "",
) -> AuditLog | None:
    """Log a create, update or delete of `obj`; an update that changed nothing logs nothing."""
    changes = diff(before or {}, after or {})
    if action == AuditLog.Action.UPDATE and not changes:
        return None
    return AuditLog.objects.create(
        **_actor_fields(actor),
        action=action,
        model=obj._meta.label,
        object_pk=str(obj.pk),
        object_repr=str(obj)[:200],
        person_id=_person_of(obj),
        region_id=_region_of(obj),
        changes=changes,
        note=note[:200],
    )


def record_save(
    obj: models.Model,
    *,
    created: bool,
    before: dict[str, Any],
    actor: Any,
    after: dict[str, Any] | None = None,
) -> AuditLog | None:
    """Log the save a service just made: a create, or an update against `before`."""
    return record_change(
        obj,
        AuditLog.Action.CREATE if created else AuditLog.Action.UPDATE,
        before=before,
        after=snapshot(obj) if after is None else after,
        actor=actor,
    )


def record_event(
    action: str,
    *,
    actor: Any = None,
    obj: models.Model | None = None,
    region_id: str | None = None,
    note: str = "",
    changes: dict[str, Any] | None = None,
) -> AuditLog:
    """Log an event that is not a row change: unmasked view, export, login, lockout."""
    fields = _actor_fields(actor)
    if region_id is None:
        region_id = (
            _region_of(obj) if obj is not None else getattr(fields["actor"], "region_id", None)
        )
    return AuditLog.objects.create(
        **fields,
        action=action,
        model=obj._meta.label if obj is not None else "",
        object_pk=str(obj.pk) if obj is not None else "",
        object_repr=str(obj)[:200] if obj is not None else "",
        person_id=_person_of(obj) if obj is not None else None,
        region_id=region_id,
        changes=changes or {},
        note=note[:200],
    )
