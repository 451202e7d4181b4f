from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from hongxia.core import audit
from hongxia.core.exports import xlsx_response
from hongxia.core.filters import AuditFilter
from hongxia.core.forms import LoginForm
from hongxia.core.generic import ScopedExportView, ScopedListView
from hongxia.core.models import AuditLog
from hongxia.people.selectors import registry_counts


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        ctx["timed_out"] = self.request.session.pop("hongxia_timed_out", False)
        return ctx


class HomeView(LoginRequiredMixin, TemplateView):
    template_name = "core/home.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        if user.role == "retiree":  # type: ignore[union-attr]
            ctx["own"] = getattr(user, "person", None)
        elif user.role != "branch_secretary":  # type: ignore[union-attr]
            ctx["counts"] = registry_counts(user=user)
        ctx["panels"] = home_panels(self.request)
        return ctx


# Apps that may put a panel on the home page: `hongxia.<app>.home.panel(request)` returns the
# context for `<app>/_home_panel.html`, or None to show nothing for this user.
HOME_PANEL_APPS = ("care", "party", "reports")


def home_panels(request: Any) -> list[dict[str, Any]]:
    from importlib import import_module
    from importlib.util import find_spec

    panels = []
    for app in HOME_PANEL_APPS:
        if find_spec(f"hongxia.{app}.home") is None:
            continue
        ctx = import_module(f"hongxia.{app}.home").panel(request)
        if ctx is not None:
            panels.append({"template": f"{app}/_home_panel.html", "ctx": ctx})
    return panels


class AuditListView(ScopedListView):
    """审计 — the audit trail, filtered by person, user and date; read-only by construction."""

    model = AuditLog
    permission_required = "core.view_auditlog"
    filterset_class = AuditFilter
    ordering = ["at", "id"]
    descending = True  # newest first
    template_name = "core/audit_list.html"


def _changes_text(changes: Any) -> str:
    """A row's field-by-field changes as the page shows them: "field: before → after"."""
    parts = []
    for field, change in (changes if isinstance(changes, dict) else {}).items():
        pair = isinstance(change, list | tuple) and len(change) == 2
        old, new = (change[0], change[1]) if pair else (None, change)
        parts.append(f"{field}: {'—' if old is None else old} → {'—' if new is None else new}")
    return "; ".join(parts)


class AuditExportView(ScopedExportView):
    """The audit trail as .xlsx: the rows the page shows for the same filters, newest first.
    The export itself is audited."""

    model = AuditLog
    permission_required = "core.view_auditlog"
    filterset_class = AuditFilter
    ordering = ["-at", "-id"]

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        _f, qs = self.filtered()
        qs = qs.order_by(*self.ordering)[: settings.HONGXIA_EXPORT_MAX_ROWS]
        count = [0]
        headers = [_("Time"), _("User"), _("Address"), _("Action"), _("Record type"),
                   _("Record"), _("Person id"), _("Changes"), _("Note")]
        zone = timezone.get_current_timezone()

        def rows() -> Iterator[list[Any]]:
            for row in qs.iterator(chunk_size=2000):
                count[0] += 1
                yield [
                    timezone.localtime(row.at, zone).strftime("%Y-%m-%d %H:%M:%S"),
                    row.actor_name, row.ip or "", row.get_action_display(), row.model,
                    row.object_repr, row.person_id, _changes_text(row.changes), row.note,
                ]

        response = xlsx_response(
            f"hongxia-audit-{timezone.localdate():%Y%m%d}.xlsx", _("Audit trail"), headers, rows()
        )
        audit.record_event(
            AuditLog.Action.EXPORT,
            actor=request.user,
            note=f"audit trail {count[0]} rows: {request.GET.urlencode()}"[:200],
        )
        return response  # type: ignore[return-value]  # a streamed file
