"""Cell values: dates in every form, IDs (15-digit, Excel floats), choices, totals rows."""

from __future__ import annotations

import datetime
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hongxia.core import idcard
from hongxia.ingest import rules

MAY_1938 = datetime.date(1938, 5, 1)


@pytest.mark.parametrize(
    "raw",
    [
        "1938.05",
        "1938.5",
        "1938年5月",
        "1938-05-01",
        "19380501",
        "1938/5/1",
        "1938年5月1日",
        "１９３８．０５",
        " 1938 . 05 ",
        "1938-5",
        19380501,
        1938.05,
        14001.0,
        14001,
        datetime.datetime(1938, 5, 1, 0, 0),
        # A month typed as a 6-digit number (not the Excel serial 193805: the year 2430).
        193805,
        193805.0,
        "193805",
        # What databases export: the date with a time of day.
        "1938-05-01 00:00:00",
        "1938/5/1 0:00",
        "1938-05-01T00:00:00",
        # A Chinese full stop, and 号 for 日.
        "1938。05",
        "1938，05",
        "1938,5,1",
        "1938年5月1号",
    ],
)
def test_every_date_form_reads_as_may_1938(raw: object) -> None:
    assert rules.parse_date(raw) == MAY_1938


@pytest.mark.parametrize(
    "raw", ["38.05", 38.05, "38.5", "38-5-1", "38/05/01", "38年5月", "38年5月1日"]
)
def test_a_two_digit_year_is_refused_not_read_as_a_serial(raw: object) -> None:
    # 38.05 was read as the Excel serial 38: 1900-02-06, stored without a word.
    with pytest.raises(rules.CellError) as err:
        rules.parse_date(raw)
    assert err.value.code == "date_short_year"
    assert err.value.message == (f"日期“{raw}”的年份只有两位，请写完整的四位年份，例如 1938.05。")


@settings(deadline=None)
@given(st.one_of(st.integers(), st.floats(allow_nan=True, allow_infinity=True)))
def test_no_number_is_read_as_a_date_outside_1800_to_2200(raw: float) -> None:
    try:
        day = rules.parse_date(raw)
    except rules.CellError:
        return
    assert day is not None and datetime.date(1799, 12, 31) <= day <= datetime.date(2200, 12, 31)


@settings(deadline=None)
@given(st.dates(min_value=datetime.date(1800, 1, 1), max_value=datetime.date(2200, 12, 31)))
def test_year_and_month_typed_as_a_number_is_that_month(day: datetime.date) -> None:
    first = day.replace(day=1)
    assert rules.parse_date(int(f"{day:%Y%m}")) == first
    assert rules.parse_date(float(f"{day:%Y%m}")) == first
    assert rules.parse_date(f"{day:%Y-%m-%d} 00:00:00") == day


def test_excel_serial_number_counts_from_1899_12_30() -> None:
    assert rules.parse_date(1.0) == datetime.date(1899, 12, 31)
    assert rules.parse_date(45292.0) == datetime.date(2024, 1, 1)


def test_a_month_alone_is_its_first_day_and_october_survives_the_float() -> None:
    assert rules.parse_date("1938.10") == datetime.date(1938, 10, 1)
    assert rules.parse_date("1938.1") == datetime.date(1938, 1, 1)
    assert rules.parse_date(1938.12) == datetime.date(1938, 12, 1)
    with pytest.raises(rules.CellError) as err:
        rules.parse_date(1938.1)  # January, or October with Excel's trailing zero dropped?
    assert err.value.code == "date_ambiguous"
    assert rules.parse_date("1938") == datetime.date(1938, 1, 1)


@pytest.mark.parametrize("raw", ["1938.13", "1938-02-30", "五月", "abc", "38.05.01"])
def test_unreadable_dates_are_reported_not_guessed(raw: str) -> None:
    with pytest.raises(rules.CellError) as err:
        rules.parse_date(raw)
    assert raw in err.value.message


def test_empty_date_cells_are_none() -> None:
    assert rules.parse_date("") is None
    assert rules.parse_date(None) is None
    assert rules.parse_date("　") is None


@settings(deadline=None)
@given(
    st.one_of(
        st.text(max_size=30),
        st.floats(allow_nan=True),
        st.integers(),
        st.dates(),
        st.none(),
        st.booleans(),
    )
)
def test_parse_date_never_crashes(raw: object) -> None:
    try:
        result = rules.parse_date(raw)
    except rules.CellError as exc:
        assert exc.message
    else:
        assert result is None or isinstance(result, datetime.date)


@settings(deadline=None)
@given(st.dates(min_value=datetime.date(1900, 1, 1), max_value=datetime.date(2100, 12, 31)))
def test_dates_written_by_clerks_round_trip(day: datetime.date) -> None:
    assert rules.parse_date(day.isoformat()) == day
    assert rules.parse_date(f"{day:%Y%m%d}") == day
    assert rules.parse_date(f"{day.year}年{day.month}月{day.day}日") == day


# --- IDs -----------------------------------------------------------------------------------


def test_fifteen_digit_id_is_upgraded() -> None:
    number, upgraded = rules.parse_id("431202380501123")
    assert upgraded
    assert number == idcard.parse("431202380501123").number
    assert number.startswith("43120219380501123")


def test_full_width_id_is_folded() -> None:
    full = idcard.make("431202", MAY_1938, 123)
    wide = "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in full)
    assert rules.parse_id(" " + wide + "　") == (full, False)


def test_excel_float_id_is_refused_never_rounded() -> None:
    full = idcard.make("431202", MAY_1938, 123)
    with pytest.raises(idcard.IdNumberError) as err:
        rules.parse_id(float(full))
    assert err.value.code == "excel_float"
    with pytest.raises(idcard.IdNumberError) as err:
        rules.parse_id("4.31202E+17")
    assert err.value.code == "excel_float"


def test_an_id_cut_to_15_digits_by_excel_is_refused_as_such() -> None:
    # Excel keeps 15 significant digits: a CSV it saved says 431202193805011000, whose
    # check digit then fails ("expected 7" told the clerk nothing of what happened).
    full = idcard.make("431202", MAY_1938, 123)
    for cut in (full[:15] + "000", int(full)):
        with pytest.raises(idcard.IdNumberError) as err:
            rules.parse_id(cut)
        assert err.value.code == "excel_float"


def test_a_masked_id_is_refused_as_masked() -> None:
    with pytest.raises(rules.CellError) as err:
        rules.parse_id("4312**********123X")
    assert err.value.message == (
        "“4312**********123X”是脱敏后的号码（来自脱敏导出）：请填写完整号码，或删除这一列。"
    )


def test_fifteen_digit_id_stored_as_number_is_exact_and_accepted() -> None:
    assert rules.parse_id(431202380501123.0)[1] is True


@settings(deadline=None)
@given(st.one_of(st.text(max_size=25), st.floats(), st.integers(), st.none()))
def test_parse_id_never_crashes(raw: object) -> None:
    try:
        number, _up = rules.parse_id(raw)
    except (idcard.IdNumberError, rules.CellError) as exc:
        assert str(exc.message)
    else:
        assert number == "" or idcard.is_valid(number)


@settings(deadline=None)
@given(
    st.dates(min_value=datetime.date(1900, 1, 1), max_value=datetime.date(1999, 12, 31)),
    st.integers(0, 999),
)
def test_valid_ids_pass_in_text_and_full_width(day: datetime.date, seq: int) -> None:
    number = idcard.make("431202", day, seq)
    assert rules.parse_id(number)[0] == number
    assert rules.parse_id(number.lower())[0] == number


# --- choices, rows -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "raw", "code"),
    [
        ("gender", "男", "M"),
        ("gender", "女", "F"),
        ("gender", "Ｍ", "M"),
        ("ethnicity", "汉族", "01"),
        ("ethnicity", "侗", "12"),
        ("ethnicity", "01", "01"),
        ("category", "离休干部", "lixiu"),
        ("category", "退休", "tuixiu"),
        ("category", "遗孀", "survivor"),
        ("rank", "科员", "keyuan"),
        ("rank", "正处", "chu_zheng"),
        ("rank", "县处级副职", "chu_fu"),
        ("political_status", "是", "cpc_member"),
        ("political_status", "否", "masses"),
        ("political_status", "中共党员", "cpc_member"),
        ("health_status", "慢性病", "chronic"),
        ("life_status", "已故", "deceased"),
        # Found in the counties' files, refused as unknown before.
        ("gender", "男性", "M"),
        ("gender", "女性", "F"),
        ("category", "退休人员", "tuixiu"),
        ("category", "离休人员", "lixiu"),
        ("political_status", "非党员", "masses"),
        ("political_status", "共产党员", "cpc_member"),
        ("political_status", "√", "cpc_member"),
        ("political_status", "×", "masses"),
        ("life_status", "是", "alive"),  # under 是否在世
        ("life_status", "否", "deceased"),
        # 与已故干部关系, as the registry names it and as rosters write it.
        ("survivor_relation", "配偶", "spouse"),
        ("survivor_relation", "妻子", "spouse"),
        ("survivor_relation", "遗孀", "spouse"),
        ("survivor_relation", "长子", "son"),
        ("survivor_relation", "女儿", "daughter"),
        ("survivor_relation", "外孙女", "grandchild"),
        ("survivor_relation", "Spouse", "spouse"),
        ("survivor_relation", "三女", "daughter"),
        ("health_status", "良好", "good"),  # the word rosters use; the template's hint once
    ],
)
def test_choice_labels_and_variants(field: str, raw: str, code: str) -> None:
    assert rules.parse_choice(field, raw) == code


@pytest.mark.parametrize(
    ("raw", "lunar"),
    [("农历", True), ("阴历", True), ("是", True), ("√", True), ("公历", False), ("阳历", False),
     ("否", False), ("", None), (None, None)],
)
def test_a_lunar_birthday_is_a_yes_or_the_calendar_named(raw: object, lunar: bool | None) -> None:
    assert rules.parse_lunar(raw) is lunar


def test_a_calendar_no_one_keeps_is_refused() -> None:
    with pytest.raises(rules.CellError) as err:
        rules.parse_lunar("藏历")
    assert err.value.message == "请填“农历”或“公历”（或“是”“否”），而不是“藏历”。"


def test_unknown_choice_is_reported_with_its_value() -> None:
    with pytest.raises(rules.CellError) as err:
        rules.parse_choice("category", "临时工")
    assert "临时工" in err.value.message


@pytest.mark.parametrize(
    "cells",
    [
        ["合计", "", ""],
        ["", "总计：35人"],
        ["共35人"],
        ["小计", 3],
        # The lines that sign a roster off, under the totals.
        ["填表人：王五", "", "审核人：赵六"],
        ["", "填报日期：2024年1月5日"],
        ["制表人", "王五"],
    ],
)
def test_totals_rows_are_recognised(cells: list[object]) -> None:
    assert rules.is_total_row(cells)


def test_a_person_is_not_a_totals_row() -> None:
    assert not rules.is_total_row([1, "张三丰", "男"])
    assert rules.is_blank_row(["", None, "　", " "])


def test_fold_turns_full_width_into_ascii_and_spaces_into_one() -> None:
    assert rules.fold("１３９　１２３４\u200b５６７８") == "139 12345678"
    assert rules.fold(13912345678.0) == "13912345678"


def test_control_characters_are_dropped_from_text() -> None:
    """Old systems pad fixed-width fields with NUL: it was stored in names and addresses (and
    PostgreSQL refuses a NUL in text: the batch failed there)."""
    assert rules.fold_text("张\x00三") == "张三"
    assert rules.fold_text("迎丰路 \x00 1号\x00\x00") == "迎丰路 1号"
    assert rules.fold_text("a\x1bb\x7f") == "ab"
    assert rules.fold_text("Ã\x80") == "Ã\x80"  # C1: kept, as garbled text is kept for a clerk


@given(st.text())
@settings(max_examples=300)
def test_folded_text_holds_no_control_character(text: str) -> None:
    assert not any(ord(c) < 0x20 or ord(c) == 0x7F for c in rules.fold_text(text))


def test_the_no_format_character_ranges_hold_none() -> None:
    found = [hex(c) for c in range(0x10000) if rules._NO_FORMAT.fullmatch(chr(c))]
    assert len(found) > 20_000
    assert not [c for c in found if unicodedata.category(chr(int(c, 16))) == "Cf"]


@pytest.mark.parametrize(
    ("raw", "cell"),
    [
        ("'431202193805011234", "431202193805011234"),
        ('="431202193805011234"', "431202193805011234"),
        (" '1938.05", "1938.05"),
        ("'13900000001", "13900000001"),
        ("=SUM(A1:A3)", "=SUM(A1:A3)"),
        ("张三丰", "张三丰"),
        (431202380501123, 431202380501123),
    ],
)
def test_what_keeps_excel_from_making_a_number_is_taken_off(raw: object, cell: object) -> None:
    assert rules.unquote(raw) == cell


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        ("张　三", "张三"),  # padded to the width of a three-character name
        ("张 三 丰", "张三丰"),
        ("欧阳 明", "欧阳明"),
        ("阿依古丽·买买提", "阿依古丽·买买提"),
        ("John Smith", "John Smith"),
        ("王 John", "王 John"),
    ],
)
def test_no_space_between_the_characters_of_a_name(raw: str, name: str) -> None:
    assert rules.fold_name(raw) == name


_TAGS = rules.TagWords(
    {"高龄": "aged80", "独居": "living_alone", "livingalone": "living_alone", "aged80": "aged80"},
    ("独居", "高龄"),
)


@given(
    st.lists(st.sampled_from(["高龄", "独居", "Living alone", "AGED80"]), max_size=4),
    st.sampled_from(["、", ",", "，", ";", " ", " / "]),
)
def test_tags_named_in_any_order_and_with_any_separator_come_back(
    names: list[str], separator: str
) -> None:
    codes = rules.parse_tags(separator.join(names), _TAGS)
    assert codes == tuple(sorted({_TAGS.codes[n.lower().replace(" ", "")] for n in names}))


@given(st.text(max_size=20))
def test_tags_from_any_text_are_known_codes_or_refused_by_name(text: str) -> None:
    try:
        codes = rules.parse_tags(text, _TAGS)
    except rules.CellError as exc:
        assert exc.value and exc.value in rules.fold(text) and "高龄" in exc.message
    else:
        assert set(codes) <= set(_TAGS.codes.values()) and list(codes) == sorted(set(codes))


@pytest.mark.parametrize("cell", ["无", "-", "—", "/", " 无 "])
def test_a_tags_cell_saying_none_is_an_empty_one(cell: str) -> None:
    # Rosters write 无 or - in an empty column; it refused the whole row.
    assert rules.parse_tags(cell, _TAGS) == ()


@pytest.mark.parametrize("text", ["19605", "1", "45292", "45292.5"])
def test_a_number_written_as_text_is_no_excel_serial(text: str) -> None:
    """A CSV file has no serial numbers: 参加革命时间 19605 was stored as 1953-09-03, and 1 as
    1899-12-31, without a word."""
    with pytest.raises(rules.CellError) as err:
        rules.parse_date(text)
    assert err.value.code == "date" and err.value.value == text
    assert rules.parse_date(float(text)) is not None  # a number cell's serial stands
