"""Read a roster file as rows of cell values: .xlsx/.xls/.ods through python-calamine (the
fastest reader here), .csv in whatever Chinese encoding it came in."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.utils.translation import gettext_lazy as _

from hongxia.ingest import rules

SPREADSHEET_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"}
SUFFIXES = SPREADSHEET_SUFFIXES | {".csv", ".txt"}


class ReadError(Exception):
    """The file cannot be read at all (wrong type, missing sheet, damaged)."""


@dataclass
class Table:
    """The rows of one sheet; ``encoding`` is set for CSV files."""

    path: Path
    sheet: str
    encoding: str = ""
    sheets: list[str] = field(default_factory=list)
    # The loaded calamine sheet, shared by `height` and `rows()`: loading it is most of the
    # cost of reading an .xlsx (0.6 s for 56,000 rows), so it is done once per table.
    _worksheet: Any = field(default=None, init=False, repr=False)

    def _sheet(self) -> Any:
        if self._worksheet is None:
            self._worksheet = _calamine_sheet(self.path, self.sheet)
        return self._worksheet

    @property
    def height(self) -> int:
        """How many rows the sheet has (for progress), counted without reading the cells."""
        if self.path.suffix.lower() in SPREADSHEET_SUFFIXES:
            ws = self._sheet()
            return int(ws.height) + int(ws.start[0] if ws.start else 0)
        return self.path.read_bytes().count(b"\n") + 1

    def merged_down(self) -> list[tuple[int, int, int]]:
        """(first row, last row, column) of each merged range over several rows, as indexes
        into ``rows()`` (whose rows start at the sheet's first, whose columns start at its
        first used one). Empty for CSV, and where the reader knows no merges (.ods)."""
        if self.path.suffix.lower() not in SPREADSHEET_SUFFIXES:
            return []
        ws = self._sheet()
        try:
            ranges = ws.merged_cell_ranges or []
        except Exception:  # a reader without merges for this format: nothing to fill
            return []
        first_column = int(ws.start[1]) if ws.start else 0
        return [(r0, r1, c0 - first_column) for (r0, c0), (r1, _c1) in ranges if r1 > r0]

    def rows(self) -> Iterator[list[Any]]:
        suffix = self.path.suffix.lower()
        if suffix in SPREADSHEET_SUFFIXES:
            yield from _calamine_rows(self._sheet())
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


def _delimiter(text: str) -> str:
    """The sniffed delimiter. The sniffer is shown quoted cells emptied: it took a tab inside
    one ('"\t' in a note) for the delimiter of the file. (It guesses quoting from too little:
    a file whose only quoted cell held one quote made it read that quote as two; only its
    delimiter is used.)"""
    sample = _QUOTED.sub('""', text[:8192])
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def _calamine_sheet(path: Path, sheet: str) -> Any:
    from python_calamine import CalamineWorkbook

    try:
        return CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet)
    except Exception as exc:  # calamine raises its own error types for damaged files
        raise ReadError(str(_("The file cannot be read: %(error)s")) % {"error": exc}) from exc


def _calamine_rows(ws: Any) -> Iterator[list[Any]]:
    try:
        # Iterate lazily: a 56,000-row sheet is never turned into one big list here.
        yield from ws.iter_rows()
    except Exception as exc:
        raise ReadError(str(_("The file cannot be read: %(error)s")) % {"error": exc}) from exc


def sheets_with_cells(
    table: Table, roster: Callable[[list[list[Any]]], bool] | None = None
) -> list[str]:
    """The workbook's other sheets that hold anything (Excel 2003 made three sheets for every
    new book: empty ones are not worth a word); with ``roster``, only those whose first rows
    it takes for a roster's (a sheet of instructions is not one)."""
    names = [name for name in table.sheets if name != table.sheet]
    if not names:
        return []
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_path(str(table.path))
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


def open_table(path: Path | str, *, sheet: str | None = None) -> Table:
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise ReadError(str(_("Only .xlsx, .xls, .ods and .csv files can be imported.")))
    if suffix in SPREADSHEET_SUFFIXES:
        from python_calamine import CalamineWorkbook

        try:
            book = CalamineWorkbook.from_path(str(path))
        except Exception as exc:
            raise ReadError(str(_("The file cannot be read: %(error)s")) % {"error": exc}) from exc
        names = list(book.sheet_names)
        if sheet is None:
            if not names:
                raise ReadError(str(_("The workbook has no sheets.")))
            sheet = names[0]
        elif sheet not in names:
            raise ReadError(str(_("There is no sheet named %(sheet)s.")) % {"sheet": sheet})
        return Table(path=path, sheet=sheet, sheets=names)
    _text, encoding = rules.decode_bytes(path.read_bytes())
    return Table(path=path, sheet="", encoding=encoding)
