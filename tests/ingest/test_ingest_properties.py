"""The importer as a whole, thrown any sheet: it never crashes, and every row it reads is
either written, found unchanged, held for a clerk, or refused with its problems listed."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import xlsxwriter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hongxia.core import idcard
from hongxia.ingest import rules, services

# Every registry field the importer reads, under its first header word.
HEADERS = [words[0] for field, words in rules.FIELDS.items() if field not in rules.IGNORED_FIELDS]
BORN = datetime.date(1940, 3, 9)

junk = st.one_of(
    st.none(),
    st.sampled_from(["", " ", "　", "不详", "？", "'", '="1"', "合计", "»³»¯ÊÐ", "市一\ufffd"]),
    st.text(max_size=8),
    st.integers(-10, 30_000_000),
    st.floats(allow_nan=False, allow_infinity=False),
    st.dates(min_value=datetime.date(1900, 1, 1), max_value=datetime.date(2100, 1, 1)),
)
plausible = st.one_of(
    st.sampled_from(
        [
            "张三丰",
            "男",
            "女",
            "退休",
            "离休",
            "遗属",
            "汉族",
            "侗",
            "鹤城区",
            "431202",
            "沅陵县",
            "怀化市",
            "中共党员",
            "是",
            "否",
            "在世",
            "已故",
            "健康",
            "1940.03",
            "1940-03-09",
            "2020.01",
            "38.05",
            "13900000001",
            "0745-2712345",
        ]
    ),
    st.builds(lambda seq: idcard.make("431202", BORN, seq), st.integers(0, 999)),
    st.builds(lambda seq: float(idcard.make("431202", BORN, seq)[:17] + "1"), st.integers(1, 9)),
)
cell = st.one_of(junk, plausible)
# A good row of the registry, under HEADERS; each generated row changes a few of its cells.
GOOD = {
    "姓名": "张三丰",
    "身份证号": None,  # the row's own number
    "性别": "男",
    "出生年月": "1940.03",
    "离退休类别": "退休",
    "所属区划": "鹤城区",
    "生存状态": "在世",
}


def _row(seq: int, changes: dict[int, Any]) -> list[Any]:
    row = [GOOD.get(h, "") for h in HEADERS]
    row[HEADERS.index("身份证号")] = idcard.make("431202", BORN, 2 * seq + 1)
    for index, value in changes.items():
        row[index] = value
    return row


sheets = st.lists(
    st.dictionaries(st.integers(0, len(HEADERS) - 1), cell, max_size=4), min_size=1, max_size=6
).map(lambda rows: [_row(seq, changes) for seq, changes in enumerate(rows)])


def _write(path: Path, rows: list[list[Any]]) -> Path:
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    day = book.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write_row(0, 0, HEADERS)
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, datetime.date):
                sheet.write_datetime(r, c, datetime.datetime.combine(value, datetime.time()), day)
            elif isinstance(value, int | float):
                sheet.write_number(r, c, value)
            else:
                sheet.write_string(r, c, value)
    book.close()
    return path


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(rows=sheets, dry_run=st.booleans())
def test_any_sheet_imports_without_a_crash_and_every_row_is_accounted_for(
    clerk: Any, tmp_path: Path, rows: list[list[Any]], dry_run: bool
) -> None:
    path = _write(tmp_path / "any.xlsx", rows)
    result = services.roster_import(actor=clerk, path=path, dry_run=dry_run)
    outcomes = result.created + result.updated + result.unchanged + result.queued
    assert result.rows == outcomes + result.rejected
    assert result.rows + result.blank_rows + result.total_rows <= len(
        rows
    )  # trailing blanks: no row
    for problem in result.problems:
        assert problem.message and problem.severity in {"error", "warning", "info"}
        assert 0 <= problem.row <= len(rows) + 1
    # Every refused row is in the report with at least one error that names its column.
    refused = {p.row for p in result.problems if p.severity == "error" and p.column}
    assert result.error_rows == refused | {p.row for p in result.problems if p.row == 0}
