"""The party API, mounted under /api/party/ by hongxia.api.urls: organisations, members and
meetings to read; meetings (with attendance) to record, correct and delete, with their files;
participants of temporary organisations; transfer requests between counties; branches that
break a Branch Work Regulations rule. Thin handlers over the party selectors and services;
rows only through `visible_to(user)` (ScopedAPIView)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from django.db.models import Q, QuerySet
from django.http import FileResponse, Http404
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from hongxia.api import schema
from hongxia.api.paging import page_response
from hongxia.api.serializers import ListQuerySerializer
from hongxia.api.views import ScopedAPIView
from hongxia.core.pagination import paginate
from hongxia.party import rules, selectors, services
from hongxia.party.choices import Attendance, MeetingKind, OrgKind
from hongxia.party.models import (
    Meeting,
    MeetingAttachment,
    Member,
    Organisation,
    Participation,
    TransferRequest,
)


class OrganisationSerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    region = serializers.CharField(source="region_id", read_only=True)
    parent = serializers.IntegerField(  # type: ignore[assignment]
        source="parent_id", read_only=True, allow_null=True)
    secretary = serializers.IntegerField(source="secretary_id", read_only=True, allow_null=True)

    class Meta:
        model = Organisation
        fields = ["id", "name", "kind", "kind_display", "parent", "region", "basis",
                  "basis_note", "founded_on", "start_date", "end_date", "secretary",
                  "term_ends"]
        read_only_fields = fields


class MemberSerializer(serializers.ModelSerializer):
    person = serializers.IntegerField(source="person_id", read_only=True)
    name = serializers.CharField(source="person.name", read_only=True)
    organisation = serializers.IntegerField(source="organisation_id", read_only=True)
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)
    group = serializers.IntegerField(source="group_id", read_only=True, allow_null=True)
    party_joined = serializers.DateField(source="person.party_joined", read_only=True)
    party_standing = serializers.SerializerMethodField()
    medal_eligible_on = serializers.SerializerMethodField()

    class Meta:
        model = Member
        fields = ["id", "person", "name", "organisation", "organisation_name", "group", "since",
                  "status", "end_date", "end_reason", "party_joined", "party_standing",
                  "medal_eligible_on", "is_flowing", "flowing_place", "flowing_since",
                  "flowing_contact_masked", "has_activity_card"]
        read_only_fields = fields

    def get_party_standing(self, obj: Member) -> int | None:
        joined = obj.person.party_joined
        return rules.party_standing(joined, timezone.localdate()) if joined else None

    def get_medal_eligible_on(self, obj: Member) -> Any:
        joined = obj.person.party_joined
        return rules.medal_eligible_on(joined) if joined else None


class AttendanceSerializer(serializers.Serializer):
    member = serializers.IntegerField(min_value=1)
    status = serializers.ChoiceField(choices=Attendance.choices)
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class MeetingSerializer(serializers.ModelSerializer):
    organisation = serializers.IntegerField(source="organisation_id", read_only=True)
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    attendance = serializers.SerializerMethodField()

    class Meta:
        model = Meeting
        fields = ["id", "organisation", "organisation_name", "kind", "kind_display", "date",
                  "place", "topic", "speaker", "minutes", "attendance"]
        read_only_fields = fields

    def get_attendance(self, obj: Meeting) -> list[dict[str, Any]]:
        return [{"member": a.member_id, "status": a.status, "reason": a.reason}
                for a in obj.attendance.all()]


class MeetingWriteSerializer(serializers.Serializer):
    organisation = serializers.IntegerField(min_value=1)
    kind = serializers.ChoiceField(choices=MeetingKind.choices)
    date = serializers.DateField()
    place = serializers.CharField(required=False, allow_blank=True, default="")
    topic = serializers.CharField(max_length=200)
    speaker = serializers.CharField(required=False, allow_blank=True, default="")
    minutes = serializers.CharField(required=False, allow_blank=True, default="")
    attendance = AttendanceSerializer(many=True, required=False)


def _page(view: ScopedAPIView, request: Request, qs: QuerySet[Any], ordering: list[str],
          serializer: type[serializers.Serializer], *, descending: bool = False) -> Response:
    query = ListQuerySerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    page = paginate(qs, ordering=ordering, cursor=query.validated_data.get("cursor") or None,
                    page_size=query.page_size_or_default(), descending=descending)
    return page_response(request, page, serializer(page.rows, many=True).data)


def _filtered(request: Request, filterset_class: Any, qs: QuerySet[Any]) -> QuerySet[Any]:
    f = filterset_class(request.query_params, queryset=qs, request=request)
    if not f.is_valid():
        raise ValidationError({name: [e["message"] for e in problems]
                               for name, problems in f.errors.get_json_data().items()})
    return f.qs


class OrganisationListView(ScopedAPIView):
    """Party organisations in the caller's region (a secretary: their own)."""

    model = Organisation
    lists_rows = True

    @extend_schema(operation_id="party_organisations_list",
                   parameters=[*schema.filter_parameters(selectors.OrganisationFilter),
                               *schema.PAGE_PARAMETERS],
                   responses={200: OrganisationSerializer(many=True), **schema.READ_ERRORS})
    def get(self, request: Request) -> Response:
        qs = _filtered(request, selectors.OrganisationFilter, self.scoped_queryset())
        return _page(self, request, qs, selectors.ORG_ORDERING, OrganisationSerializer)


class OrganisationDetailView(ScopedAPIView):
    model = Organisation

    @extend_schema(operation_id="party_organisations_retrieve",
                   responses={200: OrganisationSerializer, 404: schema.NOT_FOUND,
                              **schema.READ_ERRORS})
    def get(self, request: Request, pk: int) -> Response:
        return Response(OrganisationSerializer(self.get_object(pk)).data)


class MemberListView(ScopedAPIView):
    model = Member
    lists_rows = True

    @extend_schema(operation_id="party_members_list",
                   parameters=[*schema.filter_parameters(selectors.MemberFilter),
                               *schema.PAGE_PARAMETERS],
                   responses={200: MemberSerializer(many=True), **schema.READ_ERRORS})
    def get(self, request: Request) -> Response:
        qs = _filtered(request, selectors.MemberFilter,
                       self.scoped_queryset().select_related("person", "organisation"))
        return _page(self, request, qs, selectors.MEMBER_ORDERING, MemberSerializer)


class MemberDetailView(ScopedAPIView):
    model = Member

    @extend_schema(operation_id="party_members_retrieve",
                   responses={200: MemberSerializer, 404: schema.NOT_FOUND, **schema.READ_ERRORS})
    def get(self, request: Request, pk: int) -> Response:
        qs = self.scoped_queryset().select_related("person", "organisation")
        return Response(MemberSerializer(self.get_object(pk, qs)).data)


class MeetingListView(ScopedAPIView):
    """Meetings, newest first; POST records one with its attendance."""

    model = Meeting
    lists_rows = True

    def _qs(self) -> QuerySet[Meeting]:
        return self.scoped_queryset().select_related("organisation").prefetch_related(
            "attendance")

    @extend_schema(operation_id="party_meetings_list",
                   parameters=[*schema.filter_parameters(selectors.MeetingFilter),
                               *schema.PAGE_PARAMETERS],
                   responses={200: MeetingSerializer(many=True), **schema.READ_ERRORS})
    def get(self, request: Request) -> Response:
        qs = _filtered(request, selectors.MeetingFilter, self._qs())
        return _page(self, request, qs, selectors.MEETING_ORDERING, MeetingSerializer,
                     descending=True)

    @extend_schema(operation_id="party_meetings_create", request=MeetingWriteSerializer,
                   responses={201: MeetingSerializer, **schema.WRITE_ERRORS})
    def post(self, request: Request) -> Response:
        if not isinstance(request.data, dict):
            raise ValidationError({"non_field_errors": [_("The request body must be a JSON "
                                                          "object.")]})
        body = MeetingWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        org = Organisation.objects.visible_to(request.user).filter(
            pk=data["organisation"], kind__in=[*selectors.BRANCH_KINDS, OrgKind.GROUP]).first()
        if org is None:
            raise ValidationError({"organisation": [_("No such organisation in your area.")]})
        data["organisation"] = org
        rows = data.pop("attendance", []) or []
        # A branch's (or its group's) members, or a temporary organisation's participants.
        members = {m.pk: m for m in services.eligible_members(org).filter(
            pk__in=[r["member"] for r in rows])}
        unknown = [r["member"] for r in rows if r["member"] not in members]
        if unknown:
            raise ValidationError({"attendance": [
                _("Not a current member of this branch: %(id)s.") % {"id": pk}
                for pk in unknown]})
        meeting = services.meeting_record(
            actor=request.user, data=data,
            attendance=[(members[r["member"]], r["status"], r["reason"]) for r in rows])
        return Response(MeetingSerializer(self._qs().get(pk=meeting.pk)).data,
                        status=status.HTTP_201_CREATED)


def _body(request: Request) -> dict[str, Any]:
    if not isinstance(request.data, dict):
        raise ValidationError({"non_field_errors": [_("The request body must be a JSON "
                                                      "object.")]})
    return request.data


class AttendanceChangeSerializer(serializers.Serializer):
    member = serializers.IntegerField(min_value=1)
    status = serializers.ChoiceField(choices=Attendance.choices, allow_blank=True,
                                     help_text="An empty status removes the member's mark.")
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class MeetingUpdateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=MeetingKind.choices)
    date = serializers.DateField()
    place = serializers.CharField(required=False, allow_blank=True, max_length=100)
    topic = serializers.CharField(max_length=200)
    speaker = serializers.CharField(required=False, allow_blank=True, max_length=64)
    minutes = serializers.CharField(required=False, allow_blank=True)
    attendance = AttendanceChangeSerializer(many=True, required=False)


MEETING_ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description="The meeting's id.")


class MeetingDetailView(MeetingListView):
    """One meeting: read it, correct it (details and attendance) or delete one recorded in
    error. The organisation of a meeting does not change."""

    http_method_names = ["get", "put", "patch", "delete", "head", "options"]
    post = None  # type: ignore[assignment]

    @extend_schema(operation_id="party_meetings_retrieve", parameters=[MEETING_ID],
                   responses={200: MeetingSerializer, 404: schema.NOT_FOUND,
                              **schema.READ_ERRORS})
    def get(self, request: Request, pk: int) -> Response:  # type: ignore[override]
        return Response(MeetingSerializer(self.get_object(pk, self._qs())).data)

    @extend_schema(operation_id="party_meetings_update", parameters=[MEETING_ID],
                   summary="Correct a meeting",
                   description="Required fields must be given. `attendance`, when given, is "
                   "the whole list: a member marked before and left out loses the mark.",
                   request=MeetingUpdateSerializer,
                   responses={200: MeetingSerializer, 404: schema.NOT_FOUND,
                              **schema.WRITE_ERRORS})
    def put(self, request: Request, pk: int) -> Response:
        return self._update(request, pk, partial=False)

    @extend_schema(operation_id="party_meetings_partial_update", parameters=[MEETING_ID],
                   summary="Correct some of a meeting",
                   description="Only the fields given change; `attendance` rows change only "
                   "the members they name (an empty status removes a mark).",
                   request=MeetingUpdateSerializer(partial=True),
                   responses={200: MeetingSerializer, 404: schema.NOT_FOUND,
                              **schema.WRITE_ERRORS})
    def patch(self, request: Request, pk: int) -> Response:
        return self._update(request, pk, partial=True)

    @extend_schema(operation_id="party_meetings_destroy", parameters=[MEETING_ID],
                   summary="Delete a meeting recorded in error",
                   description="Its attendance and files go with it; the audit trail keeps "
                   "what it said.",
                   responses={204: None, 404: schema.NOT_FOUND, **schema.READ_ERRORS})
    def delete(self, request: Request, pk: int) -> Response:
        services.meeting_delete(actor=request.user, meeting=self.get_object(pk))
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _update(self, request: Request, pk: int, *, partial: bool) -> Response:
        meeting: Meeting = self.get_object(pk, self._qs())
        raw = _body(request)
        body = MeetingUpdateSerializer(data=raw, partial=partial)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        rows = None
        if data.pop("attendance", None) is not None:
            # Each row whole even in a PATCH: a row without a status must not clear a mark.
            marks_body = AttendanceChangeSerializer(data=raw["attendance"], many=True)
            if not marks_body.is_valid():
                raise ValidationError({"attendance": marks_body.errors})
            rows = list(marks_body.validated_data)
        marks: list[tuple[Member, str, str]] = []
        if rows is not None:
            date = data.get("date", meeting.date)
            marked = {a.member_id for a in meeting.attendance.all()}
            ids = [r["member"] for r in rows]
            members = {m.pk: m for m in Member.objects.filter(
                Q(pk__in=services.eligible_members(meeting.organisation, date).values("pk"))
                | Q(pk__in=marked), pk__in=ids)}
            unknown = [pk for pk in ids if pk not in members]
            if unknown:
                raise ValidationError({"attendance": [
                    _("Not a current member of this branch: %(id)s.") % {"id": pk}
                    for pk in unknown]})
            marks = [(members[r["member"]], r["status"], r["reason"]) for r in rows]
            if not partial:
                named = set(ids)
                marks += [(m, "", "") for m in Member.objects.filter(pk__in=marked - named)]
        services.meeting_update(actor=request.user, meeting=meeting, data=data,
                                attendance=marks)
        return Response(MeetingSerializer(self._qs().get(pk=meeting.pk)).data)


# --- meeting attachments -------------------------------------------------------------------


class AttachmentSerializer(serializers.ModelSerializer):
    meeting = serializers.IntegerField(source="meeting_id", read_only=True)
    download = serializers.SerializerMethodField()

    class Meta:
        model = MeetingAttachment
        fields = ["id", "meeting", "name", "size", "uploaded_at", "download"]
        read_only_fields = fields

    def get_download(self, obj: MeetingAttachment) -> str:
        url = reverse("api:party-attachment-detail", args=[obj.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url


ATTACHMENT_ID = OpenApiParameter("id", int, OpenApiParameter.PATH,
                                 description="The attachment's id.")
UPLOAD_BODY = {"multipart/form-data": {
    "type": "object", "required": ["file"],
    "properties": {"file": {"type": "string", "format": "binary"}}}}


class MeetingAttachmentListView(ScopedAPIView):
    """A meeting's files (photos, sign-in sheet, minutes): list them, or upload one as
    multipart/form-data in the field `file`."""

    model = Meeting
    parser_classes = [MultiPartParser]
    required_permissions = {"GET": "party.view_meeting", "POST": "party.add_meetingattachment"}

    @extend_schema(operation_id="party_meeting_attachments_list", parameters=[MEETING_ID],
                   responses={200: AttachmentSerializer(many=True), 404: schema.NOT_FOUND,
                              **schema.READ_ERRORS})
    def get(self, request: Request, pk: int) -> Response:
        meeting = self.get_object(pk)
        return Response(AttachmentSerializer(meeting.attachments.order_by("id"), many=True,
                                             context={"request": request}).data)

    @extend_schema(operation_id="party_meeting_attachments_create", parameters=[MEETING_ID],
                   summary="Upload a file to a meeting",
                   description="Accepted types and the size limit are the same as on the "
                   "meeting page; a file whose content does not match its name is refused.",
                   request=UPLOAD_BODY,
                   responses={201: AttachmentSerializer, 404: schema.NOT_FOUND,
                              **schema.WRITE_ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        meeting = self.get_object(pk)  # first: another county's meeting is a 404
        upload = request.FILES.get("file")
        if upload is None:
            raise ValidationError({"file": [_("Choose a file to upload.")]})
        attachment = services.attachment_add(actor=request.user, meeting=meeting,
                                             upload=upload)
        return Response(AttachmentSerializer(attachment, context={"request": request}).data,
                        status=status.HTTP_201_CREATED)


class MeetingAttachmentDetailView(ScopedAPIView):
    """One file: download it (every download is logged) or delete it."""

    model = MeetingAttachment

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        # A download answers with the file whatever the client accepts (application/pdf,
        # image/*); anything else, an error included, is JSON.
        return (JSONRenderer(), JSONRenderer.media_type)
    required_permissions = {"GET": "party.view_meeting",
                            "DELETE": "party.delete_meetingattachment"}

    @extend_schema(operation_id="party_attachments_download", parameters=[ATTACHMENT_ID],
                   summary="Download a file",
                   responses={(200, "application/octet-stream"): OpenApiTypes.BINARY,
                              404: schema.NOT_FOUND, **schema.READ_ERRORS})
    def get(self, request: Request, pk: int) -> Any:
        attachment = self.get_object(pk)
        try:
            handle = services.attachment_open(actor=request.user, attachment=attachment,
                                              via="api")
        except FileNotFoundError as exc:
            raise Http404 from exc
        return FileResponse(handle, as_attachment=True, filename=attachment.name)

    @extend_schema(operation_id="party_attachments_destroy", parameters=[ATTACHMENT_ID],
                   responses={204: None, 404: schema.NOT_FOUND, **schema.READ_ERRORS})
    def delete(self, request: Request, pk: int) -> Response:
        services.attachment_delete(actor=request.user, attachment=self.get_object(pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- participants of temporary organisations -----------------------------------------------


class ParticipationSerializer(serializers.ModelSerializer):
    organisation = serializers.IntegerField(source="organisation_id", read_only=True)
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)
    member = serializers.IntegerField(source="member_id", read_only=True)
    name = serializers.CharField(source="member.person.name", read_only=True)

    class Meta:
        model = Participation
        fields = ["id", "organisation", "organisation_name", "member", "name", "start_date",
                  "end_date", "note"]
        read_only_fields = fields


class ParticipantAddSerializer(serializers.Serializer):
    organisation = serializers.IntegerField(min_value=1,
                                            help_text="A temporary organisation's id.")
    member = serializers.IntegerField(min_value=1, help_text="A party member's id.")
    start_date = serializers.DateField()
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)


class ParticipantEndSerializer(serializers.Serializer):
    date = serializers.DateField()


PARTICIPATION_ID = OpenApiParameter("id", int, OpenApiParameter.PATH,
                                    description="The participation's id.")


class ParticipantListView(ScopedAPIView):
    """Members taking part in temporary organisations (their membership stays with their home
    branch); POST adds one."""

    model = Participation
    lists_rows = True
    required_permissions = {"GET": "party.view_organisation",
                            "POST": "party.change_organisation"}

    def _qs(self) -> QuerySet[Participation]:
        return self.scoped_queryset().select_related("organisation", "member__person")

    @extend_schema(operation_id="party_participants_list",
                   parameters=[*schema.filter_parameters(selectors.ParticipationFilter),
                               *schema.PAGE_PARAMETERS],
                   responses={200: ParticipationSerializer(many=True), **schema.READ_ERRORS})
    def get(self, request: Request) -> Response:
        qs = _filtered(request, selectors.ParticipationFilter, self._qs())
        return _page(self, request, qs, selectors.PARTICIPATION_ORDERING,
                     ParticipationSerializer)

    @extend_schema(operation_id="party_participants_create", request=ParticipantAddSerializer,
                   summary="Add a member to a temporary organisation",
                   responses={201: ParticipationSerializer, **schema.WRITE_ERRORS})
    def post(self, request: Request) -> Response:
        body = ParticipantAddSerializer(data=_body(request))
        body.is_valid(raise_exception=True)
        data = body.validated_data
        user = request.user
        errors: dict[str, list[str]] = {}
        org = Organisation.objects.visible_to(user).filter(
            pk=data["organisation"], kind=OrgKind.TEMPORARY).first()
        if org is None:
            errors["organisation"] = [_("No such temporary organisation in your area.")]
        member = Member.objects.visible_to(user).filter(pk=data["member"]).first()
        if member is None:
            errors["member"] = [_("No such party member in your area.")]
        if errors:
            raise ValidationError(errors)
        participation = services.participant_add(actor=user, organisation=org, member=member,
                                                 start_date=data["start_date"],
                                                 note=data["note"])
        return Response(ParticipationSerializer(self._qs().get(pk=participation.pk)).data,
                        status=status.HTTP_201_CREATED)


class ParticipantDetailView(ParticipantListView):
    lists_rows = False
    http_method_names = ["get", "head", "options"]
    post = None  # type: ignore[assignment]

    @extend_schema(operation_id="party_participants_retrieve", parameters=[PARTICIPATION_ID],
                   responses={200: ParticipationSerializer, 404: schema.NOT_FOUND,
                              **schema.READ_ERRORS})
    def get(self, request: Request, pk: int) -> Response:  # type: ignore[override]
        return Response(ParticipationSerializer(self.get_object(pk, self._qs())).data)


class ParticipantEndView(ParticipantListView):
    """The member stops taking part on `date`; the row stays as history."""

    lists_rows = False
    http_method_names = ["post", "options"]
    get = None  # type: ignore[assignment]

    @extend_schema(operation_id="party_participants_end", parameters=[PARTICIPATION_ID],
                   summary="End a participation", request=ParticipantEndSerializer,
                   responses={200: ParticipationSerializer, 404: schema.NOT_FOUND,
                              **schema.WRITE_ERRORS})
    def post(self, request: Request, pk: int) -> Response:  # type: ignore[override]
        participation = self.get_object(pk, self._qs())
        body = ParticipantEndSerializer(data=_body(request))
        body.is_valid(raise_exception=True)
        services.participant_end(actor=request.user, participation=participation,
                                 date=body.validated_data["date"])
        return Response(ParticipationSerializer(self._qs().get(pk=participation.pk)).data)


# --- transfers to another county -----------------------------------------------------------


class TransferRequestSerializer(serializers.ModelSerializer):
    member = serializers.IntegerField(source="member_id", read_only=True)
    name = serializers.CharField(source="member.person.name", read_only=True)
    from_organisation = serializers.IntegerField(source="from_organisation_id", read_only=True)
    from_organisation_name = serializers.CharField(source="from_organisation.name",
                                                   read_only=True)
    from_region = serializers.CharField(source="from_organisation.region_id", read_only=True)
    to_organisation = serializers.IntegerField(source="to_organisation_id", read_only=True)
    to_organisation_name = serializers.CharField(source="to_organisation.name", read_only=True)
    to_region = serializers.CharField(source="to_organisation.region_id", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    transfer = serializers.IntegerField(source="transfer_id", read_only=True, allow_null=True)

    class Meta:
        model = TransferRequest
        fields = ["id", "member", "name", "from_organisation", "from_organisation_name",
                  "from_region", "to_organisation", "to_organisation_name", "to_region",
                  "date", "reason", "status", "status_display", "decided_on",
                  "decision_note", "transfer"]
        read_only_fields = fields


class TransferRequestWriteSerializer(serializers.Serializer):
    member = serializers.IntegerField(min_value=1, help_text="A party member in your area.")
    to_organisation = serializers.IntegerField(
        min_value=1, help_text="A current branch in another county (see a member's "
        "transfer-targets).")
    date = serializers.DateField()
    reason = serializers.CharField(required=False, allow_blank=True, default="",
                                   max_length=200)


class DecisionSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=200,
                                 help_text="Required when declining.")


class TransferTargetSerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    region = serializers.CharField(source="region_id", read_only=True)

    class Meta:
        model = Organisation
        fields = ["id", "name", "kind", "kind_display", "region", "basis_note"]
        read_only_fields = fields


REQUEST_ID = OpenApiParameter("id", int, OpenApiParameter.PATH,
                              description="The transfer request's id.")


class TransferRequestListView(ScopedAPIView):
    """跨县转接 — requests out of and into the caller's area (both counties see a request);
    POST sends one. The member moves only when the receiving county accepts."""

    model = TransferRequest
    lists_rows = True
    required_permissions = {"GET": "party.view_transfer", "POST": "party.add_transfer"}

    def _qs(self) -> QuerySet[TransferRequest]:
        return self.scoped_queryset().select_related("member__person", "from_organisation",
                                                     "to_organisation")

    @extend_schema(operation_id="party_transfer_requests_list",
                   parameters=[*schema.filter_parameters(selectors.TransferRequestFilter),
                               *schema.PAGE_PARAMETERS],
                   responses={200: TransferRequestSerializer(many=True), **schema.READ_ERRORS})
    def get(self, request: Request) -> Response:
        qs = _filtered(request, selectors.TransferRequestFilter, self._qs())
        return _page(self, request, qs, selectors.REQUEST_ORDERING, TransferRequestSerializer,
                     descending=True)

    @extend_schema(operation_id="party_transfer_requests_create",
                   summary="Ask another county to take a member",
                   request=TransferRequestWriteSerializer,
                   responses={201: TransferRequestSerializer, **schema.WRITE_ERRORS})
    def post(self, request: Request) -> Response:
        body = TransferRequestWriteSerializer(data=_body(request))
        body.is_valid(raise_exception=True)
        data = body.validated_data
        member = Member.objects.visible_to(request.user).filter(pk=data["member"]).first()
        if member is None:
            raise ValidationError({"member": [_("No such party member in your area.")]})
        target = Organisation.objects.filter(pk=data["to_organisation"]).first()
        if target is None:
            raise ValidationError({"to_organisation": [_("Choose a current branch.")]})
        sent = services.transfer_request_send(actor=request.user, member=member,
                                              to_organisation=target, date=data["date"],
                                              reason=data["reason"])
        return Response(TransferRequestSerializer(self._qs().get(pk=sent.pk)).data,
                        status=status.HTTP_201_CREATED)


class TransferRequestDetailView(TransferRequestListView):
    lists_rows = False
    http_method_names = ["get", "head", "options"]
    post = None  # type: ignore[assignment]

    @extend_schema(operation_id="party_transfer_requests_retrieve", parameters=[REQUEST_ID],
                   responses={200: TransferRequestSerializer, 404: schema.NOT_FOUND,
                              **schema.READ_ERRORS})
    def get(self, request: Request, pk: int) -> Response:  # type: ignore[override]
        return Response(TransferRequestSerializer(self.get_object(pk, self._qs())).data)


class _DecisionView(TransferRequestListView):
    lists_rows = False
    http_method_names = ["post", "options"]
    get = None  # type: ignore[assignment]
    action: ClassVar[Callable[..., Any]]

    def post(self, request: Request, pk: int) -> Response:  # type: ignore[override]
        req = self.get_object(pk, self._qs())
        body = DecisionSerializer(data=_body(request))
        body.is_valid(raise_exception=True)
        type(self).action(actor=request.user, request=req, note=body.validated_data["note"])
        return Response(TransferRequestSerializer(self._qs().get(pk=req.pk)).data)


def _decision_schema(operation_id: str, summary: str, description: str) -> Any:
    return extend_schema(operation_id=operation_id, summary=summary, description=description,
                         parameters=[REQUEST_ID], request=DecisionSerializer,
                         responses={200: TransferRequestSerializer, 404: schema.NOT_FOUND,
                                    **schema.WRITE_ERRORS})


@extend_schema_view(post=_decision_schema(
    "party_transfer_requests_accept", "Accept a transfer (the receiving county)",
    "The member moves into the receiving branch today; their participations in temporary "
    "organisations outside its region end."))
class TransferRequestAcceptView(_DecisionView):
    action = staticmethod(services.transfer_request_accept)


@extend_schema_view(post=_decision_schema(
    "party_transfer_requests_decline", "Decline a transfer (the receiving county)",
    "`note` must say why."))
class TransferRequestDeclineView(_DecisionView):
    action = staticmethod(services.transfer_request_decline)


@extend_schema_view(post=_decision_schema(
    "party_transfer_requests_withdraw", "Withdraw a request (the sending county)",
    "Only while it awaits an answer."))
class TransferRequestWithdrawView(_DecisionView):
    action = staticmethod(services.transfer_request_withdraw)


class TransferTargetListView(ScopedAPIView):
    """Where a member of the caller's area may be sent: current branches in any county, by
    name or place — names, kinds and regions only (never their members); `q` needs two or
    more characters. Asked from the member, like the search on the member's page."""

    model = Member
    required_permissions = {"GET": "party.add_transfer"}

    @extend_schema(operation_id="party_transfer_targets_list",
                   parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH,
                                                description="The member's id."),
                               OpenApiParameter("q", str, OpenApiParameter.QUERY,
                                                required=False,
                                                description="Two or more characters of the "
                                                "branch's name or place.")],
                   responses={200: TransferTargetSerializer(many=True), 404: schema.NOT_FOUND,
                              **schema.READ_ERRORS})
    def get(self, request: Request, pk: int) -> Response:
        member: Member = self.get_object(pk)
        found = services.transfer_targets(actor=request.user,
                                          query=request.query_params.get("q", ""))
        return Response(TransferTargetSerializer(
            [o for o in found if o.pk != member.organisation_id], many=True).data)


# --- branch rules (Branch Work Regulations) ------------------------------------------------


class BranchRuleSerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    region = serializers.CharField(source="region_id", read_only=True)
    full_members = serializers.IntegerField(read_only=True)
    seats = serializers.IntegerField(read_only=True, help_text="Current committee seats.")
    problems = serializers.SerializerMethodField(
        help_text="The rules the branch breaks: codes of the `rule` filter.")

    class Meta:
        model = Organisation
        fields = ["id", "name", "kind", "kind_display", "region", "full_members", "seats",
                  "term_ends", "problems"]
        read_only_fields = fields

    def get_problems(self, obj: Any) -> list[str]:
        return [c for c in rules.BRANCH_WARNINGS if getattr(obj, f"rule_{c}")]


class BranchRuleListView(ScopedAPIView):
    """支部设置 — current branches that break a Branch Work Regulations rule to put right
    (too few members, no committee, term run out, ...), as on the branch-rules page."""

    model = Organisation
    lists_rows = True
    required_permissions = {"GET": "party.view_organisation"}

    @extend_schema(operation_id="party_branch_rules_list",
                   parameters=[*schema.filter_parameters(selectors.BranchRuleFilter),
                               *schema.PAGE_PARAMETERS],
                   responses={200: BranchRuleSerializer(many=True), **schema.READ_ERRORS})
    def get(self, request: Request) -> Response:
        qs = selectors.branch_rule_queryset(self.scoped_queryset(), today=timezone.localdate())
        qs = _filtered(request, selectors.BranchRuleFilter, qs).filter(problems__gt=0)
        return _page(self, request, qs, selectors.ORG_ORDERING, BranchRuleSerializer)


def _route(route: str, view: type[ScopedAPIView], name: str) -> list[URLPattern]:
    return [path(route + "/", view.as_view(schema=None), name=name),
            path(route, view.as_view(), name=name)]


urlpatterns: list[Any] = [
    *_route("organisations", OrganisationListView, "party-organisation-list"),
    *_route("organisations/<int:pk>", OrganisationDetailView, "party-organisation-detail"),
    *_route("members", MemberListView, "party-member-list"),
    *_route("members/<int:pk>", MemberDetailView, "party-member-detail"),
    *_route("meetings", MeetingListView, "party-meeting-list"),
    *_route("meetings/<int:pk>", MeetingDetailView, "party-meeting-detail"),
    *_route("meetings/<int:pk>/attachments", MeetingAttachmentListView,
            "party-meeting-attachments"),
    *_route("attachments/<int:pk>", MeetingAttachmentDetailView, "party-attachment-detail"),
    *_route("participants", ParticipantListView, "party-participant-list"),
    *_route("participants/<int:pk>", ParticipantDetailView, "party-participant-detail"),
    *_route("participants/<int:pk>/end", ParticipantEndView, "party-participant-end"),
    *_route("transfer-requests", TransferRequestListView, "party-request-list"),
    *_route("transfer-requests/<int:pk>", TransferRequestDetailView, "party-request-detail"),
    *_route("transfer-requests/<int:pk>/accept", TransferRequestAcceptView,
            "party-request-accept"),
    *_route("transfer-requests/<int:pk>/decline", TransferRequestDeclineView,
            "party-request-decline"),
    *_route("transfer-requests/<int:pk>/withdraw", TransferRequestWithdrawView,
            "party-request-withdraw"),
    *_route("members/<int:pk>/transfer-targets", TransferTargetListView,
            "party-transfer-targets"),
    *_route("branch-rules", BranchRuleListView, "party-branch-rule-list"),
]
