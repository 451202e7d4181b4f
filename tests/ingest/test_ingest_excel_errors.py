"""Excel's error values (#N/A, #REF! …): a formula that failed is no value and no empty cell."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import xlsxwriter

from hongxia.ingest import services, xlsx_errors
from hongxia.people.models import Person
from tests.ingest.ingest_corpus import HEADERS, csv_bytes, person_row

pytestmark = pytest.mark.django_db
COL = {h: i for i, h in enumerate(HEADERS)}


def test_error_cells_are_found_where_the_sheet_has_them(tmp_path: Path) -> None:
    path = tmp_path / "e.xlsx"
    book = xlsxwriter.Workbook(str(path))
    book.add_worksheet("说明").write("A1", "无")
    sheet = book.add_worksheet("花名册")
    sheet.write("C3", "x")
    sheet.write_formula("E6", "=NA()", None, "#N/A")
    sheet.write_formula("AB12", "=1/0", None, "#DIV/0!")
    book.close()
    assert xlsx_errors.error_cells(path, "花名册") == {(5, 4): "#N/A", (11, 27): "#DIV/0!"}
    assert xlsx_errors.error_cells(path, "说明") == {}
    assert xlsx_errors.error_cells(path, "没有") == {}
    (tmp_path / "not.xlsx").write_bytes(b"not a zip")
    assert xlsx_errors.error_cells(tmp_path / "not.xlsx", "花名册") == {}


def _roster_with_errors(path: Path, errors: dict[str, tuple[str, str]]) -> Path:
    """Two people; the first one's cells named in ``errors`` hold a failed formula."""
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("花名册")
    sheet.write_row(0, 0, HEADERS)
    for r, row in enumerate([person_row(1), person_row(2, name="李建国")], start=1):
        for c, value in enumerate(row):
            header = HEADERS[c]
            if r == 1 and header in errors:
                formula, shown = errors[header]
                sheet.write_formula(r, c, formula, None, shown)
            else:
                sheet.write_string(r, c, str(value))
    book.close()
    return path


def test_a_failed_formula_refuses_its_row_by_row_and_column(clerk: Any, tmp_path: Path) -> None:
    """A roster filled in by VLOOKUP: the person whose ID the lookup did not find was
    registered without one, and the #REF! region became the clerk's county, without a word."""
    path = _roster_with_errors(
        tmp_path / "r.xlsx",
        {"公民身份号码": ("=VLOOKUP(A2,X:Y,2,0)", "#N/A"), "所属区划": ("=Z1", "#REF!")},
    )
    result = services.roster_import(actor=clerk, path=path)
    assert result.created == 1 and result.rejected == 1
    assert sorted((p.row, p.column, p.message) for p in result.problems) == [
        (2, "公民身份号码",
         "该单元格是 Excel 的错误值 #N/A（公式出错），请在 Excel 中改正后重新导入。"),
        (2, "所属区划",
         "该单元格是 Excel 的错误值 #REF!（公式出错），请在 Excel 中改正后重新导入。"),
    ]
    assert list(Person.objects.values_list("name", flat=True)) == ["李建国"]


def test_an_error_value_excel_wrote_into_a_csv_is_refused(clerk: Any, tmp_path: Path) -> None:
    row = person_row(1)
    row[COL["手机"]] = "#N/A"
    row[COL["现住址"]] = "#VALUE!"
    path = tmp_path / "r.csv"
    path.write_bytes(csv_bytes([row], "utf-8-sig"))
    result = services.roster_import(actor=clerk, path=path)
    assert result.rejected == 1
    assert sorted(p.column for p in result.problems) == ["手机", "现住址"]
