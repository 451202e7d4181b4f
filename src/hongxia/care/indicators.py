"""Care indicators for dashboards and reports: every value is one aggregate in the database."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.utils import timezone

from hongxia.care.choices import LeaderStatus, PaymentStatus, TaskStatus
from hongxia.care.models import AidPayment, Ceremony, Pairing, ServicePlan, TaskRow, Visit
from hongxia.people.choices import Category, LifeStatus
from hongxia.people.models import Person
from hongxia.reports.registry import Indicator, Period, region_q, register


def _tasks_due(prefix: str, period: Period) -> QuerySet[Any]:
    return TaskRow.objects.filter(
        region_q("region", prefix), due__gte=period.start, due__lt=period.end
    ).exclude(status=TaskStatus.CANCELLED)


def _tasks_done(prefix: str, period: Period) -> QuerySet[Any]:
    return _tasks_due(prefix, period).filter(status=TaskStatus.DONE)


def _tasks_overdue(prefix: str, period: Period) -> QuerySet[Any]:
    today = min(period.end, timezone.localdate())
    return _tasks_due(prefix, period).filter(status=TaskStatus.OPEN, due__lt=today)


def _visits(prefix: str, period: Period) -> QuerySet[Any]:
    return Visit.objects.filter(
        region_q("region", prefix), date__gte=period.start, date__lt=period.end
    )


def _lixiu(prefix: str, period: Period) -> QuerySet[Any]:
    return Person.objects.filter(
        region_q("region", prefix), category=Category.LIXIU, life_status=LifeStatus.ALIVE
    )


def _paired(prefix: str, period: Period) -> QuerySet[Any]:
    served = Pairing.objects.filter(
        person_id=OuterRef("pk"), active=True, leader__status=LeaderStatus.SERVING
    )
    return _lixiu(prefix, period).filter(Exists(served))


def _coverage(prefix: str, period: Period) -> Decimal:
    agg = _lixiu(prefix, period).aggregate(
        n=Count("id"),
        p=Count(
            "id",
            filter=Q(
                Exists(
                    Pairing.objects.filter(
                        person_id=OuterRef("pk"), active=True, leader__status=LeaderStatus.SERVING
                    )
                )
            ),
        ),
    )
    return Decimal(100) if not agg["n"] else Decimal(agg["p"] * 100) / agg["n"]


def _plans_due(prefix: str, period: Period) -> QuerySet[Any]:
    return ServicePlan.objects.filter(
        region_q("region", prefix), review_date__gte=period.start, review_date__lt=period.end
    )


def _plans_on_time(prefix: str, period: Period) -> QuerySet[Any]:
    """Plans whose review fell in the period and a next version was written by then."""
    newer = ServicePlan.objects.filter(
        person_id=OuterRef("person_id"),
        version__gt=OuterRef("version"),
        created_at__date__lte=OuterRef("review_date"),
    )
    return _plans_due(prefix, period).filter(Exists(newer))


def _paid(prefix: str, period: Period) -> QuerySet[Any]:
    return AidPayment.objects.filter(
        region_q("region", prefix),
        status=PaymentStatus.PAID,
        paid_on__gte=period.start,
        paid_on__lt=period.end,
    )


def _ceremonies(prefix: str, period: Period) -> QuerySet[Any]:
    return Ceremony.objects.filter(
        region_q("region", prefix), date__gte=period.start, date__lt=period.end
    )


def _count(rows: Any) -> Any:
    return lambda prefix, period: rows(prefix, period).count()


for key, zh, en, unit, rows, kind, order in [
    ("care.tasks_due", "应访任务", "Visits due", "次", _tasks_due, "flow", 10),
    ("care.tasks_done", "已完成走访任务", "Visits done", "次", _tasks_done, "flow", 11),
    ("care.tasks_overdue", "逾期未访", "Visits overdue", "次", _tasks_overdue, "flow", 12),
    ("care.visits", "走访人次", "Visits recorded", "人次", _visits, "flow", 13),
    ("care.lixiu_paired", "离休干部结对数", "离休 cadres paired", "人", _paired, "stock", 20),
    ("care.plans_due", "应复核一人一策", "Plans due for review", "份", _plans_due, "flow", 30),
    (
        "care.plans_on_time",
        "按时复核一人一策",
        "Plans reviewed on time",
        "份",
        _plans_on_time,
        "flow",
        31,
    ),
    ("care.aid_person_times", "慰问帮扶人次", "Aid person-times", "人次", _paid, "flow", 40),
    (
        "care.ceremonies",
        "荣誉退休仪式",
        "Honorary retirement ceremonies",
        "场",
        _ceremonies,
        "flow",
        50,
    ),
]:
    register(
        Indicator(
            key=key,
            label_zh=zh,
            label_en=en,
            unit=unit,
            line="care",
            value=_count(rows),
            rows=rows,
            kind=kind,
            order=order,
        )
    )

register(
    Indicator(
        key="care.pairing_coverage",
        label_zh="离休干部结对覆盖率",
        label_en="Pairing coverage",
        unit="%",
        line="care",
        value=_coverage,
        rows=_lixiu,
        kind="stock",
        order=21,
    )
)
register(
    Indicator(
        key="care.aid_amount",
        label_zh="慰问帮扶金额",
        label_en="Aid paid",
        unit="元",
        line="care",
        value=lambda prefix, period: (
            Decimal(_paid(prefix, period).aggregate(s=Sum("amount_fen"))["s"] or 0) / 100
        ),
        rows=_paid,
        kind="flow",
        order=41,
        extra={"by": ["programme", "county"]},
    )
)


def by_rule_and_county(prefix: str, period: Period) -> list[dict[str, Any]]:
    """Visits done/due/overdue by rule and county, for the report tables."""
    from django.db.models.functions import Substr

    today = min(period.end, timezone.localdate())
    return list(
        _tasks_due(prefix, period)
        .annotate(county=Substr("region_id", 1, 6))
        .values("rule__code", "rule__name", "county")
        .annotate(
            n_due=Count("id"),
            n_done=Count("id", filter=Q(status=TaskStatus.DONE)),
            n_overdue=Count("id", filter=Q(status=TaskStatus.OPEN, due__lt=today)),
        )
        .order_by("rule__code", "county")
    )


def aid_by_programme_and_county(prefix: str, period: Period) -> list[dict[str, Any]]:
    from django.db.models.functions import Substr

    return list(
        _paid(prefix, period)
        .annotate(county=Substr("region_id", 1, 6))
        .values("programme__name", "county")
        .annotate(n=Count("id"), fen=Sum("amount_fen"))
        .order_by("programme__name", "county")
    )
