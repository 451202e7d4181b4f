"""The party API, mounted under /api/party/ by hongxia.api.urls: organisations, members and
meetings to read; meetings (with attendance) to record. Thin handlers over the party
selectors and services; rows only through `visible_to(user)` (ScopedAPIView)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from hongxia.api import schema
from hongxia.api.serializers import ListQuerySerializer
from hongxia.api.views import ScopedAPIView
from hongxia.core.pagination import paginate
from hongxia.party import rules, selectors, services
from hongxia.party.choices import Attendance, MeetingKind, OrgKind
from hongxia.party.models import Meeting, Member, Organisation


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
    here = request.build_absolute_uri()
    return Response({
        "results": serializer(page.rows, many=True).data,
        "next": replace_query_param(here, "cursor", page.next_cursor) if page.next_cursor
        else None,
        "previous": replace_query_param(here, "cursor", page.prev_cursor) if page.prev_cursor
        else None,
        "count": page.total,
        "count_capped": page.total_capped,
    })


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


class MeetingDetailView(MeetingListView):
    @extend_schema(operation_id="party_meetings_retrieve",
                   responses={200: MeetingSerializer, 404: schema.NOT_FOUND,
                              **schema.READ_ERRORS})
    def get(self, request: Request, pk: int) -> Response:  # type: ignore[override]
        return Response(MeetingSerializer(self.get_object(pk, self._qs())).data)

    post = None  # type: ignore[assignment]
    http_method_names = ["get", "head", "options"]


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
]
