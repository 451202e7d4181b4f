"""The import and export API: upload → job with preview and problems → confirm → status →
problem report; the roster export with the registry's filters, masked per permission."""

from __future__ import annotations

import csv
import datetime
import io
from pathlib import Path
from typing import Any

import openpyxl
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from hongxia.core import idcard
from hongxia.core.models import AuditLog
from hongxia.ingest import jobs, services
from hongxia.ingest.models import ImportJob, MergeCandidate
from hongxia.people.models import Person
from tests.factories import PersonFactory, UserFactory
from tests.ingest.ingest_corpus import HEADERS, csv_bytes, person_row, write_xlsx

COL = {h: i for i, h in enumerate(HEADERS)}
JOBS = "/api/import/jobs"
EXPORT = "/api/import/export"


def _api(user: Any) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def _error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) <= {"message", "errors"} and body["message"]
    return body


def _upload(client: APIClient, tmp_path: Path, rows: list[list[Any]], **extra: Any) -> Any:
    path = write_xlsx(tmp_path / "roster.xlsx", rows)
    upload = SimpleUploadedFile("花名册.xlsx", path.read_bytes())
    return client.post(JOBS, {"file": upload, **extra}, format="multipart")


def test_upload_preview_confirm_status(clerk: Any, tmp_path: Path) -> None:
    client = _api(clerk)
    rows = [person_row(1, name="张三丰"), person_row(2, name="李建国")]
    rows[1][COL["性别"]] = "未知"
    response = _upload(client, tmp_path, rows)
    assert response.status_code == 202, response.content
    job = response.json()
    assert response["Location"] == job["url"]
    # Checked (inline in tests): a preview, every problem with row and column, nothing written.
    assert job["status"] == "previewed" and job["can_confirm"] is True
    assert job["summary"]["created"] == 1 and job["summary"]["rejected"] == 1
    assert {"row": 6, "column": "性别", "severity": "error"}.items() <= job["problems"][0].items()
    assert "未知" in job["problems"][0]["message"]
    assert job["report"].endswith(f"/api/import/jobs/{job['id']}/report")
    assert Person.objects.count() == 0
    confirmed = client.post(f"{JOBS}/{job['id']}/confirm")
    assert confirmed.status_code == 202, confirmed.content
    status = client.get(f"{JOBS}/{job['id']}").json()
    assert status["status"] == "done" and status["stage"] == "import"
    assert (status["processed"], status["total"], status["percent"]) == (8, 8, 100)
    assert status["summary"]["created"] == 1 and status["can_confirm"] is False
    assert list(Person.objects.values_list("name", flat=True)) == ["张三丰"]
    again = client.post(f"{JOBS}/{job['id']}/confirm")
    assert _error(again, 400)["message"] == "该导入不在等待确认。"


def test_job_list_shows_own_region_only(clerk: Any, other_clerk: Any, tmp_path: Path) -> None:
    _upload(_api(clerk), tmp_path, [person_row(1)])
    mine = _api(clerk).get(JOBS).json()
    assert [j["filename"] for j in mine["results"]] == ["花名册.xlsx"] and mine["count"] == 1
    assert _api(other_clerk).get(JOBS).json()["results"] == []
    job = ImportJob.objects.get()
    _error(_api(other_clerk).get(f"{JOBS}/{job.pk}"), 404)
    _error(_api(other_clerk).post(f"{JOBS}/{job.pk}/confirm"), 404)
    _error(_api(other_clerk).get(f"{JOBS}/{job.pk}/report"), 404)


def test_the_job_list_leaves_the_problems_to_the_job(clerk: Any, tmp_path: Path) -> None:
    """A file wrong in one column of every row has as many problems as rows: a page of such
    jobs in the list ran to a hundred megabytes. The list says whether there are any (the
    report link); the job itself lists them."""
    client = _api(clerk)
    rows = [person_row(1), person_row(2, name="李建国", gender="未知")]
    bad = _upload(client, tmp_path, rows).json()
    good = _upload(client, tmp_path, [person_row(3, name="曾国华")]).json()
    with CaptureQueriesContext(connection) as queries:
        listed = {j["id"]: j for j in client.get(JOBS).json()["results"]}
    selects = [q["sql"] for q in queries.captured_queries if "ingest_importjob" in q["sql"]]
    assert selects and not any("problems" in sql.split(" FROM ")[0] for sql in selects)
    assert listed[bad["id"]]["problems"] is None and listed[bad["id"]]["report"] == bad["report"]
    assert listed[good["id"]]["report"] is None and good["problems"] == []
    # A job not yet checked (or whose check failed) has no summary and no report either.
    fresh = ImportJob.objects.create(region_id="431202", user=clerk, filename="新.xlsx")
    listed = {j["id"]: j for j in client.get(JOBS).json()["results"]}
    assert listed[fresh.pk]["report"] is None
    assert client.get(bad["url"]).json()["problems"] == bad["problems"] != []


def test_an_interrupted_job_is_started_again(clerk: Any, city_admin: Any, tmp_path: Path) -> None:
    client = _api(clerk)
    job = _upload(client, tmp_path, [person_row(1)]).json()
    # The import's thread died with its server process after the confirmation.
    long_ago = timezone.now() - jobs.stale_after() - datetime.timedelta(minutes=1)
    ImportJob.objects.filter(pk=job["id"]).update(
        status="running", heartbeat=long_ago, options={"stage": "import"}
    )
    seen = client.get(job["url"]).json()
    assert (seen["status"], seen["can_restart"]) == ("interrupted", True)
    assert _api(city_admin).get(job["url"]).json()["can_restart"] is False
    _error(_api(city_admin).post(f"{JOBS}/{job['id']}/restart"), 403)
    restarted = client.post(f"{JOBS}/{job['id']}/restart")
    assert restarted.status_code == 202, restarted.content
    assert client.get(job["url"]).json()["status"] == "done"
    assert Person.objects.count() == 1
    assert _error(client.post(f"{JOBS}/{job['id']}/restart"), 400)["message"] == "该导入并未中断。"


def test_only_the_uploader_confirms(clerk: Any, city_admin: Any, tmp_path: Path) -> None:
    job = _upload(_api(clerk), tmp_path, [person_row(1)]).json()
    _error(_api(city_admin).post(f"{JOBS}/{job['id']}/confirm"), 403)
    assert Person.objects.count() == 0


def test_all_or_nothing_with_refused_rows_cannot_be_confirmed(clerk: Any, tmp_path: Path) -> None:
    client = _api(clerk)
    rows = [person_row(1), person_row(2, name="李建国", category="临时工")]
    job = _upload(client, tmp_path, rows, all_or_nothing="true").json()
    assert job["all_or_nothing"] is True and job["can_confirm"] is False
    body = _error(client.post(f"{JOBS}/{job['id']}/confirm"), 400)
    assert "全部导入或全不导入" in body["message"]
    assert Person.objects.count() == 0


def test_upload_errors_are_field_errors(clerk: Any) -> None:
    client = _api(clerk)
    wrong = SimpleUploadedFile("notes.docx", b"PK\x03\x04")
    body = _error(client.post(JOBS, {"file": wrong}, format="multipart"), 400)
    assert body["errors"]["file"] == ["只能导入 .xlsx、.xls、.ods 和 .csv 文件。"]
    _error(client.post(JOBS, {}, format="multipart"), 400)
    upload = SimpleUploadedFile("r.csv", csv_bytes([person_row(1)], "gbk"))
    outside = client.post(JOBS, {"file": upload, "region": "431222"}, format="multipart")
    assert "region" in _error(outside, 400)["errors"]
    assert ImportJob.objects.count() == 0
    _error(_api(None).get(JOBS), 401)


def test_problem_report_download(clerk: Any, tmp_path: Path) -> None:
    client = _api(clerk)
    rows = [person_row(1, name="张三丰")]
    rows[0][COL["出生年月"]] = "不详"
    job = _upload(client, tmp_path, rows).json()
    response = client.get(job["report"])
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert sheet.cell(5, 2).value == "张三丰"
    assert "不详" in str(sheet.cell(5, sheet.max_column).value)
    Path(ImportJob.objects.get().path).unlink()
    _error(client.get(job["report"]), 410)


def _people() -> tuple[Person, Person, Person]:
    born = datetime.date(1938, 5, 1)
    return (
        PersonFactory(region_id="431202", name="张三丰", category="tuixiu", birth_date=born),
        PersonFactory(region_id="431202", name="曾国华", category="lixiu", birth_date=born),
        PersonFactory(region_id="431222", name="沅陵人", category="tuixiu", birth_date=born),
    )


def _xlsx_rows(response: Any) -> list[tuple[Any, ...]]:
    assert response.status_code == 200, response.content
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return list(book.active.iter_rows(values_only=True))


def test_export_is_masked_filtered_and_scoped(clerk: Any) -> None:
    zhang, _lixiu, _other = _people()
    rows = _xlsx_rows(_api(clerk).get(EXPORT, {"category": "tuixiu"}))
    header, body = rows[0], rows[1:]
    names = [r[header.index("姓名")] for r in body]
    assert names == ["张三丰"]  # the filter applied; the other county's 沅陵人 never shows
    assert body[0][header.index("身份证号")] == zhang.id_masked
    assert "*" in zhang.id_masked
    note = AuditLog.objects.filter(action="export").latest("id").note
    assert note.startswith("roster xlsx 1 rows API") and "unmasked" not in note


def test_unmasked_export_needs_the_permission_and_is_audited(clerk: Any, city_admin: Any) -> None:
    zhang, _lixiu, _other = _people()
    body = _error(_api(clerk).get(EXPORT, {"unmasked": "true"}), 403)
    assert body["message"] == "您无权查看未遮盖的身份证号码和电话。"
    response = _api(city_admin).get(
        EXPORT, {"unmasked": "true", "format": "csv", "encoding": "gbk", "region": "431202"}
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=gbk"
    text = b"".join(response.streaming_content).decode("gb18030")
    table = list(csv.reader(io.StringIO(text)))
    ids = {r[table[0].index("姓名")]: r[table[0].index("身份证号")] for r in table[1:]}
    assert ids == {"张三丰": zhang.id_number, "曾国华": ids["曾国华"]}
    assert idcard.parse(ids["曾国华"])
    event = AuditLog.objects.filter(action="export").latest("id")
    assert event.actor_id == city_admin.pk and "unmasked" in event.note


def test_export_refuses_unknown_format_and_filters(clerk: Any) -> None:
    assert "format" in _error(_api(clerk).get(EXPORT, {"format": "pdf"}), 400)["errors"]
    assert "category" in _error(_api(clerk).get(EXPORT, {"category": "x"}), 400)["errors"]


def test_openapi_document_has_the_import_and_export_endpoints() -> None:
    doc = APIClient().get("/api/openapi.json", HTTP_ACCEPT="application/json").json()
    paths = doc["paths"]
    assert {p for p in paths if p.startswith("/api/import/")} == {
        "/api/import/jobs",
        "/api/import/jobs/{id}",
        "/api/import/jobs/{id}/confirm",
        "/api/import/jobs/{id}/restart",
        "/api/import/jobs/{id}/report",
        "/api/import/export",
        "/api/import/template",
        "/api/import/duplicates",
        "/api/import/duplicates/{id}",
        "/api/import/duplicates/{id}/decide",
    }
    assert set(paths["/api/import/jobs"]) == {"get", "post"}
    assert "multipart/form-data" in paths["/api/import/jobs"]["post"]["requestBody"]["content"]
    params = {p["name"] for p in paths["/api/import/export"]["get"]["parameters"]}
    assert {"q", "region", "category", "format", "encoding", "unmasked"} <= params
    error = paths["/api/import/jobs/{id}/report"]["get"]["responses"]["410"]
    assert error["content"]["application/json"]["schema"]["$ref"] == "#/components/schemas/Error"


def test_upload_with_a_mapping_file(clerk: Any, tmp_path: Path) -> None:
    headers = ["人员", "性别", "民族", "证件", "生辰", "人员性质", *HEADERS[7:]]
    path = write_xlsx(tmp_path / "odd.xlsx", [person_row(1, name="欧阳明")[1:]], headers=headers)
    mapping = '{"人员": "name", "证件": "id_number", "生辰": "birth_date", "人员性质": "category"}'
    response = _api(clerk).post(
        JOBS,
        {
            "file": SimpleUploadedFile("odd.xlsx", path.read_bytes()),
            "mapping": SimpleUploadedFile("m.json", mapping.encode("utf-8")),
        },
        format="multipart",
    )
    assert response.status_code == 202, response.content
    assert response.json()["summary"]["created"] == 1
    refused = _api(clerk).post(
        JOBS,
        {
            "file": SimpleUploadedFile("odd.xlsx", path.read_bytes()),
            "mapping": SimpleUploadedFile("m.json", b"[1, 2"),
        },
        format="multipart",
    )
    assert _error(refused, 400)["errors"]["mapping"][0].startswith("列映射文件不是有效的 JSON")


DUPLICATES = "/api/import/duplicates"


def _held(clerk: Any, tmp_path: Path) -> tuple[Person, str]:
    """王秀英, registered without an ID, and a roster row with hers, held in 待合并."""
    earlier = PersonFactory(region_id="431202", name="王秀英", gender="F",
                            birth_date=datetime.date(1938, 5, 1), id_number="", phone="")
    cells = person_row(1, name="王秀英", gender="女", phone="13912345678")
    path = write_xlsx(tmp_path / "r.xlsx", [cells])
    assert services.roster_import(actor=clerk, path=path).queued == 1
    return earlier, cells[COL["公民身份号码"]]


def test_the_merge_queue_is_read_and_decided_through_the_api(clerk: Any, tmp_path: Path) -> None:
    earlier, number = _held(clerk, tmp_path)
    client = _api(clerk)
    page = client.get(DUPLICATES, {"status": "pending", "q": "wxy"}).json()
    [listed] = page["results"]
    assert (listed["name"], listed["person"]["id"], listed["status"]) == (
        "王秀英", earlier.pk, "pending")
    assert listed["compared"] is None  # on the row itself: a list page stays light
    held = client.get(listed["url"]).json()
    assert held == {**listed, "compared": held["compared"]}
    compared = {c["field"]: c for c in held["compared"]}
    assert compared["id_number"]["row"] == "4312**********" + number[-4:]
    assert compared["id_number"]["differs"] is True and compared["name"]["differs"] is False
    assert number not in str(held) and "13912345678" not in str(held)

    decide = held["url"] + "/decide"
    assert "decision" in _error(client.post(decide, {"decision": "maybe"}, format="json"), 400)[
        "errors"]
    response = client.post(decide, {"decision": "merged"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "merged" and response.json()["decided_by"] == "clerk_hc"
    assert response.json()["warnings"] == []
    earlier.refresh_from_db()
    assert earlier.id_number == number and earlier.phone == "13912345678"
    again = client.post(decide, {"decision": "separate"}, format="json")
    assert _error(again, 400)["errors"] == {"decision": ["该行已经处理过。"]}
    assert Person.objects.count() == 1
    assert client.get(DUPLICATES, {"status": "pending"}).json()["results"] == []


def test_the_merge_queue_api_keeps_to_the_callers_county(
    clerk: Any, other_clerk: Any, leader: Any, tmp_path: Path
) -> None:
    _held(clerk, tmp_path)
    held = MergeCandidate.objects.get()
    assert _api(other_clerk).get(DUPLICATES).json()["results"] == []
    assert _api(other_clerk).get(f"{DUPLICATES}/{held.pk}").status_code == 404
    decide = f"{DUPLICATES}/{held.pk}/decide"
    refused = _api(other_clerk).post(decide, {"decision": "dismissed"}, format="json")
    assert refused.status_code == 404
    assert _api(leader).get(DUPLICATES).status_code == 403
    held.refresh_from_db()
    assert held.status == "pending"


def test_the_roster_template_through_the_api(clerk: Any, leader: Any) -> None:
    response = _api(clerk).get("/api/import/template")
    assert response.status_code == 200
    assert response["Content-Type"].endswith("spreadsheetml.sheet")
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames[0] == "花名册" and book["花名册"]["A1"].value == "姓名"
    _error(_api(leader).get("/api/import/template"), 403)


def test_a_jobs_cells_are_shown_only_to_who_may_take_its_report(
    clerk: Any, tmp_path: Path
) -> None:
    """A problem's value is the cell as read: an ID number, a phone. The job is seen by the
    county's other clerks, who may not see them; the uploader has the file anyway."""
    colleague = UserFactory(username="clerk_hc2", role="county_clerk", region_id="431202")
    rows = [person_row(1, name="张三丰"), person_row(2, name="李建国")]
    rows[1][COL["公民身份号码"]] = rows[1][COL["公民身份号码"]][:-1] + "0"  # a wrong check digit
    job = _upload(_api(clerk), tmp_path, rows).json()
    mine = [p["value"] for p in _api(clerk).get(job["url"]).json()["problems"]]
    theirs = [p["value"] for p in _api(colleague).get(job["url"]).json()["problems"]]
    assert rows[1][COL["公民身份号码"]] in mine
    assert theirs == [""] * len(mine)
