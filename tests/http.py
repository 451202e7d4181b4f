"""What a logged-in user's browser gets: a client, and the rows of a downloaded spreadsheet."""

from __future__ import annotations

import io
from typing import Any

import openpyxl
from django.test import Client

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def logged_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def xlsx_rows(response: Any) -> list[tuple[Any, ...]]:
    """The rows of a downloaded .xlsx, header first, as a user opening the file reads them."""
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return list(openpyxl.load_workbook(io.BytesIO(body)).active.iter_rows(values_only=True))
