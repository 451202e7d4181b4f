"""The pure rules: 党龄, the fifty-year medal date across leap days, periods and quotas."""

from __future__ import annotations

import calendar
import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hongxia.party import rules

dates = st.dates(min_value=datetime.date(1921, 7, 1), max_value=datetime.date(2100, 12, 31))


def test_medal_date_of_a_leap_day_member_is_28_february_in_a_common_year() -> None:
    assert rules.medal_eligible_on(datetime.date(1976, 2, 29)) == datetime.date(2026, 2, 28)
    assert rules.medal_eligible_on(datetime.date(1972, 2, 29)) == datetime.date(2022, 2, 28)


def test_medal_date_around_leap_days() -> None:
    assert rules.medal_eligible_on(datetime.date(1960, 2, 29)) == datetime.date(2010, 2, 28)
    assert rules.medal_eligible_on(datetime.date(1974, 2, 28)) == datetime.date(2024, 2, 28)
    assert rules.medal_eligible_on(datetime.date(1974, 3, 1)) == datetime.date(2024, 3, 1)
    # Fifty years after a leap year is never a leap year when the step is 50 (50 % 4 == 2)
    # except across centuries; check the plain rule through a 4-year multiple too.
    assert rules.anniversary(datetime.date(1976, 2, 29), 48) == datetime.date(2024, 2, 29)


@given(dates)
def test_medal_date_is_fifty_years_on_the_same_day_when_it_exists(joined: datetime.date) -> None:
    medal = rules.medal_eligible_on(joined)
    assert medal.year == joined.year + 50
    if (joined.month, joined.day) != (2, 29) or calendar.isleap(medal.year):
        assert (medal.month, medal.day) == (joined.month, joined.day)
    else:
        assert (medal.month, medal.day) == (2, 28)


@given(dates, dates)
def test_standing_reaches_fifty_exactly_on_the_medal_date(joined: datetime.date,
                                                          on: datetime.date) -> None:
    medal = rules.medal_eligible_on(joined)
    assert (rules.party_standing(joined, on) >= 50) == (on >= medal)


@given(dates, dates)
def test_the_database_bound_agrees_with_the_medal_date(joined: datetime.date,
                                                       on: datetime.date) -> None:
    eligible = rules.medal_eligible_on(joined) <= on
    assert eligible == (joined <= rules.joined_on_or_before_for_medal(on))


@given(dates, st.integers(min_value=0, max_value=100))
def test_standing_is_monotone_and_counts_whole_years(joined: datetime.date, years: int) -> None:
    day = rules.anniversary(joined, years)
    assert rules.party_standing(joined, day) == years
    assert rules.party_standing(joined, day - datetime.timedelta(days=1)) == max(years - 1, 0)


@given(dates, st.sampled_from(rules.PERIOD_KINDS))
def test_period_contains_its_day(day: datetime.date, kind: str) -> None:
    period = rules.period_of(kind, day)
    assert period.start <= day < period.end
    assert rules.parse_period(period.label, default_kind="month", today=day) == period
    assert rules.previous(period).end == period.start


@pytest.mark.parametrize(
    ("times", "per", "kind", "as_of", "expected"),
    [
        (1, "month", "quarter", datetime.date(2026, 6, 30), 3),
        (1, "month", "quarter", datetime.date(2026, 5, 2), 1),  # May is not over
        (1, "month", "quarter", datetime.date(2026, 5, 31), 2),
        (1, "quarter", "quarter", datetime.date(2026, 6, 29), 0),
        (1, "quarter", "quarter", datetime.date(2026, 6, 30), 1),
        (1, "quarter", "month", datetime.date(2026, 6, 30), 0),  # no quota inside a month
        (1, "year", "quarter", datetime.date(2026, 6, 30), 0),
        (2, "month", "year", datetime.date(2026, 12, 31), 24),
        (1, "quarter", "year", datetime.date(2026, 12, 31), 4),
        (1, "year", "year", datetime.date(2026, 1, 1), 0),
    ],
)
def test_required_count(times: int, per: str, kind: str, as_of: datetime.date,
                        expected: int) -> None:
    period = rules.period_of(kind, datetime.date(2026, 6, 15) if kind != "month"
                             else datetime.date(2026, 6, 1))
    assert rules.required_count(times, per, period, as_of=as_of) == expected


def test_branch_warnings_follow_the_regulations() -> None:
    today = datetime.date(2026, 6, 1)
    assert rules.branch_warnings(full_members=2, committee_seats=0, term_ends=None,
                                 today=today, kind="branch") == ["too_few_members"]
    assert rules.branch_warnings(full_members=9, committee_seats=0,
                                 term_ends=datetime.date(2026, 1, 1), today=today,
                                 kind="branch") == ["needs_committee", "term_expired"]
    assert rules.branch_warnings(full_members=2, committee_seats=0, term_ends=None,
                                 today=today, kind="temporary") == []
