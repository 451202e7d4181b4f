"""Generic staff views. Region scope is applied here, in the base classes, never in concrete
views: a concrete view names a model, a permission, a template and a form or filterset.

Every URL of the staff site is one of these (or listed in `UNSCOPED_VIEWS`), and the scope
walk in tests/core/test_scope_walk.py proves for each that another county's rows stay out.
"""

from __future__ import annotations

from typing import Any, ClassVar
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest
from django.views import View
from django.views.generic import DetailView, TemplateView

from hongxia.core.pagination import Page, paginate


class ScopedMixin(LoginRequiredMixin, PermissionRequiredMixin):
    """Login, a permission, and rows only through `visible_to(user)`."""

    model: type[Model]
    raise_exception = False
    request: HttpRequest

    def handle_no_permission(self) -> Any:
        if self.request.user.is_authenticated:
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        return super().handle_no_permission()

    def scoped_queryset(self) -> QuerySet[Any]:
        return self.model._default_manager.visible_to(self.request.user)  # type: ignore[attr-defined]

    def get_queryset(self) -> QuerySet[Any]:
        return self.scoped_queryset()


class ScopedObjectMixin(ScopedMixin):
    """Fetch one row inside the user's scope; missing and forbidden both answer 404."""

    pk_url_kwarg: str = "pk"
    kwargs: dict[str, Any]

    def get_object(self, queryset: QuerySet[Any] | None = None) -> Any:
        qs = queryset if queryset is not None else self.get_queryset()
        try:
            return qs.get(pk=self.kwargs[self.pk_url_kwarg])
        except (qs.model.DoesNotExist, ValueError, TypeError) as exc:
            raise Http404 from exc


class FilteredMixin(ScopedMixin):
    """The rows in scope, narrowed by the view's filterset from the query string."""

    filterset_class: ClassVar[Any]
    ordering: ClassVar[list[str]] = ["id"]

    def filtered(self) -> tuple[Any, QuerySet[Any]]:
        f = self.filterset_class(
            self.request.GET or None, queryset=self.get_queryset(), request=self.request
        )
        qs = f.qs if (f.is_bound is False or f.is_valid()) else self.get_queryset().none()
        return f, qs


class ScopedExportView(FilteredMixin, View):
    """What a list shows, as a file: same scope, same filters."""

    lists_rows: ClassVar[bool] = True


class ScopedListView(FilteredMixin, TemplateView):
    """A filtered, searched, keyset-paginated list."""

    lists_rows: ClassVar[bool] = True  # the scope walk expects one's own rows to show
    page_size: ClassVar[int | None] = None
    count_cap: ClassVar[int] = 10_000  # the total is counted this far, then "more than"

    def query_without_cursor(self) -> str:
        pairs = [
            (k, v) for k, vs in self.request.GET.lists() if k != "cursor" for v in vs if v != ""
        ]
        return urlencode(pairs)

    def get_page(self, qs: QuerySet[Any]) -> Page:
        size = self.page_size or settings.HONGXIA_PAGE_SIZE
        return paginate(
            qs,
            ordering=self.ordering,
            cursor=self.request.GET.get("cursor"),
            page_size=size,
            count_cap=self.get_count_cap(),
        )

    def get_count_cap(self) -> int:
        return self.count_cap

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        f, qs = self.filtered()
        ctx.update(filter=f, page=self.get_page(qs), query=self.query_without_cursor())
        return ctx


class ScopedDetailView(ScopedObjectMixin, DetailView):
    pass


class ScopedActionView(ScopedObjectMixin, View):
    """A POST (or GET) on one row in scope, e.g. recording a death or revealing a field."""


# Views that show no scoped rows, so the scope walk only checks they need a login or
# are public by design.
UNSCOPED_VIEWS: set[str] = {
    "login",
    "logout",
    "set_language",
    "home",
    "openapi",
    "api-docs",
    "api-root",
    "region-list",
    "me",
    "not-found",
    "tags",  # the classification list is city-wide reference data, not a region's rows
}


def errors_to_messages(request: HttpRequest, errors: Any, form: Any = None) -> None:
    """Show a form's or a service's errors as messages on the page the user returns to, each
    named by its field's label ("出生日期：…"), for actions posted from another page."""
    from django.contrib import messages
    from django.core.exceptions import ValidationError

    if isinstance(errors, ValidationError):
        items = (
            errors.message_dict.items()
            if hasattr(errors, "error_dict")
            else [("__all__", errors.messages)]
        )
    else:
        items = errors.items()
    fields = getattr(form, "fields", {})
    for field, msgs in items:
        label = fields[field].label if field in fields else ""
        for msg in msgs:
            messages.error(request, f"{label}：{msg}" if label else str(msg))
