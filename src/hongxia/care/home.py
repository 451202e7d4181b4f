"""The care panel of the home page: overdue visits per county, this week, pairing coverage."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from hongxia.care import selectors
from hongxia.care.choices import TaskStatus


def panel(request: Any) -> dict[str, Any] | None:
    user = request.user
    if not user.has_perm("care.view_visittask") or getattr(user, "role", "") == "retiree":
        return None
    today = timezone.localdate()
    _start, end = selectors.week_bounds(today)
    counts = selectors.by_scope(
        user,
        f"home:{today}",
        lambda: (
            selectors.tasks_visible(user=user)
            .filter(status=TaskStatus.OPEN)
            .aggregate(
                overdue=Count("id", filter=Q(due__lt=today)),
                week=Count("id", filter=Q(due__gte=today, due__lte=end)),
            )
        ),
    )
    coverage = selectors.pairing_coverage(user=user)
    return {
        **counts,
        "counties": [
            r for r in selectors.overdue_by_county(user=user, today=today) if r["overdue"]
        ],
        "paired": coverage["paired"],
        "lixiu": coverage["total"],
        "reviews": selectors.plans_due_for_review(user=user, today=today).count(),
    }
