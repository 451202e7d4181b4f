"""The ingest API, mounted under /api/ingest/ by hongxia.api.urls."""

from typing import Any

urlpatterns: list[Any] = []
