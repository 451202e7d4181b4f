"""A corpus of roster files made on the spot: every trap the counties' files carry."""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import xlsxwriter

from hongxia.core import idcard

HEADERS = [
    "序号",
    "姓名",
    "性别",
    "民族",
    "公民身份号码",
    "出生年月",
    "离退休类别",
    "原单位",
    "级别",
    "所属区划",
    "现住址",
    "手机",
    "政治面貌",
]


def person_row(
    seq: int,
    *,
    name: str = "张三丰",
    birth: datetime.date = datetime.date(1938, 5, 1),
    gender: str = "男",
    region: str = "鹤城区",
    area: str = "431202",
    category: str = "退休",
    phone: str = "",
    id_number: str | None = None,
    **extra: Any,
) -> list[Any]:
    number = (
        id_number
        if id_number is not None
        else idcard.make(area, birth, (2 * seq + (1 if gender == "男" else 0)) % 1000)
    )
    row = [
        seq,
        name,
        gender,
        "汉族",
        number,
        f"{birth:%Y.%m}",
        category,
        "怀化市教育局",
        "科员",
        region,
        "鹤城区迎丰路1号",
        phone or f"139{seq:08d}",
        "中共党员",
    ]
    return row


def write_xlsx(
    path: Path,
    rows: Sequence[Sequence[Any]],
    *,
    title: str | None = "怀化市离退休干部花名册",
    headers: Sequence[str] = HEADERS,
    numbers_as_numbers: bool = False,
    total: bool = True,
) -> Path:
    """A sheet as counties send it: a merged title, a blank row, the header, rows, a total."""
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("花名册")
    r = 0
    if title:
        sheet.merge_range(0, 0, 0, len(headers) - 1, title)
        sheet.write(1, 0, "填报单位：鹤城区委老干部局")
        r = 3
    sheet.write_row(r, 0, list(headers))
    for row in rows:
        r += 1
        for c, value in enumerate(row):
            if value is None or value == "":
                continue
            if isinstance(value, float | int) and not isinstance(value, bool):
                sheet.write_number(r, c, value)
            elif isinstance(value, datetime.date):
                sheet.write_datetime(
                    r,
                    c,
                    datetime.datetime.combine(value, datetime.time()),
                    book.add_format({"num_format": "yyyy-mm-dd"}),
                )
            elif numbers_as_numbers and isinstance(value, str) and value.isdigit():
                sheet.write_number(r, c, float(value))
            else:
                sheet.write_string(r, c, str(value))
    if total:
        sheet.write_row(r + 2, 0, ["合计", f"共{len(rows)}人"])
    book.close()
    return path


def csv_bytes(
    rows: Sequence[Sequence[Any]], encoding: str, *, headers: Sequence[str] = HEADERS
) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(headers)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return buf.getvalue().encode(encoding)


def mojibake(text: str, source: str = "gbk", shown_as: str = "latin-1") -> str:
    """Real Chinese text garbled the way old systems do: its bytes read in the wrong code page."""
    data = text.encode(source)
    if shown_as == "cp1252":
        # Windows shows the five bytes cp1252 leaves undefined as the C1 control of that value.
        return "".join(_cp1252(b) for b in data)
    return data.decode(shown_as)


def _cp1252(byte: int) -> str:
    try:
        return bytes([byte]).decode("cp1252")
    except UnicodeDecodeError:
        return chr(byte)


def _layout(
    rows: Sequence[Sequence[Any]], title: str | None, headers: Sequence[str], total: bool
) -> tuple[list[tuple[int, list[Any]]], int]:
    """The cells of write_xlsx's layout, as (row index, values), and where the title spans."""
    out: list[tuple[int, list[Any]]] = []
    r = 0
    if title:
        out += [(0, [title]), (1, ["填报单位：鹤城区委老干部局"])]
        r = 3
    out.append((r, list(headers)))
    for row in rows:
        r += 1
        out.append((r, list(row)))
    if total:
        out.append((r + 2, ["合计", f"共{len(rows)}人"]))
    return out, len(headers)


def write_xls(
    path: Path,
    rows: Sequence[Sequence[Any]],
    *,
    title: str | None = "怀化市离退休干部花名册",
    headers: Sequence[str] = HEADERS,
    total: bool = True,
) -> Path:
    """The same sheet as write_xlsx, as an Excel 97-2003 .xls (xlwt): numbers, real date
    cells and a merged title as Excel writes them."""
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("花名册")
    date_style = xlwt.easyxf(num_format_str="yyyy-mm-dd")
    cells, width = _layout(rows, title, headers, total)
    for r, values in cells:
        if title and r == 0:
            sheet.write_merge(0, 0, 0, width - 1, values[0])
            continue
        for c, value in enumerate(values):
            if value is None or value == "":
                continue
            if isinstance(value, datetime.date):
                sheet.write(r, c, datetime.datetime.combine(value, datetime.time()), date_style)
            elif isinstance(value, float | int) and not isinstance(value, bool):
                sheet.write(r, c, value)
            else:
                sheet.write(r, c, str(value))
    book.save(str(path))
    return path


def write_ods(
    path: Path,
    rows: Sequence[Sequence[Any]],
    *,
    title: str | None = "怀化市离退休干部花名册",
    headers: Sequence[str] = HEADERS,
    total: bool = True,
) -> Path:
    """The same sheet as an OpenDocument .ods (odfpy, as LibreOffice and WPS save it): float
    and date cells typed, the title spanning the header's width."""
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    table = Table(name="花名册")
    cells, width = _layout(rows, title, headers, total)
    by_row = dict(cells)
    for r in range(max(by_row) + 1):
        tr = TableRow()
        for c, value in enumerate(by_row.get(r, [])):
            if value is None or value == "":
                tr.addElement(TableCell())
                continue
            if isinstance(value, datetime.date):
                cell = TableCell(valuetype="date", datevalue=value.isoformat())
            elif isinstance(value, float | int) and not isinstance(value, bool):
                cell = TableCell(valuetype="float", value=repr(value))
            else:
                cell = TableCell(valuetype="string")
            if title and r == 0 and c == 0:
                cell.setAttribute("numbercolumnsspanned", str(width))
            cell.addElement(P(text=str(value)))
            tr.addElement(cell)
        table.addElement(tr)
    doc.spreadsheet.addElement(table)
    doc.save(str(path))
    return path


def _shown(value: Any) -> str:
    """A cell as Excel's General format shows it, which is what a web page export writes."""
    if isinstance(value, datetime.date):
        return f"{value:%Y-%m-%d}"
    if isinstance(value, float) and abs(value) >= 1e11:
        return f"{value:.5E}".replace("E+0", "E+")  # 4.31202E+17, as Excel shows it
    return "" if value is None else str(value)


def write_html(
    path: Path,
    rows: Sequence[Sequence[Any]],
    *,
    title: str | None = "怀化市离退休干部花名册",
    headers: Sequence[str] = HEADERS,
    total: bool = True,
    encoding: str = "gb2312",
) -> Path:
    """The same sheet as a web page under an .xls name, as older systems export rosters: a
    GB2312 page with a <meta> charset, the title a cell spanning the header's width, every
    value text as the page showed it, &nbsp; in empty cells."""
    from html import escape

    cells, width = _layout(rows, title, headers, total)
    by_row = dict(cells)
    lines = [
        "<html><head>",
        f'<meta http-equiv="Content-Type" content="text/html; charset={encoding}">',
        "<style>td { mso-number-format: '\\@'; }</style></head><body>",
        '<table border="1">',
    ]
    for r in range(max(by_row) + 1):
        values = by_row.get(r, [])
        if title and r == 0:
            lines.append(f'<tr><td colspan="{width}">{escape(str(values[0]))}</td></tr>')
            continue
        tds = "".join(
            f"<td>{escape(_shown(v)) if _shown(v) else '&nbsp;'}</td>" for v in values
        )
        lines.append(f"<tr>{tds}</tr>")
    lines.append("</table></body></html>")
    path.write_bytes("\n".join(lines).encode("gb18030" if encoding == "gb2312" else encoding))
    return path


def write_spreadsheet_ml(
    path: Path,
    rows: Sequence[Sequence[Any]],
    *,
    title: str | None = "怀化市离退休干部花名册",
    headers: Sequence[str] = HEADERS,
    total: bool = True,
    sheets: Sequence[str] = ("花名册",),
) -> Path:
    """The same sheet as an Excel 2003 XML spreadsheet under an .xls name: numbers and dates
    typed, the title merged across, rows that skip a blank one by their ss:Index."""
    from xml.sax.saxutils import escape

    cells, width = _layout(rows, title, headers, total)

    def cell(value: Any) -> str:
        if isinstance(value, datetime.date):
            return f'<Cell><Data ss:Type="DateTime">{value:%Y-%m-%d}T00:00:00.000</Data></Cell>'
        if isinstance(value, float | int) and not isinstance(value, bool):
            return f'<Cell><Data ss:Type="Number">{value!r}</Data></Cell>'
        return f'<Cell><Data ss:Type="String">{escape(str(value))}</Data></Cell>'

    table = []
    for r, values in cells:
        if title and r == 0:
            table.append(
                f'<Row ss:Index="1"><Cell ss:MergeAcross="{width - 1}"><Data ss:Type="String">'
                f"{escape(str(values[0]))}</Data></Cell></Row>"
            )
            continue
        table.append(
            f'<Row ss:Index="{r + 1}">'
            + "".join(
                cell(v) if v not in (None, "") else f'<Cell ss:Index="{c + 1}"/>'
                for c, v in enumerate(values)
            )
            + "</Row>"
        )
    worksheets = [f'<Worksheet ss:Name="{sheets[0]}"><Table>{"".join(table)}</Table></Worksheet>']
    worksheets += [f'<Worksheet ss:Name="{name}"><Table/></Worksheet>' for name in sheets[1:]]
    path.write_text(
        '<?xml version="1.0"?>\n<?mso-application progid="Excel.Sheet"?>\n'
        '<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" '
        'xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet">'
        + "".join(worksheets)
        + "</Workbook>",
        encoding="utf-8",
    )
    return path
