"""Rosters that older systems export as markup under an .xls name: a web page holding a table
(HTML), or an Excel 2003 XML spreadsheet (SpreadsheetML). Excel opens both, so clerks keep
them as they came; reading them here spares the clerk a 另存为 for every county's file.

Both are read with the standard library (html.parser; SpreadsheetML through defusedxml, the
file being an upload). No maintained reader does either without pulling in pandas and lxml.

A sheet comes out as ``Sheet``: its rows as lists of cell values, and the ranges merged down
over several rows (HTML rowspan, SpreadsheetML MergeDown) as ``Table.merged_down`` gives them,
so the importer fills them in as it does for a workbook. Text stays text: a web page's cells
are what it showed, so 19380501 in one is never an Excel serial."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from hongxia.ingest import rules


@dataclass
class Sheet:
    name: str
    rows: list[list[Any]] = field(default_factory=list)
    # (first row, last row, column), 0-based, for each range merged over several rows.
    merged_down: list[tuple[int, int, int]] = field(default_factory=list)


class MarkupError(Exception):
    """The markup cannot be read as a table."""


# --- web pages ---------------------------------------------------------------------------------

_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)""", re.IGNORECASE)
_BREAK = "\u2028"  # a <br>: a new line in the cell, where the page's own newlines are spaces
_SPACES = re.compile(r"[ \t\r\n\f\xa0]+")  # &nbsp; shows as a space
# What a page declares, read as the code page that holds it: GB2312 pages carry GBK's extra
# characters, and GBK's are in GB18030.
_WIDER = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "gb_2312-80": "gb18030"}


def decode_page(data: bytes) -> tuple[str, str]:
    """The page's text, and its encoding: the one its <meta> declares when that decodes it,
    else what ``rules.decode_bytes`` recognises."""
    declared = _CHARSET.search(data[:4096])
    if declared:
        name = declared.group(1).decode("ascii", "replace").lower()
        codec = _WIDER.get(name, name)
        try:
            return data.decode(codec).removeprefix("\ufeff"), name
        except (LookupError, UnicodeDecodeError):
            pass  # a wrong declaration: recognise the bytes as a CSV's are
    return rules.decode_bytes(data)


class _Tables(HTMLParser):
    """Every <table> of a page, each as rows of cell text laid out as a browser lays them out:
    a cell spanning columns leaves the columns after it empty, one spanning rows takes its
    column in the rows below. A table inside a cell is a table of its own."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.done: list[Sheet] = []
        self._open: list[_Open] = []
        self._hidden = 0  # inside <script>, <style> or <head>: no cell text

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "head", "title"):
            self._hidden += 1
        elif tag == "table":
            self._open.append(_Open())
        elif not self._open:
            return
        elif tag == "tr":
            self._open[-1].new_row()
        elif tag in ("td", "th"):
            spans = dict(attrs)
            self._open[-1].new_cell(_span(spans.get("colspan")), _span(spans.get("rowspan")))
        elif tag == "br":
            self._open[-1].text(_BREAK)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br" and self._open:
            self._open[-1].text(_BREAK)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "head", "title"):
            self._hidden = max(0, self._hidden - 1)
        elif not self._open:
            return
        elif tag == "table":
            table = self._open.pop()
            table.end_cell()
            self.done.append(table.sheet())
        elif tag in ("td", "th", "tr"):
            self._open[-1].end_cell()

    def handle_data(self, data: str) -> None:
        if self._open and not self._hidden:
            self._open[-1].text(data)


def _span(value: str | None) -> int:
    try:
        return max(1, min(int((value or "1").strip()), 1000))  # browsers' limit on colspan
    except ValueError:
        return 1


# Excel's own limits: a page or sheet beyond them is no roster, and must not take the memory.
MAX_ROWS, MAX_COLUMNS = 1_048_576, 16_384


class _Open:
    """A table being read: its rows so far, and the cells from rows above that span into the
    rows below, as (last row, first column, last column)."""

    def __init__(self) -> None:
        self.rows: list[list[Any]] = []
        self.merged: list[tuple[int, int, int]] = []
        self._spans: list[tuple[int, int, int]] = []
        self._cell: list[str] | None = None
        self._column = self._start = 0
        self._colspan = 1

    def new_row(self) -> None:
        self.end_cell()
        if len(self.rows) >= MAX_ROWS:
            raise MarkupError("too many rows")
        self.rows.append([])
        self._column = 0
        r = len(self.rows) - 1
        self._spans = [span for span in self._spans if span[0] >= r]

    def new_cell(self, colspan: int, rowspan: int) -> None:
        self.end_cell()
        if not self.rows:  # a cell before any <tr> (browsers make a row for it)
            self.new_row()
        r = len(self.rows) - 1
        moved = True
        while moved:  # past the columns that cells from the rows above take
            moved = False
            for _last, first, last in self._spans:
                if first <= self._column <= last:
                    self._column, moved = last + 1, True
        colspan = max(1, min(colspan, MAX_COLUMNS - self._column))
        if self._column >= MAX_COLUMNS:
            raise MarkupError("too many columns")
        if rowspan > 1:
            self._spans.append((r + rowspan - 1, self._column, self._column + colspan - 1))
            self.merged.append((r, r + rowspan - 1, self._column))
        self._cell = []
        self._start, self._colspan = self._column, colspan
        self._column += colspan

    def text(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)

    def end_cell(self) -> None:
        if self._cell is None:
            return
        text = "\n".join(
            _SPACES.sub(" ", line).strip() for line in "".join(self._cell).split(_BREAK)
        ).strip("\n")
        row = self.rows[-1]
        row.extend([""] * (self._start + self._colspan - len(row)))
        row[self._start] = text
        self._cell = None

    def sheet(self) -> Sheet:
        last_row = len(self.rows) - 1
        merged = [(r0, min(r1, last_row), c) for r0, r1, c in self.merged]
        return Sheet(name="", rows=self.rows, merged_down=[m for m in merged if m[1] > m[0]])


def read_html(data: bytes) -> tuple[Sheet, str]:
    """The page's largest table (a page may lay out its title in tables of its own), and the
    page's encoding. Raises MarkupError when the page holds no table."""
    text, encoding = decode_page(data)
    parser = _Tables()
    try:
        parser.feed(text)
        parser.close()
    except Exception as exc:  # html.parser is lenient; be no less so than a browser
        raise MarkupError(str(exc)) from exc
    while parser._open:  # tables the page never closed
        table = parser._open.pop()
        table.end_cell()
        parser.done.append(table.sheet())
    tables = [t for t in parser.done if any(any(c != "" for c in row) for row in t.rows)]
    if not tables:
        raise MarkupError("no table")
    return max(tables, key=lambda t: len(t.rows)), encoding


# --- Excel 2003 XML spreadsheets ---------------------------------------------------------------

_SS = "{urn:schemas-microsoft-com:office:spreadsheet}"
_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)


def read_spreadsheet_ml(data: bytes) -> list[Sheet]:
    """Every worksheet of an Excel 2003 XML spreadsheet, typed as Excel typed each cell:
    Number as a float, DateTime as a date (or a datetime with a time of day), Boolean as a
    bool, an error as its text (#N/A), which the importer refuses as it does in a CSV."""
    from defusedxml import ElementTree

    text, _encoding = rules.decode_bytes(data)
    # Decoded here: expat reads no multi-byte encoding but UTF-8 and UTF-16 by itself.
    text = _DECLARATION.sub("", text, count=1)
    try:
        root = ElementTree.fromstring(text)
    except Exception as exc:  # ParseError, and defusedxml's refusals of entities
        raise MarkupError(str(exc)) from exc
    sheets = []
    for number, ws in enumerate(root.iter(f"{_SS}Worksheet"), start=1):
        sheet = Sheet(name=ws.get(f"{_SS}Name") or f"Sheet{number}")
        table = ws.find(f"{_SS}Table")
        r = -1
        for row in table.iter(f"{_SS}Row") if table is not None else ():
            r = _index(row.get(f"{_SS}Index"), r + 1)
            if r >= MAX_ROWS:
                raise MarkupError("too many rows")
            while len(sheet.rows) <= r:
                sheet.rows.append([])
            values = sheet.rows[r]
            c = -1
            for cell in row.findall(f"{_SS}Cell"):
                c = _index(cell.get(f"{_SS}Index"), c + 1)
                if c >= MAX_COLUMNS:
                    raise MarkupError("too many columns")
                data_element = cell.find(f"{_SS}Data")
                value = _value(data_element) if data_element is not None else ""
                if len(values) <= c:
                    values.extend([""] * (c + 1 - len(values)))
                values[c] = value
                down = _count(cell.get(f"{_SS}MergeDown"))
                if down:
                    sheet.merged_down.append((r, r + down, c))
                c += _count(cell.get(f"{_SS}MergeAcross"))
        sheets.append(sheet)
    if not sheets:
        raise MarkupError("no worksheet")
    return sheets


def _index(value: str | None, default: int) -> int:
    """A 1-based ss:Index as 0-based, or ``default``."""
    try:
        return max(0, int(value) - 1) if value is not None else default
    except ValueError:
        return default


def _count(value: str | None) -> int:
    """How many more rows or columns a cell spans (ss:MergeDown, ss:MergeAcross)."""
    try:
        return max(0, min(int(value), 100_000)) if value is not None else 0
    except ValueError:
        return 0


def _value(element: Any) -> Any:
    kind = element.get(f"{_SS}Type", "String")
    text = "".join(element.itertext())
    if kind == "Number":
        try:
            return float(text)
        except ValueError:
            return text
    if kind == "DateTime":
        try:
            moment = datetime.datetime.fromisoformat(text.strip()[:19])
        except ValueError:
            return text
        return moment.date() if moment.time() == datetime.time() else moment
    if kind == "Boolean":
        return text.strip() == "1"
    return text
