"""The registry's figures (基本情况): who is on the books, as at the end of a period.

"Stock" figures count people as at the period's end: retired before it, and alive on its last
day (alive now, or died on or after its end). "Flow" figures count what happened within it.
Each is one COUNT in the database over a region-code range; `rows` gives the same people.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

from django.db.models import Q, QuerySet

from hongxia.people.choices import AGE_BANDS, PARTY_STATUSES, Category, LifeStatus
from hongxia.people.models import Person
from hongxia.people.selectors import age_band_q
from hongxia.reports.registry import Indicator, Period, region_q, register

_CADRES = [Category.LIXIU, Category.TUIXIU]
# Person list columns for drill-downs: (attribute or display method, label).
_COLUMNS = [
    ("name", "姓名"),
    ("get_gender_display", "性别"),
    ("birth_date", "出生日期"),
    ("get_category_display", "类别"),
    ("region", "区划"),
    ("former_unit", "原单位"),
]


def _on_books_at(period: Period) -> Q:
    """On the books on the period's last day: retired by then and not yet dead."""
    alive = Q(life_status=LifeStatus.ALIVE) | Q(death_date__gte=period.end)
    retired = Q(retirement_date__isnull=True) | Q(retirement_date__lt=period.end)
    return alive & retired


def _people(prefix: str, extra: Q) -> QuerySet[Person]:
    return Person.objects.filter(region_q("region", prefix)).filter(extra)


def _add(
    key: str,
    zh: str,
    en: str,
    where: Callable[[Period], Q],
    *,
    order: int,
    kind: str = "stock",
    unit: str = "人",
) -> None:
    """Register a count of people matching `where(period)`. `extra["count_q"]` lets the reports
    app count all of them in one aggregate per region and period instead of one query each."""

    def rows(prefix: str, period: Period) -> QuerySet[Person]:
        return _people(prefix, where(period))

    def value(prefix: str, period: Period) -> int:
        return int(rows(prefix, period).order_by().count())

    register(
        Indicator(
            key=f"people.{key}",
            label_zh=zh,
            label_en=en,
            unit=unit,
            line="basic",
            value=value,
            rows=rows,
            kind=kind,
            order=order,
            extra={
                "columns": _COLUMNS,
                "model": "people.Person",
                "count_q": where,
                "region_field": "region",
            },
        )
    )


def _stock(q: Q) -> Callable[[Period], Q]:
    """People on the books at the period's end and matching `q`."""

    def where(period: Period) -> Q:
        return _on_books_at(period) & q

    return where


_add("cadres", "离退休干部", "Retired cadres", _stock(Q(category__in=_CADRES)), order=10)
_add("lixiu", "离休干部", "Veteran cadres (离休)", _stock(Q(category=Category.LIXIU)), order=11)
_add("tuixiu", "退休干部", "Retired cadres (退休)", _stock(Q(category=Category.TUIXIU)), order=12)
_add("survivors", "遗属", "Survivors", _stock(Q(category=Category.SURVIVOR)), order=13)


def _age(band: str) -> Callable[[Period], Q]:
    def where(period: Period) -> Q:
        last_day = period.end - datetime.timedelta(days=1)
        q = Q(category__in=_CADRES) & age_band_q(band, today=last_day)
        return _on_books_at(period) & q

    return where


_BAND_ZH = {
    "lt60": "60岁以下",
    "60_69": "60—69岁",
    "70_79": "70—79岁",
    "80_89": "80—89岁",
    "90_99": "90—99岁",
    "100": "100岁及以上",
}
for _i, (_code, _label, _lo, _hi) in enumerate(AGE_BANDS):
    _add(
        f"age_{_code}",
        f"离退休干部（{_BAND_ZH.get(_code, _code)}）",
        f"Cadres aged {_label}",
        _age(_code),
        order=20 + _i,
    )

_add(
    "ethnic_han",
    "汉族离退休干部",
    "Han cadres",
    _stock(Q(category__in=_CADRES, ethnicity="01")),
    order=40,
)
_add(
    "ethnic_minority",
    "少数民族离退休干部",
    "Minority cadres",
    _stock(Q(category__in=_CADRES) & ~Q(ethnicity="01")),
    order=41,
)
for _i, (_eth, _zh, _en) in enumerate(
    [
        ("06", "苗族", "Miao"),
        ("12", "侗族", "Dong"),
        ("15", "土家族", "Tujia"),
        ("13", "瑶族", "Yao"),
    ]
):
    _add(
        f"ethnic_{_eth}",
        f"{_zh}离退休干部",
        f"{_en} cadres",
        _stock(Q(category__in=_CADRES, ethnicity=_eth)),
        order=42 + _i,
    )

_add(
    "elsewhere",
    "异地居住离退休干部",
    "Cadres living elsewhere",
    _stock(Q(category__in=_CADRES, lives_elsewhere=True)),
    order=50,
)
_add(
    "party_members",
    "离退休干部党员",
    "Party members among cadres",
    _stock(Q(category__in=_CADRES, political_status__in=PARTY_STATUSES)),
    order=60,
)


def _deaths(period: Period) -> Q:
    return Q(death_date__gte=period.start, death_date__lt=period.end, category__in=_CADRES)


_add("deaths", "去世离退休干部", "Cadres who died", _deaths, order=70, kind="flow")
