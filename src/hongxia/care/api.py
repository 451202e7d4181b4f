"""The care API, mounted under /api/care/ by hongxia.api.urls: thin handlers over the care
selectors and services; rows only through `visible_to(user)` (ScopedAPIView)."""

from __future__ import annotations

import datetime
from typing import Any

from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from hongxia.api import schema
from hongxia.api.paging import page_response, page_size
from hongxia.api.views import ScopedAPIView
from hongxia.care import selectors, services
from hongxia.care.models import (
    AidPayment,
    AidProgramme,
    Ceremony,
    Leader,
    Pairing,
    ServicePlan,
    TaskRow,
    Visit,
    VisitCampaign,
    VisitTask,
)
from hongxia.core.pagination import paginate
from hongxia.people.models import Person


def _d(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime.date) else value


def task_json(t: TaskRow | VisitTask) -> dict[str, Any]:
    return {
        "id": t.pk,
        "person": t.person_id,
        "person_name": t.person.name,
        "rule": t.rule.code,
        "rule_name": t.rule.name,
        "region": t.region_id,
        "period": t.period_key,
        "opens": _d(t.opens),
        "due": _d(t.due),
        "owner": t.owner,
        "owner_region": t.owner_region_id,
        "owner_leader": t.owner_leader_id,
        "owner_branch": getattr(t, "branch_id", None) if t.owner == "branch" else None,
        "status": t.status,
        "visit": t.visit_id,
    }


def visit_json(v: Visit) -> dict[str, Any]:
    return {
        "id": v.pk,
        "person": v.person_id,
        "person_name": v.person.name,
        "date": _d(v.date),
        "mode": v.mode,
        "visitors": v.visitors,
        "leader": v.leader_id,
        "notes": v.notes,
        "gifts": v.gifts,
        "payment": v.payment_id,
        "follow_up": v.follow_up,
        "follow_up_due": _d(v.follow_up_due),
        "closed_tasks": [t.pk for t in v.tasks.all()],
        "aid_applications": [p.pk for t in v.tasks.all() for p in t.payments.all()],
    }


def payment_json(p: AidPayment) -> dict[str, Any]:
    return {
        "id": p.pk,
        "programme": p.programme_id,
        "person": p.person_id,
        "person_name": p.person.name,
        "region": p.region_id,
        "period": p.period,
        "amount_fen": p.amount_fen,
        "status": p.status,
        "applied_by": p.applied_by_id,
        "approved_by": p.approved_by_id,
        "paid_on": _d(p.paid_on),
        "voucher": p.voucher,
    }


def programme_json(p: AidProgramme) -> dict[str, Any]:
    return {
        "id": p.pk,
        "name": p.name,
        "kind": p.kind,
        "year": p.year,
        "region": p.region_id,
        "budget_fen": p.budget_fen,
        "committed_fen": p.committed_fen,
        "amount_min_fen": p.amount_min_fen,
        "amount_max_fen": p.amount_max_fen,
        "status": p.status,
    }


def _ids(raw: Any) -> list[int]:
    if raw in (None, ""):
        return []
    try:
        return [int(x) for x in (raw if isinstance(raw, list) else [raw])]
    except (TypeError, ValueError) as exc:
        raise ValidationError({"aid_tasks": [_("A list of task numbers.")]}) from exc


def _body(request: Request) -> dict[str, Any]:
    if not isinstance(request.data, dict):
        raise ValidationError({"non_field_errors": [_("The request body must be a JSON object.")]})
    return request.data


def _date(data: dict[str, Any], key: str, *, required: bool = True) -> datetime.date | None:
    raw = data.get(key)
    if raw in (None, ""):
        if required:
            raise ValidationError({key: [_("This field is required.")]})
        return None
    try:
        return datetime.date.fromisoformat(str(raw))
    except ValueError as exc:
        raise ValidationError({key: [_("A date as YYYY-MM-DD.")]}) from exc


class _ListMixin:
    ordering: list[str] = ["id"]

    def page(self, request: Request, qs: Any, render: Any, **extra: Any) -> Response:
        size = page_size(request)
        page = paginate(
            qs, ordering=self.ordering, cursor=request.query_params.get("cursor"), page_size=size
        )
        return page_response(request, page, [render(o) for o in page.rows], **extra)


def _filtered(filterset: Any, request: Request, qs: Any) -> Any:
    f = filterset(request.query_params, queryset=qs, request=request)
    if not f.is_valid():
        raise ValidationError(
            {k: [e["message"] for e in v] for k, v in f.errors.get_json_data().items()}
        )
    return f.qs


LIST = {200: OpenApiTypes.OBJECT, **schema.READ_ERRORS}
ONE = {200: OpenApiTypes.OBJECT, 404: schema.NOT_FOUND, **schema.READ_ERRORS}
WRITE = {200: OpenApiTypes.OBJECT, 201: OpenApiTypes.OBJECT, **schema.WRITE_ERRORS}


class TaskListView(_ListMixin, ScopedAPIView):
    """Open visit tasks: `when=mine|week|overdue|all`; with open and overdue counts per county."""

    model = TaskRow
    required_permissions = {"GET": "care.view_visittask"}
    ordering = ["due", "id"]

    @extend_schema(
        operation_id="care_tasks_list",
        summary="Visit tasks",
        parameters=[*schema.filter_parameters(selectors.TaskFilter), *schema.PAGE_PARAMETERS],
        responses=LIST,
    )
    def get(self, request: Request) -> Response:
        qs = selectors.with_branch(self.scoped_queryset().select_related("person", "rule"))
        if not request.query_params.get("when") and not request.query_params.get("status"):
            qs = qs.filter(status="open")
        qs = _filtered(selectors.TaskFilter, request, qs)
        size = page_size(request)
        page = selectors.task_page(
            qs, user=request.user, cursor=request.query_params.get("cursor"), page_size=size
        )
        return page_response(
            request,
            page,
            [task_json(t) for t in page.rows],
            by_county=selectors.overdue_by_county(user=request.user),
        )


class TaskDetailView(ScopedAPIView):
    model = TaskRow
    required_permissions = {"GET": "care.view_visittask"}

    @extend_schema(operation_id="care_tasks_retrieve", summary="One visit task", responses=ONE)
    def get(self, request: Request, pk: int) -> Response:
        qs = selectors.with_branch(self.scoped_queryset().select_related("person", "rule"))
        return Response(task_json(self.get_object(pk, qs)))


class PlanView(ScopedAPIView):
    """Plan the visit tasks due on a day (default today) within the caller's region."""

    model = VisitTask
    required_permissions = {"POST": "care.add_visittask"}

    @extend_schema(
        operation_id="care_plan",
        summary="Plan visit tasks for a day",
        request=OpenApiTypes.OBJECT,
        responses=WRITE,
    )
    def post(self, request: Request) -> Response:
        day = _date(_body(request), "date", required=False) or timezone.localdate()
        created = services.tasks_plan_for_day(actor=request.user, day=day)
        return Response({"date": day.isoformat(), "created": created})


class VisitListView(_ListMixin, ScopedAPIView):
    model = Visit
    required_permissions = {"GET": "care.view_visit", "POST": "care.add_visit"}

    @extend_schema(
        operation_id="care_visits_list",
        summary="Visits",
        parameters=[*schema.filter_parameters(selectors.VisitFilter), *schema.PAGE_PARAMETERS],
        responses=LIST,
    )
    def get(self, request: Request) -> Response:
        qs = self.scoped_queryset().select_related("person").prefetch_related("tasks__payments")
        return self.page(request, _filtered(selectors.VisitFilter, request, qs), visit_json)

    @extend_schema(
        operation_id="care_visits_create",
        summary="Record a visit",
        description=(
            "Closes the person's open tasks whose rule accepts the mode; `aid_tasks` (ids of "
            "tasks it closes) applies for the money their rules carry."
        ),
        request=OpenApiTypes.OBJECT,
        responses=WRITE,
    )
    def post(self, request: Request) -> Response:
        data = _body(request)
        person = Person.objects.visible_to(request.user).filter(pk=data.get("person")).first()
        if person is None:
            raise ValidationError({"person": [_("No such person in your region.")]})
        payment = None
        if data.get("payment"):
            payment = AidPayment.objects.visible_to(request.user).filter(pk=data["payment"]).first()
        visit = services.visit_record(
            actor=request.user,
            person=person,
            data={
                "date": _date(data, "date"),
                "mode": data.get("mode", ""),
                "visitors": data.get("visitors", ""),
                "notes": data.get("notes", ""),
                "gifts": data.get("gifts", ""),
                "follow_up": data.get("follow_up", ""),
                "follow_up_due": _date(data, "follow_up_due", required=False),
                "payment": payment,
                "aid_tasks": _ids(data.get("aid_tasks")),
            },
        )
        return Response(visit_json(visit), status=status.HTTP_201_CREATED)


class VisitDetailView(ScopedAPIView):
    model = Visit
    required_permissions = {"GET": "care.view_visit"}

    @extend_schema(operation_id="care_visits_retrieve", summary="One visit", responses=ONE)
    def get(self, request: Request, pk: int) -> Response:
        return Response(visit_json(self.get_object(pk)))


class PairingListView(_ListMixin, ScopedAPIView):
    """Pairs, with coverage per county and the unpaired 离休干部."""

    model = Pairing
    required_permissions = {"GET": "care.view_pairing"}

    @extend_schema(
        operation_id="care_pairs_list",
        summary="Pairing and coverage",
        parameters=schema.PAGE_PARAMETERS,
        responses=LIST,
    )
    def get(self, request: Request) -> Response:
        cov = selectors.pairing_coverage(user=request.user)
        qs = self.scoped_queryset().filter(active=True).select_related("person", "leader")
        return self.page(
            request,
            qs,
            lambda p: {
                "id": p.pk,
                "person": p.person_id,
                "person_name": p.person.name,
                "leader": p.leader_id,
                "leader_name": p.leader.name,
                "start": _d(p.start),
                "leader_serving": p.leader.status == "serving",
            },
            coverage={
                "paired": cov["paired"],
                "total": cov["total"],
                "counties": cov["counties"],
                "unpaired": [{"id": p.pk, "name": p.name} for p in cov["unpaired"][:500]],
            },
        )


class LeaderListView(_ListMixin, ScopedAPIView):
    model = Leader
    required_permissions = {"GET": "care.view_leader"}

    @extend_schema(
        operation_id="care_leaders_list",
        summary="Paired leaders (phones masked); `q` finds a name, its pinyin or initials, or "
        "a phone's last 4 digits, as the leaders page does",
        parameters=[*schema.filter_parameters(selectors.LeaderFilter), *schema.PAGE_PARAMETERS],
        responses=LIST,
    )
    def get(self, request: Request) -> Response:
        return self.page(
            request,
            _filtered(selectors.LeaderFilter, request, self.scoped_queryset().defer("phone")),
            lambda x: {
                "id": x.pk,
                "name": x.name,
                "post": x.post,
                "unit": x.unit,
                "phone": x.phone_masked,
                "status": x.status,
                "region": x.region_id,
            },
        )


class PlanListView(_ListMixin, ScopedAPIView):
    model = ServicePlan
    required_permissions = {"GET": "care.view_serviceplan"}

    @extend_schema(
        operation_id="care_plans_list",
        summary="Personal plans (一人一策)",
        parameters=[*schema.filter_parameters(selectors.PlanFilter), *schema.PAGE_PARAMETERS],
        responses=LIST,
    )
    def get(self, request: Request) -> Response:
        qs = _filtered(
            selectors.PlanFilter, request, self.scoped_queryset().select_related("person")
        )
        return self.page(
            request,
            qs,
            lambda p: {
                "id": p.pk,
                "person": p.person_id,
                "person_name": p.person.name,
                "version": p.version,
                "current": p.current,
                "needs": p.needs,
                "measures": p.measures,
                "responsible": p.responsible,
                "review_date": _d(p.review_date),
            },
        )


class ProgrammeListView(_ListMixin, ScopedAPIView):
    model = AidProgramme
    required_permissions = {"GET": "care.view_aidprogramme"}

    @extend_schema(
        operation_id="care_programmes_list",
        summary="Aid programmes",
        parameters=schema.PAGE_PARAMETERS,
        responses=LIST,
    )
    def get(self, request: Request) -> Response:
        return self.page(request, self.scoped_queryset(), programme_json)


class ProgrammeDetailView(ScopedAPIView):
    model = AidProgramme
    required_permissions = {"GET": "care.view_aidprogramme"}

    @extend_schema(
        operation_id="care_programmes_retrieve", summary="One aid programme", responses=ONE
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(programme_json(self.get_object(pk)))


class PaymentListView(_ListMixin, ScopedAPIView):
    """Applications and payments; POST applies for one person."""

    model = AidPayment
    required_permissions = {"GET": "care.view_aidpayment", "POST": "care.add_aidpayment"}

    @extend_schema(
        operation_id="care_payments_list",
        summary="Aid applications and payments",
        parameters=[*schema.filter_parameters(selectors.PaymentFilter), *schema.PAGE_PARAMETERS],
        responses=LIST,
    )
    def get(self, request: Request) -> Response:
        qs = _filtered(
            selectors.PaymentFilter, request, self.scoped_queryset().select_related("person")
        )
        return self.page(request, qs, payment_json, totals=selectors.aid_totals(user=request.user))

    @extend_schema(
        operation_id="care_payments_create",
        summary="Apply for aid",
        request=OpenApiTypes.OBJECT,
        responses=WRITE,
    )
    def post(self, request: Request) -> Response:
        data = _body(request)
        person = Person.objects.visible_to(request.user).filter(pk=data.get("person")).first()
        programme = AidProgramme.objects.filter(pk=data.get("programme")).first()
        if person is None:
            raise ValidationError({"person": [_("No such person in your region.")]})
        if programme is None:
            raise ValidationError({"programme": [_("No such programme.")]})
        try:
            fen = int(data.get("amount_fen"))  # type: ignore[arg-type]
        except (TypeError, ValueError) as exc:
            raise ValidationError({"amount_fen": [_("An amount in fen.")]}) from exc
        payment = services.payment_apply(
            actor=request.user,
            programme=programme,
            person=person,
            amount_fen=fen,
            period=str(data.get("period", "")),
            reason=str(data.get("reason", "")),
        )
        return Response(payment_json(payment), status=status.HTTP_201_CREATED)


class PaymentDetailView(ScopedAPIView):
    model = AidPayment
    required_permissions = {"GET": "care.view_aidpayment"}

    @extend_schema(operation_id="care_payments_retrieve", summary="One aid payment", responses=ONE)
    def get(self, request: Request, pk: int) -> Response:
        return Response(payment_json(self.get_object(pk)))


class PaymentApproveView(ScopedAPIView):
    model = AidPayment
    required_permissions = {"POST": "care.approve_aidpayment"}

    @extend_schema(
        operation_id="care_payments_approve",
        summary="Approve (not one's own)",
        request=None,
        responses=WRITE,
    )
    def post(self, request: Request, pk: int) -> Response:
        payment = services.payment_approve(actor=request.user, payment=self.get_object(pk))
        return Response(payment_json(payment))


class PaymentPayView(ScopedAPIView):
    model = AidPayment
    required_permissions = {"POST": "care.pay_aidpayment"}

    @extend_schema(
        operation_id="care_payments_pay",
        summary="Record as paid",
        request=OpenApiTypes.OBJECT,
        responses=WRITE,
    )
    def post(self, request: Request, pk: int) -> Response:
        payment = self.get_object(pk)
        data = _body(request)
        payment = services.payment_pay(
            actor=request.user,
            payment=payment,
            paid_on=_date(data, "paid_on", required=False),
            voucher=str(data.get("voucher", "")),
        )
        return Response(payment_json(payment))


class CeremonyListView(_ListMixin, ScopedAPIView):
    model = Ceremony
    required_permissions = {"GET": "care.view_ceremony"}

    @extend_schema(
        operation_id="care_ceremonies_list",
        summary="Honorary retirement ceremonies",
        parameters=schema.PAGE_PARAMETERS,
        responses=LIST,
    )
    def get(self, request: Request) -> Response:
        qs = self.scoped_queryset().prefetch_related("honorees__person")
        return self.page(
            request,
            qs,
            lambda c: {
                "id": c.pk,
                "date": _d(c.date),
                "place": c.place,
                "unit": c.unit,
                "region": c.region_id,
                "honorees": [
                    {"person": h.person_id, "name": h.person.name, "checklist": h.checklist}
                    for h in c.honorees.all()
                ],
            },
        )


class CampaignListView(_ListMixin, ScopedAPIView):
    """Campaigns (an everyone-rule's occurrence in one county), newest first, with progress."""

    model = VisitCampaign
    required_permissions = {"GET": "care.view_visittask"}

    @extend_schema(
        operation_id="care_campaigns_list",
        summary="Visit campaigns with their progress",
        parameters=[*schema.filter_parameters(selectors.CampaignFilter), *schema.PAGE_PARAMETERS],
        responses=LIST,
    )
    def get(self, request: Request) -> Response:
        qs = _filtered(
            selectors.CampaignFilter, request, self.scoped_queryset().select_related("rule")
        )
        page = selectors.campaign_page(
            qs, cursor=request.query_params.get("cursor"), page_size=page_size(request)
        )
        return page_response(
            request,
            page,
            [
                {
                    "id": c.pk,
                    "rule": c.rule.code,
                    "rule_name": c.rule.name,
                    "period": c.period_key,
                    "county": c.region_id,
                    "opens": _d(c.opens),
                    "due": _d(c.due),
                    **c.progress,
                }
                for c in page.rows
            ],
        )


def _route(route: str, view: type[ScopedAPIView], name: str) -> list[Any]:
    return [
        path(route + "/", view.as_view(schema=None), name=name),
        path(route, view.as_view(), name=name),
    ]


urlpatterns: list[Any] = [
    *_route("tasks", TaskListView, "care-task-list"),
    *_route("tasks/<int:pk>", TaskDetailView, "care-task-detail"),
    *_route("plan", PlanView, "care-plan"),
    *_route("campaigns", CampaignListView, "care-campaign-list"),
    *_route("visits", VisitListView, "care-visit-list"),
    *_route("visits/<int:pk>", VisitDetailView, "care-visit-detail"),
    *_route("pairs", PairingListView, "care-pair-list"),
    *_route("leaders", LeaderListView, "care-leader-list"),
    *_route("plans", PlanListView, "care-plan-list"),
    *_route("programmes", ProgrammeListView, "care-programme-list"),
    *_route("programmes/<int:pk>", ProgrammeDetailView, "care-programme-detail"),
    *_route("payments", PaymentListView, "care-payment-list"),
    *_route("payments/<int:pk>", PaymentDetailView, "care-payment-detail"),
    *_route("payments/<int:pk>/approve", PaymentApproveView, "care-payment-approve"),
    *_route("payments/<int:pk>/pay", PaymentPayView, "care-payment-pay"),
    *_route("ceremonies", CeremonyListView, "care-ceremony-list"),
]
