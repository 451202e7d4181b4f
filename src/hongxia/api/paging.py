"""The shape of every keyset-paged list in the API."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from hongxia.core.pagination import Page


def page_size(request: Request, *, most: int = 500) -> int:
    """`?page_size=`, between 1 and `most` (default: the site's page size); not a number is a
    400 naming the parameter, never a 500."""
    raw = request.query_params.get("page_size") or settings.HONGXIA_PAGE_SIZE
    try:
        size = int(raw)
    except (TypeError, ValueError) as exc:
        raise ValidationError({"page_size": [_("A whole number.")]}) from exc
    return max(1, min(size, most))


def page_response(request: Request, page: Page, results: Any, **extra: Any) -> Response:
    """{results, next, previous, count, count_capped}: next/previous are this URL with the
    cursor replaced, or null."""
    here = request.build_absolute_uri()

    def link(cursor: str | None) -> str | None:
        return replace_query_param(here, "cursor", cursor) if cursor else None

    return Response(
        {
            "results": results,
            "next": link(page.next_cursor),
            "previous": link(page.prev_cursor),
            "count": page.total,
            "count_capped": page.total_capped,
            **extra,
        }
    )
