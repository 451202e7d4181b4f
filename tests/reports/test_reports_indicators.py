"""Every registered indicator equals a count made independently from the fixture's rows."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from hongxia.people.models import Person
from hongxia.reports import registry, selectors
from hongxia.reports.registry import Period
from tests.conftest import CITY, HECHENG, YUANLING
from tests.reports.conftest import TOWN

NOT_COUNTS = {"元", "万元", "%", "小时", "岁"}
BANDS = {"lt60": (None, 59), "60_69": (60, 69), "70_79": (70, 79), "80_89": (80, 89),
         "90_99": (90, 99), "100": (100, None)}
ETHNIC = {"ethnic_06": "06", "ethnic_12": "12", "ethnic_15": "15", "ethnic_13": "13"}


def _on_books(p: Person, period: Period) -> bool:
    alive = p.life_status == "alive" or (p.death_date is not None and p.death_date >= period.end)
    retired = p.retirement_date is None or p.retirement_date < period.end
    return alive and retired


def expected_people(key: str, people: list[Person], prefix: str, period: Period) -> int:
    """The figure counted by hand, in Python, from the fixture's own objects."""
    name = key.split(".", 1)[1]
    mine = [p for p in people if p.region_id.startswith(prefix)]
    cadre = [p for p in mine if p.category in ("lixiu", "tuixiu")]
    if name == "deaths":
        return sum(1 for p in cadre
                   if p.death_date and period.start <= p.death_date < period.end)
    books = [p for p in cadre if _on_books(p, period)]
    last_day = period.end - datetime.timedelta(days=1)
    if name == "cadres":
        return len(books)
    if name in ("lixiu", "tuixiu"):
        return sum(1 for p in books if p.category == name)
    if name == "survivors":
        return sum(1 for p in mine if p.category == "survivor" and _on_books(p, period))
    if name.startswith("age_"):
        low, high = BANDS[name[4:]]
        return sum(1 for p in books if (low is None or p.age_on(last_day) >= low)
                   and (high is None or p.age_on(last_day) <= high))
    if name == "ethnic_han":
        return sum(1 for p in books if p.ethnicity == "01")
    if name == "ethnic_minority":
        return sum(1 for p in books if p.ethnicity != "01")
    if name in ETHNIC:
        return sum(1 for p in books if p.ethnicity == ETHNIC[name])
    if name == "elsewhere":
        return sum(1 for p in books if p.lives_elsewhere)
    if name == "party_members":
        return sum(1 for p in books if p.political_status in ("cpc_member", "cpc_probationary"))
    raise AssertionError(f"no hand count for {key}: add one here")


SCOPES = [("city", "4312"), ("county", HECHENG), ("other county", YUANLING), ("town", TOWN)]


@pytest.mark.parametrize("ind", registry.all_indicators(), ids=lambda i: i.key)
@pytest.mark.parametrize("scope", SCOPES, ids=lambda s: s[0])
@pytest.mark.parametrize("years_back", [0, 1], ids=["this year", "last year"])
def test_indicator_equals_a_count_made_by_hand(
    ind: registry.Indicator, scope: tuple[str, str], years_back: int,
    registry_world: list[Person],
) -> None:
    prefix = scope[1]
    period = Period.year(timezone.localdate().year - years_back)
    value = ind.value(prefix, period)
    if ind.rows is not None and ind.unit not in NOT_COUNTS:
        assert value == ind.rows(prefix, period).count(), "the value and its rows disagree"
    if ind.key.startswith("people."):
        fresh = [Person.objects.get(pk=p.pk) for p in registry_world]
        assert value == expected_people(ind.key, fresh, prefix, period)
    assert isinstance(value, int | float | Decimal)


def test_the_fixture_exercises_every_people_indicator(registry_world: list[Person]) -> None:
    """A hand count of zero everywhere would prove nothing: each figure is non-zero somewhere."""
    period = Period.year(timezone.localdate().year)
    last = period.previous_year()
    for ind in registry.all_indicators():
        if not ind.key.startswith("people.") or ind.key in ("people.age_lt60",):
            continue
        assert ind.value("4312", period) or ind.value("4312", last), ind.key


def test_registry_keeps_its_interface() -> None:
    keys = [i.key for i in registry.all_indicators()]
    assert len(keys) == len(set(keys))
    assert {"people.cadres", "people.survivors", "people.elsewhere", "people.deaths",
            "people.party_members", "people.ethnic_minority", "people.age_80_89"} <= set(keys)
    lines = list(registry.LINES)
    assert [lines.index(i.line) for i in registry.all_indicators()] == sorted(
        lines.index(i.line) for i in registry.all_indicators())
    with pytest.raises(ValueError):
        registry.register(registry.Indicator(
            key="x.bad", label_zh="坏", label_en="bad", unit="人", line="nonsense",
            value=lambda prefix, period: 0))


def test_values_are_cached_and_a_save_invalidates(registry_world: list[Person],
                                                  django_assert_num_queries: Any) -> None:
    period = Period.year(timezone.localdate().year)
    first = selectors.values(HECHENG, period)
    with django_assert_num_queries(1):  # the data versions, shared by every server process
        assert selectors.values(HECHENG, period) == first
    person = registry_world[0]
    person.political_status = "masses"
    person.save()
    after = selectors.values(HECHENG, period)
    assert after["people.party_members"] == first["people.party_members"] - 1


def test_a_bulk_write_outside_the_orm_invalidates_cached_figures(
    registry_world: list[Person],
) -> None:
    """Imports write people with executemany or COPY, which fire no signal."""
    from django.db import connection

    period = Period.year(timezone.localdate().year)
    first = selectors.values(HECHENG, period)
    table = connection.ops.quote_name(Person._meta.db_table)
    with connection.cursor() as cur:
        cur.execute(
            f"UPDATE {table} SET political_status = 'masses' WHERE id = %s",  # noqa: S608
            [registry_world[0].pk],
        )
    after = selectors.values(HECHENG, period)
    assert after["people.party_members"] == first["people.party_members"] - 1


def test_compact_ids_round_trip() -> None:
    ids = [1, 2, 3, 7, 9, 10, 11, 100]
    runs = selectors.compact_ids(reversed(ids))
    assert runs == [[1, 3], [7, 7], [9, 11], [100, 100]]
    assert list(selectors.expand_ids(runs)) == ids
    assert selectors.compact_ids([]) == []


def test_city_prefix_is_the_sum_of_its_counties(registry_world: list[Person]) -> None:
    period = Period.year(timezone.localdate().year)
    from hongxia.core.models import Region

    city = Region.objects.get(code=CITY)
    counties = selectors.county_comparison(region=city, key="people.cadres", period=period)
    assert sum(c["value"] for c in counties) == selectors.value("people.cadres", "4312", period)


@pytest.mark.parametrize("prefix", ["4312", HECHENG, TOWN])
def test_batched_values_equal_each_indicators_own_value(prefix: str,
                                                       registry_world: list[Person]) -> None:
    for years_back in (0, 1):
        period = Period.year(timezone.localdate().year - years_back)
        batched = selectors.values(prefix, period, fresh=True)
        assert batched == {i.key: selectors.compute(i, prefix, period)
                           for i in registry.all_indicators()}


@pytest.mark.parametrize("ind", registry.all_indicators(), ids=lambda i: i.key)
def test_series_and_county_comparison_agree_with_the_value(ind: registry.Indicator,
                                                          registry_world: list[Person]) -> None:
    from hongxia.core.models import Region

    year = timezone.localdate().year
    periods = [Period.year(year - 1), Period.year(year)]
    assert selectors.series(ind, "4312", periods) == [
        selectors.compute(ind, "4312", p) for p in periods]
    city = Region.objects.get(code=CITY)
    for unit in selectors.county_comparison(region=city, key=ind.key, period=periods[1]):
        assert unit["value"] == selectors.compute(ind, unit["region"].prefix, periods[1])
