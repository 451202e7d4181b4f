"""The import's prepared field checks give exactly what Person.clean_fields gives: the same
errors for the same rows, the same values after, and the model's own run on anything odd."""

from __future__ import annotations

import datetime
from typing import Any
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from hongxia.ingest import services
from hongxia.ingest.fieldcheck import FieldChecker
from hongxia.people.choices import LifeStatus
from hongxia.people.models import Person

EXCLUDE = services._VALIDATE_EXCLUDE
CHECKED = [
    f for f in Person._meta.fields if f.name not in EXCLUDE and not getattr(f, "generated", False)
]
JUNK = st.one_of(
    st.none(),
    st.just(""),
    st.integers(-2, 2),
    st.floats(allow_nan=False),
    st.datetimes(),
    st.just([]),
    st.text(max_size=12),
)


def _valid(f: Any) -> st.SearchStrategy[Any]:
    """Values clean_fields accepts unchanged, up to the field's limits."""
    least = 0 if f.blank else 1
    if f.get_internal_type() in {"BigAutoField", "DateTimeField"}:
        return st.none()  # unsaved: no id, no timestamps yet
    if f.get_internal_type() == "DateField":
        typed: st.SearchStrategy[Any] = st.dates()
    elif f.get_internal_type() == "BooleanField":
        typed = st.booleans()
    elif f.choices:
        typed = st.sampled_from([k for k, _label in f.flatchoices])
        if f.name == "life_status":
            typed = st.one_of(typed, st.sampled_from(list(LifeStatus)))  # members, as defaults
    else:
        typed = st.text(min_size=least, max_size=f.max_length or 40)
    if f.blank:
        typed = st.one_of(typed, st.sampled_from([None, ""]) if f.null else st.just(""))
    return typed


def _any(f: Any) -> st.SearchStrategy[Any]:
    """Anything: the field's own type past its limits, other types, empty values."""
    near: st.SearchStrategy[Any] = st.text(max_size=12)
    if f.max_length:
        sizes = st.sampled_from([f.max_length - 1, f.max_length, f.max_length + 1])
        near = sizes.flatmap(lambda n: st.text(min_size=n, max_size=n))
    if f.choices:
        keys = [k for k, _label in f.flatchoices]
        near = st.one_of(near, st.sampled_from([k.upper() + " " for k in keys]))
    dates = st.sampled_from(["1938-05-01", "1938-13-01", "1938.05"])
    return st.one_of(near, near, near, dates, JUNK)


# A valid person with up to three fields given anything at all.
PEOPLE = st.tuples(
    st.fixed_dictionaries({f.attname: _valid(f) for f in CHECKED}),
    st.lists(
        st.sampled_from(CHECKED).flatmap(lambda f: st.tuples(st.just(f.attname), _any(f))),
        max_size=3,
    ),
).map(lambda pair: {**pair[0], **dict(pair[1])})


def _outcome(check: Any, values: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    person = Person()
    for attname, value in values.items():
        setattr(person, attname, value)
    try:
        check(person)
        errors = None
    except ValidationError as exc:
        errors = exc.message_dict
    except Exception as exc:  # the same exception from both, whatever it is
        errors = repr(exc)
    return errors, {f.attname: getattr(person, f.attname) for f in CHECKED}


CHECKER = FieldChecker(Person, exclude=EXCLUDE)


@settings(deadline=None, max_examples=500)
@given(PEOPLE)
def test_the_prepared_checks_reject_exactly_what_clean_fields_rejects(
    values: dict[str, Any],
) -> None:
    model = _outcome(lambda p: p.clean_fields(exclude=EXCLUDE), values)
    prepared = _outcome(CHECKER.clean_fields, values)
    assert prepared == model


@settings(deadline=None, max_examples=300)
@given(PEOPLE)
def test_what_the_fast_route_accepts_clean_fields_accepts_unchanged(values: dict[str, Any]) -> None:
    person = Person()
    for attname, value in values.items():
        setattr(person, attname, value)
    if CHECKER.passes(person):
        before = {f.attname: getattr(person, f.attname) for f in CHECKED}
        person.clean_fields(exclude=EXCLUDE)  # raises if the fast route was wrong
        assert {f.attname: getattr(person, f.attname) for f in CHECKED} == before
        assert all(before[k] is getattr(person, k) for k in before)


@settings(deadline=None, max_examples=200)
@given(st.fixed_dictionaries({f.attname: _valid(f) for f in CHECKED}))
def test_a_valid_person_takes_the_fast_route(values: dict[str, Any]) -> None:
    person = Person()
    for attname, value in values.items():
        setattr(person, attname, value)
    assert CHECKER.passes(person)


def _ordinary() -> dict[str, Any]:
    return {
        "name": "张三丰",
        "name_pinyin": "zhangsanfeng",
        "gender": "M",
        "birth_date": datetime.date(1938, 5, 1),
        "category": "tuixiu",
        "id_number": "431202193805010011",
        "id_masked": "4312**********0011",
        "address": "鹤城区红星路8号",
        "retirement_date": datetime.date(1998, 6, 1),
    }


def _edges(f: Any) -> list[Any]:
    """Each rule's edge for one field: the limit and one past it, every choice and a near
    miss, empty values, other types."""
    values: list[Any] = [
        None,
        "",
        " ",
        0,
        1,
        True,
        "1938-05-01",
        datetime.datetime(1938, 5, 1, tzinfo=datetime.UTC),
    ]
    values.append(datetime.date(1938, 5, 1))
    if f.max_length:
        values += ["字" * f.max_length, "字" * (f.max_length + 1), "a" * (f.max_length + 1)]
    for key, _label in f.flatchoices:
        values += [key, key.upper(), f"{key} "]
    return values


@pytest.mark.filterwarnings("ignore:DateTimeField .* received a naive datetime")
@pytest.mark.parametrize("f", CHECKED, ids=lambda f: f.name)
def test_each_rule_at_its_edge_gives_what_clean_fields_gives(f: Any) -> None:
    for value in _edges(f):
        values = {**_ordinary(), f.attname: value}
        model = _outcome(lambda p: p.clean_fields(exclude=EXCLUDE), values)
        assert _outcome(CHECKER.clean_fields, values) == model, value


def test_an_ordinary_imported_person_takes_the_fast_route() -> None:
    person = Person(**_ordinary())
    assert CHECKER.passes(person)
    with mock.patch.object(Person, "clean_fields") as model_check:
        CHECKER.clean_fields(person)
    model_check.assert_not_called()
    person.gender = "X"
    with mock.patch.object(Person, "clean_fields") as model_check:
        CHECKER.clean_fields(person)
    model_check.assert_called_once_with(exclude=EXCLUDE)
