"""Streaming .xlsx export: rows go to a temporary file in constant memory, then out."""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Sequence
from typing import Any

import xlsxwriter
from django.http import FileResponse


def xlsx_response(
    filename: str, title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]
) -> FileResponse:
    # Not a context manager: FileResponse closes the file once it has been sent.
    tmp = tempfile.TemporaryFile()  # noqa: SIM115
    book = xlsxwriter.Workbook(
        tmp, {"constant_memory": True, "in_memory": False, "default_date_format": "yyyy-mm-dd"}
    )
    sheet = book.add_worksheet(title[:31])
    bold = book.add_format({"bold": True, "bg_color": "#F3E9E7"})
    text = book.add_format({"num_format": "@"})
    for col, header in enumerate(headers):
        sheet.write_string(0, col, str(header), bold)
        sheet.set_column(col, col, max(10, len(str(header)) * 2 + 2))
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            if value is None or value == "":
                continue
            if isinstance(value, str):
                # Always as text: an ID or phone must never become a number in Excel.
                sheet.write_string(r, c, value, text)
            else:
                sheet.write(r, c, value)
    sheet.freeze_panes(1, 0)
    book.close()
    tmp.seek(0)
    return FileResponse(
        tmp,
        as_attachment=True,
        filename=filename,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
