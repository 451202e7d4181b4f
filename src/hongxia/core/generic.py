"""Generic staff views. Region scope is applied here, in the base classes, never in concrete
views: a concrete view names a model, a permission, a template and a form or filterset.

Every URL of the staff site is one of these (or listed in `UNSCOPED_VIEWS`), and the scope
walk in tests/core/test_scope_walk.py proves for each that another county's rows stay out.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any, ClassVar
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.cache import cache
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import mark_safe
from django.views import View
from django.views.generic import DetailView, TemplateView

from hongxia.core import audit, versions
from hongxia.core.auth import permission_key
from hongxia.core.exports import xlsx_response
from hongxia.core.models import AuditLog
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
        pk = self.kwargs[self.pk_url_kwarg]
        try:
            # A queryset may know a quicker way to its row by id (care's derived tasks do).
            return qs.with_pk(pk).get() if hasattr(qs, "with_pk") else qs.get(pk=pk)
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
    """A filtered, searched, keyset-paginated list.

    A list whose page depends only on its topics' tables may cache its content: name the
    `cache_topics` (see `hongxia.core.versions`) and a `content_template_name` that renders
    everything below the site's header, and make `template_name` the shell that places
    `content`. The cached HTML is shared by users who would see the same thing: same scope,
    same permissions, same language, same query, same day. It must hold no CSRF token.
    """

    lists_rows: ClassVar[bool] = True  # the scope walk expects one's own rows to show
    page_size: ClassVar[int | None] = None
    descending: ClassVar[bool] = False  # pages in the reverse of `ordering` (newest first)
    count_cap: ClassVar[int] = 10_000  # the total is counted this far, then "more than"
    page_columns: ClassVar[tuple[str, ...]] = ()  # rows as dicts of these, not model objects
    cache_topics: ClassVar[tuple[str, ...]] = ()
    content_template_name: ClassVar[str] = ""
    partial_template_name: ClassVar[str] = ""  # for htmx requests with ?partial=1
    cache_seconds: ClassVar[int] = 600

    def is_partial(self) -> bool:
        return bool(getattr(self.request, "htmx", False) and self.request.GET.get("partial"))

    def page_cache_key(self) -> str:
        user: Any = self.request.user
        parts = [
            self.request.path,
            versions.current(self.cache_topics),
            translation.get_language() or "",
            str(getattr(user, "scope_prefix", None)),
            permission_key(user),
            timezone.localdate().isoformat(),
            "partial" if self.is_partial() else "page",
            "&".join(sorted(f"{k}={v}" for k, vs in self.request.GET.lists() for v in vs)),
        ]
        digest = hashlib.sha256("\n".join(parts).encode()).hexdigest()
        return f"hongxia:page:{digest}"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not self.cache_topics:
            return super().get(request, *args, **kwargs)
        key = self.page_cache_key()
        html = cache.get(key)
        if html is None:
            name = self.partial_template_name if self.is_partial() else self.content_template_name
            html = render_to_string(name, self.get_context_data(**kwargs), request)
            if "csrfmiddlewaretoken" not in html:  # a token is the user's own
                cache.set(key, html, self.cache_seconds)
        if self.is_partial():
            return HttpResponse(html)
        return self.render_to_response({"view": self, "content": mark_safe(html)})  # noqa: S308

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
            descending=self.descending,
            columns=self.page_columns,
        )

    def get_count_cap(self) -> int:
        return self.count_cap

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        f, qs = self.filtered()
        ctx.update(filter=f, page=self.get_page(qs), query=self.query_without_cursor())
        return ctx


class ExportMixin:
    """`?export=xlsx` on a list gives the rows its filters select (all pages, in the page's
    order, up to settings.HONGXIA_EXPORT_MAX_ROWS) as a spreadsheet; the export is audited.

    A list whose export needs more than seeing the list names `export_permission`: without it
    `?export=xlsx` answers 403 (a template hides the button with `can_export`)."""

    export_name: ClassVar[str] = "list"
    export_headers: ClassVar[Sequence[Any]] = ()
    export_permission: ClassVar[str] = ""
    request: HttpRequest

    def can_export(self) -> bool:
        return not self.export_permission or self.request.user.has_perm(self.export_permission)

    def export_row(self, obj: Any) -> Sequence[Any]:
        raise NotImplementedError

    def export(self, qs: QuerySet[Any]) -> HttpResponseBase:
        ordering: list[str] = list(getattr(self, "ordering", ["id"]))
        if getattr(self, "descending", False):
            ordering = [o[1:] if o.startswith("-") else f"-{o}" for o in ordering]
        ordered = qs.order_by(*ordering)[: settings.HONGXIA_EXPORT_MAX_ROWS]
        response = xlsx_response(
            f"hongxia-{self.export_name}-{timezone.localdate():%Y%m%d}.xlsx",
            self.export_name,
            [str(h) for h in self.export_headers],
            (self.export_row(o) for o in ordered.iterator(chunk_size=2000)),
        )
        audit.record_event(
            AuditLog.Action.EXPORT,
            actor=self.request.user,
            note=f"{self.export_name}: {self.request.GET.urlencode()}"[:200],
        )
        return response

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if request.GET.get("export") == "xlsx":
            if not self.can_export():
                from django.core.exceptions import PermissionDenied

                raise PermissionDenied
            _f, qs = self.filtered()  # type: ignore[attr-defined]
            return self.export(qs)
        return super().get(request, *args, **kwargs)  # type: ignore[misc]


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
