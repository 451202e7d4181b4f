"""The REST API under /api/ (the OpenAPI document is at /api/openapi.json).

Routes have no trailing slash; one is accepted too, but only the bare form is in the document.
"""

from __future__ import annotations

from typing import Any

from django.urls import URLPattern, include, path, re_path

from hongxia.api import views

app_name = "api"


def _route(route: str, view: type[views.ScopedAPIView], name: str) -> list[URLPattern]:
    # Both spellings share the name; reverse() gives the last one defined, the bare route.
    return [
        path(route + "/", view.as_view(schema=None), name=name),
        path(route, view.as_view(), name=name),
    ]


urlpatterns: list[Any] = [
    *_route("people", views.PersonListView, "person-list"),
    *_route("people/<int:pk>", views.PersonDetailView, "person-detail"),
    *_route("people/<int:pk>/death", views.PersonDeathView, "person-death"),
    *_route("people/<int:pk>/reveal", views.PersonRevealView, "person-reveal"),
    *_route("regions", views.RegionListView, "region-list"),
    *_route("me", views.MeView, "me"),
    # Each domain app mounts its own endpoints (its api.py) here, before the catch-all.
    path("party/", include("hongxia.party.api")),
    path("care/", include("hongxia.care.api")),
    path("import/", include("hongxia.ingest.api")),
    path("reports/", include("hongxia.reports.api")),
    re_path(r"^.*$", views.NotFoundView.as_view(schema=None), name="not-found"),
]
