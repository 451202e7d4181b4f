"""Read a roster file as rows of cell values: .xlsx/.xls/.ods through python-calamine (the
fastest reader here), .csv in whatever Chinese encoding it came in.

A file is read as what its content is, whatever its name says: old systems save tab-separated
text, a web page or an Excel 2003 XML spreadsheet under an .xls name (read by ``markup``), and
a clerk renames an .xlsx to .xls. A file that cannot be read is refused in words a clerk
understands, never in the library's."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

from django.utils.translation import gettext_lazy as _

from hongxia.ingest import markup, rules, xlsx_errors

SPREADSHEET_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"}
SUFFIXES = SPREADSHEET_SUFFIXES | {".csv", ".txt"}


class ReadError(Exception):
    """The file cannot be read at all (wrong type, missing sheet, damaged)."""


@dataclass
class Table:
    """The rows of one sheet; ``encoding`` is set for text (CSV) files and web pages, ``book``
    for workbooks: what the content is (".xlsx", ".xls", ".ods"), whatever the name says;
    ``parsed`` for a web page's table or an Excel 2003 XML spreadsheet's sheets, read whole."""

    path: Path
    sheet: str
    encoding: str = ""
    sheets: list[str] = field(default_factory=list)
    book: str = ""
    parsed: dict[str, markup.Sheet] = field(default_factory=dict, repr=False)
    # The loaded calamine sheet, shared by `height` and `rows()`: loading it is most of the
    # cost of reading an .xlsx (0.6 s for 56,000 rows), so it is done once per table.
    _worksheet: Any = field(default=None, init=False, repr=False)

    def _sheet(self) -> Any:
        if self._worksheet is None:
            try:
                self._worksheet = _workbook(self.path, self.book).get_sheet_by_name(self.sheet)
            except ReadError:
                raise
            except Exception as exc:  # calamine's own error types for damaged files
                raise ReadError(_damaged(self.book)) from exc
        return self._worksheet

    def _error_cells(self) -> dict[tuple[int, int], str]:
        """Excel's error values (#N/A …), by (row, column) as ``rows()`` gives them: calamine
        reads each as an empty cell. Known for .xlsx only (xlsx_errors)."""
        if self.book != ".xlsx":
            return {}
        found = xlsx_errors.error_cells(self.path, self.sheet)
        start = self._sheet().start
        first_column = int(start[1]) if start else 0
        return {(r, c - first_column): value for (r, c), value in found.items()}

    @property
    def height(self) -> int:
        """How many rows the sheet has (for progress), counted without reading the cells."""
        if self.parsed:
            return len(self.parsed[self.sheet].rows)
        if self.book:
            ws = self._sheet()
            return int(ws.height) + int(ws.start[0] if ws.start else 0)
        return self.path.read_bytes().count(b"\n") + 1

    def merged_down(self) -> list[tuple[int, int, int]]:
        """(first row, last row, column) of each merged range over several rows, as indexes
        into ``rows()`` (whose rows start at the sheet's first, whose columns start at its
        first used one). Empty for CSV, and where the reader knows no merges (.ods)."""
        if self.parsed:
            return list(self.parsed[self.sheet].merged_down)
        if not self.book:
            return []
        ws = self._sheet()
        try:
            ranges = ws.merged_cell_ranges or []
        except Exception:  # a reader without merges for this format: nothing to fill
            return []
        first_column = int(ws.start[1]) if ws.start else 0
        return [(r0, r1, c0 - first_column) for (r0, c0), (r1, _c1) in ranges if r1 > r0]

    def rows(self) -> Iterator[list[Any]]:
        if self.parsed:
            yield from (list(row) for row in self.parsed[self.sheet].rows)
        elif self.book:
            try:
                # Iterate lazily: a 56,000-row sheet is never turned into one big list here.
                rows = self._sheet().iter_rows()
                errors = self._error_cells()
                yield from _with_errors(rows, errors) if errors else rows
            except ReadError:
                raise
            except Exception as exc:
                raise ReadError(_damaged(self.book)) from exc
        else:
            text, _enc = rules.decode_bytes(self.path.read_bytes())
            yield from _csv_rows(text)


# What makes Excel read a cell of a CSV as a formula (OWASP's list). The roster export puts an
# apostrophe in front of such text, which Excel shows as nothing; the reader drops it again.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def looks_like_formula(text: str) -> bool:
    """Whether a CSV cell of this text needs the apostrophe. Text that already starts with
    apostrophes before such a character gets one more ('=1 is written ''=1), so that the
    reader, which drops one, gives back exactly what was written."""
    return text.lstrip("'").startswith(FORMULA_START)


def _csv_rows(text: str) -> Iterator[list[Any]]:
    """The rows of a CSV text: the delimiter as sniffed, quoting as Excel writes it (a quote
    inside a cell doubled), without the apostrophe that kept a cell from being a formula."""
    reader = csv.reader(io.StringIO(text, newline=""), csv.excel, delimiter=_delimiter(text))
    for row in reader:
        yield [
            cell[1:] if cell.startswith("'") and looks_like_formula(cell[1:]) else cell
            for cell in row
        ]


# A quoted cell, quotes inside it doubled.
_QUOTED = re.compile(r'"(?:[^"]|"")*"')


def unclosed_quote(text: str) -> int | None:
    """The line of a CSV text where a quoted cell opens that is never closed (a clerk's stray
    quotation mark), or None. The reader would take every line after it into that cell,
    silently. A cell may hold line breaks (Excel quotes such a cell): one is taken for a stray
    quote when a line in it has as many cells as a row, or when it runs to the end of the
    file unclosed."""
    if '"' not in text:
        return None
    delimiter = _delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), csv.excel, delimiter=delimiter)
    widest, start, row_start = 0, 1, 1
    for row in reader:
        row_start = start
        if reader.line_num > start:  # a quoted cell ran over a line break
            swallowed = [line for cell in row for line in cell.splitlines()[1:]]
            if any(line.count(delimiter) + 1 >= max(widest, 3) for line in swallowed):
                return start
        widest = max(widest, len(row))
        start = reader.line_num + 1
    # The last row: did a quote in it run to the end of the file?
    tail = "".join(islice(io.StringIO(text, newline=""), row_start - 1, None))
    if not _strictly_read(tail, delimiter) and _strictly_read(tail + '"', delimiter):
        return row_start
    return None


def _strictly_read(text: str, delimiter: str) -> bool:
    """Whether ``text`` is CSV as the standard has it: the strict reader refuses a quoted cell
    left open at the end (and a stray quote inside a cell, which the import takes as written;
    so a tail is open at the end when it is refused as it is, and read with a quote added)."""
    try:
        for _row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True):
            pass
    except csv.Error:
        return False
    return True


def _delimiter(text: str) -> str:
    """The sniffed delimiter. The sniffer is shown quoted cells emptied: it took a tab inside
    one ('"\t' in a note) for the delimiter of the file. (It guesses quoting from too little:
    a file whose only quoted cell held one quote made it read that quote as two; only its
    delimiter is used.) Nor is it shown apostrophes, which it takes for quotes too: the
    export's '\t'' (a cell starting with a tab, kept from Excel's formulas) made it read a
    comma-separated file as tab-separated. The reader never quotes with them.

    First of all, the header line says it: the delimiter that splits one of the first lines
    into the most cells the importer knows as headers (two at least) is the file's. The
    sniffer, shown a title line above a tab-separated header, read the whole file as one
    column, and no header was found; a title that names 姓名 (离退休干部姓名册 | 2024年) is no
    header line."""
    best, known = "", 1
    for line in text[:8192].splitlines()[: rules.HEADER_SCAN_ROWS]:
        for delimiter in ",;\t|":
            if delimiter in line:
                cells = [c.strip().strip('"') for c in line.split(delimiter)]
                count = len(rules.map_header(cells).columns)
                if count > known:
                    best, known = delimiter, count
    if best:
        return best
    sample = _QUOTED.sub('""', text[:8192]).replace("'", "_")
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def sheets_with_cells(
    table: Table, roster: Callable[[list[list[Any]]], bool] | None = None
) -> list[str]:
    """The workbook's other sheets that hold anything (Excel 2003 made three sheets for every
    new book: empty ones are not worth a word); with ``roster``, only those whose first rows
    it takes for a roster's (a sheet of instructions is not one)."""
    names = [name for name in table.sheets if name != table.sheet]
    if not names:
        return []
    if table.parsed:
        return [
            name
            for name in names
            if any(any(c != "" for c in row) for row in table.parsed[name].rows)
            and (roster is None or roster(table.parsed[name].rows[:30]))
        ]
    try:
        book = _workbook(table.path, table.book)
        found = []
        for name in names:
            sheet = book.get_sheet_by_name(name)
            if not sheet.height:
                continue
            if roster is not None:
                head = [list(row) for row, _n in zip(sheet.iter_rows(), range(30), strict=False)]
                if not roster(head):
                    continue
            found.append(name)
        return found
    except Exception:  # a sheet calamine cannot load is no reason to refuse the chosen one
        return []


def _with_errors(
    rows: Iterator[list[Any]], errors: dict[tuple[int, int], str]
) -> Iterator[list[Any]]:
    """The rows, with each error cell's value (#N/A) in place of the empty text calamine gave."""
    by_row: dict[int, list[tuple[int, str]]] = {}
    for (r, c), value in errors.items():
        by_row.setdefault(r, []).append((c, value))
    for index, row in enumerate(rows):
        for c, value in by_row.get(index, ()):
            if 0 <= c < len(row):
                row[c] = value
        yield row


def open_table(path: Path | str, *, sheet: str | None = None) -> Table:
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise ReadError(str(_("Only .xlsx, .xls, .ods and .csv files can be imported.")))
    with path.open("rb") as fh:
        kind = content_kind(fh.read(4096))
    if kind in WORKBOOKS:
        names = list(_workbook(path, kind).sheet_names)
        return Table(path=path, sheet=_chosen(sheet, names), sheets=names, book=kind)
    if kind in MARKUP:
        return _markup_table(path, kind, sheet)
    text, encoding = rules.decode_bytes(path.read_bytes())
    if suffix in SPREADSHEET_SUFFIXES and not _text_in_columns(text):
        raise ReadError(
            str(
                _(
                    "The file is not a spreadsheet: it is neither an Excel or OpenDocument "
                    "workbook nor text in rows and columns (CSV), though its name ends in "
                    "%(suffix)s. Check that you chose the right file."
                )
            )
            % {"suffix": suffix}
        )
    line = unclosed_quote(text)
    if line:
        raise ReadError(
            str(
                _(
                    "Line %(line)s opens a quotation mark (\") that is never closed, so the "
                    "lines after it would be read into one cell and the people on them lost. "
                    "Add the closing quotation mark, or delete the stray one, and upload the "
                    "file again."
                )
            )
            % {"line": line}
        )
    return Table(path=path, sheet="", encoding=encoding)


def _chosen(sheet: str | None, names: list[str], default: str | None = None) -> str:
    """The sheet asked for, or ``default``, or the first; refused when there is no such sheet."""
    if sheet is None:
        if not names:
            raise ReadError(str(_("The workbook has no sheets.")))
        return default if default is not None else names[0]
    if sheet not in names:
        raise ReadError(
            str(_("There is no sheet named %(sheet)s. The workbook's sheets: %(names)s."))
            % {"sheet": sheet, "names": "、".join(names)}
        )
    return sheet


def _markup_table(path: Path, kind: str, sheet: str | None) -> Table:
    """The rosters of a web page or a single-file web page, or an Excel 2003 XML spreadsheet's
    sheets (markup). A page with one roster has no sheets to choose, as a CSV has none."""
    data = path.read_bytes()
    try:
        encoding = ""
        if kind in ("html", "mhtml"):
            read = markup.read_html if kind == "html" else markup.read_web_archive
            sheets, encoding = read(data)
            if len(sheets) == 1:  # a page with one roster: no sheet to choose
                return Table(path=path, sheet="", encoding=encoding, parsed={"": sheets[0]})
        else:
            sheets = markup.read_spreadsheet_ml(data)
    except markup.MarkupError as exc:
        raise ReadError(
            str(
                _(
                    "The file seems to be %(kind)s, but no table can be read from it: it may "
                    "be damaged or cut short. Open it in Excel or WPS, save it as an Excel "
                    "workbook (.xlsx), and upload that file."
                )
            )
            % {"kind": MARKUP[kind]}
        ) from exc
    names = [s.name for s in sheets]
    by_name = {s.name: s for s in reversed(sheets)}  # the first of two of one name
    # A page's largest roster is the one to import unless told (a table of contacts, or a
    # search form, may come first); a workbook's first sheet, as Excel opens it.
    first = max(sheets, key=lambda s: len(s.rows)).name if kind == "html" else None
    return Table(
        path=path,
        sheet=_chosen(sheet, names, first),
        sheets=names,
        parsed=by_name,
        encoding=encoding,
    )


# What a file is, by its first bytes.
_ZIP = b"PK\x03\x04"  # .xlsx, .xlsm, .xlsb and .ods are zip archives
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls (Excel 97-2003) is an OLE document
_ODS = b"mimetypeapplication/vnd.oasis.opendocument.spreadsheet"  # an .ods's first entry
WORKBOOKS = {
    ".xlsx": _("an Excel workbook (.xlsx)"),
    ".xls": _("an Excel 97-2003 workbook (.xls)"),
    ".ods": _("an OpenDocument spreadsheet (.ods)"),
}
MARKUP = {
    "html": _("a web page (HTML)"),
    "mhtml": _("a single-file web page (MHT)"),
    "xml": _("an Excel 2003 XML spreadsheet"),
}
# The format a file's name promises; calamine opens a file by its name quickest.
_NAMED = {".xlsx": ".xlsx", ".xlsm": ".xlsx", ".xlsb": ".xlsx", ".xls": ".xls", ".ods": ".ods"}


def content_kind(head: bytes) -> str:
    """What the first bytes of a file say it is: ".xlsx", ".xls", ".ods", "html", "mhtml" (a
    single-file web page), "xml" (an Excel 2003 XML spreadsheet) or "text"."""
    if head.startswith(_ZIP):
        return ".ods" if _ODS in head[:200] else ".xlsx"
    if head.startswith(_OLE):
        return ".xls"
    if head[:200].lower().startswith(b"mime-version:") or re.search(
        rb"(?im)^content-type:\s*multipart/related", head
    ):
        return "mhtml"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 (Excel's "Unicode" web page)
        head = head[: len(head) // 2 * 2].decode("utf-16", "replace").encode("utf-8", "replace")
    start = head.removeprefix(b"\xef\xbb\xbf").lstrip().lower()
    if start.startswith(b"<"):
        # <Workbook …>, or <ss:Workbook …> as some generators write it.
        return "xml" if re.search(rb"<(?:\w+:)?workbook\b", start) else "html"
    return "text"


def _workbook(path: Path, book: str) -> Any:
    """The workbook at ``path``, opened as what its content is (``book``): by its name when
    that agrees, else from its bytes, which calamine tells apart by themselves."""
    from python_calamine import CalamineWorkbook

    try:
        if _NAMED.get(path.suffix.lower()) == book:
            return CalamineWorkbook.from_path(str(path))
        with path.open("rb") as fh:
            return CalamineWorkbook.from_filelike(fh)
    except Exception as exc:  # calamine raises its own error types for damaged files
        raise ReadError(_damaged(book)) from exc


def _damaged(book: str) -> str:
    return str(
        _(
            "The file seems to be %(kind)s, but it cannot be opened: it may be damaged, cut "
            "short, or protected by a password. Open it in Excel or WPS, save it again as an "
            "Excel workbook (.xlsx), and upload that file."
        )
    ) % {"kind": WORKBOOKS.get(book, WORKBOOKS[".xlsx"])}


def _text_in_columns(text: str) -> bool:
    """Whether text under a spreadsheet's name is a table (tab-separated, as old systems
    save it as .xls): its first line is split into cells and holds nothing binary."""
    first = text.lstrip("\r\n").split("\n", 1)[0]
    binary = "\ufffd" in first or any(ch < " " and ch not in "\t\r" for ch in first)
    return not binary and any(d in first for d in ",;\t|")
