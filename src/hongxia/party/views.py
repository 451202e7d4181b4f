"""Party pages: thin — parse input, call a selector or service, render. Region scope (and a
secretary's own branch) comes from the core base classes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cached_property
from typing import Any, ClassVar

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.generic import TemplateView

from hongxia.core import audit
from hongxia.core.exports import xlsx_response
from hongxia.core.generic import (
    ScopedActionView,
    ScopedDetailView,
    ScopedListView,
    ScopedMixin,
    errors_to_messages,
)
from hongxia.core.models import AuditLog
from hongxia.party import rules, selectors, services
from hongxia.party.choices import ATTENDED, MemberStatus
from hongxia.party.forms import (
    ATTENDANCE_CHOICES,
    AttachmentForm,
    CommitteeSeatForm,
    DecisionForm,
    EndForm,
    FlowingForm,
    HomeForm,
    MeetingForm,
    MemberCreateForm,
    OrganisationForm,
    ParticipantEndForm,
    ParticipantForm,
    RatingForm,
    ReorganiseForm,
    RequirementForm,
    TransferForm,
    TransferRequestForm,
)
from hongxia.party.models import (
    Meeting,
    MeetingAttachment,
    MeetingRequirement,
    Member,
    Organisation,
    Participation,
    PartyHome,
    Rating,
    TransferRequest,
)
from hongxia.people.forms import region_label_map


def _form_errors(request: HttpRequest, form: Any) -> None:
    errors_to_messages(request, form.errors, form)


def _service_errors(request: HttpRequest, exc: ValidationError, form: Any = None) -> None:
    for field, msgs in exc.message_dict.items():
        for msg in msgs:
            if form is not None and field in form.fields:
                form.add_error(field, msg)
            elif form is not None:
                form.add_error(None, msg)
            else:
                messages.error(request, msg)


def _scoped_get(view: ScopedMixin, model: type[Any]) -> Any:
    """One row of `model` in the user's scope by the URL's pk; missing and forbidden are 404."""
    try:
        return view.scoped_queryset().get(pk=view.kwargs["pk"])  # type: ignore[attr-defined]
    except model.DoesNotExist as exc:
        raise Http404 from exc


class ExportMixin:
    """A list view's filtered rows as .xlsx: `export_columns` and `export_row(obj)`."""

    export_name: ClassVar[str]
    export_columns: ClassVar[Sequence[Any]]
    request: HttpRequest
    filtered: Callable[[], tuple[Any, QuerySet[Any]]]
    ordering: ClassVar[list[str]]

    def export_queryset(self, qs: QuerySet[Any]) -> QuerySet[Any]:
        return qs

    @cached_property
    def region_labels(self) -> dict[str, str]:
        """Region labels for the rows, read once per export, not once per row."""
        return region_label_map()

    def export_row(self, obj: Any) -> list[Any]:
        raise NotImplementedError

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        _f, qs = self.filtered()
        qs = self.export_queryset(qs).order_by(*self.ordering)[: settings.HONGXIA_EXPORT_MAX_ROWS]
        count = [0]

        def rows() -> Any:
            for obj in qs.iterator(chunk_size=2000):
                count[0] += 1
                yield self.export_row(obj)

        response = xlsx_response(
            f"hongxia-{self.export_name}-{timezone.localdate():%Y%m%d}.xlsx",
            str(self.export_name),
            [str(c) for c in self.export_columns],
            rows(),
        )
        audit.record_event(
            AuditLog.Action.EXPORT,
            actor=request.user,
            note=f"party {self.export_name} {count[0]} rows: {request.GET.urlencode()}"[:200],
        )
        return response  # type: ignore[return-value]  # a streamed file


class DescendingListView(ScopedListView):
    descending = True  # newest first


# --- organisations -------------------------------------------------------------------------


class OrganisationListView(ScopedListView):
    """党组织 — the organisations, with filters, search and keyset pages."""

    model = Organisation
    permission_required = "party.view_organisation"
    filterset_class = selectors.OrganisationFilter
    ordering = selectors.ORG_ORDERING
    template_name = "party/organisation_list.html"

    def get_queryset(self) -> Any:
        return super().get_queryset().select_related("region", "parent", "secretary")


class OrganisationExportView(ExportMixin, OrganisationListView):
    permission_required = "party.export_party"
    export_name = "organisations"
    export_columns = [
        gettext_lazy("Name"),
        gettext_lazy("Kind"),
        gettext_lazy("Parent"),
        gettext_lazy("Region"),
        gettext_lazy("Organised by"),
        gettext_lazy("Unit, community or place"),
        gettext_lazy("Secretary"),
        gettext_lazy("Founding date"),
        gettext_lazy("Start date"),
        gettext_lazy("End date"),
    ]

    def export_row(self, o: Organisation) -> list[Any]:
        labels = self.region_labels
        return [
            o.name,
            o.get_kind_display(),
            o.parent.name if o.parent else "",
            labels.get(o.region_id, o.region_id),
            o.get_basis_display(),
            o.basis_note,
            o.secretary.name if o.secretary else "",
            o.founded_on,
            o.start_date,
            o.end_date,
        ]


class OrganisationDetailView(ScopedDetailView):
    """A branch page: its compliance this month and quarter, members, meetings, history."""

    model = Organisation
    permission_required = "party.view_organisation"
    template_name = "party/organisation_detail.html"
    context_object_name = "org"

    def get_queryset(self) -> Any:
        return super().get_queryset().select_related("region", "parent", "secretary")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        org: Organisation = self.object
        user = self.request.user
        today = timezone.localdate()
        one = Organisation.objects.filter(pk=org.pk)
        checks = []
        for kind in ("month", "quarter"):
            period = rules.period_of(kind, today)
            table = selectors.required_by_kind(period, as_of=today).get(org.kind, {})
            row = selectors.compliance_queryset(one, period, as_of=today).first()
            kinds = (
                [
                    {
                        "kind": mk,
                        "required": n,
                        "held": getattr(row, f"held_{mk}", 0),
                        "behind": getattr(row, f"behind_{mk}", 0),
                    }
                    for mk, n in sorted(table.items())
                ]
                if row is not None
                else []
            )
            checks.append({"period": period, "row": row, "kinds": kinds})
        quarter = rules.period_of("quarter", today)
        members = org.members.filter(status=MemberStatus.ACTIVE).select_related("person", "group")
        seats = org.committee.filter(end_date__isnull=True).select_related("person")
        from hongxia.party.choices import MeetingKind

        ctx.update(
            checks=checks,
            meeting_kinds=dict(MeetingKind.choices),
            missing=selectors.members_missing_all(one, quarter).select_related("person"),
            members=members[:200],
            member_count=members.count(),
            children=org.children.visible_to(user).order_by("name"),
            seats=seats,
            ratings=org.ratings.all(),
            homes=org.homes.all(),
            meetings=org.meetings.all()[:20],
            reorganisations=org.reorganisations.select_related("into", "new_parent", "old_parent"),
            participants=org.participations.filter(end_date__isnull=True)
            .select_related("member__person", "member__organisation").order_by("start_date", "id")
            if org.kind == "temporary" else [],
            participant_form=ParticipantForm(user=user, initial={"start_date": today}),
            participant_end_form=ParticipantEndForm(initial={"date": today}),
            warnings=rules.branch_warnings(
                full_members=selectors.full_member_count(org),
                committee_seats=seats.count(),
                term_ends=org.term_ends,
                today=today,
                kind=org.kind,
            )
            + (["members_in_temporary"] if org.kind == "temporary" and members.exists() else []),
            region_label=region_label_map().get(org.region_id, ""),
            reorganise_form=ReorganiseForm(user=user),
            seat_form=CommitteeSeatForm(user=user),
            rating_form=RatingForm(initial={"year": today.year}),
            attendance_rate=selectors.attendance_rate(
                selectors.MeetingAttendance.objects.filter(
                    meeting__organisation=org,
                    meeting__date__gte=quarter.start,
                    meeting__date__lt=quarter.end,
                )
            ),
        )
        return ctx


class OrganisationCreateView(ScopedMixin, TemplateView):
    model = Organisation
    permission_required = "party.add_organisation"
    template_name = "party/organisation_form.html"

    def get_object(self) -> Organisation | None:
        return None

    def render(self, form: OrganisationForm, org: Organisation | None) -> HttpResponse:
        return render(self.request, self.template_name, {"form": form, "org": org})

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        org = self.get_object()
        return self.render(OrganisationForm(instance=org, user=request.user), org)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        org = self.get_object()
        form = OrganisationForm(request.POST, instance=org, user=request.user)
        if form.is_valid():
            try:
                saved = services.organisation_save(
                    actor=request.user, data=form.cleaned_data, organisation=org
                )
            except ValidationError as exc:
                _service_errors(request, exc, form)
            else:
                messages.success(request, _("Saved %(name)s.") % {"name": saved.name})
                return redirect(saved)
        return self.render(form, org)


class OrganisationEditView(OrganisationCreateView):
    permission_required = "party.change_organisation"

    def get_object(self) -> Organisation:
        return _scoped_get(self, Organisation)


class OrganisationReorganiseView(ScopedActionView):
    """合并/拆分/迁移/撤销 — the organisation and its history are kept."""

    model = Organisation
    permission_required = "party.change_organisation"
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        org = self.get_object()
        form = ReorganiseForm(request.POST, user=request.user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.organisation_reorganise(
                    actor=request.user,
                    organisation=org,
                    kind=data["kind"],
                    date=data["date"],
                    new_parent=data["new_parent"],
                    into=data["into"],
                    note=data["note"],
                )
            except ValidationError as exc:
                _service_errors(request, exc)
            else:
                messages.success(request, _("The change is recorded."))
        else:
            _form_errors(request, form)
        return redirect(org)


class CommitteeSeatAddView(ScopedActionView):
    model = Organisation
    permission_required = "party.change_organisation"
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        org = self.get_object()
        form = CommitteeSeatForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                services.committee_seat_add(
                    actor=request.user, organisation=org, **form.cleaned_data
                )
            except ValidationError as exc:
                _service_errors(request, exc)
            else:
                messages.success(request, _("The committee seat is recorded."))
        else:
            _form_errors(request, form)
        return redirect(org)


class RatingAddView(ScopedActionView):
    model = Organisation
    permission_required = "party.add_rating"
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        org = self.get_object()
        form = RatingForm(request.POST)
        if form.is_valid():
            try:
                services.rating_add(actor=request.user, organisation=org, **form.cleaned_data)
            except ValidationError as exc:
                _service_errors(request, exc)
            else:
                messages.success(request, _("The rating is recorded."))
        else:
            _form_errors(request, form)
        return redirect(org)


# --- members -------------------------------------------------------------------------------


class MemberListView(ScopedListView):
    """党员 — members with their branch, 党龄 and medal date; flowing members by a filter."""

    model = Member
    permission_required = "party.view_member"
    filterset_class = selectors.MemberFilter
    ordering = selectors.MEMBER_ORDERING
    template_name = "party/member_list.html"

    def get_queryset(self) -> Any:
        return super().get_queryset().select_related("person", "organisation")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        today = timezone.localdate()
        for m in ctx["page"].rows:
            joined = m.person.party_joined
            m.standing = rules.party_standing(joined, today) if joined else None
            m.medal_on = rules.medal_eligible_on(joined) if joined else None
        return ctx


class MemberExportView(ExportMixin, MemberListView):
    permission_required = "party.export_party"
    export_name = "members"
    export_columns = [
        gettext_lazy("Name"),
        gettext_lazy("Branch"),
        gettext_lazy("Status"),
        gettext_lazy("Joined the party"),
        gettext_lazy("Party standing (years)"),
        gettext_lazy("Fifty-year medal from"),
        gettext_lazy("In this branch since"),
        gettext_lazy("Flowing member"),
        gettext_lazy("Living at"),
        gettext_lazy("Contact phone"),
        gettext_lazy("Membership ended"),
    ]

    def export_queryset(self, qs: QuerySet[Any]) -> QuerySet[Any]:
        return qs.defer("flowing_contact")

    def export_row(self, m: Member) -> list[Any]:
        joined = m.person.party_joined
        today = timezone.localdate()
        return [
            m.person.name,
            m.organisation.name,
            m.get_status_display(),
            joined,
            rules.party_standing(joined, today) if joined else None,
            rules.medal_eligible_on(joined) if joined else None,
            m.since,
            _("Yes") if m.is_flowing else "",
            m.flowing_place,
            m.flowing_contact_masked,
            m.end_date,
        ]


class MemberDetailView(ScopedDetailView):
    model = Member
    permission_required = "party.view_member"
    template_name = "party/member_detail.html"
    context_object_name = "member"

    def get_queryset(self) -> Any:
        return super().get_queryset().select_related("person", "organisation", "group")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        m: Member = self.object
        user = self.request.user
        today = timezone.localdate()
        joined = m.person.party_joined
        ctx.update(
            standing=rules.party_standing(joined, today) if joined else None,
            medal_on=rules.medal_eligible_on(joined) if joined else None,
            transfers=selectors.transfers_of(m),
            attendance=m.attendance.select_related("meeting").order_by("-meeting__date")[:30],
            flowing_form=FlowingForm(
                user=user,
                branch=m.organisation,
                initial={
                    "group": m.group_id,
                    "is_flowing": m.is_flowing,
                    "place": m.flowing_place,
                    "since": m.flowing_since,
                    "has_activity_card": m.has_activity_card,
                },
            ),
            transfer_form=TransferForm(user=user),
            end_form=EndForm(),
            attended=ATTENDED,
            participations=m.participations.select_related("organisation").order_by(
                "-start_date"),
            requests=TransferRequest.objects.visible_to(user).filter(member=m)
            .select_related("from_organisation", "to_organisation").order_by("-date", "-id"),
        )
        if user.has_perm("party.add_transfer") and m.status == MemberStatus.ACTIVE:
            query = self.request.GET.get("target_q", "")
            targets: list[Any] = (
                list(services.transfer_targets(actor=user, query=query)) if query else [])
            labels = region_label_map()
            for t in targets:
                t.region_label = labels.get(t.region_id, t.region_id)
            ctx.update(
                target_q=query,
                targets=targets,
                request_form=TransferRequestForm(initial={"date": today}),
            )
        return ctx


class MemberCreateView(ScopedMixin, TemplateView):
    model = Member
    permission_required = "party.add_member"
    template_name = "party/member_form.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        initial = {"organisation": request.GET.get("organisation")}
        form = MemberCreateForm(user=request.user, initial=initial)
        return render(request, self.template_name, {"form": form})

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = MemberCreateForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                member = services.member_create(actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                _service_errors(request, exc, form)
            else:
                messages.success(request, _("Saved %(name)s.") % {"name": member.person.name})
                return redirect(member)
        return render(request, self.template_name, {"form": form})


class MemberFlowingView(ScopedActionView):
    model = Member
    permission_required = "party.change_member"
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        member = self.get_object()
        form = FlowingForm(request.POST, user=request.user, branch=member.organisation)
        if form.is_valid():
            try:
                services.member_set_flowing(actor=request.user, member=member, **form.cleaned_data)
            except ValidationError as exc:
                _service_errors(request, exc)
            else:
                messages.success(request, _("Saved %(name)s.") % {"name": member.person.name})
        else:
            _form_errors(request, form)
        return redirect(member)


class MemberTransferView(ScopedActionView):
    model = Member
    permission_required = "party.add_transfer"
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        member = self.get_object()
        form = TransferForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                services.member_transfer(actor=request.user, member=member, **form.cleaned_data)
            except ValidationError as exc:
                _service_errors(request, exc)
            else:
                messages.success(request, _("The transfer is recorded."))
                if not Member.objects.visible_to(request.user).filter(pk=member.pk).exists():
                    return redirect("party:member-list")
        else:
            _form_errors(request, form)
        return redirect(member)


class MemberEndView(ScopedActionView):
    model = Member
    permission_required = "party.change_member"
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        member = self.get_object()
        form = EndForm(request.POST)
        if form.is_valid():
            try:
                services.member_end(actor=request.user, member=member, **form.cleaned_data)
            except ValidationError as exc:
                _service_errors(request, exc)
            else:
                messages.success(request, _("The membership has ended."))
        else:
            _form_errors(request, form)
        return redirect(member)


# --- meetings ------------------------------------------------------------------------------


class MeetingListView(DescendingListView):
    """组织生活 — meetings, newest first."""

    model = Meeting
    permission_required = "party.view_meeting"
    filterset_class = selectors.MeetingFilter
    ordering = selectors.MEETING_ORDERING
    template_name = "party/meeting_list.html"

    def get_queryset(self) -> Any:
        return super().get_queryset().select_related("organisation")


class MeetingExportView(ExportMixin, MeetingListView):
    permission_required = "party.export_party"
    export_name = "meetings"
    export_columns = [
        gettext_lazy("Date"),
        gettext_lazy("Organisation"),
        gettext_lazy("Kind"),
        gettext_lazy("Topic"),
        gettext_lazy("Speaker"),
        gettext_lazy("Place"),
    ]

    def export_row(self, m: Meeting) -> list[Any]:
        return [m.date, m.organisation.name, m.get_kind_display(), m.topic, m.speaker, m.place]


class MeetingDetailView(ScopedDetailView):
    model = Meeting
    permission_required = "party.view_meeting"
    template_name = "party/meeting_detail.html"
    context_object_name = "meeting"

    def get_queryset(self) -> Any:
        return super().get_queryset().select_related("organisation")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        rows = self.object.attendance.select_related("member__person").order_by("member__id")
        ctx.update(
            attendance=rows,
            attachments=self.object.attachments.select_related("uploaded_by"),
            rate=selectors.attendance_rate(rows),
            attachment_form=AttachmentForm(),
            max_mb=settings.HONGXIA_ATTACHMENT_MAX_BYTES // (1024 * 1024),
            types=" ".join(settings.HONGXIA_ATTACHMENT_TYPES),
        )
        return ctx


class MeetingCreateView(ScopedMixin, TemplateView):
    """Record a meeting with one attendance choice per current member of the branch."""

    model = Meeting
    permission_required = "party.add_meeting"
    template_name = "party/meeting_form.html"

    def _members(self, org_id: Any) -> list[Member]:
        try:
            org_id = int(org_id) if org_id else None
        except (TypeError, ValueError):
            # Not an id at all (a hand-made ?organisation=abc): no rows to mark; the form's
            # organisation field says what is wrong with it.
            org_id = None
        org = (
            selectors.organisation_choices(user=self.request.user).filter(pk=org_id).first()
            if org_id
            else None
        )
        if org is None:
            group = (
                Organisation.objects.visible_to(self.request.user)
                .filter(pk=org_id, kind="group")
                .first()
                if org_id
                else None
            )
            org = group if group is not None else None
        if org is None:
            return []
        return list(services.eligible_members(org).select_related("person").order_by("id"))

    def _render(self, form: MeetingForm, members: list[Member]) -> HttpResponse:
        data = self.request.POST
        rows = [
            {
                "member": m,
                "status": data.get(f"att-{m.pk}", "present"),
                "reason": data.get(f"reason-{m.pk}", ""),
            }
            for m in members
        ]
        return render(
            self.request,
            self.template_name,
            {"form": form, "rows": rows, "choices": ATTENDANCE_CHOICES},
        )

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        org_id = request.GET.get("organisation")
        form = MeetingForm(
            user=request.user, initial={"organisation": org_id, "date": timezone.localdate()}
        )
        return self._render(form, self._members(org_id))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = MeetingForm(request.POST, request.FILES, user=request.user)
        org_id = request.POST.get("organisation")
        members = self._members(org_id)
        if form.is_valid():
            attendance = [
                (m, request.POST.get(f"att-{m.pk}", ""), request.POST.get(f"reason-{m.pk}", ""))
                for m in members
            ]
            attendance = [row for row in attendance if row[1]]
            data = {k: v for k, v in form.cleaned_data.items() if k != "attachment"}
            files = [form.cleaned_data["attachment"]] if form.cleaned_data["attachment"] else []
            try:
                meeting = services.meeting_record(
                    actor=request.user, data=data, attendance=attendance, attachments=files
                )
            except ValidationError as exc:
                _service_errors(request, exc, form)
            else:
                messages.success(request, _("The meeting is recorded."))
                return redirect(meeting)
        return self._render(form, members)


class MeetingEditView(ScopedMixin, TemplateView):
    """Correct a meeting and its attendance marks; the organisation stays."""

    model = Meeting
    permission_required = "party.change_meeting"
    template_name = "party/meeting_form.html"

    def _rows(self, meeting: Meeting) -> list[dict[str, Any]]:
        marks = {a.member_id: a for a in meeting.attendance.select_related("member__person")}
        members = {m.pk: m for m in services.eligible_members(meeting.organisation,
                                                               meeting.date)
                   .select_related("person")}
        for a in marks.values():
            members.setdefault(a.member_id, a.member)
        data = self.request.POST
        rows = []
        for pk in sorted(members):
            mark = marks.get(pk)
            rows.append({
                "member": members[pk],
                "status": data.get(f"att-{pk}", mark.status if mark else "") if data
                else (mark.status if mark else ""),
                "reason": data.get(f"reason-{pk}", mark.reason if mark else "") if data
                else (mark.reason if mark else ""),
            })
        return rows

    def _render(self, form: MeetingForm, meeting: Meeting) -> HttpResponse:
        return render(self.request, self.template_name, {
            "form": form, "meeting": meeting, "rows": self._rows(meeting),
            "choices": ATTENDANCE_CHOICES})

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        meeting = _scoped_get(self, Meeting)
        return self._render(MeetingForm(instance=meeting, user=request.user), meeting)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        meeting = _scoped_get(self, Meeting)
        form = MeetingForm(request.POST, instance=meeting, user=request.user)
        if form.is_valid():
            attendance = [(row["member"], request.POST.get(f"att-{row['member'].pk}", ""),
                           request.POST.get(f"reason-{row['member'].pk}", ""))
                          for row in self._rows(meeting)]
            try:
                saved = services.meeting_update(actor=request.user, meeting=meeting,
                                                data=form.cleaned_data, attendance=attendance)
            except ValidationError as exc:
                _service_errors(request, exc, form)
            else:
                messages.success(request, _("The meeting is saved."))
                return redirect(saved)
        return self._render(form, meeting)


class MeetingDeleteView(ScopedActionView):
    """Asks first (GET shows what will go), then deletes on POST."""

    model = Meeting
    permission_required = "party.delete_meeting"
    template_name = "party/meeting_confirm_delete.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        meeting = self.get_object()
        return render(request, self.template_name, {
            "meeting": meeting, "marks": meeting.attendance.count(),
            "files": meeting.attachments.count()})

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        meeting = self.get_object()
        if request.POST.get("confirm") != "yes":
            messages.error(request, _("Confirm the deletion first."))
            return redirect("party:meeting-delete", pk=meeting.pk)
        org = meeting.organisation
        services.meeting_delete(actor=request.user, meeting=meeting)
        messages.success(request, _("The meeting is deleted."))
        return redirect(org)


class AttachmentUploadView(ScopedActionView):
    model = Meeting
    permission_required = "party.add_meetingattachment"
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        meeting = self.get_object()
        form = AttachmentForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                services.attachment_add(actor=request.user, meeting=meeting,
                                        upload=form.cleaned_data["file"])
            except ValidationError as exc:
                errors_to_messages(request, exc, form)
            else:
                messages.success(request, _("The file is kept with the meeting."))
        else:
            _form_errors(request, form)
        return redirect(meeting)


class AttachmentDownloadView(ScopedActionView):
    """The file, only to someone who may see the meeting (never a public media URL)."""

    model = MeetingAttachment
    permission_required = "party.view_meeting"
    http_method_names = ["get"]

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        attachment = self.get_object()
        try:
            handle = services.attachment_open(actor=request.user, attachment=attachment,
                                              via="page")
        except FileNotFoundError as exc:
            raise Http404 from exc
        return FileResponse(handle, as_attachment=True, filename=attachment.name)  # type: ignore[return-value]


class AttachmentDeleteView(ScopedActionView):
    model = MeetingAttachment
    permission_required = "party.delete_meetingattachment"
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        attachment = self.get_object()
        meeting = attachment.meeting
        services.attachment_delete(actor=request.user, attachment=attachment)
        messages.success(request, _("The file is deleted."))
        return redirect(meeting)


# --- temporary organisations' participants -------------------------------------------------


class ParticipantAddView(ScopedActionView):
    model = Organisation
    permission_required = "party.change_organisation"
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        org = self.get_object()
        form = ParticipantForm(request.POST, user=request.user)
        if form.is_valid():
            member = (Member.objects.visible_to(request.user)
                      .filter(person=form.cleaned_data["person"]).first())
            if member is None:
                messages.error(request, _("This person has no party record in your area."))
                return redirect(org)
            try:
                services.participant_add(actor=request.user, organisation=org, member=member,
                                         start_date=form.cleaned_data["start_date"],
                                         note=form.cleaned_data["note"])
            except ValidationError as exc:
                errors_to_messages(request, exc, form)
            else:
                messages.success(request, _("%(name)s takes part.") % {
                    "name": member.person.name})
        else:
            _form_errors(request, form)
        return redirect(org)


class ParticipantEndView(ScopedActionView):
    model = Participation
    permission_required = "party.change_organisation"
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        participation = self.get_object()
        form = ParticipantEndForm(request.POST)
        if form.is_valid():
            try:
                services.participant_end(actor=request.user, participation=participation,
                                         date=form.cleaned_data["date"])
            except ValidationError as exc:
                errors_to_messages(request, exc, form)
            else:
                messages.success(request, _("The participation has ended."))
        else:
            _form_errors(request, form)
        return redirect(participation.organisation)


class ParticipantListView(ScopedListView):
    """临时党组织成员 — members taking part in temporary organisations, with their home branch;
    by organisation, member, current or all."""

    model = Participation
    permission_required = "party.view_organisation"
    filterset_class = selectors.ParticipationFilter
    ordering = selectors.PARTICIPATION_ORDERING
    template_name = "party/participant_list.html"

    def get_queryset(self) -> Any:
        return super().get_queryset().select_related(
            "organisation", "member__person", "member__organisation")


class ParticipantExportView(ExportMixin, ParticipantListView):
    permission_required = "party.export_party"
    export_name = "participants"
    export_columns = [
        gettext_lazy("Temporary organisation"),
        gettext_lazy("Name"),
        gettext_lazy("Home branch"),
        gettext_lazy("From"),
        gettext_lazy("Until"),
        gettext_lazy("Note"),
    ]

    def export_row(self, p: Participation) -> list[Any]:
        return [p.organisation.name, p.member.person.name, p.member.organisation.name,
                p.start_date, p.end_date, p.note]


# --- transfers to another county -----------------------------------------------------------


class TransferRequestSendView(ScopedActionView):
    model = Member
    permission_required = "party.add_transfer"
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        member = self.get_object()
        form = TransferRequestForm(request.POST)
        if form.is_valid():
            try:
                sent = services.transfer_request_send(actor=request.user, member=member,
                                                      **form.cleaned_data)
            except ValidationError as exc:
                errors_to_messages(request, exc, form)
            else:
                messages.success(request, _("The request is sent to the receiving county."))
                return redirect(sent)
        else:
            _form_errors(request, form)
        return redirect(member)


class TransferRequestListView(DescendingListView):
    """跨县转接 — requests sent out of and into the user's area."""

    model = TransferRequest
    permission_required = "party.view_transfer"
    filterset_class = selectors.TransferRequestFilter
    ordering = ["date", "id"]
    template_name = "party/request_list.html"

    def get_queryset(self) -> Any:
        return super().get_queryset().select_related(
            "member__person", "from_organisation", "to_organisation")


class TransferRequestExportView(ExportMixin, TransferRequestListView):
    permission_required = "party.export_party"
    export_name = "transfer-requests"
    export_columns = [
        gettext_lazy("Requested on"),
        gettext_lazy("Name"),
        pgettext_lazy("transfer", "From"),
        pgettext_lazy("transfer", "To"),
        gettext_lazy("Reason"),
        gettext_lazy("Status"),
        gettext_lazy("Decided on"),
        gettext_lazy("Note on the decision"),
    ]

    def export_row(self, r: TransferRequest) -> list[Any]:
        return [r.date, r.member.person.name, r.from_organisation.name, r.to_organisation.name,
                r.reason, r.get_status_display(), r.decided_on, r.decision_note]


class TransferRequestDetailView(ScopedDetailView):
    model = TransferRequest
    permission_required = "party.view_transfer"
    template_name = "party/request_detail.html"
    context_object_name = "req"

    def get_queryset(self) -> Any:
        return super().get_queryset().select_related(
            "member__person", "from_organisation", "to_organisation", "requested_by",
            "decided_by")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        req: TransferRequest = self.object
        user = self.request.user
        pending = req.status == "pending" and user.has_perm("party.add_transfer")
        labels = region_label_map()
        ctx.update(
            can_answer=pending and Organisation.objects.visible_to(user)
            .filter(pk=req.to_organisation_id).exists(),
            can_withdraw=pending and Organisation.objects.visible_to(user)
            .filter(pk=req.from_organisation_id).exists(),
            member_visible=Member.objects.visible_to(user).filter(pk=req.member_id).exists(),
            from_region=labels.get(req.from_organisation.region_id, ""),
            to_region=labels.get(req.to_organisation.region_id, ""),
            decision_form=DecisionForm(),
        )
        return ctx


class _RequestDecisionView(ScopedActionView):
    model = TransferRequest
    permission_required = "party.add_transfer"
    http_method_names = ["post"]
    done: ClassVar[Any]
    action: ClassVar[Callable[..., Any]]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        req = self.get_object()
        form = DecisionForm(request.POST)
        if form.is_valid():
            try:
                type(self).action(actor=request.user, request=req,
                                  note=form.cleaned_data["note"])
            except ValidationError as exc:
                errors_to_messages(request, exc, form)
            except PermissionDenied:
                messages.error(request, _("Only the other side of the transfer may do this."))
            else:
                messages.success(request, str(self.done))
        else:
            _form_errors(request, form)
        return redirect(req)


class TransferRequestAcceptView(_RequestDecisionView):
    action = staticmethod(services.transfer_request_accept)
    done = gettext_lazy("The member is transferred into your branch.")


class TransferRequestDeclineView(_RequestDecisionView):
    action = staticmethod(services.transfer_request_decline)
    done = gettext_lazy("The transfer is declined.")


class TransferRequestWithdrawView(_RequestDecisionView):
    action = staticmethod(services.transfer_request_withdraw)
    done = gettext_lazy("The request is withdrawn.")


# --- branch rules --------------------------------------------------------------------------


class BranchRulesView(ScopedListView):
    """支部设置 — branches that break a Branch Work Regulations rule that is a state to put
    right (too few members, no committee, term run out, ...), by problem, exportable."""

    model = Organisation
    permission_required = "party.view_organisation"
    filterset_class = selectors.BranchRuleFilter
    ordering = selectors.ORG_ORDERING
    template_name = "party/branch_rules.html"

    def get_queryset(self) -> Any:
        qs = selectors.branch_rule_queryset(super().get_queryset(), today=timezone.localdate())
        return qs.select_related("region")

    def filtered(self) -> tuple[Any, QuerySet[Any]]:
        f, qs = super().filtered()
        return f, qs.filter(problems__gt=0)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        labels = region_label_map()
        rule_labels = dict(selectors.BRANCH_RULE_CHOICES)
        for o in ctx["page"].rows:
            o.region_label = labels.get(o.region_id, "")
            o.problem_labels = [rule_labels[c] for c in rules.BRANCH_WARNINGS
                                if getattr(o, f"rule_{c}")]
        return ctx


class BranchRulesExportView(ExportMixin, BranchRulesView):
    permission_required = "party.export_party"
    export_name = "branch-rules"
    export_columns = [
        gettext_lazy("Name"),
        gettext_lazy("Kind"),
        gettext_lazy("Region"),
        gettext_lazy("Full members"),
        gettext_lazy("Committee seats"),
        gettext_lazy("Committee term ends"),
        gettext_lazy("Problems"),
    ]

    def export_row(self, o: Any) -> list[Any]:
        rule_labels = dict(selectors.BRANCH_RULE_CHOICES)
        return [
            o.name,
            o.get_kind_display(),
            self.region_labels.get(o.region_id, o.region_id),
            o.full_members,
            o.seats,
            o.term_ends,
            "；".join(str(rule_labels[c]) for c in rules.BRANCH_WARNINGS
                     if getattr(o, f"rule_{c}")),
        ]


# --- ratings and homes ---------------------------------------------------------------------


class RatingListView(DescendingListView):
    """示范党支部 — demonstration ratings by year."""

    model = Rating
    permission_required = "party.view_rating"
    filterset_class = selectors.RatingFilter
    ordering = selectors.RATING_ORDERING
    template_name = "party/rating_list.html"

    def get_queryset(self) -> Any:
        return super().get_queryset().select_related("organisation")


class RatingExportView(ExportMixin, RatingListView):
    permission_required = "party.export_party"
    export_name = "ratings"
    export_columns = [
        gettext_lazy("Year"),
        gettext_lazy("Level"),
        gettext_lazy("Branch"),
        gettext_lazy("Note"),
    ]

    def export_row(self, r: Rating) -> list[Any]:
        return [r.year, r.get_level_display(), r.organisation.name, r.note]


class HomeListView(ScopedListView):
    """美在金秋 老党员之家."""

    model = PartyHome
    permission_required = "party.view_partyhome"
    filterset_class = selectors.HomeFilter
    ordering = selectors.HOME_ORDERING
    template_name = "party/home_list.html"

    def get_queryset(self) -> Any:
        from django.db.models import Count

        return (
            super()
            .get_queryset()
            .select_related("region")
            .annotate(
                n_branches=Count("branches", distinct=True),
                n_communities=Count("communities", distinct=True),
            )
        )


class HomeExportView(ExportMixin, HomeListView):
    permission_required = "party.export_party"
    export_name = "homes"
    export_columns = [
        gettext_lazy("Name"),
        gettext_lazy("Region"),
        gettext_lazy("Address"),
        gettext_lazy("Branches covered"),
        gettext_lazy("Communities covered"),
    ]

    def export_row(self, h: Any) -> list[Any]:
        return [
            h.name,
            self.region_labels.get(h.region_id, h.region_id),
            h.address,
            h.n_branches,
            h.n_communities,
        ]


class HomeDetailView(ScopedDetailView):
    model = PartyHome
    permission_required = "party.view_partyhome"
    template_name = "party/home_detail.html"
    context_object_name = "home"

    def get_queryset(self) -> Any:
        return (
            super()
            .get_queryset()
            .prefetch_related(
                Prefetch("branches", Organisation.objects.order_by("name")), "communities"
            )
        )


class HomeCreateView(ScopedMixin, TemplateView):
    model = PartyHome
    permission_required = "party.add_partyhome"
    template_name = "party/home_form.html"

    def get_object(self) -> PartyHome | None:
        return None

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        home = self.get_object()
        initial = (
            {}
            if home is None
            else {
                "branches": list(home.branches.all()),
                "communities": list(home.communities.all()),
            }
        )
        form = HomeForm(instance=home, user=request.user, initial=initial)
        return render(request, self.template_name, {"form": form, "home": home})

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        home = self.get_object()
        form = HomeForm(request.POST, instance=home, user=request.user)
        if form.is_valid():
            data = dict(form.cleaned_data)
            branches, communities = data.pop("branches"), data.pop("communities")
            try:
                saved = services.home_save(
                    actor=request.user,
                    data=data,
                    branches=branches,
                    communities=communities,
                    home=home,
                )
            except ValidationError as exc:
                _service_errors(request, exc, form)
            else:
                messages.success(request, _("Saved %(name)s.") % {"name": saved.name})
                return redirect(saved)
        return render(request, self.template_name, {"form": form, "home": home})


class HomeEditView(HomeCreateView):
    permission_required = "party.change_partyhome"

    def get_object(self) -> PartyHome:
        return _scoped_get(self, PartyHome)


# --- compliance ----------------------------------------------------------------------------


class ComplianceView(ScopedListView):
    """组织生活达标 — the city or county overview for a month, quarter or year: meetings held
    against required, branches behind (listed, keyset pages), members who missed them all."""

    model = Organisation
    permission_required = "party.view_meeting"
    filterset_class = selectors.OrganisationFilter
    ordering = selectors.ORG_ORDERING
    template_name = "party/compliance.html"

    def period(self) -> rules.Period:
        kind = self.request.GET.get("kind") or "quarter"
        kind = kind if kind in rules.PERIOD_KINDS else "quarter"
        return rules.parse_period(
            self.request.GET.get("period"), default_kind=kind, today=timezone.localdate()
        )

    def filtered(self) -> tuple[Any, QuerySet[Any]]:
        f, qs = super().filtered()
        today = timezone.localdate()
        rows = selectors.compliance_queryset(qs, self.period(), as_of=today)
        if self.request.GET.get("all") != "1":
            rows = rows.filter(behind__gt=0)  # type: ignore[misc]
        return f, rows.select_related("region")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        period = self.period()
        today = timezone.localdate()
        counties = selectors.compliance_by_county(
            user=self.request.user, period=period, as_of=today
        )
        total = {
            k: sum(c[k] for c in counties)
            for k in ("branches", "behind", "required", "held", "shortfall", "members_missing")
        }
        total["rate"] = (
            min(total["held"], total["required"]) / total["required"] if total["required"] else None
        )
        ctx.update(
            period=period,
            counties=counties,
            total=total,
            extra_params=[("period", period.label)],
            previous=rules.previous(period),
            requirements=MeetingRequirement.objects.all(),
            can_edit_requirements=self.request.user.has_perm("party.change_meetingrequirement"),
        )
        return ctx


class ComplianceExportView(ExportMixin, ComplianceView):
    permission_required = "party.export_party"
    export_name = "compliance"
    export_columns = [
        gettext_lazy("Organisation"),
        gettext_lazy("Kind"),
        gettext_lazy("Region"),
        gettext_lazy("Required"),
        gettext_lazy("Held"),
        gettext_lazy("Short by"),
    ]

    def export_row(self, o: Any) -> list[Any]:
        return [
            o.name,
            o.get_kind_display(),
            self.region_labels.get(o.region_id, o.region_id),
            o.required,
            o.held,
            o.behind,
        ]


class RequirementUpdateView(ScopedMixin, TemplateView):
    """Relax or tighten a required frequency; rows are data, defaults from DOMAIN.md."""

    model = Organisation
    permission_required = "party.change_meetingrequirement"
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = RequirementForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            services.requirement_update(
                actor=request.user,
                requirement=data["requirement"],
                times=data["times"],
                per=data["per"],
                active=data["active"],
            )
            messages.success(request, _("The requirement is saved."))
        else:
            _form_errors(request, form)
        return redirect(reverse("party:compliance"))
