"""Region scope in one place.

Every region-scoped model uses `ScopedQuerySet` (directly or via `ScopedModel`) and names the
path to its region (`scope_field`) and, for the retiree's own-record role, the path to the
owning account (`owner_field`). `visible_to(user)` is the only way views, the API and exports
get rows; the scope walk in tests/core/test_scope_walk.py proves it for every URL.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from django.db import connection, models
from django.db.models import Q

if TYPE_CHECKING:
    from hongxia.core.models import User

_M = TypeVar("_M", bound=models.Model)


def scope_q(model: type[models.Model], user: Any) -> Q | None:
    """The filter for `user` on `model`; None means no restriction. An empty Q never matches."""
    from hongxia.core.pinyin import prefix_upper_bound

    nothing = Q(pk__in=[])
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return nothing
    role = getattr(user, "role", None)
    if role == "retiree":
        owner = getattr(model, "owner_field", None)
        return Q(**{owner: user}) if owner else nothing
    if role == "branch_secretary":
        # A secretary sees what belongs to their own branch: the model names the path from
        # its rows to the secretary's user (`branch_scope_field`), or shows them nothing.
        path = getattr(model, "branch_scope_field", None)
        return Q(**{path: user}) if path else nothing
    prefix = user.scope_prefix
    if prefix is None:
        return nothing
    if prefix == "":
        return None
    field = f"{model.scope_field}_id" if "__" not in model.scope_field else model.scope_field  # type: ignore[attr-defined]
    if len(prefix) <= 4 and connection.vendor == "sqlite":
        # A city or province scope covers most rows. SQLite would use an index range for it
        # and then sort every row for the page's ORDER BY; LIKE (which it cannot index) lets
        # it walk the ordering index instead and stop after one page. PostgreSQL's planner
        # weighs both on its own.
        # (`__code` is the FK's target column: Django filters on region_id without a join.)
        return Q(**{f"{model.scope_field}__code__startswith": prefix})  # type: ignore[attr-defined]
    q = Q(**{f"{field}__gte": prefix})
    upper = prefix_upper_bound(prefix)
    if upper is not None:
        q &= Q(**{f"{field}__lt": upper})
    return q


class ScopedQuerySet(models.QuerySet[_M]):
    def visible_to(self, user: User | Any) -> ScopedQuerySet[_M]:
        q = scope_q(self.model, user)
        return self if q is None else self.filter(q)


class ScopedManagerMixin:
    """Marks a manager whose queryset knows `visible_to`."""


class ScopedManager(ScopedManagerMixin, models.Manager.from_queryset(ScopedQuerySet)):  # type: ignore[misc]
    pass


class ScopedModel(models.Model):
    """Base for every row that belongs to a region."""

    scope_field = "region"
    owner_field: str | None = None

    objects = ScopedManager()

    class Meta:
        abstract = True


def scoped_models() -> list[type[models.Model]]:
    from django.apps import apps

    return [m for m in apps.get_models() if isinstance(m._default_manager, ScopedManagerMixin)]


def is_visible(obj: models.Model, user: Any) -> bool:
    """Re-check after write: would `user` still see `obj`?"""
    model = type(obj)
    qs = model._default_manager.visible_to(user)  # type: ignore[attr-defined]
    # A queryset may know a quicker way to its row by id (care's derived tasks do).
    qs = qs.with_pk(obj.pk) if hasattr(qs, "with_pk") else qs.filter(pk=obj.pk)
    return bool(qs.exists())
