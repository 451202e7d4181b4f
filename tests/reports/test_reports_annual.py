"""The annual summary: JSON, .xlsx and PDF carry the same numbers; a clerk sees their county."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from pypdf import PdfReader

from hongxia.core.models import Region
from hongxia.reports import exports, registry, selectors
from tests.conftest import HECHENG, YUANLING
from tests.reports.conftest import grant


def _command(*args: str) -> str:
    out = io.StringIO()
    call_command("report_annual", *args, stdout=out)
    return out.getvalue()


def _xlsx_values(body: bytes) -> dict[str, tuple[Any, Any]]:
    book = openpyxl.load_workbook(io.BytesIO(body), read_only=True)
    found: dict[str, tuple[Any, Any]] = {}
    for sheet in book:
        for row in sheet.iter_rows(min_row=5, values_only=True):
            if row and len(row) > 3 and row[1]:
                found[str(row[1])] = (row[3], row[4])
    return found


def _pdf_text(body: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(body)).pages)


def test_command_json_has_the_agreed_shape(registry_world: Any) -> None:
    year = timezone.localdate().year
    data = json.loads(_command("--year", str(year), "--region", HECHENG))
    assert data["region"] == HECHENG and data["year"] == year
    assert {tuple(sorted(i)) for i in data["indicators"]} == {
        ("key", "label", "line", "previous", "unit", "value")}
    by_key = {i["key"]: i for i in data["indicators"]}
    assert set(by_key) == {i.key for i in registry.all_indicators()}
    period = registry.Period.year(year)
    for ind in registry.all_indicators():
        assert by_key[ind.key]["value"] == ind.value(HECHENG, period)
        assert by_key[ind.key]["previous"] == ind.value(HECHENG, period.previous_year())


def test_xlsx_and_pdf_carry_the_numbers_of_the_json(registry_world: Any, tmp_path: Path) -> None:
    year = timezone.localdate().year
    data = json.loads(_command("--year", str(year), "--region", HECHENG))
    xlsx, pdf = tmp_path / "a.xlsx", tmp_path / "a.pdf"
    _command("--year", str(year), "--region", HECHENG, "--format", "xlsx", "--output", str(xlsx))
    _command("--year", str(year), "--region", HECHENG, "--format", "pdf", "--output", str(pdf))

    sheets = openpyxl.load_workbook(xlsx, read_only=True).sheetnames
    assert sheets == [registry.LINES[line][0] for line in registry.LINES
                      if any(i["line"] == line for i in data["indicators"])]
    values = _xlsx_values(xlsx.read_bytes())
    for item in data["indicators"]:
        assert values[item["key"]] == (item["value"], item["previous"])

    text = _pdf_text(pdf.read_bytes())
    assert "鹤城区" in text and "年度工作综述" in text
    # Each table cell comes out on its own line: label, unit, this year, last year, change.
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    for item in data["indicators"]:
        assert item["label"] in lines, f"{item['label']} not in the PDF"
        at = lines.index(item["label"])
        assert lines[at + 1] == item["unit"]
        shown = [int(n.replace(",", "")) for n in lines[at + 2:at + 4]]
        assert shown == [item["value"], item["previous"]], lines[at:at + 5]


def test_a_county_clerks_summary_covers_only_their_county(
    registry_world: Any, clerk: Any, other_clerk: Any
) -> None:
    grant(clerk)
    year = timezone.localdate().year
    client = Client()
    client.force_login(clerk)
    page = client.get("/reports/annual/", {"year": year})
    assert page.status_code == 200
    summary = page.context["summary"]
    assert summary.region == HECHENG
    mine = selectors.annual_summary(region=Region.objects.get(code=HECHENG), year=year)
    assert summary.as_json() == mine.as_json()
    theirs = selectors.annual_summary(region=Region.objects.get(code=YUANLING), year=year)
    assert mine.as_json()["indicators"] != theirs.as_json()["indicators"]
    # Asking for another county or the whole city is refused like a missing region.
    assert client.get("/reports/annual/", {"region": YUANLING}).status_code == 404
    assert client.get("/reports/annual/", {"region": "431200"}).status_code == 404
    assert client.get("/reports/annual/export.xlsx", {"region": YUANLING}).status_code == 404
    body = client.get("/reports/annual/export.xlsx").content
    assert _xlsx_values(body)["people.cadres"][0] == mine.as_json()["indicators"][0]["value"]


def test_annual_pdf_over_http_is_chinese_text(registry_world: Any, city_admin: Any) -> None:
    grant(city_admin)
    client = Client()
    client.force_login(city_admin)
    response = client.get("/reports/annual/export.pdf", {"year": timezone.localdate().year})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = _pdf_text(response.content)
    assert "怀化市" in text and "离退休干部" in text


def test_pdf_escapes_markup_in_notes() -> None:
    summary = selectors.Summary(region="431202", region_name="鹤城区<&>", year=2025, figures=[])
    assert _pdf_text(exports.annual_pdf(summary)).startswith("鹤城区<&>")


@pytest.mark.parametrize("fmt", ["json", "xlsx", "pdf"])
def test_command_without_region_uses_the_root(fmt: str, registry_world: Any,
                                              tmp_path: Path) -> None:
    out = tmp_path / f"r.{fmt}"
    _command("--year", "2025", "--format", fmt, "--output", str(out))
    assert out.stat().st_size > 100
