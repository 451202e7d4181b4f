"""The pure rules over whole years: festivals by the lunar calendar, birthdays, periods."""

from __future__ import annotations

import datetime
import sys
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from hongxia.care import rules

D = datetime.date


def test_chongyang_2026_and_2027() -> None:
    assert rules.festival_date("chongyang", 2026) == D(2026, 10, 18)
    assert rules.festival_date("chongyang", 2027) == D(2027, 10, 8)


@pytest.mark.parametrize(
    "year,day",
    [
        (2024, D(2024, 2, 10)),
        (2025, D(2025, 1, 29)),
        (2026, D(2026, 2, 17)),
        (2027, D(2027, 2, 6)),
        (2060, D(2060, 2, 2)),
    ],
)
def test_spring_festival(year: int, day: D) -> None:
    assert rules.festival_date("spring", year) == day


def test_festivals_never_come_from_the_holiday_table(monkeypatch: pytest.MonkeyPatch) -> None:
    """Even with a holiday table that says otherwise (or none at all), the dates are lunar."""
    monkeypatch.setitem(sys.modules, "chinese_calendar", None)  # importing it would fail
    import hongxia.care.rules as module

    assert "chinese_calendar" not in module.__dict__
    source = Path(module.__file__).read_text(encoding="utf-8")
    assert "chinese_calendar" not in source and "holiday" not in source.split('"""', 2)[2]
    # Far beyond any published holiday table: still a lunar 9/9.
    assert rules.festival_date("chongyang", 2090).year == 2090
    assert rules.lunar_of(rules.festival_date("chongyang", 2090)) == rules.LunarDate(2090, 9, 9)


def _whole_year(year: int) -> list[D]:
    day, out = D(year, 1, 1), []
    while day.year == year:
        out.append(day)
        day += rules.ONE_DAY
    return out


@pytest.mark.parametrize("year", [2026, 2027])
def test_festival_window_over_a_whole_year(year: int) -> None:
    """Each day of the year: the 重阳 rule (10 days before) fires exactly on the 11 days."""
    firing = [
        d
        for d in _whole_year(year)
        if rules.festival_occasion("chongyang", d, days_before=10, days_after=0)
    ]
    fest = rules.festival_date("chongyang", year)
    assert firing == [fest - datetime.timedelta(days=n) for n in range(10, -1, -1)]
    keys = {
        rules.festival_occasion("chongyang", d, days_before=10, days_after=0).key  # type: ignore[union-attr]
        for d in firing
    }
    assert keys == {str(year)}


@pytest.mark.parametrize("year", [2026, 2027])
def test_periodic_over_a_whole_year(year: int) -> None:
    days = _whole_year(year)
    assert {rules.periodic_occasion(1, d).key for d in days} == {str(year)}
    halves = {rules.periodic_occasion(2, d).key for d in days}
    assert halves == {f"{year}P2-1", f"{year}P2-2"}
    h1 = rules.periodic_occasion(2, D(year, 3, 1))
    assert (h1.opens, h1.due) == (D(year, 1, 1), D(year, 6, 30))
    assert len({rules.periodic_occasion(4, d).key for d in days}) == 4
    assert rules.periodic_occasion(4, D(year, 12, 31)).due == D(year, 12, 31)


def test_lunar_80th_birthday_xusui_vs_zhousui() -> None:
    """Born lunar 1946-08-15 (solar 1946-09-10): 80 虚岁 falls a lunar year before 80 周岁."""
    birth = D(1946, 9, 10)
    assert rules.lunar_of(birth) == rules.LunarDate(1946, 8, 15)
    xusui = rules.birthday_occasions(
        birth, (D(2025, 1, 1), D(2026, 12, 31)), lunar=True, reckoning="xusui", ages=[80]
    )
    zhousui = rules.birthday_occasions(
        birth, (D(2025, 1, 1), D(2026, 12, 31)), lunar=True, reckoning="zhousui", ages=[80]
    )
    assert xusui == [(D(2025, 10, 6), 80)]  # 中秋 2025
    assert zhousui == [(D(2026, 9, 25), 80)]  # 中秋 2026


def test_lunar_30th_of_la_yue_falls_back_in_2026() -> None:
    """2026's 腊月 has 29 days: a birthday on 腊月三十 is kept on 腊月廿九."""
    birth = rules.solar_of(1945, 12, 30)
    day = rules.lunar_birthday_in(birth, 2026)
    assert rules.lunar_of(day) == rules.LunarDate(2026, 12, 29)
    assert day + rules.ONE_DAY == rules.festival_date("spring", 2027)


def test_leap_month_birthday_kept_in_ordinary_month() -> None:
    birth = rules.solar_of(2023, -2, 10)  # 闰二月初十 2023
    assert rules.lunar_of(birth).month == -2
    assert rules.lunar_of(rules.lunar_birthday_in(birth, 2024)) == rules.LunarDate(2024, 2, 10)
    assert rules.lunar_of(rules.lunar_birthday_in(birth, 2023)).month == -2


def test_solar_birthday_29_february() -> None:
    assert rules.solar_birthday_in(D(1948, 2, 29), 2026) == D(2026, 2, 28)
    assert rules.birthday_occasions(
        D(1946, 2, 28), (D(2026, 2, 1), D(2026, 3, 1)), lunar=False, reckoning="zhousui"
    ) == [(D(2026, 2, 28), 80)]


def test_milestones() -> None:
    assert [a for a in range(58, 82) if rules.is_milestone(a, min_age=60)] == [60, 65, 70, 75, 80]
    assert rules.is_milestone(79, ages=[59, 69, 79])  # 做九不做十
    assert not rules.is_milestone(80, ages=[59, 69, 79])


def test_amount_schedule_falls_with_each_stay() -> None:
    assert [rules.amount_for_occurrence([150, 100, 50], n) for n in (1, 2, 3, 4)] == [
        150,
        100,
        50,
        50,
    ]


births = st.dates(min_value=D(1915, 1, 1), max_value=D(1975, 12, 31))
days = st.dates(min_value=D(2024, 1, 1), max_value=D(2040, 12, 31))


@settings(max_examples=150, deadline=None)
@given(births, days, st.booleans(), st.sampled_from(["zhousui", "xusui"]))
def test_candidates_cover_every_milestone_birthday(
    birth: D, day: D, lunar: bool, reckoning: str
) -> None:
    """The database pre-filter (birth_candidates) never loses a birthday the exact rule finds."""
    window = (day, day + datetime.timedelta(days=7))
    found = rules.birthday_occasions(birth, window, lunar=lunar, reckoning=reckoning)
    if found:
        ages = [age for _d, age in found]
        assert birth in rules.birth_candidates(window, lunar=lunar, reckoning=reckoning, ages=ages)
    for when, _age in found:
        assert window[0] <= when <= window[1]


@settings(max_examples=200, deadline=None)
@given(births, st.integers(min_value=2000, max_value=2060))
def test_lunar_birthday_keeps_the_lunar_day(birth: D, year: int) -> None:
    born = rules.lunar_of(birth)
    got = rules.lunar_of(rules.lunar_birthday_in(birth, year))
    assert got.year == year and abs(got.month) == abs(born.month)
    assert got.day == born.day or (born.day == 30 and got.day == 29)


@settings(max_examples=200, deadline=None)
@given(births, days)
# Born 1975-02-01, before that year's Spring Festival (Feb 11): lunar year 1974. On 2031-01-23,
# the Spring Festival, before the birthday: 虚岁 58, 周岁 55. Three apart, and right.
@example(birth=D(1975, 2, 1), day=D(2031, 1, 23))
def test_xusui_against_zhousui(birth: D, day: D) -> None:
    """虚岁 is one more than 周岁, less one when the day falls before its year's Spring
    Festival, plus one when the birth did, plus one before the birthday: 0 to 3 more."""
    def before_festival(d: D) -> int:
        return int(rules.lunar_of(d).year < d.year)

    not_yet = int((day.month, day.day) < (birth.month, birth.day))
    diff = rules.age_on(birth, day, "xusui") - rules.age_on(birth, day, "zhousui")
    assert diff == 1 - before_festival(day) + before_festival(birth) + not_yet
    assert diff in (0, 1, 2, 3)


@settings(max_examples=100, deadline=None)
@given(days, st.sampled_from([1, 2, 3, 4, 6, 12]))
def test_period_holds_its_day(day: D, times: int) -> None:
    occ = rules.periodic_occasion(times, day)
    assert occ.opens <= day <= occ.due
    assert rules.periodic_occasion(times, occ.opens).key == occ.key
    assert rules.periodic_occasion(times, occ.due + rules.ONE_DAY).key != occ.key


def _days(first: datetime.date, last: datetime.date, step: int = 1) -> list[datetime.date]:
    return [first + datetime.timedelta(days=n) for n in range(0, (last - first).days + 1, step)]


@pytest.mark.parametrize(
    "days",
    [
        _days(D(1944, 1, 1), D(1948, 12, 31)),  # birth years of the seed, leap 1944/1947
        _days(D(2025, 1, 1), D(2028, 12, 31)),  # planning years, 闰六月 2025, 2028 闰五月
        _days(D(1900, 2, 1), D(2100, 12, 31), step=61),  # across the whole range
    ],
    ids=["births", "planning", "every-61st-day"],
)
def test_lunar_conversions_agree_with_lunar_python(days: list[datetime.date]) -> None:
    """Our conversions read lunar-python's own month tables (to avoid rebuilding its one-year
    cache); they give what lunar-python's converters give, both ways."""
    from lunar_python import Lunar, Solar

    for day in days:
        ref = Solar.fromYmd(day.year, day.month, day.day).getLunar()
        got = rules.lunar_of(day)
        assert (got.year, got.month, got.day) == (ref.getYear(), ref.getMonth(), ref.getDay())
        assert rules.solar_of(got.year, got.month, got.day) == day
        back = Lunar.fromYmd(got.year, got.month, got.day).getSolar()
        assert D(back.getYear(), back.getMonth(), back.getDay()) == day
