"""Reading an uploaded list of people and amounts (.xlsx or .csv) into rows of text."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        # Excel keeps long ID numbers as floats: refuse them rather than round.
        if value.is_integer() and abs(value) >= 1e15:
            raise ValidationError(
                _("An ID number was stored as a number; format the column as text.")
            )
        return repr(value) if not value.is_integer() else str(int(value))
    return str(value).strip()


def read_rows(filename: str, data: IO[bytes]) -> Iterator[dict[str, str]]:
    """Rows as {header: text}; the first row names the columns."""
    name = filename.lower()
    if name.endswith(".xlsx"):
        import openpyxl

        try:
            book = openpyxl.load_workbook(data, read_only=True, data_only=True)
            rows = iter(list(book.active.iter_rows(values_only=True)))
        except Exception as exc:  # openpyxl raises zip, XML and its own errors for a bad file
            raise ValidationError(_("The file cannot be read as an .xlsx workbook.")) from exc
        header = [_text(h) for h in next(rows, ())]
        for row in rows:
            if any(v not in (None, "") for v in row):
                yield {h: _text(v) for h, v in zip(header, row, strict=False) if h}
        return
    if name.endswith(".csv"):
        raw = data.read()
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = raw.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise ValidationError(_("The file is neither UTF-8 nor GB18030 text."))
        for row in csv.DictReader(io.StringIO(text)):
            yield {(k or "").strip(): (v or "").strip() for k, v in row.items()}
        return
    raise ValidationError(_("Upload an .xlsx or .csv file."))
