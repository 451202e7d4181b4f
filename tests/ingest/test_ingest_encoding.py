"""Encodings and mojibake: CSV in every encoding the counties use, garbled text repaired only
where certain, and every repaired or doubtful cell reported."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hongxia.ingest import rules, services
from hongxia.people.models import Person
from tests.ingest.ingest_corpus import HEADERS, csv_bytes, mojibake, person_row

NAMES = ["张三丰", "曾国华", "欧阳明", "覃玉兰"]


@pytest.mark.parametrize(
    ("encoding", "found"),
    [
        ("utf-8", "utf-8"),
        ("utf-8-sig", "utf-8"),
        ("gbk", "gbk"),
        ("gb18030", "gbk"),
        ("utf-16", "utf-16"),
        ("utf-16-le", "utf-16"),
        ("utf-16-be", "utf-16"),
    ],
)
def test_decode_bytes_finds_the_encoding(encoding: str, found: str) -> None:
    text = "姓名,性别\n张三丰,男\n怀化市鹤城区迎丰路,女\n"
    decoded, name = rules.decode_bytes(text.encode(encoding))
    assert decoded.lstrip("\ufeff") == text
    assert name == found


def test_gb18030_only_characters_are_read() -> None:
    text = "姓名\n𬌗王\n"  # 𬌗 is outside GBK: only GB18030 has it
    decoded, name = rules.decode_bytes(text.encode("gb18030"))
    assert decoded == text
    assert name == "gb18030"


@settings(deadline=None)
@given(
    st.text(alphabet=st.characters(codec="gbk", categories=["Lo", "Nd", "Zs", "Po"]), max_size=200)
)
def test_decode_bytes_reads_back_any_gbk_or_utf8_text(text: str) -> None:
    for encoding in ("utf-8", "utf-8-sig", "utf-16"):
        assert rules.decode_bytes(text.encode(encoding))[0].lstrip("\ufeff") == text.lstrip(
            "\ufeff"
        )


@settings(deadline=None)
@given(st.binary(max_size=300))
def test_decode_bytes_never_crashes(data: bytes) -> None:
    text, name = rules.decode_bytes(data)
    assert isinstance(text, str) and name


@pytest.mark.parametrize(
    ("garbled", "fixed"),
    [
        ("»³»¯ÊÐ", "怀化市"),  # the issue's own example: GBK read as Latin-1
        (mojibake("鹤城区迎丰路1号"), "鹤城区迎丰路1号"),
        (mojibake("张三丰", "gbk", "cp1252"), "张三丰"),
        (mojibake("怀化市教育局", "utf-8", "latin-1"), "怀化市教育局"),
        (mojibake("沅陵县", "utf-8", "cp1252"), "沅陵县"),
    ],
)
def test_certain_mojibake_is_repaired(garbled: str, fixed: str) -> None:
    assert rules.repair_mojibake(garbled) == (fixed, "repaired")


@pytest.mark.parametrize("text", ["张三丰", "Müller", "abc", "123", "", "José"])
def test_clean_text_is_left_alone(text: str) -> None:
    assert rules.repair_mojibake(text) == (text, "")


def test_doubtful_mojibake_is_flagged_not_guessed() -> None:
    assert rules.repair_mojibake("ÿÿÿÿ") == ("ÿÿÿÿ", "uncertain")
    assert rules.repair_mojibake("Ã©Ã") == ("Ã©Ã", "uncertain")
    # Two Latin-1 letters are GBK for *some* common ideograph a third of the time: a single
    # ideograph is no evidence of mojibake (a note "°¤" stays "°¤"), two are.
    assert rules.repair_mojibake("°¤") == ("°¤", "uncertain")
    assert rules.repair_mojibake("»³»¯") == ("怀化", "repaired")


@settings(deadline=None)
@given(
    st.text(
        alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5), min_size=1, max_size=12
    )
)
def test_repair_inverts_gbk_read_as_latin1(text: str) -> None:
    try:
        garbled = mojibake(text)
    except UnicodeEncodeError:
        return
    fixed, status = rules.repair_mojibake(garbled)
    # Either the exact text comes back, or the cell is flagged: never a wrong guess. (A lone
    # ideograph whose second GBK byte is ASCII leaves one Latin-1 letter: not taken as garbled.)
    allowed = {(text, "repaired"), (garbled, "uncertain")}
    if not rules.looks_garbled(garbled):
        allowed.add((garbled, ""))
    assert (fixed, status) in allowed


@settings(deadline=None)
@given(st.text(max_size=40))
def test_repair_never_crashes(text: str) -> None:
    fixed, status = rules.repair_mojibake(text)
    assert status in {"", "repaired", "uncertain"}
    assert status == "repaired" or fixed == text


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16"])
def test_csv_import_in_each_encoding(encoding: str, clerk: Any, tmp_path: Path) -> None:
    rows = [person_row(i, name=n) for i, n in enumerate(NAMES, 1)]
    path = tmp_path / f"roster-{encoding}.csv"
    path.write_bytes(csv_bytes(rows, encoding))
    result = services.roster_import(actor=clerk, path=path)
    assert result.created == 4, [p.message for p in result.problems]
    assert result.encoding == {"utf-8-sig": "utf-8", "gb18030": "gbk"}.get(encoding, encoding)
    assert sorted(Person.objects.values_list("name", flat=True)) == sorted(NAMES)


def test_garbled_cells_are_repaired_and_each_listed(clerk: Any, tmp_path: Path) -> None:
    rows = [person_row(1, name=mojibake("张三丰")), person_row(2, name="李建国")]
    rows[1][10] = mojibake("鹤城区迎丰路2号", "utf-8", "cp1252")
    path = tmp_path / "garbled.csv"
    path.write_bytes(csv_bytes(rows, "utf-8"))
    result = services.roster_import(actor=clerk, path=path)
    assert result.created == 2
    assert set(Person.objects.values_list("name", flat=True)) == {"张三丰", "李建国"}
    assert Person.objects.get(name="李建国").address == "鹤城区迎丰路2号"
    repaired = [(p.row, p.column, p.message) for p in result.problems if p.severity == "info"]
    assert repaired == [
        (2, "姓名", f"已修复乱码：{mojibake('张三丰')} → 张三丰"),
        (
            3,
            "现住址",
            f"已修复乱码：{mojibake('鹤城区迎丰路2号', 'utf-8', 'cp1252')} → 鹤城区迎丰路2号",
        ),
    ]
    assert result.repaired == 2


def test_doubtful_garbled_cell_is_flagged_and_kept_as_written(clerk: Any, tmp_path: Path) -> None:
    rows = [person_row(1, name="ÿÿÿÿ"), person_row(2, name="李建国")]
    path = tmp_path / "doubt.csv"
    path.write_bytes(csv_bytes(rows, "utf-8"))
    result = services.roster_import(actor=clerk, path=path)
    assert result.created == 2 and result.rejected == 0
    [problem] = [p for p in result.problems if p.severity == "warning"]
    assert (problem.row, problem.column, problem.value) == (2, "姓名", "ÿÿÿÿ")
    assert problem.message == "“ÿÿÿÿ”疑似编码错误造成的乱码，无法确定地修复：已按原样保留，请核对。"
    assert Person.objects.filter(name="ÿÿÿÿ").exists()  # never guessed


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_quotes_inside_csv_cells_are_read_as_written(tmp_path: Path, delimiter: str) -> None:
    # Doubled quotes are how every spreadsheet program writes a quote inside a cell. When the
    # file's only quoted cell held one quote, Python's sniffer guessed otherwise: it read two.
    from hongxia.ingest import readers

    header = ["姓名", "性别", "身份证号", "出生年月", "所属区划", "联系电话", "备注"]
    one = ["丰丰", "女", "431202196601010004", "1966-01-01", "431202", "13900000000", '""""']
    path = tmp_path / "r.csv"
    text = "\r\n".join(delimiter.join(row) for row in (header, one)) + "\r\n"
    path.write_bytes(text.encode("utf-8-sig"))
    rows = [list(r) for r in readers.open_table(path).rows()]
    assert rows[1][-1] == '"'


def test_one_garbled_ideograph_is_repaired_when_it_is_a_value_of_the_column() -> None:
    # One ideograph from two Latin-1 letters is no evidence in general (°¤ → 挨), but ÄÐ in
    # a gender column can only be 男.
    garbled = mojibake("男")
    assert rules.repair_mojibake(garbled) == (garbled, "uncertain")
    assert rules.repair_mojibake(garbled, rules.choice_words("gender")) == ("男", "repaired")
    assert rules.repair_mojibake("°¤", rules.choice_words("gender")) == ("°¤", "uncertain")


@pytest.mark.parametrize(("source", "shown_as"), [("gbk", "latin-1"), ("utf-8", "cp1252")])
def test_a_file_garbled_as_a_whole_comes_in_headers_and_all(
    clerk: Any, tmp_path: Path, source: str, shown_as: str
) -> None:
    # Decoded in the wrong code page and saved again: the header said ÐÕÃû, not 姓名, so
    # no header was found and nothing came in.
    rows = [person_row(i, name=n) for i, n in enumerate(NAMES[:2], 1)]
    text = csv_bytes(rows, "utf-8").decode("utf-8")
    path = tmp_path / "garbled-file.csv"
    path.write_bytes(
        "\n".join(mojibake(line, source, shown_as) for line in text.split("\n")).encode("utf-8")
    )
    result = services.roster_import(actor=clerk, path=path)
    assert (result.created, result.rejected) == (2, 0), [p.message for p in result.problems]
    person = Person.objects.get(name="张三丰")
    assert (person.gender, person.category, person.political_status) == (
        "M",
        "tuixiu",
        "cpc_member",
    )
    headers = [p for p in result.problems if p.row == 1]
    assert len(headers) == len(HEADERS) and all(p.severity == "info" for p in headers)
    assert ("姓名", f"已修复乱码：{mojibake('姓名', source, shown_as)} → 姓名") in {
        (p.column, p.message) for p in headers
    }


def test_utf8_with_a_stray_byte_is_utf8_and_the_cell_is_flagged(clerk: Any, tmp_path: Path) -> None:
    # One Latin-1 byte in a UTF-8 file made it "GB18030": every Chinese character garbage,
    # the header not found, nothing imported.
    rows = [person_row(i, name=n) for i, n in enumerate(NAMES[:2], 1)]
    rows[1][10] = "迎丰路2号·B座"
    data = csv_bytes(rows, "utf-8").replace("·".encode(), b"\xb7")
    path = tmp_path / "stray.csv"
    path.write_bytes(data)
    result = services.roster_import(actor=clerk, path=path)
    assert (result.encoding, result.created) == ("utf-8", 2)
    assert Person.objects.get(name=NAMES[1]).address == "迎丰路2号\ufffdB座"
    [warning] = [p for p in result.problems if p.severity == "warning"]
    assert (warning.row, warning.column) == (3, "现住址")


@settings(deadline=None)
@given(
    st.text(
        alphabet=st.characters(codec="gbk", categories=["Lo"], min_codepoint=0x4E00),
        min_size=3,
        max_size=200,
    )
)
def test_gbk_text_is_never_taken_for_utf8_with_stray_bytes(text: str) -> None:
    data = text.encode("gbk")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        assert rules.decode_bytes(data) == (text, "gbk")
