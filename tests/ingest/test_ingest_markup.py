"""Rosters exported by older systems as a web page or an Excel 2003 XML spreadsheet under an
.xls name: read as Excel shows them, merged cells, layout tables and code pages included."""

from __future__ import annotations

import datetime
import io
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hongxia.ingest import exports, markup, readers, services
from hongxia.people.models import Person
from tests.ingest.ingest_corpus import (
    HEADERS,
    person_row,
    write_html,
    write_spreadsheet_ml,
)

pytestmark = pytest.mark.django_db
COL = {h: i for i, h in enumerate(HEADERS)}
NAMES = ["张三丰", "李建国", "曾国华"]


def _people() -> dict[str, Any]:
    return {p.name: p for p in Person.objects.all()}


def _page(body: str, *, head: str = "") -> str:
    return f"<html><head>{head}</head><body>{body}</body></html>"


def _row(cells: list[Any], tag: str = "td") -> str:
    return "<tr>" + "".join(f"<{tag}>{c}</{tag}>" for c in cells) + "</tr>"


def test_a_unit_merged_down_a_web_page_goes_to_each_of_its_people(
    clerk: Any, tmp_path: Path
) -> None:
    """原单位 written once with rowspan over the unit's people, as a report page lays it out;
    a blank line of &nbsp; cells between units; the title in a table of its own above."""
    rows = [person_row(i, name=n) for i, n in enumerate(NAMES, start=1)]
    unit = COL["原单位"]
    body = [
        '<table><tr><td align="center"><b>怀化市离退休干部花名册</b></td></tr></table>',
        '<table border="1">',
        _row(HEADERS, "th"),
    ]
    for i, row in enumerate(rows):
        cells = [str(v) for v in row]
        if i == 0:
            cells[unit] = '<td rowspan="2">市一中</td>'
        elif i == 1:
            del cells[unit]
        else:
            cells[unit] = "<td>鹤城区<br/>财政局</td>"
        body.append("<tr>" + "".join(c if c.startswith("<td") else f"<td>{c}</td>"
                                     for c in cells) + "</tr>")
        if i == 1:
            body.append(_row(["&nbsp;"] * len(HEADERS)))
    body.append("</table>")
    path = tmp_path / "花名册.xls"
    path.write_bytes(
        _page("\n".join(body), head='<meta charset="GB2312">').encode("gb18030")
    )
    result = services.roster_import(actor=clerk, path=path)
    assert (result.created, result.rejected, result.encoding) == (3, 0, "gb2312"), (
        result.problems
    )
    people = _people()
    assert people["张三丰"].former_unit == people["李建国"].former_unit == "市一中"
    assert people["曾国华"].former_unit == "鹤城区 财政局"  # a line break, as in a workbook
    assert result.blank_rows == 1


def test_a_page_that_declares_the_wrong_code_page_is_read_by_its_bytes(
    clerk: Any, tmp_path: Path
) -> None:
    """A template that says GB2312 while the system writes UTF-8 (or says nothing)."""
    table = "<table>" + _row(HEADERS) + _row(person_row(1, name="欧阳明")) + "</table>"
    for n, (declared, encoding) in enumerate(
        [('<meta charset="gb2312">', "utf-8"), ("", "gbk"), ("", "utf-8")]
    ):
        path = tmp_path / f"p{n}.xls"
        path.write_bytes(_page(table, head=declared).encode(encoding))
        result = services.roster_import(actor=clerk, path=path)
        assert result.created + result.unchanged == 1, (declared, encoding, result.problems)
        assert Person.objects.get().name == "欧阳明"


def test_an_xml_spreadsheet_is_read_sheet_by_sheet(clerk: Any, tmp_path: Path) -> None:
    rows = [person_row(i, name=n) for i, n in enumerate(NAMES, start=1)]
    path = write_spreadsheet_ml(tmp_path / "r.xls", rows, sheets=("离休", "退休"))
    text = path.read_text(encoding="utf-8")
    # The second sheet holds a roster too (one person): its name is said, not left behind.
    second = write_spreadsheet_ml(tmp_path / "s.xls", [person_row(9, name="龙凤英")])
    table = second.read_text(encoding="utf-8").split("<Table>")[1].split("</Table>")[0]
    path.write_text(text.replace("<Table/>", f"<Table>{table}</Table>"), encoding="utf-8")

    first = services.roster_import(actor=clerk, path=path)
    assert (first.sheet, first.created) == ("离休", 3)
    assert any("退休" in str(p.message) for p in first.problems if p.row == 0)
    other = services.roster_import(actor=clerk, path=path, sheet="退休")
    assert (other.sheet, other.created) == ("退休", 1)
    assert Person.objects.get(name="龙凤英").birth_date == datetime.date(1938, 5, 1)
    with pytest.raises(readers.ReadError, match="离休、退休"):
        services.roster_import(actor=clerk, path=path, sheet="在职")


def test_xml_error_cells_and_merged_units_are_read_as_excel_shows_them(
    clerk: Any, tmp_path: Path
) -> None:
    ss = 'xmlns="urn:schemas-microsoft-com:office:spreadsheet" ' \
        'xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet"'

    def cells(row: list[Any], *, merge: bool = False, skip: int | None = None) -> str:
        """The row's cells; ``merge``: the unit spans this row and the next; ``skip``: the
        column a merge from above covers, so the cell after it says where it stands."""
        out, after_skip = [], False
        for c, v in enumerate(row):
            if c == skip:
                after_skip = True
                continue
            attrs = f' ss:Index="{c + 1}"' if after_skip else ""
            after_skip = False
            if merge and c == COL["原单位"]:
                attrs += ' ss:MergeDown="1"'
            kind = "Error" if v == "#N/A" else "String"
            out.append(f'<Cell{attrs}><Data ss:Type="{kind}">{v}</Data></Cell>')
        return "".join(out)

    first, second = person_row(1, name="张三丰"), person_row(2, name="李建国")
    first[COL["原单位"]] = "市一中"
    second[COL["现住址"]] = "#N/A"  # a VLOOKUP that found nothing
    xml = (
        f'<?xml version="1.0" encoding="GB2312"?>\n<Workbook {ss}><Worksheet ss:Name="花名册">'
        f"<Table><Row>{cells(HEADERS)}</Row><Row>{cells(first, merge=True)}</Row>"
        f'<Row>{cells(second, skip=COL["原单位"])}</Row></Table></Worksheet></Workbook>'
    )
    path = tmp_path / "r.xls"
    path.write_bytes(xml.encode("gb18030"))
    result = services.roster_import(actor=clerk, path=path)
    assert (result.created, result.rejected) == (1, 1)
    [refused] = [p for p in result.problems if p.severity == "error"]
    assert (refused.row, refused.column) == (3, "现住址") and "#N/A" in str(refused.message)
    assert Person.objects.get().former_unit == "市一中"
    # Without the error, the merged unit reaches the row below.
    path.write_bytes(xml.replace("#N/A", "迎丰路2号").encode("gb18030"))
    again = services.roster_import(actor=clerk, path=path)
    assert again.created == 1, again.problems
    assert Person.objects.get(name="李建国").former_unit == "市一中"


def test_the_problem_report_of_a_web_page_holds_its_rows(clerk: Any, tmp_path: Path) -> None:
    rows = [person_row(i, name=n) for i, n in enumerate(NAMES, start=1)]
    rows[1][COL["出生年月"]] = "不详"
    path = write_html(tmp_path / "r.xls", rows)
    result = services.roster_import(actor=clerk, path=path)
    assert (result.created, result.rejected) == (2, 1)
    out = io.BytesIO()
    exports.problem_report(
        path, result.sheet, [p.as_dict() for p in result.problems], out,
        header_row=result.header_row,
    )
    sheet = openpyxl.load_workbook(io.BytesIO(out.getvalue())).active
    assert sheet.cell(6, 2).value == "李建国"
    assert "出生年月" in sheet.cell(6, len(HEADERS) + 1).value


def test_the_page_of_a_session_that_ran_out_is_refused_in_plain_words(
    clerk: Any, tmp_path: Path
) -> None:
    path = tmp_path / "r.xls"
    path.write_bytes(_page("<p>会话已超时，请重新登录。</p>").encode("utf-8"))
    with pytest.raises(readers.ReadError, match="网页"):
        services.roster_import(actor=clerk, path=path)
    assert not Person.objects.exists()


# --- no page and no XML crashes the reader ---------------------------------------------------

_TAGS = st.sampled_from(
    ["<table>", "</table>", "<tr>", "</tr>", "<td>", "</td>", "<th>", "<br>", "<br/>",
     '<td colspan="3">', '<td rowspan="2">', '<td rowspan="x">', '<td colspan="99999">',
     "<script>", "</script>", "&nbsp;", "&#x4e2d;", "<", ">", "张三", "1938.05", "\n"]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_TAGS | st.text(max_size=5), max_size=40))
def test_any_page_is_read_as_rows_of_text_or_refused(parts: list[str]) -> None:
    data = "".join(parts).encode("utf-8")
    try:
        sheet, _encoding = markup.read_html(data)
    except markup.MarkupError:
        return
    assert sheet.rows and all(isinstance(c, str) for row in sheet.rows for c in row)
    width = max(len(row) for row in sheet.rows)
    assert width <= 40 * 1000
    for first, last, column in sheet.merged_down:
        assert 0 <= first < last < len(sheet.rows) and column >= 0


_XML = st.sampled_from(
    ['<Row ss:Index="3">', "<Row>", "</Row>", '<Cell ss:Index="2">', "<Cell>", "</Cell>",
     '<Cell ss:MergeDown="2">', '<Cell ss:MergeAcross="x">', '<Data ss:Type="Number">',
     '<Data ss:Type="DateTime">', '<Data ss:Type="Error">', '<Data ss:Type="Boolean">',
     "<Data>", "</Data>", "1938-05-01T00:00:00.000", "4.3E+17", "#N/A", "张三", "<!ENTITY x>"]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_XML, max_size=30))
def test_any_xml_spreadsheet_is_read_or_refused(parts: list[str]) -> None:
    data = (
        '<?xml version="1.0"?><Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" '
        'xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet"><Worksheet><Table>'
        + "".join(parts)
        + "</Table></Worksheet></Workbook>"
    ).encode("utf-8")
    try:
        sheets = markup.read_spreadsheet_ml(data)
    except markup.MarkupError:
        return
    assert [s.name for s in sheets] == ["Sheet1"]


def test_an_xml_bomb_is_refused(tmp_path: Path) -> None:
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE w [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        '<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" '
        'xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet"><Worksheet><Table><Row>'
        '<Cell><Data ss:Type="String">&b;</Data></Cell></Row></Table></Worksheet></Workbook>'
    )
    with pytest.raises(markup.MarkupError, match=r"(?i)entit"):
        markup.read_spreadsheet_ml(bomb.encode())
    path = tmp_path / "bomb.xls"
    path.write_text(bomb, encoding="utf-8")
    with pytest.raises(readers.ReadError):
        readers.open_table(path)


def test_a_web_page_roster_goes_through_the_upload_page(clerk: Any, tmp_path: Path) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client

    from hongxia.ingest.models import ImportJob

    rows = [person_row(i, name=n) for i, n in enumerate(NAMES, start=1)]
    client = Client()
    client.force_login(clerk)
    page = write_html(tmp_path / "r.xls", rows).read_bytes()
    client.post("/import/", {"file": SimpleUploadedFile("鹤城区花名册.xls", page)})
    job = ImportJob.objects.get()
    assert job.status == "previewed", job.message
    client.post(f"/import/{job.pk}/confirm/")
    job.refresh_from_db()
    assert job.status == "done", job.message
    assert sorted(Person.objects.values_list("name", flat=True)) == sorted(NAMES)
