"""Care pages: thin — parse input, call a selector or service, render. Scope lives in the bases."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal
from typing import Any, ClassVar

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.generic import TemplateView

from hongxia.care import forms, selectors, services
from hongxia.care.choices import HONOUR_CHECKLIST, OwnerKind, TaskStatus
from hongxia.care.models import (
    AidPayment,
    AidProgramme,
    Ceremony,
    Honoree,
    Leader,
    Pairing,
    ServicePlan,
    TaskRow,
    Visit,
    VisitCampaign,
    VisitRule,
    VisitTask,
)
from hongxia.core import generic
from hongxia.core.generic import (
    ScopedActionView,
    ScopedDetailView,
    ScopedListView,
    ScopedMixin,
    errors_to_messages,
)
from hongxia.core.templatetags.money import yuan
from hongxia.people.models import Person


def _errors(request: HttpRequest, exc: ValidationError | Any, form: Any = None) -> None:
    errors_to_messages(request, exc, form)


def _region_name(obj: Any) -> str:
    # `region` is declared through a kwargs dict (models._REGION), which the stubs cannot type.
    return str(obj.region.name)


def _yuan(fen: int | None) -> str:
    return yuan(fen or 0)  # never through a float


class ExportMixin(generic.ExportMixin):
    """`?export=xlsx` on a care list (core.generic.ExportMixin)."""

    export_name: ClassVar[str] = "care"


# ---- tasks -----------------------------------------------------------------------------------


class TaskListView(ExportMixin, ScopedListView):
    """走访任务 — my tasks, due this week, overdue, by county."""

    model = TaskRow  # type: ignore[misc]
    permission_required = "care.view_visittask"
    filterset_class = selectors.TaskFilter
    ordering = ["due", "id"]
    template_name = "care/task_list.html"
    export_name = "tasks"

    @property
    def export_headers(self) -> list[str]:  # type: ignore[override]
        return [_("Name"), _("Rule"), _("Opens"), _("Due"), _("Owner"), _("Status")]

    def export_row(self, t: TaskRow) -> list[Any]:
        return [
            t.person.name,
            t.rule.name,
            t.opens,
            t.due,
            " · ".join(
                x for x in (t.get_owner_display(), getattr(t, "branch_name", None) or "") if x
            )
            if t.owner == OwnerKind.BRANCH
            else t.get_owner_display(),
            t.get_status_display(),
        ]

    def get_queryset(self) -> Any:
        qs = super().get_queryset().select_related("person", "rule", "region", "owner_leader")
        qs = selectors.with_branch(qs)
        if not self.request.GET.get("when") and not self.request.GET.get("status"):
            qs = qs.filter(status=TaskStatus.OPEN)
        return qs

    def get_page(self, qs: Any) -> Any:
        return selectors.task_page(
            qs,
            user=self.request.user,
            cursor=self.request.GET.get("cursor"),
            page_size=self.page_size or settings.HONGXIA_PAGE_SIZE,
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        ctx["today"] = timezone.localdate()
        ctx["by_county"] = selectors.overdue_by_county(user=self.request.user)
        ctx["when"] = self.request.GET.get("when", "")
        return ctx


class TaskDetailView(ScopedDetailView):
    model = TaskRow  # type: ignore[misc]
    permission_required = "care.view_visittask"
    template_name = "care/task_detail.html"
    context_object_name = "task"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        if self.object.owner == OwnerKind.BRANCH:
            ctx["branch"] = selectors.branch_of(self.object.person_id)
        ctx["visit_form"] = forms.VisitForm(
            user=self.request.user, initial={"date": timezone.localdate()}
        )
        return ctx


class TaskTakeView(ScopedActionView):
    """Take a task as mine."""

    model = TaskRow  # type: ignore[misc]
    permission_required = "care.change_visittask"
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        task = self.get_object()
        services.task_assign(actor=request.user, task=task, assignee=request.user)
        messages.success(request, _("The task is yours."))
        return redirect(task)


class PlanRunView(ScopedMixin, TemplateView):
    """Plan today's tasks for the user's own region now (the scheduler does it nightly)."""

    model = VisitTask  # type: ignore[misc]
    permission_required = "care.add_visittask"
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        created = services.tasks_plan_for_day(actor=request.user, day=timezone.localdate())
        messages.success(request, _("%(n)s new tasks.") % {"n": sum(created.values())})
        return redirect("care:tasks")


class CalendarView(ScopedMixin, TemplateView):
    """A month of due tasks, Monday first."""

    model = TaskRow  # type: ignore[misc]
    permission_required = "care.view_visittask"
    template_name = "care/calendar.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        today = timezone.localdate()
        try:
            first = datetime.date.fromisoformat((self.request.GET.get("month") or "") + "-01")
        except ValueError:
            first = today.replace(day=1)
        prev = (first - datetime.timedelta(days=1)).replace(day=1)
        nxt = (first + datetime.timedelta(days=32)).replace(day=1)
        user = self.request.user
        ctx.update(
            month=first,
            prev=prev,
            next=nxt,
            today=today,
            weeks=selectors.calendar_month(user=user, year=first.year, month=first.month),
            tasks=self.scoped_queryset()
            .filter(status=TaskStatus.OPEN, due__gte=first, due__lt=nxt)
            .select_related("person", "rule")
            .order_by("due", "id")[:200],
        )
        return ctx


class CampaignListView(ExportMixin, ScopedListView):
    """走访批次 — each planned occurrence of an everyone-rule per county, with its progress."""

    model = VisitCampaign  # type: ignore[misc]
    permission_required = "care.view_visittask"
    filterset_class = selectors.CampaignFilter
    ordering = ["-due", "-id"]
    template_name = "care/campaign_list.html"
    export_name = "campaigns"

    @property
    def export_headers(self) -> list[str]:  # type: ignore[override]
        return [
            _("Rule"),
            _("Occurrence"),
            _("County"),
            _("Opens"),
            _("Due"),
            _("Tasks"),
            _("Open"),
            _("Done"),
            _("Cancelled"),
        ]

    def export(self, qs: Any) -> HttpResponseBase:
        shown = list(
            qs.select_related("rule", "region").order_by(*self.ordering)[
                : settings.HONGXIA_EXPORT_MAX_ROWS
            ]
        )
        self._progress = selectors.campaign_progress(shown)
        return super().export(qs.select_related("rule", "region"))

    def export_row(self, c: VisitCampaign) -> list[Any]:
        p = self._progress.get(c.pk, {})
        return [
            c.rule.name,
            c.period_key,
            c.region.name,
            c.opens,
            c.due,
            p.get("total", 0),
            p.get("open", 0),
            p.get("done", 0),
            p.get("cancelled", 0),
        ]

    def get_queryset(self) -> Any:
        return super().get_queryset().select_related("rule", "region")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        ctx["today"] = timezone.localdate()
        return ctx

    def get_page(self, qs: Any) -> Any:
        return selectors.campaign_page(
            qs, cursor=self.request.GET.get("cursor"), page_size=settings.HONGXIA_PAGE_SIZE
        )


# ---- visits ----------------------------------------------------------------------------------


class VisitListView(ExportMixin, ScopedListView):
    model = Visit  # type: ignore[misc]
    permission_required = "care.view_visit"
    filterset_class = selectors.VisitFilter
    ordering = ["date", "id"]
    descending = True  # newest first, on the page and in the export
    template_name = "care/visit_list.html"
    export_name = "visits"

    @property
    def export_headers(self) -> list[str]:  # type: ignore[override]
        return [_("Name"), _("Date"), _("How"), _("Who went"), _("Notes"), _("Follow-up needed")]

    def export_row(self, v: Visit) -> list[Any]:
        return [v.person.name, v.date, v.get_mode_display(), v.visitors, v.notes, v.follow_up]

    def get_queryset(self) -> Any:
        return super().get_queryset().select_related("person", "leader")


class VisitDetailView(ScopedDetailView):
    model = Visit  # type: ignore[misc]
    permission_required = "care.view_visit"
    template_name = "care/visit_detail.html"
    context_object_name = "visit"


class VisitCreateView(ScopedDetailView):
    """Record a visit to a person (pk = the person); closes the tasks it satisfies."""

    model = Person  # type: ignore[misc]
    permission_required = "care.add_visit"
    template_name = "care/visit_form.html"
    context_object_name = "person"

    def offers(self) -> list[services.AidOffer]:
        return services.aid_offers(
            user=self.request.user, person=self.object, day=timezone.localdate()
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        offers = self.offers()
        ctx.setdefault(
            "form",
            forms.VisitForm(
                user=self.request.user, offers=offers, initial={"date": timezone.localdate()}
            ),
        )
        ctx["open_tasks"] = TaskRow.objects.filter(person=self.object, status=TaskStatus.OPEN)
        ctx["no_programme"] = [o for o in offers if o.programme is None]
        return ctx

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.object = person = self.get_object()
        form = forms.VisitForm(request.POST, user=request.user, offers=self.offers())
        if form.is_valid():
            try:
                visit = services.visit_record(
                    actor=request.user, person=person, data=form.service_data()
                )
            except ValidationError as exc:
                _errors(request, exc)
            else:
                messages.success(request, _("The visit is recorded."))
                return redirect(visit)
        return self.render_to_response(self.get_context_data(form=form))


# ---- leaders and pairing ---------------------------------------------------------------------


class LeaderListView(ExportMixin, ScopedListView):
    model = Leader  # type: ignore[misc]
    permission_required = "care.view_leader"
    filterset_class = selectors.LeaderFilter
    ordering = ["name", "id"]
    template_name = "care/leader_list.html"
    export_name = "leaders"

    @property
    def export_headers(self) -> list[str]:  # type: ignore[override]
        return [_("Name"), _("Post"), _("Unit"), _("Phone"), _("Status"), _("Status since")]

    def export_row(self, leader: Leader) -> list[Any]:
        # The masked phone, as the list shows it: the stored number is never shown.
        return [
            leader.name,
            leader.post,
            leader.unit,
            leader.phone_masked,
            leader.get_status_display(),
            leader.status_date,
        ]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        ctx["form"] = forms.LeaderForm(user=self.request.user)
        return ctx


class LeaderCreateView(ScopedMixin, TemplateView):
    model = Leader  # type: ignore[misc]
    permission_required = "care.add_leader"
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = forms.LeaderForm(request.POST, user=request.user)
        if not form.is_valid():
            _errors(request, form.errors, form)
            return redirect("care:leaders")
        try:
            leader = services.leader_save(actor=request.user, leader=None, data=form.cleaned_data)
        except ValidationError as exc:
            _errors(request, exc)
            return redirect("care:leaders")
        return redirect(leader)


class LeaderDetailView(ScopedDetailView):
    model = Leader  # type: ignore[misc]
    permission_required = "care.view_leader"
    template_name = "care/leader_detail.html"
    context_object_name = "leader"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        leader = self.object
        ctx["pairs"] = leader.pairings.filter(active=True).select_related("person")
        ctx["open_tasks"] = TaskRow.objects.filter(
            owner_leader=leader, status=TaskStatus.OPEN
        ).count()
        ctx["handover_form"] = forms.HandoverForm(user=self.request.user, exclude=leader.pk)
        ctx["form"] = forms.LeaderForm(
            user=self.request.user,
            initial={
                "region": leader.region_id,
                "name": leader.name,
                "post": leader.post,
                "unit": leader.unit,
                "status": leader.status,
                "status_date": leader.status_date,
            },
        )
        return ctx


class LeaderEditView(ScopedActionView):
    model = Leader  # type: ignore[misc]
    permission_required = "care.change_leader"
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        leader = self.get_object()
        form = forms.LeaderForm(request.POST, user=request.user)
        if form.is_valid():
            data = dict(form.cleaned_data)
            if not data.get("phone"):
                data.pop("phone")  # empty keeps the stored number, which is never shown
            try:
                services.leader_save(actor=request.user, leader=leader, data=data)
                messages.success(request, _("Saved."))
            except ValidationError as exc:
                _errors(request, exc)
        else:
            _errors(request, form.errors, form)
        return redirect(leader)


class LeaderHandoverView(ScopedActionView):
    """Hand all of a leader's pairs and open tasks to another leader in one step."""

    model = Leader  # type: ignore[misc]
    permission_required = "care.change_pairing"
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        leader = self.get_object()
        form = forms.HandoverForm(request.POST, user=request.user, exclude=leader.pk)
        if form.is_valid():
            try:
                result = services.leader_handover(
                    actor=request.user, old=leader, new=form.cleaned_data["new"]
                )
                messages.success(
                    request, _("Handed over %(pairs)s pairs and %(tasks)s tasks.") % result
                )
            except ValidationError as exc:
                _errors(request, exc)
        else:
            _errors(request, form.errors, form)
        return redirect(leader)


class PairingListView(ExportMixin, ScopedListView):
    """结对 — coverage per county, the unpaired, pairs needing a new leader, and all pairs."""

    model = Pairing  # type: ignore[misc]
    permission_required = "care.view_pairing"
    filterset_class = selectors.PairingFilter
    ordering = ["id"]
    template_name = "care/pairing_list.html"
    export_name = "pairs"

    @property
    def export_headers(self) -> list[str]:  # type: ignore[override]
        return [
            _("Name"),
            _("Leader"),
            _("Post"),
            _("From"),
            _("Until"),
            pgettext("care record", "Current"),
        ]

    def export_row(self, p: Pairing) -> list[Any]:
        return [
            p.person.name,
            p.leader.name,
            p.leader.post,
            p.start,
            p.end,
            _("Yes") if p.active else _("No"),
        ]

    def get_queryset(self) -> Any:
        return super().get_queryset().select_related("person", "leader", "region")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        cov = selectors.pairing_coverage(user=self.request.user)
        ctx["coverage"] = cov
        ctx["unpaired"], ctx["unpaired_total"] = _first(cov["unpaired"])
        ctx["needs_new_leader"], ctx["needs_new_leader_total"] = _first(cov["needs_new_leader"])
        return ctx


SIDE_LIST = 200


def _first(qs: Any) -> tuple[list[Any], int]:
    """A side list's first SIDE_LIST rows, and how many there are in all (counted only when
    there are more)."""
    rows = list(qs[: SIDE_LIST + 1])
    return rows[:SIDE_LIST], (qs.count() if len(rows) > SIDE_LIST else len(rows))


class PairingCreateView(ScopedDetailView):
    """Pair a 离休干部 (pk = the person) with a serving leader."""

    model = Person  # type: ignore[misc]
    permission_required = "care.add_pairing"
    template_name = "care/pairing_form.html"
    context_object_name = "person"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        ctx.setdefault("form", forms.PairingForm(user=self.request.user))
        ctx["current"] = Pairing.objects.filter(person=self.object, active=True).first()
        return ctx

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.object = person = self.get_object()
        form = forms.PairingForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                services.pairing_create(
                    actor=request.user,
                    person=person,
                    leader=form.cleaned_data["leader"],
                    start=form.cleaned_data["start"],
                )
            except ValidationError as exc:
                _errors(request, exc)
            else:
                messages.success(request, _("Paired."))
                return redirect("care:pairs")
        return self.render_to_response(self.get_context_data(form=form))


# ---- 一人一策 --------------------------------------------------------------------------------


class PlanListView(ExportMixin, ScopedListView):
    model = ServicePlan  # type: ignore[misc]
    permission_required = "care.view_serviceplan"
    filterset_class = selectors.PlanFilter
    ordering = ["review_date", "id"]
    template_name = "care/plan_list.html"
    export_name = "plans"

    @property
    def export_headers(self) -> list[str]:  # type: ignore[override]
        return [
            _("Name"),
            _("Version"),
            pgettext("care record", "Current"),
            _("Needs"),
            _("Measures"),
            _("Responsible"),
            _("Next review"),
        ]

    def export_row(self, p: ServicePlan) -> list[Any]:
        return [
            p.person.name,
            p.version,
            _("Yes") if p.current else _("No"),
            p.needs,
            p.measures,
            p.responsible,
            p.review_date,
        ]

    def get_queryset(self) -> Any:
        qs = super().get_queryset().select_related("person")
        return qs if "current" in self.request.GET else qs.filter(current=True)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        ctx["today"] = timezone.localdate()
        ctx["reviews_due"] = selectors.plans_due_for_review(user=self.request.user).count()
        return ctx


class PlanDetailView(ScopedDetailView):
    model = ServicePlan  # type: ignore[misc]
    permission_required = "care.view_serviceplan"
    template_name = "care/plan_detail.html"
    context_object_name = "plan"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        ctx["history"] = (
            ServicePlan.objects.visible_to(self.request.user)
            .filter(person_id=self.object.person_id)
            .order_by("-version")
        )
        return ctx


class PlanCreateView(ScopedDetailView):
    """Write the next version of a person's plan (pk = the person)."""

    model = Person  # type: ignore[misc]
    permission_required = "care.add_serviceplan"
    template_name = "care/plan_form.html"
    context_object_name = "person"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        current = ServicePlan.objects.filter(person=self.object, current=True).first()
        initial = (
            {
                "needs": current.needs,
                "measures": current.measures,
                "responsible": current.responsible,
            }
            if current
            else {}
        )
        ctx.setdefault("form", forms.PlanForm(initial=initial))
        ctx["current"] = current
        return ctx

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.object = person = self.get_object()
        form = forms.PlanForm(request.POST)
        if form.is_valid():
            try:
                plan = services.plan_save(actor=request.user, person=person, data=form.cleaned_data)
            except ValidationError as exc:
                _errors(request, exc)
            else:
                return redirect(plan)
        return self.render_to_response(self.get_context_data(form=form))


# ---- aid -------------------------------------------------------------------------------------


class ProgrammeListView(ExportMixin, ScopedListView):
    model = AidProgramme  # type: ignore[misc]
    permission_required = "care.view_aidprogramme"
    filterset_class = selectors.ProgrammeFilter
    ordering = ["year", "id"]
    descending = True  # newest first, on the page and in the export
    template_name = "care/programme_list.html"
    export_name = "programmes"

    @property
    def export_headers(self) -> list[str]:  # type: ignore[override]
        return [
            pgettext("aid programme", "Name"),
            _("Year"),
            _("Kind"),
            _("Region"),
            _("Budget (yuan)"),
            _("Approved so far (yuan)"),
            _("Status"),
        ]

    def export_row(self, p: AidProgramme) -> list[Any]:
        return [
            p.name,
            p.year,
            p.get_kind_display(),
            _region_name(p),
            Decimal(p.budget_fen) / 100,
            Decimal(p.committed_fen) / 100,
            p.get_status_display(),
        ]

    def get_queryset(self) -> Any:
        return super().get_queryset().select_related("region")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        ctx["form"] = forms.ProgrammeForm(
            user=self.request.user, initial={"year": timezone.localdate().year}
        )
        return ctx


class ProgrammeCreateView(ScopedMixin, TemplateView):
    model = AidProgramme  # type: ignore[misc]
    permission_required = "care.add_aidprogramme"
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = forms.ProgrammeForm(request.POST, user=request.user)
        if not form.is_valid():
            _errors(request, form.errors, form)
            return redirect("care:programmes")
        try:
            prog = services.programme_save(
                actor=request.user, programme=None, data=form.service_data()
            )
        except ValidationError as exc:
            _errors(request, exc)
            return redirect("care:programmes")
        return redirect(prog)


class ProgrammeDetailView(ScopedDetailView):
    model = AidProgramme  # type: ignore[misc]
    permission_required = "care.view_aidprogramme"
    template_name = "care/programme_detail.html"
    context_object_name = "programme"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        prog = self.object
        ctx["apply_form"] = forms.ApplyForm(initial={"period": str(prog.year)})
        ctx["upload_form"] = forms.UploadForm(initial={"period": str(prog.year)})
        ctx["payments"] = (
            AidPayment.objects.visible_to(self.request.user)
            .filter(programme=prog)
            .select_related("person")
            .order_by("-id")[:100]
        )
        ctx["budget"], ctx["committed"] = _yuan(prog.budget_fen), _yuan(prog.committed_fen)
        ctx["remaining"] = _yuan(prog.remaining_fen)
        return ctx


def _action(service: Callable[..., Any], success: Any, **extra: Any) -> Callable[..., HttpResponse]:
    def post(
        self: ScopedActionView, request: HttpRequest, *args: Any, **kwargs: Any
    ) -> HttpResponse:
        obj = self.get_object()
        try:
            service(actor=request.user, **{self.arg: obj}, **extra)  # type: ignore[attr-defined]
            messages.success(request, str(success))
        except ValidationError as exc:
            _errors(request, exc)
        return redirect(obj)

    return post


class ProgrammeApproveView(ScopedActionView):
    model = AidProgramme  # type: ignore[misc]
    permission_required = "care.approve_aidprogramme"
    http_method_names = ["post"]
    arg = "programme"
    post = _action(services.programme_approve, gettext_lazy("The programme is approved."))


class PaymentApplyView(ScopedActionView):
    model = AidProgramme  # type: ignore[misc]
    permission_required = "care.add_aidpayment"
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        prog = self.get_object()
        form = forms.ApplyForm(request.POST)
        if not form.is_valid():
            _errors(request, form.errors, form)
            return redirect(prog)
        d = form.cleaned_data
        person = Person.objects.visible_to(request.user).filter(pk=d["person"]).first()
        if person is None:
            messages.error(request, _("No such person in your region."))
            return redirect(prog)
        try:
            services.payment_apply(
                actor=request.user,
                programme=prog,
                person=person,
                amount_fen=int(d["amount"] * 100),
                period=d["period"],
                reason=d["reason"],
            )
            messages.success(request, _("Applied; another user must approve it."))
        except ValidationError as exc:
            _errors(request, exc)
        return redirect(prog)


class PaymentUploadView(ScopedActionView):
    """A list of people and amounts as .xlsx or .csv: one application per row."""

    model = AidProgramme  # type: ignore[misc]
    permission_required = "care.add_aidpayment"
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        prog = self.get_object()
        form = forms.UploadForm(request.POST, request.FILES)
        if not form.is_valid():
            _errors(request, form.errors, form)
            return redirect(prog)
        try:
            made, errors = services.payments_import(
                actor=request.user,
                programme=prog,
                rows=form.rows,
                period=form.cleaned_data["period"],
            )
        except ValidationError as exc:
            _errors(request, exc)
            return redirect(prog)
        messages.success(request, _("%(n)s applications made.") % {"n": len(made)})
        for error in errors[:50]:
            messages.error(request, error)
        return redirect(prog)


class PaymentListView(ExportMixin, ScopedListView):
    model = AidPayment  # type: ignore[misc]
    permission_required = "care.view_aidpayment"
    filterset_class = selectors.PaymentFilter
    ordering = ["id"]
    template_name = "care/payment_list.html"
    export_name = "aid"
    # The ledger is this list with status=paid: one permission guards both exports.
    export_permission = "care.export_aidpayment"

    @property
    def export_headers(self) -> list[str]:  # type: ignore[override]
        return [
            _("Name"),
            _("Programme"),
            pgettext("aid payment", "Period"),
            _("Amount (yuan)"),
            _("Status"),
            _("Paid on"),
            _("Voucher number"),
        ]

    def export_row(self, p: AidPayment) -> list[Any]:
        from decimal import Decimal

        return [
            p.person.name,
            str(p.programme),
            p.period,
            Decimal(p.amount_fen) / 100,
            p.get_status_display(),
            p.paid_on,
            p.voucher,
        ]

    def get_queryset(self) -> Any:
        return super().get_queryset().select_related("person", "programme", "region")


class LedgerView(PaymentListView):
    """台账 — money paid, with totals per county and programme."""

    permission_required = "care.view_aidpayment"
    template_name = "care/ledger.html"
    export_name = "ledger"

    def get_queryset(self) -> Any:
        return super().get_queryset().filter(status="paid")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        _f, qs = self.filtered()
        ctx["totals"] = selectors.aid_totals(user=self.request.user, qs=qs)
        return ctx


class PaymentDetailView(ScopedDetailView):
    model = AidPayment  # type: ignore[misc]
    permission_required = "care.view_aidpayment"
    template_name = "care/payment_detail.html"
    context_object_name = "payment"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        ctx["pay_form"] = forms.PayForm(initial={"paid_on": timezone.localdate()})
        return ctx


class PaymentApproveView(ScopedActionView):
    model = AidPayment  # type: ignore[misc]
    permission_required = "care.approve_aidpayment"
    http_method_names = ["post"]
    arg = "payment"
    post = _action(services.payment_approve, gettext_lazy("Approved."))


class PaymentRejectView(ScopedActionView):
    model = AidPayment  # type: ignore[misc]
    permission_required = "care.approve_aidpayment"
    http_method_names = ["post"]
    arg = "payment"
    post = _action(services.payment_reject, gettext_lazy("Rejected."))


class PaymentPayView(ScopedActionView):
    model = AidPayment  # type: ignore[misc]
    permission_required = "care.pay_aidpayment"
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        payment = self.get_object()
        form = forms.PayForm(request.POST)
        if form.is_valid():
            try:
                services.payment_pay(
                    actor=request.user,
                    payment=payment,
                    paid_on=form.cleaned_data["paid_on"],
                    voucher=form.cleaned_data["voucher"],
                )
                messages.success(request, _("Recorded as paid."))
            except ValidationError as exc:
                _errors(request, exc)
        return redirect(payment)


# ---- rules -----------------------------------------------------------------------------------


class RuleListView(ExportMixin, ScopedListView):
    model = VisitRule  # type: ignore[misc]
    permission_required = "care.view_visittask"
    filterset_class = selectors.RuleFilter
    ordering = ["order", "id"]
    template_name = "care/rule_list.html"
    export_name = "rules"

    @property
    def export_headers(self) -> list[str]:  # type: ignore[override]
        return [
            pgettext("visit rule", "Name"),
            _("Trigger"),
            _("Region"),
            _("Owner"),
            _("In use"),
        ]

    def export_row(self, r: VisitRule) -> list[Any]:
        return [
            r.name,
            r.get_trigger_display(),
            _region_name(r),
            r.get_owner_display(),
            _("Yes") if r.active else _("No"),
        ]

    def get_queryset(self) -> Any:
        return super().get_queryset().select_related("region")


class RuleDetailView(ScopedDetailView):
    model = VisitRule  # type: ignore[misc]
    permission_required = "care.view_visittask"
    template_name = "care/rule_detail.html"
    context_object_name = "rule"


class RuleEditView(ScopedDetailView):
    """Edit a rule; `copy` makes a new rule starting from this one."""

    model = VisitRule  # type: ignore[misc]
    permission_required = "care.manage_rules"
    template_name = "care/rule_form.html"
    context_object_name = "rule"
    copy = False

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        initial = {"code": ""} if self.copy else {}
        ctx.setdefault(
            "form", forms.RuleForm(instance=self.object, user=self.request.user, initial=initial)
        )
        ctx["copy"] = self.copy
        return ctx

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.object = rule = self.get_object()
        form = forms.RuleForm(
            request.POST, instance=VisitRule.objects.get(pk=rule.pk), user=request.user
        )
        if form.is_valid():
            try:
                saved = services.rule_save(
                    actor=request.user, rule=None if self.copy else rule, data=form.service_data()
                )
            except ValidationError as exc:
                _errors(request, exc)
            else:
                messages.success(request, _("Saved."))
                return redirect(saved)
        return self.render_to_response(self.get_context_data(form=form))


class RuleCopyView(RuleEditView):
    copy = True


# ---- 荣誉退休 --------------------------------------------------------------------------------


class CeremonyListView(ExportMixin, ScopedListView):
    model = Ceremony  # type: ignore[misc]
    permission_required = "care.view_ceremony"
    filterset_class = selectors.CeremonyFilter
    ordering = ["date", "id"]
    template_name = "care/ceremony_list.html"
    export_name = "ceremonies"

    @property
    def export_headers(self) -> list[str]:  # type: ignore[override]
        return [_("Date"), _("Unit"), _("Place"), _("Region")]

    def export_row(self, c: Ceremony) -> list[Any]:
        return [c.date, c.unit, c.place, _region_name(c)]

    def get_queryset(self) -> Any:
        return super().get_queryset().select_related("region")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        ctx["form"] = forms.CeremonyForm(user=self.request.user)
        return ctx


class CeremonyCreateView(ScopedMixin, TemplateView):
    model = Ceremony  # type: ignore[misc]
    permission_required = "care.add_ceremony"
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = forms.CeremonyForm(request.POST, user=request.user)
        if not form.is_valid():
            _errors(request, form.errors, form)
            return redirect("care:ceremonies")
        try:
            c = services.ceremony_save(actor=request.user, ceremony=None, data=form.cleaned_data)
        except ValidationError as exc:
            _errors(request, exc)
            return redirect("care:ceremonies")
        return redirect(c)


class CeremonyDetailView(ScopedDetailView):
    model = Ceremony  # type: ignore[misc]
    permission_required = "care.view_ceremony"
    template_name = "care/ceremony_detail.html"
    context_object_name = "ceremony"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        honorees = (
            Honoree.objects.visible_to(self.request.user)
            .filter(ceremony=self.object)
            .select_related("person")
        )
        ctx["honorees"] = [
            {
                "h": h,
                "items": [
                    (code, label, h.checklist.get(code, False)) for code, label in HONOUR_CHECKLIST
                ],
            }
            for h in honorees
        ]
        ctx["form"] = forms.HonoreeForm(user=self.request.user)
        return ctx


class HonoreeAddView(ScopedActionView):
    model = Ceremony  # type: ignore[misc]
    permission_required = "care.change_ceremony"
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        ceremony = self.get_object()
        form = forms.HonoreeForm(request.POST, user=request.user)
        if not form.is_valid():
            _errors(request, form.errors, form)
            return redirect(ceremony)
        d = form.cleaned_data
        try:
            if d["person"]:
                person = Person.objects.visible_to(request.user).filter(pk=d["person"]).first()
                if person is None:
                    raise ValidationError(_("No such person in your region."))
                services.honoree_add(actor=request.user, ceremony=ceremony, person=person)
            else:
                services.honoree_add(
                    actor=request.user,
                    ceremony=ceremony,
                    person_data={
                        "name": d["name"],
                        "id_number": d["id_number"],
                        "gender": d["gender"],
                        "region": d["region"] or ceremony.region,
                        "birth_date": None,
                    },
                )
            messages.success(request, _("Added."))
        except ValidationError as exc:
            _errors(request, exc)
        return redirect(ceremony)


class HonoreeCheckView(ScopedActionView):
    model = Honoree  # type: ignore[misc]
    permission_required = "care.change_ceremony"
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        honoree = self.get_object()
        form = forms.ChecklistForm(request.POST)
        if form.is_valid():
            services.honoree_check(
                actor=request.user,
                honoree=honoree,
                item=form.cleaned_data["item"],
                done=form.cleaned_data["done"],
            )
        else:
            _errors(request, form.errors, form)
        return redirect(honoree.ceremony)
