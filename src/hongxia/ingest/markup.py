"""Rosters that older systems export as markup under an .xls name: a web page holding a table
(HTML), or an Excel 2003 XML spreadsheet (SpreadsheetML). Excel opens both, so clerks keep
them as they came; reading them here spares the clerk a 另存为 for every county's file.

Both are read with the standard library: a page cut into tags by regular expressions,
SpreadsheetML through defusedxml (the file is an upload). No maintained reader does either
without pulling in pandas and lxml.

A sheet comes out as ``Sheet``: its rows as lists of cell values, and the ranges merged down
over several rows (HTML rowspan, SpreadsheetML MergeDown) as ``Table.merged_down`` gives them,
so the importer fills them in as it does for a workbook. Text stays text: a web page's cells
are what it showed, so 19380501 in one is never an Excel serial."""

from __future__ import annotations

import datetime
import html
import re
from dataclasses import dataclass, field
from typing import Any

from hongxia.ingest import rules


@dataclass
class Sheet:
    name: str
    rows: list[list[Any]] = field(default_factory=list)
    # (first row, last row, column), 0-based, for each range merged over several rows.
    merged_down: list[tuple[int, int, int]] = field(default_factory=list)
    order: int = field(default=0, compare=False)  # a page's tables: where each one opened
    before: str = field(default="", compare=False)  # a page's table: the line above it
    roster: bool = field(default=True, compare=False)  # False: no roster's header was found


class MarkupError(Exception):
    """The markup cannot be read as a table."""


# --- web pages ---------------------------------------------------------------------------------

_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)""", re.IGNORECASE)
_BREAK = "\u2028"  # a <br>: a new line in the cell, where the page's own newlines are spaces
_SPACES = re.compile(r"[ \t\r\n\f\xa0]+")  # &nbsp; shows as a space
# What a page declares, read as the code page that holds it: GB2312 pages carry GBK's extra
# characters, and GBK's are in GB18030.
_WIDER = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "gb_2312-80": "gb18030"}
# Declarations that decode any bytes, so a wrong one is never caught: a template's Latin-1
# over a Chinese system's UTF-8 or GBK. The bytes are recognised instead.
_NO_EVIDENCE = {
    "iso-8859-1", "iso8859-1", "latin1", "latin-1", "l1", "windows-1252", "cp1252",
    "us-ascii", "ascii", "unicode",
}


def decode_page(data: bytes, charset: str | None = None) -> tuple[str, str]:
    """The page's text, and its encoding: the one ``charset`` or its <meta> declares when that
    decodes it, else what ``rules.decode_bytes`` recognises."""
    declared = _CHARSET.search(data[:4096])
    name = (charset or (declared.group(1).decode("ascii", "replace") if declared else "")).lower()
    if name and name not in _NO_EVIDENCE:
        codec = _WIDER.get(name, name)
        try:
            return data.decode(codec).removeprefix("\ufeff"), name
        except (LookupError, UnicodeDecodeError):
            pass  # a wrong declaration: recognise the bytes as a CSV's are
    return rules.decode_bytes(data)


# One token of a page: a whole cell holding only text (the common case, read in one step);
# else a comment (Excel's conditional ones too), a declaration or processing instruction
# (<!DOCTYPE>, <![if …]>, <?xml …?>), or a tag with its name and attributes.
# A quoted value ends at its quote, and (unlike HTML) at the next tag: an unclosed quote must
# not run on through the page, at every "<" the search tries.
_ATTRS = r"((?:\"[^\"<]*\"|'[^'<]*'|[^'\">])*)"
_TOKEN = re.compile(
    rf"<[tT][dDhH](?![^\s/>]){_ATTRS}>([^<]*)</[tT][dDhH]\s*>"
    rf"|<(?:!--.*?(?:--!?>|\Z)|[!?][^>]*>|(/?)([A-Za-z][^\s/>]*){_ATTRS}>)",
    re.DOTALL,
)
# A whole row of such cells: most rows of an exported roster, read with no step per cell.
_ROW = re.compile(
    rf"<tr\b{_ATTRS}>((?:\s*<t[dh]\b{_ATTRS}>[^<]*</t[dh]\s*>)*)\s*</tr\s*>", re.IGNORECASE
)
_CELL = re.compile(rf"<t[dh]\b{_ATTRS}>([^<]*)</t[dh]\s*>", re.IGNORECASE)
_TAB_LINK = re.compile(r"<a\b[^>]*\bhref\s*=\s*[\"']?([^\"'\s>]+)[^>]*>(.*?)</a\s*>", re.I | re.S)
_RAW_TEXT = {"script", "style", "title", "textarea", "xmp"}  # their content is no cell text
_SPAN = re.compile(r"\b(colspan|rowspan)\s*=\s*[\"']?\s*(\d+)", re.IGNORECASE)
_BLOCK_END = {"p", "div", "li"}  # a paragraph inside a cell ends a line, as the page shows
# What Excel writes for programs without one of its features (<![if !supportAnnotations]>:
# a comment's [1] marker inside the cell), and does not show itself.
_HIDDEN_BLOCK = re.compile(r"<!\[if\s+!", re.IGNORECASE)
_END_BLOCK = re.compile(r"<!\[endif\]>|</t[dhr]\b|<t[dhr]\b", re.IGNORECASE)


class _Tables:
    """Every <table> of a page, each as rows of cell text laid out as a browser lays them out:
    a cell spanning columns leaves the columns after it empty, one spanning rows takes its
    column in the rows below. A table inside a cell is a table of its own.

    A page is cut into tags with one regular expression rather than html.parser, which took
    24 s over a 56,000-row page (5 million callbacks); only the tags of tables matter here,
    and like a browser this reads on past anything malformed."""

    def __init__(self, *, rows_at_once: bool = True) -> None:
        self.done: list[Sheet] = []
        self._open: list[_Open] = []
        self._padding = _Padding()
        self._opened = 0
        self._loose: list[str] = []  # the text outside tables since the last one
        self._rows_at_once = rows_at_once  # off: every cell step by step (tests compare)

    def feed(self, text: str) -> None:
        pos, search = 0, _TOKEN.search
        while True:
            token = search(text, pos)
            if token is None:
                self._data(text[pos:])
                break
            if token.start() > pos:
                self._data(text[pos : token.start()])
            if self._rows_at_once and text[token.start() + 1 : token.start() + 3].lower() == "tr":
                row = self._open and not self._open[-1].spanned and _ROW.match(text, token.start())
                if row and "span" not in row.group(0).lower():
                    self._open[-1].text_row([_text(c) for _a, c in _CELL.findall(row.group(2))])
                    pos = row.end()
                    continue
            pos = token.end()
            cell_text = token.group(2)
            if cell_text is not None:
                if self._open:
                    self._start("td", token.group(1))
                    self._data(cell_text)
                    self._open[-1].end_cell()
                continue
            name = token.group(4)
            if name is None:
                if _HIDDEN_BLOCK.match(text, token.start()):
                    # To its <![endif]>, never past the cell it stands in.
                    close = _END_BLOCK.search(text, pos)
                    if close is not None:
                        pos = close.end() if close.group(0).startswith("<!") else close.start()
                continue
            tag = name.lower()
            if token.group(3):
                self._end(tag)
            elif tag in _RAW_TEXT:
                close = re.compile(rf"</{tag}\s*>", re.IGNORECASE).search(text, pos)
                pos = close.end() if close else len(text)
            else:
                self._start(tag, token.group(5))
        while self._open:  # tables the page never closed
            self._end("table")

    def _start(self, tag: str, attrs: str) -> None:
        if tag == "table":
            table = _Open(self._padding, order=self._opened)
            self._opened += 1
            if not self._open:
                table.before = self._line_above()
            self._open.append(table)
        elif not self._open:
            self._loose.append(_BREAK)  # a heading, a paragraph: a line of its own
        elif tag == "tr":
            self._open[-1].new_row()
        elif tag in ("td", "th"):
            if "span" in attrs.lower():
                spans = {k.lower(): v for k, v in _SPAN.findall(attrs)}
                self._open[-1].new_cell(
                    _span(spans.get("colspan")), _span(spans.get("rowspan"), 65_534)
                )
            else:
                self._open[-1].new_cell(1, 1)
        elif tag == "br":
            self._open[-1].text(_BREAK)

    def _end(self, tag: str) -> None:
        if not self._open:
            self._loose.append(_BREAK)
            return
        if tag == "table":
            table = self._open.pop()
            table.end_cell()
            self.done.append(table.sheet())
            if self._open and len(table.rows) <= 20:
                # A small table inside a cell (a unit and its department side by side, or one
                # above the other) is what the cell shows. A roster framed by a layout table
                # is larger, and a table of its own.
                lines = (" ".join(c for c in row if c) for row in table.rows)
                self._open[-1].text(_BREAK.join(line for line in lines if line))
        elif tag in ("td", "th", "tr"):
            self._open[-1].end_cell()
        elif tag in _BLOCK_END:
            self._open[-1].text(_BREAK)

    def _line_above(self) -> str:
        """The last line of text outside tables before a table opens (<h3>退休干部</h3>)."""
        lines = "".join(self._loose).split(_BREAK)
        self._loose = []
        return next((t for t in map(_text, reversed(lines)) if t), "")

    def _data(self, data: str) -> None:
        if self._open and data:
            self._open[-1].text(html.unescape(data) if "&" in data else data)
        elif data:
            self._loose.append(data)


def _text(cell: str) -> str:
    """A cell's text as the page shows it: entities decoded, each run of spaces one space."""
    return _SPACES.sub(" ", html.unescape(cell) if "&" in cell else cell).strip()


def _span(value: str | None, limit: int = 1000) -> int:
    """A colspan (browsers' limit 1000) or rowspan (65534; 0 is to the end of the table)."""
    try:
        span = int((value or "1").strip())
    except ValueError:
        return 1
    return limit if span == 0 and limit > 1000 else max(1, min(span, limit))


# Excel's own limits: a page or sheet beyond them is no roster, and must not take the memory.
MAX_ROWS, MAX_COLUMNS = 1_048_576, 16_384
# Empty cells a file may make by skipping columns or spanning them (ss:Index="16384", a
# colspan of 1000): a 10 KB file could otherwise ask for tens of millions.
MAX_PADDING = 4_000_000


class _Padding:
    def __init__(self) -> None:
        self.left = MAX_PADDING

    def take(self, cells: int) -> None:
        self.left -= cells
        if self.left < 0:
            raise MarkupError("too many empty cells")


class _Open:
    """A table being read: its rows so far, and the cells from rows above that span into the
    rows below, as (last row, first column, last column)."""

    def __init__(self, padding: _Padding, order: int) -> None:
        self.padding, self.order = padding, order
        self.before = ""
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

    @property
    def spanned(self) -> bool:
        """Whether a cell from a row above spans into the rows to come."""
        return bool(self._spans)

    def text_row(self, cells: list[str]) -> None:
        """A whole row of plain cells, none spanning, in a table where none spans from above."""
        self.new_row()
        self.rows[-1] = cells

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
        text = "".join(self._cell)
        if _BREAK in text:
            text = "\n".join(_SPACES.sub(" ", line).strip() for line in text.split(_BREAK))
            text = text.strip("\n")
        else:
            text = _SPACES.sub(" ", text).strip()
        row = self.rows[-1]
        missing = self._start + self._colspan - len(row)
        self.padding.take(missing - 1)
        row.extend([""] * missing)
        row[self._start] = text
        self._cell = None

    def sheet(self) -> Sheet:
        last_row = len(self.rows) - 1
        merged = [(r0, min(r1, last_row), c) for r0, r1, c in self.merged]
        merged = [m for m in merged if m[1] > m[0]]
        return Sheet(
            name="", rows=self.rows, merged_down=merged, order=self.order, before=self.before
        )


def read_web_archive(data: bytes) -> tuple[list[Sheet], str]:
    """A single-file web page (.mht: Excel's 单个文件网页, or a report tool's "Excel" export):
    the rosters of each web page it holds (one a sheet, for a workbook saved so)."""
    import email
    import email.policy

    message = email.message_from_bytes(data, policy=email.policy.compat32)
    pages: list[tuple[str, list[Sheet]]] = []  # (the part's file name, its sheets)
    tabs: dict[str, str] = {}  # a sheet's file name → its name on the workbook's tab strip
    encoding = ""
    for part in message.walk():
        if part.get_content_type() != "text/html":
            continue
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            continue
        text, page_encoding = decode_page(payload, part.get_content_charset())
        for href, label in _TAB_LINK.findall(text):
            tabs.setdefault(href.rsplit("/", 1)[-1].lower(), _text(re.sub("<[^>]*>", "", label)))
        try:
            found = _page_sheets(text)
        except MarkupError:  # the frame around a workbook's sheets
            continue
        encoding = page_encoding
        location = str(part.get("Content-Location", "")).rsplit("/", 1)[-1].lower()
        pages.append((location, found))
    rosters = [(name, s) for name, found in pages for s in found if s.roster]
    # The tab strip (a table of sheet names) is no roster: a page without one is a sheet only
    # when no page has a roster.
    sheets = rosters or [(name, s) for name, found in pages for s in found]
    if not sheets:
        raise MarkupError("no table")
    if len(sheets) > 1:
        taken: set[str] = set()
        for number, (location, sheet) in enumerate(sheets, start=1):
            name = tabs.get(location) or sheet.name or f"表{number}"
            sheet.name = name if name not in taken else f"{name}（{number}）"
            taken.add(sheet.name)
    return [s for _location, s in sheets], encoding


def read_html(data: bytes, *, charset: str | None = None) -> tuple[list[Sheet], str]:
    """The page's rosters as sheets, and the page's encoding. Raises MarkupError when the page
    holds no table.

    A roster is a table with a roster's header (a title laid out in a table of its own, or a
    table framing the page, is none). Tables with the same header follow each other into one
    sheet, their headers left out after the first: a report tool's pages, or 离休 and 退休
    under headings of their own. A roster with another header is a sheet of its own ("表2"),
    as a workbook's other sheet is. A page without a header anywhere gives its largest table,
    for the importer to say what it lacks. ``charset``: what the page's own MIME header says
    it is in, when it has one."""
    text, encoding = decode_page(data, charset)
    return _page_sheets(text), encoding


def _page_sheets(text: str) -> list[Sheet]:
    """The rosters of a page's text, as ``read_html`` says."""
    parser = _Tables()
    parser.feed(text)
    tables = [t for t in parser.done if any(any(c != "" for c in row) for row in t.rows)]
    if not tables:
        raise MarkupError("no table")
    groups: list[tuple[tuple[Any, ...], Sheet]] = []  # (header row, sheet)
    # Tables close inner first: put them back in the order the page shows them.
    headed: Sheet | None = None  # the last roster, when its table held only its header
    for table in sorted(tables, key=lambda t: t.order):
        # The heading above a table (<h3>退休干部</h3>) is the group heading of its rows.
        heading = [[table.before]] if rules.section_heading([table.before]) else []
        match = rules.find_header(table.rows[: rules.HEADER_SCAN_ROWS + 1])
        if match is None:
            if headed is not None:
                # A grid whose header is a table of its own, frozen above its body's table.
                _append(headed, heading + table.rows, table.merged_down, len(heading), len(heading))
                headed = None
            continue
        header = _header_key(table.rows[match.row_index])
        same = next((sheet for top, sheet in groups if top == header), None)
        below = match.row_index + 1
        if same is None:
            same = Sheet(name="", rows=table.rows[:below])
            groups.append((header, same))
        shift = len(heading) - below
        _append(same, heading + table.rows[below:], table.merged_down, shift, len(heading))
        headed = same if len(table.rows) == below else None
    if not groups:
        largest = max(tables, key=lambda t: len(t.rows))
        largest.roster = False
        return [largest]
    sheets = [sheet for _header, sheet in groups]
    if len(sheets) > 1:
        for number, sheet in enumerate(sheets, start=1):
            sheet.name = f"表{number}"
    return sheets


def _append(
    sheet: Sheet, rows: list[list[Any]], merged: list[tuple[int, int, int]], shift: int, lead: int
) -> None:
    """Rows onto a roster: ``lead`` rows of a heading, then a table's. ``merged``: the table's
    ranges, whose row numbers are ``shift`` off from those of ``rows``; a range that starts
    above its rows here (in the header left out) is dropped."""
    at = len(sheet.rows) + shift
    sheet.rows.extend(rows)
    sheet.merged_down.extend(
        (r0 + at, r1 + at, c) for r0, r1, c in merged if r0 + shift >= lead
    )


def _header_key(row: list[Any]) -> tuple[Any, ...]:
    """A header row as compared between tables: the empty cells it ends with are no part of it."""
    cells = list(row)
    while cells and cells[-1] == "":
        cells.pop()
    return tuple(cells)


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
    sheets, padding = [], _Padding()
    worksheets = [e for e in root.iter() if _local(e.tag) == "Worksheet"]
    for number, ws in enumerate(worksheets, start=1):
        sheet = Sheet(name=_attr(ws, "Name") or f"Sheet{number}")
        table = next((e for e in ws if _local(e.tag) == "Table"), None)
        r, span = -1, 0
        for row in (e for e in (table if table is not None else ()) if _local(e.tag) == "Row"):
            r = _index(_attr(row, "Index"), r + 1 + span)
            span = _count(_attr(row, "Span"))  # rows like this one, left out after it
            if r >= MAX_ROWS:
                raise MarkupError("too many rows")
            padding.take(r - len(sheet.rows))
            while len(sheet.rows) <= r:
                sheet.rows.append([])
            values = sheet.rows[r]
            c = -1
            for cell in (e for e in row if _local(e.tag) == "Cell"):
                c = _index(_attr(cell, "Index"), c + 1)
                if c >= MAX_COLUMNS:
                    raise MarkupError("too many columns")
                data_element = next((e for e in cell if _local(e.tag) == "Data"), None)
                value = _value(data_element) if data_element is not None else ""
                if len(values) <= c:
                    padding.take(c - len(values))
                    values.extend([""] * (c + 1 - len(values)))
                values[c] = value
                down = _count(_attr(cell, "MergeDown"))
                if down:
                    sheet.merged_down.append((r, r + down, c))
                c += _count(_attr(cell, "MergeAcross"))
        sheets.append(sheet)
    if not sheets:
        raise MarkupError("no worksheet")
    return sheets


def _local(tag: Any) -> str:
    """An element's name without its namespace: generators that write <ss:Workbook> leave the
    elements inside it in none, and Excel reads them all the same."""
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _attr(element: Any, name: str) -> str | None:
    value = element.get(f"{_SS}{name}")
    return value if value is not None else element.get(name)


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
    kind = _attr(element, "Type") or "String"
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
