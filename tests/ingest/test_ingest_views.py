"""The web import: upload → preview with every problem → confirm → progress → result; the
report download, the merge queue and the export from the list pages."""

from __future__ import annotations

import datetime
import io
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from hongxia.ingest import jobs, services
from hongxia.ingest.models import ImportJob, MergeCandidate
from hongxia.people.models import Person
from tests.factories import PersonFactory, UserFactory
from tests.ingest.ingest_corpus import HEADERS, csv_bytes, person_row, write_xlsx

COL = {h: i for i, h in enumerate(HEADERS)}


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _upload(client: Client, tmp_path: Path, rows: list[list[Any]], **extra: Any) -> ImportJob:
    path = write_xlsx(tmp_path / "roster.xlsx", rows)
    upload = SimpleUploadedFile("花名册.xlsx", path.read_bytes())
    response = client.post(reverse("ingest:jobs"), {"file": upload, **extra})
    assert response.status_code == 302, response.content.decode()[:2000]
    return ImportJob.objects.latest("id")


def test_upload_preview_confirm_result(clerk: Any, tmp_path: Path) -> None:
    client = _client(clerk)
    rows = [person_row(1, name="张三丰"), person_row(2, name="李建国")]
    rows[1][COL["性别"]] = "未知"
    job = _upload(client, tmp_path, rows)
    # The check ran (inline in tests, a thread in production): nothing written yet.
    assert job.status == "previewed" and Person.objects.count() == 0
    page = client.get(reverse("ingest:job", args=[job.pk])).content.decode()
    assert "无法识别的值“未知”" in page and "导入无误的行" in page
    assert job.summary["created"] == 1 and job.summary["rejected"] == 1
    response = client.post(reverse("ingest:confirm", args=[job.pk]))
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == "done" and job.summary["created"] == 1
    assert list(Person.objects.values_list("name", flat=True)) == ["张三丰"]


def test_progress_fragment_polls_while_running(clerk: Any) -> None:
    job = ImportJob.objects.create(
        region_id="431202",
        user=clerk,
        filename="x.xlsx",
        status="running",
        total=200,
        processed=50,
        options={"stage": "import"},
    )
    fragment = _client(clerk).get(reverse("ingest:job", args=[job.pk]), {"partial": "1"})
    html = fragment.content.decode()
    assert 'hx-trigger="every 1s"' in html and 'value="25"' in html
    assert "<html" not in html


def test_problem_report_download(clerk: Any, tmp_path: Path) -> None:
    client = _client(clerk)
    rows = [person_row(1, name="张三丰")]
    rows[0][COL["出生年月"]] = "不详"
    job = _upload(client, tmp_path, rows)
    response = client.get(reverse("ingest:report", args=[job.pk]))
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = book.active
    assert sheet.cell(5, 2).value == "张三丰"
    assert "出生年月" in sheet.cell(5, len(HEADERS) + 1).value


def test_all_or_nothing_cannot_be_confirmed_with_errors(clerk: Any, tmp_path: Path) -> None:
    client = _client(clerk)
    rows = [person_row(1), person_row(2, name="李建国", category="临时工")]
    job = _upload(client, tmp_path, rows, all_or_nothing="on")
    page = client.get(reverse("ingest:job", args=[job.pk])).content.decode()
    assert "导入无误的行" not in page


def test_a_file_that_is_not_a_roster(clerk: Any) -> None:
    client = _client(clerk)
    upload = SimpleUploadedFile("notes.docx", b"PK\x03\x04")
    response = client.post(reverse("ingest:jobs"), {"file": upload})
    assert response.status_code == 200
    assert ImportJob.objects.count() == 0


def test_csv_upload_in_gbk(clerk: Any) -> None:
    client = _client(clerk)
    upload = SimpleUploadedFile("r.csv", csv_bytes([person_row(1, name="曾国华")], "gbk"))
    client.post(reverse("ingest:jobs"), {"file": upload})
    job = ImportJob.objects.get()
    assert job.summary["encoding"] == "gbk"
    client.post(reverse("ingest:confirm", args=[job.pk]))
    assert Person.objects.get().name == "曾国华"


def test_another_clerk_cannot_confirm(clerk: Any, city_admin: Any, tmp_path: Path) -> None:
    job = _upload(_client(clerk), tmp_path, [person_row(1)])
    _client(city_admin).post(reverse("ingest:confirm", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == "previewed" and Person.objects.count() == 0


def test_merge_queue_page_and_decision(clerk: Any) -> None:
    person = PersonFactory(region_id="431202", name="王秀英", birth_date=datetime.date(1938, 5, 1))
    candidate = MergeCandidate.objects.create(
        region_id="431202",
        person=person,
        name="王秀英",
        row_number=7,
        data={
            "name": "王秀英",
            "birth_date": "1938-05-01",
            "region": "431202",
            "category": "tuixiu",
            "gender": "F",
        },
    )
    client = _client(clerk)
    assert "王秀英" in client.get(reverse("ingest:duplicates")).content.decode()
    client.post(reverse("ingest:decide", args=[candidate.pk]), {"decision": "dismissed"})
    candidate.refresh_from_db()
    assert candidate.status == "dismissed" and candidate.resolved_by == clerk
    assert Person.objects.count() == 1


def test_export_from_the_list_filters_and_masks(clerk: Any) -> None:
    PersonFactory(region_id="431202", name="张三丰", category="lixiu")
    PersonFactory(region_id="431202", name="李建国", category="tuixiu")
    client = _client(clerk)
    response = client.get(reverse("ingest:export"), {"category": "lixiu"})
    rows = list(
        openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.iter_rows(
            values_only=True
        )
    )
    assert [r[0] for r in rows[1:]] == ["张三丰"] and "*" in rows[1][3]
    assert client.get(reverse("ingest:export"), {"unmasked": "1"}).status_code == 403
    csv_response = client.get(reverse("ingest:export"), {"format": "csv", "encoding": "gbk"})
    text = b"".join(csv_response.streaming_content).decode("gbk")
    assert "张三丰" in text and "李建国" in text


def test_pages_need_the_permission(leader: Any) -> None:
    client = _client(leader)
    assert client.get(reverse("ingest:jobs")).status_code == 403
    assert client.get(reverse("ingest:export")).status_code == 200


def test_poll_that_sees_the_end_reloads_the_page(clerk: Any) -> None:
    job = ImportJob.objects.create(
        region_id="431202",
        user=clerk,
        filename="x.xlsx",
        status="previewed",
        total=200,
        processed=200,
        summary={"rows": 3, "created": 3},
        options={"stage": "check"},
    )
    url = reverse("ingest:job", args=[job.pk])
    client = _client(clerk)
    running = ImportJob.objects.filter(pk=job.pk)
    running.update(status="running", processed=120)  # as the worker running the stage does
    fragment = client.get(url, {"partial": "1"}, headers={"HX-Request": "true"})
    assert 'value="60"' in fragment.content.decode() and "HX-Refresh" not in fragment
    running.update(status="previewed", processed=200)
    fragment = client.get(url, {"partial": "1"}, headers={"HX-Request": "true"})
    assert fragment["HX-Refresh"] == "true"


def test_a_stage_leaves_its_final_progress_on_the_job_row(clerk: Any, tmp_path: Path) -> None:
    job = _upload(_client(clerk), tmp_path, [person_row(i) for i in range(1, 4)])
    # Title, note, blank, header, three rows, blank, totals: 9 rows read of 9.
    assert (job.status, job.processed, job.total) == ("previewed", 9, 9)


def _read_elsewhere(job_id: int) -> tuple[int, int]:
    """The job's progress as another worker (another database connection) sees it."""
    other = jobs._side_connection()
    try:
        with other.cursor() as cur:
            cur.execute("SELECT processed, total FROM ingest_importjob WHERE id = %s", [job_id])
            row = cur.fetchone()
    finally:
        other.close()
    return (int(row[0]), int(row[1]))


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite has one writer at a time; the deployment with workers is PostgreSQL",
)
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("mode", ["check", "all_or_nothing"])
def test_progress_is_seen_by_other_workers_while_a_stage_runs(mode: str, tmp_path: Path) -> None:
    clerk = UserFactory(username="clerk_progress", role="county_clerk", region_id="431202")
    job = ImportJob.objects.create(region_id="431202", user=clerk, filename="r.xlsx")
    path = write_xlsx(tmp_path / "r.xlsx", [person_row(i, name="张三丰") for i in range(1, 6)])
    seen: list[tuple[int, int]] = []

    def progress(done: int, total: int) -> None:
        jobs.record_progress(job.pk, done, total)
        seen.append(_read_elsewhere(job.pk))

    services.roster_import(
        actor=clerk,
        path=path,
        dry_run=mode == "check",
        all_or_nothing=mode == "all_or_nothing",
        progress=progress,
        batch_size=2,
    )
    # Batches of 2 rows below a 4-row head: each figure was readable as soon as it was written.
    assert seen == [(6, 11), (8, 11), (11, 11)]


ODD_HEADERS = ["人员", "性别", "民族", "证件", "生辰", "人员性质", *HEADERS[7:]]
ODD_MAPPING = '{"人员": "name", "证件": "id_number", "生辰": "birth_date", "人员性质": "category"}'


def test_a_mapping_file_is_uploaded_with_an_unusual_sheet(clerk: Any, tmp_path: Path) -> None:
    # `hongxia import roster --mapping` had no counterpart on the page.
    client = _client(clerk)
    path = write_xlsx(
        tmp_path / "odd.xlsx", [person_row(1, name="欧阳明")[1:]], headers=ODD_HEADERS
    )
    mapping = SimpleUploadedFile("mapping.json", ODD_MAPPING.encode("utf-8"))
    upload = SimpleUploadedFile("odd.xlsx", path.read_bytes())
    response = client.post(reverse("ingest:jobs"), {"file": upload, "mapping": mapping})
    assert response.status_code == 302, response.content.decode()[:2000]
    job = ImportJob.objects.latest("id")
    assert job.summary["created"] == 1, job.problems
    client.post(reverse("ingest:confirm", args=[job.pk]))
    assert list(Person.objects.values_list("name", flat=True)) == ["欧阳明"]
    bad = SimpleUploadedFile("mapping.json", b'{"\xe4\xba\xba\xe5\x91\x98": "nickname"}')
    upload = SimpleUploadedFile("odd.xlsx", path.read_bytes())
    page = client.post(reverse("ingest:jobs"), {"file": upload, "mapping": bad})
    assert page.status_code == 200 and "列映射中有未知字段：nickname。" in page.content.decode()


def test_a_long_problem_list_is_summed_up_by_column_and_opens_one_group(
    clerk: Any, tmp_path: Path
) -> None:
    """312 rows without a birth date read as 312 lines; the summary says it in one, and opens
    that group alone."""
    col = {h: i for i, h in enumerate(HEADERS)}
    rows = [person_row(i, name=f"张{i}", birth=datetime.date(1940, 1, 1) + datetime.timedelta(i))
            for i in range(1, 14)]
    for row in rows[:12]:
        row[col["性别"]] = "未知"
    rows[12][col["离退休类别"]] = "临时工"
    path = write_xlsx(tmp_path / "r.xlsx", rows)
    client = _client(clerk)
    client.post("/import/", {"file": SimpleUploadedFile("花名册.xlsx", path.read_bytes())})
    job = ImportJob.objects.get()
    page = client.get(f"/import/{job.pk}/")
    groups = page.context["problem_groups"]
    assert [(g["column"], g["severity"], g["count"], g["rows"]) for g in groups] == [
        ("性别", "error", 12, [5, 6, 7, 8, 9]),
        ("离退休类别", "error", 1, [17]),
    ]
    assert "问题概览" in page.content.decode()
    one = client.get(f"/import/{job.pk}/", {"column": "离退休类别", "severity": "error"})
    assert [p["row"] for p in one.context["problems"]] == [17]
    assert len(client.get(f"/import/{job.pk}/").context["problems"]) == 13


def test_the_progress_poll_and_the_list_leave_the_problems_alone(
    clerk: Any, tmp_path: Path
) -> None:
    """While the confirmed import runs, its page asks every second how far it has got; the
    check's problems (one for every row of a file wrong in one column) were read each time."""
    from django.test.utils import CaptureQueriesContext

    client = _client(clerk)
    job = _upload(client, tmp_path, [person_row(1, gender="未知")])
    ImportJob.objects.filter(pk=job.pk).update(status="running", processed=4, total=8)

    def selects(url: str, **params: str) -> list[str]:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, params)
        assert response.status_code == 200
        return [q["sql"] for q in queries.captured_queries if '"ingest_importjob"' in q["sql"]]

    poll = selects(reverse("ingest:job", args=[job.pk]), partial="1")
    assert poll and not any("problems" in sql for sql in poll)
    polled = client.get(reverse("ingest:job", args=[job.pk]), {"partial": "1"})
    assert "<progress" in polled.content.decode()
    listed = selects(reverse("ingest:jobs"))
    assert listed and not any("problems" in sql.split(" FROM ")[0] for sql in listed)
    # The page itself still lists them.
    page = client.get(reverse("ingest:job", args=[job.pk])).content.decode()
    assert "未知" in page


class _Killed(BaseException):
    """The server process ending under the import's thread: no except clause of ours sees it."""


def test_an_import_killed_midway_is_shown_interrupted_and_finished_when_started_again(
    clerk: Any, other_clerk: Any, tmp_path: Path
) -> None:
    """A restart or a deploy ends the server process and the import thread in it. The batches
    committed before stay; the job showed "running" for ever, and could not be confirmed
    again. Now, without progress for ten minutes, it is interrupted, and the uploader starts
    it again: the rows already imported are recognised, none is imported twice."""
    from unittest import mock

    rows = [
        person_row(i, birth=datetime.date(1930, 1, 1) + datetime.timedelta(days=7 * i))
        for i in range(1, services.BATCH_SIZE + 503)
    ]
    client = _client(clerk)
    job = _upload(client, tmp_path, rows)
    assert job.status == "previewed" and job.summary["created"] == len(rows)
    with mock.patch.object(jobs, "launch"):  # the thread is started by hand below
        jobs.job_confirm(actor=clerk, job=job)
    real_progress = jobs.record_progress

    def dies_after_the_first_batch(job_id: int, done: int, total: int) -> None:
        real_progress(job_id, done, total)
        raise _Killed

    with (
        mock.patch.object(jobs, "record_progress", dies_after_the_first_batch),
        pytest.raises(_Killed),
    ):
        jobs.run(job.pk, jobs.STAGE_IMPORT)
    assert Person.objects.count() == services.BATCH_SIZE  # whole batches only
    job.refresh_from_db()
    assert job.status == "running"

    page = client.get(reverse("ingest:job", args=[job.pk])).content.decode()
    assert "已中断" not in page  # it may only be slow: the import page keeps waiting
    ImportJob.objects.filter(pk=job.pk).update(
        heartbeat=timezone.now() - jobs.stale_after() - datetime.timedelta(seconds=1)
    )
    page = client.get(reverse("ingest:job", args=[job.pk])).content.decode()
    assert "已中断" in page and "重新开始" in page
    assert f"导入未完成就停止了，已处理 {job.processed} 行" in page

    refused = _client(other_clerk).post(reverse("ingest:restart", args=[job.pk]))
    assert refused.status_code == 404  # another county's job
    client.post(reverse("ingest:restart", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == "done", job.message
    assert (job.summary["created"], job.summary["unchanged"]) == (502, services.BATCH_SIZE)
    assert Person.objects.count() == len(rows)
    again = client.post(reverse("ingest:restart", args=[job.pk]), follow=True)
    assert [str(m) for m in again.context["messages"]] == ["该导入并未中断。"]


# Committed, as in a real import: inside a test's transaction, PostgreSQL's progress writes
# (through a connection of their own) would not see the job row.
@pytest.mark.django_db(transaction=True)
def test_an_interrupted_stage_that_shows_life_is_running_again(
    clerk: Any, tmp_path: Path
) -> None:
    client = _client(clerk)
    job = _upload(client, tmp_path, [person_row(1)], all_or_nothing="on")
    long_ago = timezone.now() - jobs.stale_after() - datetime.timedelta(seconds=1)
    ImportJob.objects.filter(pk=job.pk).update(
        status="running", heartbeat=long_ago, options={**job.options, "stage": "import"}
    )
    page = client.get(reverse("ingest:job", args=[job.pk])).content.decode()
    # All or nothing: an interrupted import wrote nothing, and says so.
    restart = reverse("ingest:restart", args=[job.pk])
    assert "全部导入或全不导入，因此没有写入任何数据" in page and restart in page
    # Only slow after all: its next progress puts it back to running, not to be restarted.
    jobs.record_progress(job.pk, 4, 8)
    job.refresh_from_db()
    assert job.status == "running" and not jobs.can_restart(actor=clerk, job=job)

    # Interrupted again, its file gone: no button that can only fail.
    ImportJob.objects.filter(pk=job.pk).update(status="interrupted")
    Path(job.path).unlink()
    page = client.get(reverse("ingest:job", args=[job.pk])).content.decode()
    assert "上传的文件已不再保留，请重新上传。" in page and restart not in page


def test_an_import_is_audited_under_the_clerks_file_name(clerk: Any, tmp_path: Path) -> None:
    """It said "import job 3: bef586d4….xlsx", the name the upload was kept under."""
    from hongxia.core.models import AuditLog

    client = _client(clerk)
    job = _upload(client, tmp_path, [person_row(1, name="张三丰")])
    assert job.filename == "花名册.xlsx" and job.summary["filename"] == "花名册.xlsx"
    client.post(reverse("ingest:confirm", args=[job.pk]))
    job.refresh_from_db()
    assert job.summary["filename"] == "花名册.xlsx"
    logged = AuditLog.objects.filter(actor=clerk, note__startswith="import")
    notes = list(logged.values_list("note", flat=True))
    assert len(notes) == 2, "the person created, and the import as a whole"
    assert all(n.startswith(f"import job {job.pk}: 花名册.xlsx") for n in notes), notes
    assert (job.status, job.summary["created"]) == ("done", 1)


def test_a_long_file_name_is_kept_within_what_a_disk_takes(clerk: Any, tmp_path: Path) -> None:
    name = "鹤城区" * 60 + ".csv"  # 540 bytes in UTF-8: more than a file system takes
    upload = SimpleUploadedFile(name, csv_bytes([person_row(1, name="曾国华")], "utf-8"))
    job = jobs.job_create(actor=clerk, upload=upload)
    job.refresh_from_db()
    assert job.status == "previewed" and job.summary["created"] == 1
    assert Path(job.path).suffix == ".csv" and len(Path(job.path).name.encode()) <= 255


def test_a_jobs_problems_are_in_the_uploaders_language(clerk: Any, tmp_path: Path) -> None:
    """An import runs in a thread of its own, with no request and so no language: a clerk
    working in English got every problem in Chinese."""
    client = _client(clerk)
    client.cookies["django_language"] = "en"
    rows = [person_row(1, name="张三丰"), person_row(2, name="李建国")]
    rows[1][COL["性别"]] = "未知"
    job = _upload(client, tmp_path, rows)
    assert job.options["language"] == "en"
    # The stage runs again where no language is set (as in a thread): still the uploader's.
    from django.utils import translation

    with translation.override("zh-hans"):
        jobs.run(job.pk, jobs.STAGE_CHECK)
    job.refresh_from_db()
    [problem] = job.problems
    assert problem["message"] == "Unknown value 未知."


def test_another_sheet_of_the_file_is_checked_without_uploading_it_again(
    clerk: Any, other_clerk: Any, tmp_path: Path
) -> None:
    """离休 and 退休 on two sheets of one book: the check of the first names the second, and
    the clerk checks it with one button, where they used to upload the file again and type
    the sheet's name."""
    import xlsxwriter

    path = tmp_path / "two.xlsx"
    book = xlsxwriter.Workbook(str(path))
    for name, people in (("离休", [person_row(1, name="张三丰", category="离休")]),
                         ("退休", [person_row(2, name="李建国"), person_row(3, name="曾国华")])):
        sheet = book.add_worksheet(name)
        sheet.write_row(0, 0, HEADERS)
        for r, row in enumerate(people, start=1):
            sheet.write_row(r, 0, row)
    book.close()
    client = _client(clerk)
    client.post(reverse("ingest:jobs"), {"file": SimpleUploadedFile("两表.xlsx", path.read_bytes()),
                                        "all_or_nothing": "on"})
    first = ImportJob.objects.get()
    assert (first.summary["sheet"], first.summary["other_sheets"]) == ("离休", ["退休"])
    page = client.get(reverse("ingest:job", args=[first.pk])).content.decode()
    assert "检查工作表“退休”" in page

    # Another clerk may not, and a sheet the check did not name is refused.
    assert not jobs.can_check_sheet(actor=other_clerk, job=first)
    response = client.post(reverse("ingest:sheet", args=[first.pk]), {"sheet": "在职"})
    assert response.status_code == 302 and ImportJob.objects.count() == 1

    ImportJob.objects.filter(pk=first.pk).update(status="running")  # not while it runs
    response = client.post(reverse("ingest:sheet", args=[first.pk]), {"sheet": "退休"})
    assert ImportJob.objects.count() == 1
    ImportJob.objects.filter(pk=first.pk).update(status="previewed")

    response = client.post(reverse("ingest:sheet", args=[first.pk]), {"sheet": "退休"})
    second = ImportJob.objects.latest("id")
    assert response.url == reverse("ingest:job", args=[second.pk])
    assert (second.sheet, second.status, second.summary["created"]) == ("退休", "previewed", 2)
    assert second.options["all_or_nothing"] and second.path != first.path
    assert second.summary["other_sheets"] == ["离休"], "a book of three: each offers the others"
    first.refresh_from_db()
    assert first.status == "previewed" and first.summary["created"] == 1  # left as it was
    # A second click goes to the same check, and the button says so.
    again = client.post(reverse("ingest:sheet", args=[first.pk]), {"sheet": "退休"})
    assert again.url == response.url and ImportJob.objects.count() == 2
    page = client.get(reverse("ingest:job", args=[first.pk])).content.decode()
    assert "工作表“退休”的检查" in page
    client.post(reverse("ingest:confirm", args=[second.pk]))
    assert sorted(Person.objects.values_list("name", flat=True)) == ["曾国华", "李建国"]
