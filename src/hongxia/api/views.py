"""The registry's REST API: thin handlers over the people selectors and services.

Rows come only through `selectors.people_visible` (region scope), so a person outside the
caller's region answers 404 like a missing one; writes go only through the services, which
validate, audit and re-check scope.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from django.db.models import Model, Prefetch, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from hongxia.api import schema
from hongxia.api.paging import page_response
from hongxia.api.serializers import (
    SENSITIVE_FIELDS,
    DeathSerializer,
    ListQuerySerializer,
    MeSerializer,
    PersonPageSerializer,
    PersonSerializer,
    PersonWriteSerializer,
    RegionSerializer,
    RevealQuerySerializer,
    RevealSerializer,
)
from hongxia.core import audit
from hongxia.core.models import AuditLog
from hongxia.core.pagination import paginate
from hongxia.people import selectors, services
from hongxia.people.models import Contact, Person, Tag

# The masked column shown instead of each sensitive one.
_MASKED_COLUMN = {"id_number": "id_masked", "phone": "phone_masked", "landline": "landline_masked"}


class ScopedAPIView(APIView):
    """Base of every API view: JSON bodies only (anything else is a 415), role permissions
    (RolePermission, from settings), and rows of `model` only through `visible_to(user)`, so
    a row outside the caller's region answers 404 exactly like a missing one."""

    parser_classes = [JSONParser]
    model: ClassVar[type[Model] | None] = None

    def scoped_queryset(self) -> QuerySet[Any]:
        assert self.model is not None, f"{type(self).__name__} names no model"
        return self.model._default_manager.visible_to(self.request.user)  # type: ignore[attr-defined]

    def get_object(self, pk: Any, queryset: QuerySet[Any] | None = None) -> Any:
        qs = queryset if queryset is not None else self.scoped_queryset()
        obj = (qs.with_pk(pk) if hasattr(qs, "with_pk") else qs.filter(pk=pk)).first()
        if obj is None:
            raise Http404
        return obj


def _unmask_rule(user: Any) -> Callable[[Person], bool]:
    """Which people the caller sees unmasked: everyone in scope with view_sensitive, their
    own record with view_own_sensitive (a retiree), nobody otherwise."""
    if user.has_perm("people.view_sensitive"):
        return lambda person: True
    if user.has_perm("people.view_own_sensitive"):
        return lambda person: person.account_id is not None and person.account_id == user.pk
    return lambda person: False


def _for_display(qs: QuerySet[Person], user: Any) -> QuerySet[Person]:
    """Everything the serializer reads, in a fixed number of queries; encrypted columns are
    not even loaded (nor decrypted) for callers who will only see the masks."""
    may_unmask = user.has_perm("people.view_sensitive") or user.has_perm(
        "people.view_own_sensitive"
    )
    contacts = Contact.objects.all() if may_unmask else Contact.objects.defer("phone")
    qs = qs.select_related("region").prefetch_related("tags", Prefetch("contacts", contacts))
    return qs if may_unmask else qs.defer(*SENSITIVE_FIELDS)


def _render(request: Request, people: list[Person], *, many: bool) -> Any:
    """Serialize, and log the unmasked view: one event per record, or one for a whole page."""
    unmask = _unmask_rule(request.user)
    context = {"request": request, "unmask": unmask}
    if many:
        data = PersonSerializer(people, many=True, context=context).data
    else:
        data = PersonSerializer(people[0], context=context).data
    shown = [p for p in people if unmask(p)]
    if many and shown:
        audit.record_event(
            AuditLog.Action.VIEW_SENSITIVE,
            actor=request.user,
            note=f"API list: {len(shown)} people unmasked",
        )
    elif shown:
        audit.record_event(
            AuditLog.Action.VIEW_SENSITIVE, actor=request.user, obj=shown[0], note="API detail"
        )
    return data


def _body(request: Request) -> Any:
    if not isinstance(request.data, dict):
        raise ValidationError({"non_field_errors": [_("The request body must be a JSON object.")]})
    return request.data


def _service_input(
    request: Request, validated: dict[str, Any], *, person: Person | None = None
) -> tuple[dict[str, Any], list[Tag] | None]:
    """Turn codes and ids into rows the caller may use; each one that is not is a field error."""
    user = request.user
    data = dict(validated)
    errors: dict[str, list[str]] = {}

    if "region" in data:
        code = data["region"].strip()
        region = selectors.region_choices(user=user).filter(code=code).first()
        if region is None and person is not None and code == person.region_id:
            region = person.region  # keep a region the picker does not offer (a community)
        if region is None:
            errors["region"] = [_("Choose a region within your own area.")]
        data["region"] = region

    if data.get("survivor_of") is not None:
        deceased = selectors.people_visible(user=user).filter(pk=data["survivor_of"]).first()
        if deceased is None:
            errors["survivor_of"] = [_("No such person in your region.")]
        data["survivor_of"] = deceased

    tags: list[Tag] | None = None
    if "tags" in data:
        codes = list(dict.fromkeys(data.pop("tags")))
        tags = list(Tag.objects.filter(code__in=codes, active=True))
        unknown = sorted(set(codes) - {t.code for t in tags})
        if unknown:
            errors["tags"] = [
                _("Unknown classification tag: %(code)s.") % {"code": code} for code in unknown
            ]

    if person is not None:
        # A client that sends back what it was shown must not overwrite the real value with stars.
        for field, masked_column in _MASKED_COLUMN.items():
            value = data.get(field)
            if value and "*" in value and value == getattr(person, masked_column):
                del data[field]

    if errors:
        raise ValidationError(errors)
    return data, tags


ID_PARAMETER = OpenApiParameter("id", int, OpenApiParameter.PATH, description="The person's id.")


class PersonView(ScopedAPIView):
    """Base of the registry's views: people through `selectors.people_visible`."""

    model = Person

    def scoped_queryset(self) -> QuerySet[Person]:
        return selectors.people_visible(user=self.request.user)

    def person(self, pk: int) -> Person:
        qs = _for_display(self.scoped_queryset(), self.request.user)
        person: Person = self.get_object(pk, qs)
        return person


class PersonListView(PersonView):
    """The registry: search it, or register a new person."""

    lists_rows = True

    @extend_schema(
        operation_id="people_list",
        summary="List and search people",
        description="People within the caller's region, in pinyin order, a page at a time. "
        "Filters combine; `count` stops at 10,000 (then `count_capped` is true).",
        parameters=[*schema.filter_parameters(selectors.PersonFilter), *schema.PAGE_PARAMETERS],
        responses={200: PersonPageSerializer, 400: schema.BAD_REQUEST, **schema.READ_ERRORS},
    )
    def get(self, request: Request) -> Response:
        query = ListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        filters, qs = selectors.people_filtered(request=request, params=request.query_params)
        if not filters.is_valid():
            raise ValidationError(
                {
                    name: [e["message"] for e in problems]
                    for name, problems in filters.errors.get_json_data().items()
                }
            )
        page = paginate(
            _for_display(qs, request.user),
            ordering=selectors.LIST_ORDERING,
            cursor=query.validated_data.get("cursor") or None,
            page_size=query.page_size_or_default(),
        )
        return page_response(request, page, _render(request, page.rows, many=True))

    @extend_schema(
        operation_id="people_create",
        summary="Register a person",
        request=PersonWriteSerializer,
        responses={201: PersonSerializer, **schema.WRITE_ERRORS},
    )
    def post(self, request: Request) -> Response:
        serializer = PersonWriteSerializer(data=_body(request))
        serializer.is_valid(raise_exception=True)
        data, tags = _service_input(request, serializer.validated_data)
        person = services.person_create(actor=request.user, data=data, tags=tags)
        body = _render(request, [self.person(person.pk)], many=False)
        return Response(body, status=status.HTTP_201_CREATED, headers={"Location": body["url"]})


class PersonDetailView(PersonView):
    """One person: read or change. There is no DELETE: records are kept and a death recorded."""

    @extend_schema(
        operation_id="people_retrieve",
        summary="One person",
        parameters=[ID_PARAMETER],
        responses={200: PersonSerializer, 404: schema.NOT_FOUND, **schema.READ_ERRORS},
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(_render(request, [self.person(pk)], many=False))

    @extend_schema(
        operation_id="people_update",
        summary="Replace a person's details",
        description="Required fields must be given; optional fields left out keep their values. "
        "A masked ID number or phone sent back unchanged leaves the real one alone.",
        parameters=[ID_PARAMETER],
        request=PersonWriteSerializer,
        responses={200: PersonSerializer, 404: schema.NOT_FOUND, **schema.WRITE_ERRORS},
    )
    def put(self, request: Request, pk: int) -> Response:
        return self._update(request, pk, partial=False)

    @extend_schema(
        operation_id="people_partial_update",
        summary="Change some of a person's details",
        parameters=[ID_PARAMETER],
        request=PersonWriteSerializer(partial=True),
        responses={200: PersonSerializer, 404: schema.NOT_FOUND, **schema.WRITE_ERRORS},
    )
    def patch(self, request: Request, pk: int) -> Response:
        return self._update(request, pk, partial=True)

    def _update(self, request: Request, pk: int, *, partial: bool) -> Response:
        person = self.person(pk)
        serializer = PersonWriteSerializer(data=_body(request), partial=partial)
        serializer.is_valid(raise_exception=True)
        data, tags = _service_input(request, serializer.validated_data, person=person)
        person = services.person_update(actor=request.user, person=person, data=data, tags=tags)
        return Response(_render(request, [self.person(person.pk)], many=False))


class PersonDeathView(PersonView):
    """Record a person's death."""

    required_permissions = {"POST": "people.record_death"}

    @extend_schema(
        operation_id="people_record_death",
        summary="Record a death",
        description="Sets the life status and date of death and keeps a life event; the record "
        "and its survivors stay.",
        parameters=[ID_PARAMETER],
        request=DeathSerializer,
        responses={200: PersonSerializer, 404: schema.NOT_FOUND, **schema.WRITE_ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        person = self.person(pk)
        serializer = DeathSerializer(data=_body(request))
        serializer.is_valid(raise_exception=True)
        person = services.person_record_death(
            actor=request.user,
            person=person,
            date=serializer.validated_data["date"],
            note=serializer.validated_data["note"],
        )
        return Response(_render(request, [self.person(person.pk)], many=False))


class PersonRevealView(PersonView):
    """One sensitive value in full, for those allowed to see it; logged."""

    @extend_schema(
        operation_id="people_reveal",
        summary="One sensitive value, unmasked",
        description="Needs permission to see sensitive data; every call is logged.",
        parameters=[
            ID_PARAMETER,
            OpenApiParameter(
                "field", str, OpenApiParameter.QUERY, required=True, enum=list(SENSITIVE_FIELDS)
            ),
        ],
        responses={
            200: RevealSerializer,
            400: schema.BAD_REQUEST,
            404: schema.NOT_FOUND,
            **schema.READ_ERRORS,
        },
    )
    def get(self, request: Request, pk: int) -> Response:
        person = self.person(pk)  # first: another county's person is a 404 whatever the query
        query = RevealQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        field = query.validated_data["field"]
        value = services.reveal(actor=request.user, person=person, field=field)
        return Response({"field": field, "value": value})


class RegionListView(ScopedAPIView):
    """Regions for the region field of a person."""

    required_permissions = {"GET": "people.view_person"}

    @extend_schema(
        operation_id="regions_list",
        summary="Regions the caller may choose",
        description="The caller's own region and those below it, down to towns.",
        responses={200: RegionSerializer(many=True), **schema.READ_ERRORS},
    )
    def get(self, request: Request) -> Response:
        regions = selectors.region_choices(user=request.user).order_by("code")
        return Response(RegionSerializer(regions, many=True).data)


class MeView(ScopedAPIView):
    """The calling user, their region and permissions."""

    required_permissions = {"GET": None}

    @extend_schema(
        operation_id="me_retrieve",
        summary="The calling user",
        responses={200: MeSerializer, 401: schema.UNAUTHENTICATED},
    )
    def get(self, request: Request) -> Response:
        return Response(MeSerializer(request.user).data)


class NotFoundView(ScopedAPIView):
    """Any other URL under /api/: a JSON 404, not Django's HTML page."""

    permission_classes: list[Any] = []
    authentication_classes: list[Any] = []

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        raise NotFound
