"""Who may call which API method: an authenticated user holding the view's permission.

Region scope is not decided here: views fetch rows only through `visible_to(user)`, so a row
outside the caller's region answers 404 exactly like a missing one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

_ACTIONS = {
    "GET": "view",
    "HEAD": "view",
    "OPTIONS": "view",
    "POST": "add",
    "PUT": "change",
    "PATCH": "change",
    "DELETE": "delete",
}


def required_permission(view: Any, method: str) -> str | None:
    """The permission `method` needs on `view`; None means being logged in is enough.

    A view names its permissions in `required_permissions` ({"POST": "people.record_death"}),
    or they follow from its `model` (GET needs view_<model>, POST add_<model>, and so on).
    A method the view names as None needs no permission; a view that says nothing and has
    no model refuses everything, so a forgotten declaration fails closed.
    """
    declared: Mapping[str, str | None] | None = getattr(view, "required_permissions", None)
    if declared is not None:
        if method in declared:
            return declared[method]
        if method in ("HEAD", "OPTIONS") and "GET" in declared:
            return declared["GET"]
    model = getattr(view, "model", None)
    if model is None or method not in _ACTIONS:
        return "api.no_such_permission"
    meta = model._meta
    return f"{meta.app_label}.{_ACTIONS[method]}_{meta.model_name}"


class RolePermission(BasePermission):
    """Logged in, and the role (or a single grant) gives the permission the method needs."""

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        method = (request.method or "").upper()
        if method.lower() not in view.http_method_names or not hasattr(view, method.lower()):
            # Let the view answer 405 for a method it does not have (e.g. DELETE of a person).
            return True
        perm = required_permission(view, method)
        return perm is None or user.has_perm(perm)
