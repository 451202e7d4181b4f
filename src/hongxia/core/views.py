from __future__ import annotations

from typing import Any

from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.views.generic import TemplateView

from hongxia.core.filters import AuditFilter
from hongxia.core.forms import LoginForm
from hongxia.core.generic import ScopedListView
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
    ordering = ["-at", "-id"]
    template_name = "core/audit_list.html"

    def get_page(self, qs: Any) -> Any:
        from django.conf import settings

        from hongxia.core.pagination import paginate

        return paginate(
            qs,
            ordering=["at", "id"],
            cursor=self.request.GET.get("cursor"),
            page_size=settings.HONGXIA_PAGE_SIZE,
            descending=True,
        )
