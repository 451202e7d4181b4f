"""The statistics panel on the home page: this year's headline figures for the user's scope."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils import timezone

from hongxia.reports import registry, selectors
from hongxia.reports.registry import Period

PANEL = ["people.cadres", "people.party_members", "people.deaths"]


def panel(request: Any) -> dict[str, Any] | None:
    user = request.user
    if not user.has_perm("reports.view_statistics"):
        return None
    try:
        region = selectors.region_in_scope(user=user, code=None)
    except PermissionDenied:
        return None
    year = timezone.localdate().year
    vals = selectors.values(selectors.prefix_of(region), Period.year(year))
    headlines = [
        {"key": k, "label": registry.label_of(registry.get(k)), "value": vals[k]}
        for k in PANEL if k in vals
    ]
    return {"year": year, "headlines": headlines}
