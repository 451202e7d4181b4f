"""The problem report is the uploaded file's own rows, ID numbers and phones unmasked. The
clerk who uploaded the file takes it back; anyone else in the county needs the permission to
see those fields; every download is audited as an unmasked export, on the page and in the API."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from rest_framework.test import APIClient

from hongxia.core.models import AuditLog
from hongxia.ingest.models import ImportJob
from tests.conftest import HECHENG
from tests.factories import UserFactory
from tests.ingest.ingest_corpus import HEADERS, person_row, write_xlsx

COL = {h: i for i, h in enumerate(HEADERS)}


@pytest.fixture
def job(clerk: Any, tmp_path: Path) -> ImportJob:
    rows = [person_row(1, name="张三丰"), person_row(2, name="李建国")]
    rows[1][COL["性别"]] = "未知"
    path = write_xlsx(tmp_path / "roster.xlsx", rows)
    client = Client()
    client.force_login(clerk)
    response = client.post("/import/", {"file": SimpleUploadedFile("花名册.xlsx",
                                                                    path.read_bytes())})
    assert response.status_code == 302
    checked = ImportJob.objects.get()
    assert checked.problems, "the second row is refused, so there is a report to take"
    return checked


def _web(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _api(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _exports() -> list[str]:
    return list(AuditLog.objects.filter(action=AuditLog.Action.EXPORT)
                .values_list("actor_name", flat=True))


def test_the_uploader_takes_the_report_back_unmasked_and_audited(
        job: ImportJob, clerk: Any) -> None:
    page = _web(clerk).get(f"/import/{job.pk}/").content.decode()
    assert f"/import/{job.pk}/report.xlsx" in page
    response = _web(clerk).get(f"/import/{job.pk}/report.xlsx")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = list(book.active.iter_rows(values_only=True))
    refused = next(r for r in rows if r and "李建国" in r)
    assert person_row(2, name="李建国")[COL["公民身份号码"]] in refused, "the ID as uploaded"
    log = AuditLog.objects.get(action=AuditLog.Action.EXPORT)
    assert log.actor_id == clerk.pk and log.region_id == HECHENG
    assert log.note == f"import problem report, unmasked: job {job.pk} 花名册.xlsx"

    api = _api(clerk)
    assert api.get(f"/api/import/jobs/{job.pk}").json()["report"]
    assert api.get(f"/api/import/jobs/{job.pk}/report").status_code == 200
    assert AuditLog.objects.filter(action=AuditLog.Action.EXPORT).count() == 2


def test_another_clerk_of_the_county_without_the_permission_is_refused(
        job: ImportJob) -> None:
    colleague = UserFactory(username="clerk_hc2", role="county_clerk", region_id=HECHENG)
    assert not colleague.has_perm("people.view_sensitive")
    page = _web(colleague).get(f"/import/{job.pk}/")
    assert page.status_code == 200, "the colleague still sees the job and its problems"
    assert f"/import/{job.pk}/report.xlsx" not in page.content.decode()
    assert _web(colleague).get(f"/import/{job.pk}/report.xlsx").status_code == 403

    api = _api(colleague)
    assert api.get(f"/api/import/jobs/{job.pk}").json()["report"] is None
    refused = api.get(f"/api/import/jobs/{job.pk}/report", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert refused.status_code == 403
    assert refused.json()["message"] == (
        "问题报告含文件中未遮盖的身份证号码和电话：只有上传文件的人，或有权查看它们的人，才能下载。")
    assert _exports() == []


def test_someone_who_may_see_the_fields_takes_it_and_is_audited(
        job: ImportJob, city_admin: Any) -> None:
    assert _web(city_admin).get(f"/import/{job.pk}/report.xlsx").status_code == 200
    assert _api(city_admin).get(f"/api/import/jobs/{job.pk}/report").status_code == 200
    assert AuditLog.objects.filter(action=AuditLog.Action.EXPORT,
                                   actor=city_admin).count() == 2
