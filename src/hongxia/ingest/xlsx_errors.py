"""Excel's error values (#N/A, #REF! …) in an .xlsx sheet.

python-calamine reads a cell holding an error value (a formula that failed) as an empty one.
A roster built with VLOOKUP would then register a person without the ID number the formula
was meant to fetch, and say nothing. So the sheet's XML is searched for error cells: the
search costs one decompression of the sheet, a fraction of calamine's own read, and the
cells are parsed only in a sheet that has one.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from defusedxml import ElementTree

_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
# A cell's type attribute when it holds an error, as Excel and others write it.
_MARKS = (b't="e"', b"t='e'")
_CHUNK = 1 << 20
_REF = re.compile(r"([A-Z]+)(\d+)")


def error_cells(path: Path, sheet: str) -> dict[tuple[int, int], str]:
    """(row, column), counted from 0 as in the sheet → the error value, for every cell of
    ``sheet`` that holds one. Empty when there is none, or when the file is not a workbook
    this can read (calamine reports that)."""
    try:
        with zipfile.ZipFile(path) as book:
            part = _sheet_part(book, sheet)
            if part is None or not _marked(book, part):
                return {}
            return _parse(book, part)
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError, OSError, ValueError):
        return {}


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _sheet_part(book: zipfile.ZipFile, sheet: str) -> str | None:
    """The zip member holding ``sheet``: workbook.xml names it, its relations say where."""
    workbook = ElementTree.fromstring(book.read("xl/workbook.xml"))
    rid = next(
        (
            el.get(f"{_REL}id")
            for el in workbook.iter()
            if _local(el.tag) == "sheet" and el.get("name") == sheet
        ),
        None,
    )
    if rid is None:
        return None
    relations = ElementTree.fromstring(book.read("xl/_rels/workbook.xml.rels"))
    for rel in relations:
        if rel.get("Id") == rid:
            target = rel.get("Target", "")
            return target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    return None


def _marked(book: zipfile.ZipFile, part: str) -> bool:
    """Whether the sheet's XML holds an error cell's type attribute anywhere."""
    with book.open(part) as stream:
        tail = b""
        while chunk := stream.read(_CHUNK):
            window = tail + chunk
            if any(mark in window for mark in _MARKS):
                return True
            tail = window[-8:]
    return False


def _parse(book: zipfile.ZipFile, part: str) -> dict[tuple[int, int], str]:
    found: dict[tuple[int, int], str] = {}
    with book.open(part) as stream:
        for _event, el in ElementTree.iterparse(stream):
            name = _local(el.tag)
            if name == "c":
                if el.get("t") == "e":
                    where = _index(el.get("r", ""))
                    value = next((v.text for v in el if _local(v.tag) == "v"), None)
                    if where is not None:
                        found[where] = (value or "#N/A").strip()
            elif name == "row":
                el.clear()  # a sheet of 56,000 rows is not kept in memory
    return found


def _index(ref: str) -> tuple[int, int] | None:
    """'B3' → (2, 1)."""
    m = _REF.fullmatch(ref)
    if m is None:
        return None
    column = 0
    for letter in m.group(1):
        column = column * 26 + ord(letter) - ord("A") + 1
    return int(m.group(2)) - 1, column - 1
