"""Pure rules of party building: no database, tested with hypothesis."""

from __future__ import annotations

import calendar
import datetime
from dataclasses import dataclass

# The 光荣在党50年 medal is defined by fifty years of membership; not a local setting.
MEDAL_YEARS = 50
PERIOD_KINDS = ("month", "quarter", "year")
_UNIT_MONTHS = {"month": 1, "quarter": 3, "year": 12}


def anniversary(day: datetime.date, years: int) -> datetime.date:
    """`day` moved by whole years. A 29 February falls on 28 February in a common year: the
    Civil Code (art. 202) ends a period with no corresponding day on the month's last day."""
    year = day.year + years
    if day.month == 2 and day.day == 29 and not calendar.isleap(year):
        return datetime.date(year, 2, 28)
    return day.replace(year=year)


def party_standing(joined: datetime.date, on: datetime.date) -> int:
    """党龄 — full years of membership on `on` (0 before the first anniversary)."""
    years = on.year - joined.year
    if years > 0 and anniversary(joined, years) > on:
        years -= 1
    return max(years, 0)


def medal_eligible_on(joined: datetime.date) -> datetime.date:
    """The day a member joined on `joined` completes fifty years: eligible for 光荣在党50年."""
    return anniversary(joined, MEDAL_YEARS)


def joined_on_or_before_for_medal(on: datetime.date) -> datetime.date:
    """The latest joining date that is medal-eligible on `on` (for a database filter)."""
    target = anniversary(on, -MEDAL_YEARS)
    # 29 Feb on a leap `on`: members who joined on 28 or 29 Feb fifty years back both qualify,
    # and `anniversary` already gives the right (later) bound.
    if on.month == 2 and on.day == 28 and calendar.isleap(target.year):
        return datetime.date(target.year, 2, 29)
    return target


@dataclass(frozen=True)
class Period:
    """[start, end) of a month, a quarter or a year."""

    kind: str
    start: datetime.date
    end: datetime.date

    @property
    def label(self) -> str:
        if self.kind == "month":
            return f"{self.start:%Y-%m}"
        if self.kind == "quarter":
            return f"{self.start.year}Q{(self.start.month - 1) // 3 + 1}"
        return str(self.start.year)

    @property
    def last_day(self) -> datetime.date:
        return self.end - datetime.timedelta(days=1)


def _add_months(day: datetime.date, months: int) -> datetime.date:
    index = day.year * 12 + day.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


def period_of(kind: str, day: datetime.date) -> Period:
    """The month, quarter or year containing `day`."""
    if kind not in _UNIT_MONTHS:
        raise ValueError(kind)
    months = _UNIT_MONTHS[kind]
    first_month = (day.month - 1) // months * months + 1
    start = datetime.date(day.year, first_month, 1)
    return Period(kind, start, _add_months(start, months))


def previous(period: Period) -> Period:
    return period_of(period.kind, period.start - datetime.timedelta(days=1))


def parse_period(text: str | None, *, default_kind: str, today: datetime.date) -> Period:
    """'2026-05', '2026Q2' or '2026' → a Period; anything else → the current one."""
    text = (text or "").strip().upper()
    try:
        if len(text) == 7 and text[4] == "-":
            return period_of("month", datetime.date(int(text[:4]), int(text[5:]), 1))
        if len(text) == 6 and text[4] == "Q" and text[5] in "1234":
            return period_of("quarter", datetime.date(int(text[:4]), 3 * int(text[5]) - 2, 1))
        if len(text) == 4 and text.isdigit():
            return period_of("year", datetime.date(int(text), 1, 1))
    except ValueError:
        pass
    return period_of(default_kind, today)


def required_count(times: int, per: str, period: Period, *, as_of: datetime.date) -> int:
    """Meetings required in `period` by a rule of `times` per `per`: one quota for every
    `per`-unit that lies wholly inside the period and has ended by `as_of`. A branch is behind
    only once a deadline has passed: a quarter in progress asks for the months already over,
    and a month asks nothing of a quarterly or yearly rule."""
    months = _UNIT_MONTHS[per]
    units = 0
    start = period.start
    while True:
        end = _add_months(start, months)
        if end > period.end or end > as_of + datetime.timedelta(days=1):
            break
        units += 1
        start = end
    return times * units


# Branch Work Regulations (2018), ch. 2: national rules, not local settings.
MIN_MEMBERS = 3  # a branch needs at least 3 full members
MAX_MEMBERS = 50  # and usually no more than 50
COMMITTEE_FROM = 7  # with 7 or more full members it elects a committee
COMMITTEE_MIN = 3  # of 3-5 members
COMMITTEE_MAX = 7  # and never more than 7
SMALL_BRANCH_ROLES = ("secretary", "deputy")  # below 7 members: a secretary (and a deputy)
TERM_YEARS_COMMUNITY = 5  # a committee's term in villages and communities
TERM_YEARS_OTHER = 3  # and elsewhere


def term_years(basis: str) -> int:
    return TERM_YEARS_COMMUNITY if basis == "community" else TERM_YEARS_OTHER

# The states a branch may drift into that the clerk should put right: warnings and a list
# (selectors.branch_rule_queryset), never a block on recording what is real.
BRANCH_WARNINGS = ("too_few_members", "too_many_members", "needs_committee",
                   "committee_too_small", "committee_too_large", "term_expired")


def branch_warnings(
    *, full_members: int, committee_seats: int, term_ends: datetime.date | None,
    today: datetime.date, kind: str,
) -> list[str]:
    """Branch Work Regulations checks for the clerk (codes of BRANCH_WARNINGS, in order).
    `full_members` of a general branch counts its sub-branches' members too."""
    if kind not in ("branch", "general_branch"):
        return []
    warnings = []
    if full_members < MIN_MEMBERS:
        warnings.append("too_few_members")
    if full_members > MAX_MEMBERS and kind == "branch":  # a 党总支 exists for larger numbers
        warnings.append("too_many_members")
    if full_members >= COMMITTEE_FROM and committee_seats == 0:
        warnings.append("needs_committee")
    if full_members >= COMMITTEE_FROM and 0 < committee_seats < COMMITTEE_MIN:
        warnings.append("committee_too_small")
    if committee_seats > COMMITTEE_MAX:
        warnings.append("committee_too_large")
    if term_ends is not None and term_ends < today:
        warnings.append("term_expired")
    return warnings
