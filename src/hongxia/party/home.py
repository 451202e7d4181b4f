"""The party panel on the home page: this quarter's organisation life, for the branch
secretary (their own branches) and the clerks (their county or the city)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from hongxia.party import rules, selectors
from hongxia.party.models import Organisation

PANEL_ROLES = {"branch_secretary", "county_clerk", "city_admin"}


def panel(request: Any) -> dict[str, Any] | None:
    user = request.user
    if getattr(user, "role", None) not in PANEL_ROLES or not user.has_perm("party.view_meeting"):
        return None
    today = timezone.localdate()
    period = rules.period_of("quarter", today)
    orgs = Organisation.objects.visible_to(user)
    ctx: dict[str, Any] = {
        "period": period,
        "summary": selectors.compliance_summary(user=user, period=period, as_of=today, orgs=orgs),
    }
    if user.has_perm("party.add_transfer"):
        # Members another county asks this user's area to take in, awaiting an answer.
        ctx["incoming"] = selectors.incoming_requests(user=user).count()
    if user.role == "branch_secretary":
        ctx["branches"] = list(
            selectors.compliance_queryset(orgs, period, as_of=today).order_by("name")[:10])
    return ctx
