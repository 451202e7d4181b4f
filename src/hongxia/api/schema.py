"""OpenAPI pieces shared by the views: the error answers and the registry's list filters."""

from __future__ import annotations

from typing import Any

import django_filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse

from hongxia.api.serializers import MAX_PAGE_SIZE, ErrorSerializer

# What each filter of PersonFilter means to an API client (its label is only a form caption).
_FILTER_HELP = {
    "q": "Name characters, full pinyin or initials (张三丰: zhangsanfeng, zsf), the last 4 "
    "digits of the ID number or a phone, or a whole ID or mobile number.",
    "region": "A region code; people in that region and every region below it.",
    "category": "lixiu, tuixiu or survivor; repeat the parameter for several.",
    "rank": "A rank code.",
    "tag": "A classification tag code; repeat it to require every tag given.",
    "life_status": "alive or deceased.",
    "party": "true for CPC members (including probationary), false for everyone else.",
    "age_band": "An age band in full years (周岁).",
    "lives_elsewhere": "true for people living outside their region.",
}


def filter_parameters(filterset_class: type[django_filters.FilterSet]) -> list[OpenApiParameter]:
    """Query parameters described from the filterset itself, so the document cannot drift."""
    params = []
    for name, flt in filterset_class.base_filters.items():
        many = isinstance(
            flt, django_filters.MultipleChoiceFilter | django_filters.ModelMultipleChoiceFilter
        )
        kind: Any = OpenApiTypes.BOOL if isinstance(flt, django_filters.BooleanFilter) else str
        choices = flt.extra.get("choices")
        enum = [code for code, _label in choices] if isinstance(choices, list | tuple) else []
        params.append(
            OpenApiParameter(
                name,
                kind,
                OpenApiParameter.QUERY,
                required=False,
                many=many,
                enum=enum or None,
                explode=True if many else None,
                description=_FILTER_HELP.get(name, str(flt.label or name)),
            )
        )
    return params


PAGE_PARAMETERS = [
    OpenApiParameter(
        "cursor",
        str,
        OpenApiParameter.QUERY,
        required=False,
        description="Opaque; take it from the `next` or `previous` link of a page.",
    ),
    OpenApiParameter(
        "page_size",
        int,
        OpenApiParameter.QUERY,
        required=False,
        description=f"Rows per page, 1 to {MAX_PAGE_SIZE} (default 50).",
    ),
]


def _error(description: str) -> OpenApiResponse:
    return OpenApiResponse(ErrorSerializer, description=description)


BAD_REQUEST = _error("Invalid input: `errors` names each field with its problems.")
UNAUTHENTICATED = _error("Not logged in and no valid `Authorization: Token <key>` header.")
FORBIDDEN = _error("The caller's role does not allow this.")
NOT_FOUND = _error("No such record within the caller's region.")
NOT_ALLOWED = _error("The HTTP method is not allowed here.")
UNSUPPORTED = _error("The body is not JSON.")

READ_ERRORS = {401: UNAUTHENTICATED, 403: FORBIDDEN}
WRITE_ERRORS = {400: BAD_REQUEST, 401: UNAUTHENTICATED, 403: FORBIDDEN, 415: UNSUPPORTED}
