"""people.services.apply_derived with an ID number parsed beforehand (as an import does)."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError

from hongxia.core import idcard
from hongxia.people.models import Person
from hongxia.people.services import apply_derived

TODAY = datetime.date(2026, 11, 29)


def _person(number: str, **kwargs: object) -> Person:
    return Person(name="张建国", id_number=number, region_id="431202", **kwargs)


def test_a_parse_of_the_same_number_gives_what_parsing_it_again_gives() -> None:
    number = idcard.make("431202", datetime.date(1938, 5, 1), 11)
    given, parsed = _person(number), _person(number)
    apply_derived(given, today=TODAY, id_info=idcard.parse(number, today=TODAY))
    apply_derived(parsed, today=TODAY)
    fields = ("birth_date", "gender", "id_hash", "id_masked", "name_pinyin")
    assert [getattr(given, f) for f in fields] == [getattr(parsed, f) for f in fields]
    assert (given.birth_date, given.gender) == (datetime.date(1938, 5, 1), "M")


def test_a_parse_of_another_number_is_not_used() -> None:
    number = idcard.make("431202", datetime.date(1938, 5, 1), 11)
    other = idcard.make("431202", datetime.date(1950, 1, 2), 12)
    person = _person(number)
    apply_derived(person, today=TODAY, id_info=idcard.parse(other, today=TODAY))
    assert (person.birth_date, person.gender) == (datetime.date(1938, 5, 1), "M")


def test_a_birth_date_after_today_is_still_refused() -> None:
    # Parsed on a later day (or clock): the day apply_derived judges by still decides.
    number = idcard.make("431202", datetime.date(2026, 12, 1), 11)
    info = idcard.parse(number, today=datetime.date(2027, 1, 1))
    with pytest.raises(ValidationError) as caught:
        apply_derived(_person(number), today=TODAY, id_info=info)
    assert "id_number" in caught.value.message_dict
