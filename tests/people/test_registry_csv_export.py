"""The registry page's CSV exports: UTF-8 with a BOM for Excel, or GBK for older systems, of
the list as filtered; masked per permission like the Excel export, and audited."""

from __future__ import annotations

import csv
import html
import io
import re
from pathlib import Path
from typing import Any

import openpyxl
from django.test import Client
from tests.conftest import HECHENG, YUANLING
from tests.factories import PersonFactory

from hongxia.core.models import AuditLog


def _links(client: Client, query: str) -> dict[str, str]:
    page = client.get(f"/people/?{query}").content.decode()
    return {label: html.unescape(href) for href, label in
            re.findall(r'<a class="btn" href="([^"]*export[^"]*)"[^>]*>([^<]+)</a>', page)}


def _rows(body: bytes, encoding: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode(encoding))))


def test_a_clerk_takes_the_filtered_list_as_gbk_masked(clerk: Any) -> None:
    zeng = PersonFactory(name="曾国华", region_id=HECHENG, phone="13912345678")
    PersonFactory(name="王秀英", region_id=HECHENG)
    PersonFactory(name="沅陵人", region_id=YUANLING)
    client = Client()
    client.force_login(clerk)
    links = _links(client, "q=zgh")
    assert set(links) >= {"导出 Excel", "导出 CSV", "导出 CSV（GBK）"}, links
    assert "unmasked" not in links["导出 CSV（GBK）"]
    response = client.get(links["导出 CSV（GBK）"])
    body = b"".join(response.streaming_content)
    assert not body.startswith(b"\xef\xbb\xbf"), "GBK has no BOM"
    rows = _rows(body, "gbk")
    assert [r[rows[0].index("姓名")] for r in rows[1:]] == ["曾国华"], "the list as filtered"
    line = rows[1]
    assert zeng.id_masked in line and zeng.id_number not in line
    assert "139****5678" in line and "13912345678" not in line
    log = AuditLog.objects.get(action=AuditLog.Action.EXPORT)
    assert "csv" in log.note and "unmasked" not in log.note

    utf8 = b"".join(client.get(links["导出 CSV"]).streaming_content)
    assert utf8.startswith(b"\xef\xbb\xbf"), "Excel opens UTF-8 with a BOM as Chinese"
    assert _rows(utf8, "utf-8-sig")[1:] == rows[1:]


def test_someone_who_may_see_numbers_takes_them_unmasked_and_audited(city_admin: Any) -> None:
    zeng = PersonFactory(name="曾国华", region_id=HECHENG, phone="13912345678")
    client = Client()
    client.force_login(city_admin)
    links = _links(client, "q=zgh")
    body = b"".join(client.get(links["导出 CSV（GBK）"]).streaming_content)
    line = _rows(body, "gbk")[1]
    assert zeng.id_number in line and "13912345678" in line
    assert "unmasked" in AuditLog.objects.get(action=AuditLog.Action.EXPORT).note


def test_the_excel_button_gives_the_roster_the_import_reads_back(
    city_admin: Any, tmp_path: Path
) -> None:
    """It gave the list's 14 columns (地区 as 鹤城区 · 城南街道, English in the English UI),
    which the importer refused: 无法识别的列“地区”, 缺少区划."""
    from hongxia.ingest import exports, services
    from hongxia.people.models import Person

    PersonFactory(name="曾国华", region_id=HECHENG, address="=1+1", notes="耳背")
    PersonFactory(name="王秀英", region_id=HECHENG)
    client = Client()
    client.force_login(city_admin)
    client.cookies["django_language"] = "en"
    links = _links(client, "q=zgh")
    response = client.get(links["Export to Excel"])
    body = b"".join(response.streaming_content)
    rows = list(openpyxl.load_workbook(io.BytesIO(body)).active.iter_rows(values_only=True))
    assert rows[0] == tuple(exports.headers()), "the roster's columns, in any UI language"
    assert [r[0] for r in rows[1:]] == ["曾国华"], "the list as filtered"
    before = Person.objects.values().get(name="曾国华")
    log = AuditLog.objects.get(action=AuditLog.Action.EXPORT)
    assert "xlsx" in log.note and "unmasked" in log.note

    path = tmp_path / "exported.xlsx"
    path.write_bytes(body)
    Person.objects.filter(name="曾国华").delete()
    result = services.roster_import(actor=city_admin, path=path)
    assert (result.created, result.rejected) == (1, 0), [p.message for p in result.problems]
    after = Person.objects.values().get(name="曾国华")
    assert {k: v for k, v in after.items() if k not in {"id", "created_at", "updated_at"}} == {
        k: v for k, v in before.items() if k not in {"id", "created_at", "updated_at"}
    }
