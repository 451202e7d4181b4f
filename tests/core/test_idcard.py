"""Resident ID parsing (GB 11643): the standard's example, legacy upgrades, spreadsheet damage."""

from __future__ import annotations

import pickle
from datetime import date

import pytest
from django.utils import translation
from django.utils.functional import Promise
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hongxia.core import idcard
from hongxia.core.idcard import IdInfo, IdNumberError, check_char, is_valid, make, normalize, parse

TODAY = date(2025, 6, 1)
STANDARD_EXAMPLE = "11010519491231002X"  # the worked example printed in GB 11643-1999

HYPOTHESIS = settings(database=None, suppress_health_check=[HealthCheck.too_slow])


def iso7064_ok(number: str) -> bool:
    """Independent oracle: ISO 7064 MOD 11-2 — the weighted sum including the check is 1 mod 11."""
    values = [10 if ch == "X" else int(ch) for ch in number]
    return sum(v * pow(2, 17 - i, 11) for i, v in enumerate(values)) % 11 == 1


def error_code(raw: str, today: date = TODAY) -> str:
    with pytest.raises(IdNumberError) as excinfo:
        parse(raw, today=today)
    return excinfo.value.code


# --- normalise and check character -----------------------------------------------------------


def test_normalize_full_width_spaces_and_lower_x() -> None:
    assert normalize("１１０１０５ １９４９１２３１\u3000００２ｘ") == STANDARD_EXAMPLE
    assert normalize(" 110105 19491231 002x\t") == STANDARD_EXAMPLE
    assert normalize("\ufeff11010519491231002X\u200b") == STANDARD_EXAMPLE


@pytest.mark.parametrize(
    ("first17", "expected"),
    [
        ("11010519491231002", "X"),
        ("43120219380501123", "2"),
        ("43300119500101123", "0"),
        ("44052418800101001", "4"),
    ],
)
def test_check_char(first17: str, expected: str) -> None:
    assert check_char(first17) == expected
    assert iso7064_ok(first17 + expected)


def test_check_char_rejects_bad_input() -> None:
    with pytest.raises(IdNumberError):
        check_char("1234")
    with pytest.raises(IdNumberError):
        check_char("1101051949123100X")


# --- accepted numbers ------------------------------------------------------------------------


def test_standard_example() -> None:
    info = parse(STANDARD_EXAMPLE, today=TODAY)
    assert info == IdInfo(
        number=STANDARD_EXAMPLE,
        area_code="110105",
        birth_date=date(1949, 12, 31),
        gender="F",
        upgraded_from_15=False,
    )


def test_full_width_and_lowercase_input() -> None:
    assert parse("１１０１０５１９４９１２３１００２ｘ", today=TODAY).number == STANDARD_EXAMPLE
    assert parse(" 110105 1949 1231 002x ", today=TODAY).number == STANDARD_EXAMPLE


def test_male_is_odd_sequence() -> None:
    assert parse("431202193805011232", today=TODAY).gender == "M"


def test_legacy_15_digit_upgrade() -> None:
    info = parse("431202380501123", today=TODAY)
    assert info.number == "431202193805011232"
    assert iso7064_ok(info.number)
    assert info.upgraded_from_15
    assert info.birth_date == date(1938, 5, 1)
    assert info.area_code == "431202"
    assert info.gender == "M"


def test_legacy_huaihua_area_code_accepted() -> None:
    # 4330xx codes predate the 1997 reorganisation of Huaihua; never reject them.
    number = "433001195001011230"
    assert iso7064_ok(number)
    assert parse(number, today=TODAY).area_code == "433001"
    assert parse("433002500101124", today=TODAY).number.startswith("43300219500101124")


def test_born_on_earliest_and_latest_day() -> None:
    assert parse(make("440524", date(1880, 1, 1), 1), today=TODAY).birth_date == date(1880, 1, 1)
    assert parse(make("431202", TODAY, 2), today=TODAY).birth_date == TODAY


def test_default_today_is_real_today() -> None:
    assert is_valid(STANDARD_EXAMPLE)
    assert not is_valid(make("431202", date(2999, 1, 1), 1))


# --- rejected numbers ------------------------------------------------------------------------


def test_wrong_check_digit_names_expected_char() -> None:
    with pytest.raises(IdNumberError) as excinfo:
        parse("110105194912310021", today=TODAY)
    err = excinfo.value
    assert err.code == "check_digit"
    assert err.params["expected"] == "X"
    with translation.override("en"):
        assert str(err) == "The check digit is wrong: expected X."
        assert "expected X" in str(err.message)


def test_wrong_check_digit_numeric_expected() -> None:
    with pytest.raises(IdNumberError) as excinfo:
        parse("43120219380501123X", today=TODAY)
    assert excinfo.value.params["expected"] == "2"
    with translation.override("en"):
        assert "expected 2" in str(excinfo.value)


@pytest.mark.parametrize(
    "first17",
    [
        "11010519490230002",  # 30 February
        "11010519490229002",  # 29 February in a common year
        "11010519001329002",  # month 13
        "11010519491200002",  # day 0
        "11010519490031002",  # month 0
        "11010519000229002",  # 1900 is not a leap year
    ],
)
def test_impossible_dates(first17: str) -> None:
    assert error_code(first17 + check_char(first17)) == "birth_date"


def test_leap_day_in_leap_year_accepted() -> None:
    assert parse(make("431202", date(1948, 2, 29), 5), today=TODAY).birth_date.day == 29
    assert parse(make("431202", date(2000, 2, 29), 5), today=TODAY).birth_date.year == 2000


def test_future_birth_date() -> None:
    assert error_code(make("431202", date(2025, 6, 2), 1)) == "future"


def test_before_1880() -> None:
    assert error_code(make("431202", date(1879, 12, 31), 1)) == "too_old"


def test_legacy_15_digit_with_bad_date() -> None:
    assert error_code("431202380230123") == "birth_date"


@pytest.mark.parametrize(
    "raw", ["4.31202E+17", "4.31202e+17", "4,31202E+17", "4.31202193805011E+17"]
)
def test_excel_scientific_notation(raw: str) -> None:
    assert error_code(raw) == "excel_float"


def test_excel_trailing_decimal_never_rounded() -> None:
    assert error_code("431202193805011232.0") == "excel_float"
    assert error_code("431202193805011232.") == "excel_float"


def test_float_object_is_excel_damage() -> None:
    with pytest.raises(IdNumberError) as excinfo:
        parse(4.31202193805011e17, today=TODAY)  # type: ignore[arg-type]
    assert excinfo.value.code == "excel_float"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "empty"),
        ("  \u3000 ", "empty"),
        ("1234567", "length"),
        ("4312021938050112321", "length"),
        ("43120219380501123", "length"),
        ("43120219380501X232", "chars"),
        ("43120238050112X", "chars"),
        ("4312021938O5011232", "chars"),
        ("张三", "chars"),
        ("031202193805011232", "area_code"),
        ("031202380501123", "area_code"),
    ],
)
def test_rejections(raw: str, code: str) -> None:
    assert error_code(raw) == code


def test_error_is_value_error_with_lazy_message() -> None:
    err = IdNumberError("too_old", {"date": "1879-12-31"})
    assert isinstance(err, ValueError)
    assert isinstance(err.message, Promise)
    assert isinstance(err.template, Promise)
    with translation.override("en"):
        assert str(err) == "The birth date 1879-12-31 in the ID number is before 1880."
    copy = pickle.loads(pickle.dumps(err))  # noqa: S301 - our own bytes
    assert (copy.code, copy.params) == (err.code, err.params)


def test_every_code_has_a_message() -> None:
    params = {"length": 3, "value": "x", "date": "x", "expected": "X"}
    with translation.override("en"):
        for code in idcard._MESSAGES:
            assert str(IdNumberError(code, params))


def test_make_validates_arguments() -> None:
    with pytest.raises(ValueError):
        make("031202", date(1950, 1, 1), 1)
    with pytest.raises(ValueError):
        make("43120", date(1950, 1, 1), 1)
    with pytest.raises(ValueError):
        make("431202", date(1950, 1, 1), 1000)
    assert make("431202", date(1950, 1, 1), 7)[14:17] == "007"


# --- properties ------------------------------------------------------------------------------

area_codes = st.integers(100000, 999999).map(str)
birth_dates = st.dates(min_value=idcard.EARLIEST_BIRTH, max_value=TODAY)
sequences = st.integers(0, 999)


@HYPOTHESIS
@given(area_codes, birth_dates, sequences)
def test_make_parse_round_trip(area: str, born: date, seq: int) -> None:
    number = make(area, born, seq)
    assert len(number) == 18
    assert iso7064_ok(number)
    info = parse(number, today=TODAY)
    assert info.number == number
    assert info.area_code == area
    assert info.birth_date == born
    assert info.gender == ("M" if seq % 2 else "F")
    assert not info.upgraded_from_15
    assert parse(number.lower(), today=TODAY) == info


@HYPOTHESIS
@given(
    area_codes,
    birth_dates,
    sequences,
    st.integers(0, 17),
    st.sampled_from("0123456789X"),
)
def test_single_character_mutation_rejected(
    area: str, born: date, seq: int, position: int, replacement: str
) -> None:
    number = make(area, born, seq)
    if position < 17 and replacement == "X":
        replacement = "0"
    if number[position] == replacement:
        replacement = "1" if replacement != "1" else "2"
    mutated = number[:position] + replacement + number[position + 1 :]
    assert not is_valid(mutated, today=TODAY)


@HYPOTHESIS
@given(st.dates(min_value=date(1900, 1, 1), max_value=date(1999, 12, 31)), sequences)
def test_legacy_upgrade_property(born: date, seq: int) -> None:
    legacy = f"431202{born:%y%m%d}{seq:03d}"
    info = parse(legacy, today=TODAY)
    assert info.number == make("431202", born, seq)
    assert info.upgraded_from_15


near_misses = st.one_of(
    st.text(),
    st.text(alphabet="0123456789Xx .E+-,１２３\u3000", max_size=25),
    st.from_regex(r"[0-9]{14,19}[0-9Xx]?", fullmatch=True),
)


@HYPOTHESIS
@given(near_misses)
def test_parse_only_raises_id_number_error(raw: str) -> None:
    try:
        info = parse(raw, today=TODAY)
    except IdNumberError as err:
        assert err.code in idcard._MESSAGES
        assert str(err)
    else:
        assert len(info.number) == 18
        assert iso7064_ok(info.number)
