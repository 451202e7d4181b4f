"""Which rule fires for whom on which day: pure functions, no database.

Festival dates come from the lunar calendar (lunar-python) every year, never from a statutory
holiday table: those tables stop at the last published year.
"""

from __future__ import annotations

import contextlib
import datetime
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from lunar_python import Lunar, LunarYear, Solar

from hongxia.care.choices import FESTIVAL_LUNAR_DATES

ONE_DAY = datetime.timedelta(days=1)


@dataclass(frozen=True)
class LunarDate:
    year: int
    month: int  # negative for a leap month, as lunar-python gives it
    day: int


@lru_cache(maxsize=512)
def _lunar_year(year: int) -> LunarYear:
    # Building a lunar year costs milliseconds (solar terms); lunar-python caches only one, and
    # its own conversions (Solar.getLunar, Lunar.getSolar) rebuild it whenever the year changes.
    # So conversions below read the months of our cached years instead (same tables, same
    # answers: tests/care/test_care_rules.py compares them day by day with lunar-python's).
    return LunarYear(year)


def _ordinal_of_jd(jd: float) -> int:
    """The proleptic Gregorian ordinal of the day holding Julian day `jd`."""
    return math.floor(jd + 0.5) - 1721425


@lru_cache(maxsize=512)
def _year_months(year: int) -> tuple[tuple[int, int, int], ...]:
    """The months of lunar `year`: (month, negative if leap; first day's ordinal; days)."""
    return tuple(
        (m.getMonth(), _ordinal_of_jd(m.getFirstJulianDay()), m.getDayCount())
        for m in _lunar_year(year).getMonthsInYear()
    )


@lru_cache(maxsize=65536)
def lunar_of(day: datetime.date) -> LunarDate:
    ordinal = day.toordinal()
    for year in (day.year, day.year - 1):
        for month, first, days in _year_months(year):
            if first <= ordinal < first + days:
                return LunarDate(year, month, ordinal - first + 1)
    lunar = Solar.fromYmd(day.year, day.month, day.day).getLunar()  # outside lunar-python's range
    return LunarDate(lunar.getYear(), lunar.getMonth(), lunar.getDay())


@lru_cache(maxsize=8192)
def _month_days(year: int, month: int) -> int | None:
    """Days in lunar `month` of `year` (negative = leap), or None if that year has no such month."""
    lunar_year = _lunar_year(year)
    if month < 0 and lunar_year.getLeapMonth() != -month:
        return None
    found = lunar_year.getMonth(month)
    return found.getDayCount() if found is not None else None


@lru_cache(maxsize=65536)
def solar_of(year: int, month: int, day: int) -> datetime.date:
    for found, first, days in _year_months(year):
        if found == month and 1 <= day <= days:
            return datetime.date.fromordinal(first + day - 1)
    solar = Lunar.fromYmd(year, month, day).getSolar()  # let lunar-python judge the odd case
    return datetime.date(solar.getYear(), solar.getMonth(), solar.getDay())


def lunar_to_solar_kept(year: int, month: int, day: int) -> datetime.date:
    """The solar date of lunar (month, day) in lunar `year`, with the usual fallbacks: a leap
    month the year lacks is kept in the ordinary month; a 30th in a 29-day month falls back to
    the month's last day (2026 has no 腊月三十)."""
    if month < 0 and _month_days(year, month) is None:
        month = -month
    days = _month_days(year, month) or 29
    return solar_of(year, month, min(day, days))


def festival_date(festival: str, year: int) -> datetime.date:
    """春节 (1/1) or 重阳节 (9/9) of lunar `year`, as a solar date."""
    month, day = FESTIVAL_LUNAR_DATES[festival]
    return solar_of(year, month, day)


def solar_birthday_in(birth: datetime.date, year: int) -> datetime.date:
    try:
        return birth.replace(year=year)
    except ValueError:  # born 29 February: celebrated on the 28th in common years
        return datetime.date(year, 2, 28)


def lunar_birthday_in(birth: datetime.date, lunar_year: int) -> datetime.date:
    """The solar date of the lunar birthday of someone born on solar `birth`, in `lunar_year`."""
    born = lunar_of(birth)
    return lunar_to_solar_kept(lunar_year, born.month, born.day)


def age_on(birth: datetime.date, day: datetime.date, reckoning: str) -> int:
    """周岁: full years; 虚岁: 1 at birth, one more at each Spring Festival."""
    if reckoning == "xusui":
        return lunar_of(day).year - lunar_of(birth).year + 1
    years = day.year - birth.year
    if (day.month, day.day) < (birth.month, birth.day):
        years -= 1
    return years


def birthday_age(birth: datetime.date, occasion_year: int, *, lunar: bool, reckoning: str) -> int:
    """The age celebrated at the birthday of `occasion_year` (a lunar year for lunar birthdays)."""
    if lunar:
        years = occasion_year - lunar_of(birth).year
        return years + 1 if reckoning == "xusui" else years
    day = solar_birthday_in(birth, occasion_year)
    return age_on(birth, day, reckoning)


def is_milestone(age: int, *, ages: Sequence[int] = (), min_age: int | None = None) -> bool:
    """逢五逢十 by default; or exactly the configured ages (e.g. 59, 69, 79 for 做九不做十)."""
    if ages:
        return age in ages
    return age > 0 and age % 5 == 0 and (min_age is None or age >= min_age)


@dataclass(frozen=True)
class Occasion:
    key: str
    opens: datetime.date
    due: datetime.date
    anchor: datetime.date


def birthday_occasions(
    birth: datetime.date,
    window: tuple[datetime.date, datetime.date],
    *,
    lunar: bool,
    reckoning: str,
    ages: Sequence[int] = (),
    min_age: int | None = None,
) -> list[tuple[datetime.date, int]]:
    """Milestone birthdays (date, age) falling within [first, last] of `window`."""
    first, last = window
    found = []
    for year in range(first.year - 1, last.year + 1):
        day = lunar_birthday_in(birth, year) if lunar else solar_birthday_in(birth, year)
        if first <= day <= last and day > birth:
            age = birthday_age(birth, year, lunar=lunar, reckoning=reckoning)
            if is_milestone(age, ages=ages, min_age=min_age):
                found.append((day, age))
    return found


def birth_candidates(
    window: tuple[datetime.date, datetime.date],
    *,
    lunar: bool,
    reckoning: str,
    ages: Iterable[int],
) -> set[datetime.date]:
    """Every solar birth date that can have a birthday at one of `ages` inside `window`: a
    superset for a database filter (birth_date IN ...); `birthday_occasions` decides exactly."""
    first, last = window
    out: set[datetime.date] = set()
    lunar_dates: set[tuple[int, int, int]] = set()
    day = first
    while day <= last:
        for age in ages:
            for slack in (-1, 0, 1, 2):  # 虚岁 runs up to 2 ahead of 周岁
                if lunar:
                    lday = lunar_of(day)
                    year = lday.year - age + slack
                    if year < 1900:
                        continue
                    for month in {lday.month, abs(lday.month), -abs(lday.month)}:
                        days = _month_days(year, month)
                        if days is None:
                            continue
                        for dd in {lday.day, 29, 30} if lday.day >= 29 else {lday.day}:
                            if dd <= days:
                                lunar_dates.add((year, month, dd))
                else:
                    year = day.year - age + slack
                    month_days = [(day.month, day.day)]
                    if (day.month, day.day) == (2, 28):
                        month_days.append((2, 29))
                    for md in month_days:
                        with contextlib.suppress(ValueError):  # 29 Feb of a common year
                            out.add(datetime.date(year, *md))
        day += ONE_DAY
    # lunar-python keeps one lunar year in its cache and rebuilding one costs milliseconds:
    # convert year by year.
    out.update(solar_of(*ymd) for ymd in sorted(lunar_dates))
    return out


def festival_occasion(
    festival: str, day: datetime.date, *, days_before: int, days_after: int
) -> Occasion | None:
    """The festival whose window [festival - days_before, festival + days_after] holds `day`."""
    for year in (day.year - 1, day.year, day.year + 1):
        anchor = festival_date(festival, year)
        opens = anchor - datetime.timedelta(days=days_before)
        due = anchor + datetime.timedelta(days=days_after)
        if opens <= day <= due:
            return Occasion(str(year), opens, due, anchor)
    return None


def fixed_date_occasion(
    month: int, dom: int, day: datetime.date, *, days_before: int, days_after: int
) -> Occasion | None:
    for year in (day.year - 1, day.year, day.year + 1):
        anchor = solar_birthday_in(datetime.date(2000, month, dom), year)
        opens = anchor - datetime.timedelta(days=days_before)
        due = anchor + datetime.timedelta(days=days_after)
        if opens <= day <= due:
            return Occasion(str(year), opens, due, anchor)
    return None


def periodic_occasion(times_per_year: int, day: datetime.date) -> Occasion:
    """The period (a year cut into `times_per_year` equal runs of months) holding `day`; the task
    opens when the period starts and is due on its last day."""
    if times_per_year not in (1, 2, 3, 4, 6, 12):
        raise ValueError("times a year must divide 12")
    months = 12 // times_per_year
    index = (day.month - 1) // months
    start = datetime.date(day.year, index * months + 1, 1)
    end_month = start.month + months
    end = (
        datetime.date(day.year + 1, 1, 1)
        if end_month > 12
        else datetime.date(day.year, end_month, 1)
    ) - ONE_DAY
    key = f"{day.year}" if times_per_year == 1 else f"{day.year}P{times_per_year}-{index + 1}"
    return Occasion(key, start, end, start)


def event_occasion(event_id: int, event_date: datetime.date, *, days_after: int) -> Occasion:
    return Occasion(
        f"E{event_id}", event_date, event_date + datetime.timedelta(days=days_after), event_date
    )


def amount_for_occurrence(schedule: Sequence[int | str], occurrence: int) -> int | None:
    """Yuan for the n-th occurrence (1-based) in a year: 150, 100, then 50 for each later one."""
    if not schedule:
        return None
    return int(schedule[min(occurrence, len(schedule)) - 1])


def years_before(day: datetime.date, years: int) -> datetime.date:
    return solar_birthday_in(day, day.year - years)
