"""What a clerk reads on the import pages: a status line that agrees with the job's badge, a
confirm button only when there is something to import, the links that can work, and the merge
queue's rows that open the comparison before anything is decided. English pages (the Chinese
catalogue is filled in separately) or facts that hold in both languages."""

from __future__ import annotations

import datetime
import io
import re
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from hongxia.ingest.models import ImportJob, MergeCandidate
from tests.factories import PersonFactory
from tests.ingest.ingest_corpus import person_row, write_xlsx


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = "en"
    return client


def _upload(client: Client, path: Path) -> ImportJob:
    upload = SimpleUploadedFile("花名册.xlsx", path.read_bytes())
    response = client.post(reverse("ingest:jobs"), {"file": upload})
    assert response.status_code == 302, response.content.decode()[:2000]
    return ImportJob.objects.latest("id")


def _job(user: Any, status: str, stage: str, **fields: Any) -> ImportJob:
    return ImportJob.objects.create(
        region_id="431202",
        user=user,
        filename="花名册.xlsx",
        status=status,
        options={"stage": stage},
        **fields,
    )


def _status_line(html: str) -> str:
    """The words beside the status badge, spaces collapsed."""
    found = re.search(r'<span class="badge">(.*?)</span>(.*?)</p>', html, re.S)
    assert found, html[:3000]
    return " ".join(found.group(2).split())


@pytest.mark.parametrize(
    ("status", "stage", "summary", "says"),
    [
        ("previewed", "check", {"rows": 1, "created": 1}, "The check is finished"),
        ("previewed", "check", {"rows": 1, "rejected": 1}, "The check found no row to import"),
        ("done", "import", {"rows": 1, "created": 1}, "The import is finished"),
        ("failed", "check", {}, "could not be checked"),
        ("failed", "import", {}, "The import stopped with an error"),
        ("interrupted", "import", {}, ""),
    ],
)
def test_the_status_line_follows_the_status(
    clerk: Any, status: str, stage: str, summary: dict[str, int], says: str
) -> None:
    """After a check the page said "Checking the file", after an import "Importing.", beside a
    badge that said Checked or Done."""
    job = _job(clerk, status, stage, summary=summary, message="无法读取")
    line = _status_line(_client(clerk).get(reverse("ingest:job", args=[job.pk])).content.decode())
    assert "Checking the file" not in line and "Importing." not in line
    assert says in line


def test_while_running_the_status_line_says_which_stage(clerk: Any) -> None:
    client = _client(clerk)
    for stage, says in (("check", "Checking the file"), ("import", "Importing.")):
        job = _job(clerk, "running", stage, total=10, processed=5)
        html = client.get(reverse("ingest:job", args=[job.pk]), {"partial": "1"}).content.decode()
        assert says in _status_line(html)


def test_a_failed_job_shows_its_error_in_an_error_box(clerk: Any) -> None:
    job = _job(clerk, "failed", "check", message="文件已损坏，无法读取。")
    html = _client(clerk).get(reverse("ingest:job", args=[job.pk])).content.decode()
    box = re.search(r'<p class="notice error" role="alert">(.*?)</p>', html, re.S)
    assert box and "文件已损坏" in box.group(1)


def _confirm_offered(client: Client, job: ImportJob) -> bool:
    html = client.get(reverse("ingest:job", args=[job.pk])).content.decode()
    return reverse("ingest:confirm", args=[job.pk]) in html


def test_import_is_offered_only_when_the_check_found_a_row_to_write(
    clerk: Any, tmp_path: Path
) -> None:
    client = _client(clerk)
    good = _upload(client, write_xlsx(tmp_path / "good.xlsx", [person_row(1)]))
    assert _confirm_offered(client, good)

    refused = [person_row(1, category="临时工"), person_row(2, name="李建国", category="临时工")]
    all_refused = _upload(client, write_xlsx(tmp_path / "refused.xlsx", refused))
    assert all_refused.status == "previewed" and all_refused.summary["rejected"] == 2
    assert not _confirm_offered(client, all_refused)

    empty = _upload(client, write_xlsx(tmp_path / "empty.xlsx", []))
    assert empty.status == "previewed" and not _confirm_offered(client, empty)

    no_header = write_xlsx(tmp_path / "notes.xlsx", [["会议记录", "", ""]], headers=["备注"])
    unreadable = _upload(client, no_header)
    assert unreadable.status == "previewed" and not _confirm_offered(client, unreadable)


def test_a_held_row_alone_is_still_something_to_import(clerk: Any) -> None:
    """A row held as a possible duplicate goes into the merge queue when confirmed."""
    job = _job(clerk, "previewed", "check", summary={"rows": 1, "queued": 1})
    assert _confirm_offered(_client(clerk), job)


def test_the_list_says_when_a_check_found_nothing_to_import(clerk: Any) -> None:
    _job(clerk, "previewed", "check", summary={"rows": 2, "rejected": 2})
    html = _client(clerk).get(reverse("ingest:jobs")).content.decode()
    assert "Nothing to import" in html


def test_the_problem_report_is_offered_only_while_the_file_is_kept(
    clerk: Any, tmp_path: Path
) -> None:
    """The report is the uploaded file's rows: without the file the link could only answer
    "the uploaded file is no longer available"."""
    client = _client(clerk)
    rows = [person_row(1), person_row(2, name="李建国", category="临时工")]
    job = _upload(client, write_xlsx(tmp_path / "r.xlsx", rows))
    report = reverse("ingest:report", args=[job.pk])
    assert report in client.get(reverse("ingest:job", args=[job.pk])).content.decode()
    for status in ("done", "interrupted"):
        ImportJob.objects.filter(pk=job.pk).update(status=status)
        Path(job.path).unlink(missing_ok=True)
        assert report not in client.get(reverse("ingest:job", args=[job.pk])).content.decode()


def _cells(html: str) -> list[list[str]]:
    """The body rows of the page's first data table, as the words in their cells."""
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [
        [
            " ".join(re.sub(r"<[^>]+>", " ", cell).split())
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        ]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    ]


def test_the_list_of_imports_shows_zero_as_zero_and_unknown_as_a_dash(clerk: Any) -> None:
    _job(clerk, "done", "import", summary={"rows": 2, "created": 0, "updated": 2, "rejected": 0})
    _job(clerk, "running", "check")
    html = _client(clerk).get(reverse("ingest:jobs")).content.decode()
    running, done = _cells(html)  # newest first
    assert done[2:6] == ["2", "0", "2", "0"]
    assert running[2:6] == ["—"] * 4
    assert '<th scope="col">Uploaded at</th>' in html


def test_the_import_page_exports_unmasked_for_who_may_see_id_numbers(clerk: Any) -> None:
    """The exported roster is for importing back: with masked ID numbers it cannot be."""
    from django.contrib.auth.models import Permission

    person = PersonFactory(region_id="431202", name="张三丰")
    link = re.compile(r'href="([^"]*/import/export/[^"]*)"')
    masked = link.search(_client(clerk).get(reverse("ingest:jobs")).content.decode())
    assert masked and "unmasked" not in masked.group(1)

    clerk.user_permissions.add(Permission.objects.get(codename="view_sensitive"))
    clerk = type(clerk).objects.get(pk=clerk.pk)  # permissions are cached on the instance
    client = _client(clerk)
    found = link.search(client.get(reverse("ingest:jobs")).content.decode())
    assert found
    response = client.get(found.group(1).replace("&amp;", "&"))
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert person.id_number in [c for row in sheet.iter_rows(values_only=True) for c in row]


def _held(clerk: Any, name: str = "王秀英", **fields: Any) -> MergeCandidate:
    person = PersonFactory(region_id="431202", name=name, birth_date=datetime.date(1938, 5, 1))
    data = {
        "name": name,
        "birth_date": "1938-05-01",
        "region": "431202",
        "gender": person.gender,
        "category": person.category,
    }
    return MergeCandidate.objects.create(
        region_id="431202", person=person, name=name, row_number=7, data=data, **fields
    )


def test_the_merge_queue_decides_nothing_without_the_comparison(clerk: Any) -> None:
    """One click in the list overwrote a record from a row the clerk had not seen: now each row
    leads to its comparison, where the decisions are."""
    candidate = _held(clerk)
    html = _client(clerk).get(reverse("ingest:duplicates")).content.decode()
    assert reverse("ingest:decide", args=[candidate.pk]) not in html
    assert 'name="decision"' not in html
    assert html.count(f'href="{reverse("ingest:duplicate", args=[candidate.pk])}"') == 2


@pytest.mark.parametrize(
    ("decision", "says"),
    [
        ("separate", "王秀英: registered as a new person."),
        ("dismissed", "王秀英: the same person; the row was dropped."),
        ("merged", "王秀英: the same person; the record was updated from the row."),
    ],
)
def test_after_a_decision_the_clerk_is_told_whose_row_and_what_became_of_it(
    clerk: Any, decision: str, says: str
) -> None:
    candidate = _held(clerk)
    response = _client(clerk).post(
        reverse("ingest:decide", args=[candidate.pk]), {"decision": decision}, follow=True
    )
    assert [str(m) for m in response.context["messages"]] == [says]


def test_the_merge_queue_names_the_file_of_each_row(clerk: Any, city_admin: Any) -> None:
    job = _job(city_admin, "done", "import")
    job.filename = "鹤城区花名册（第二批）.xlsx"
    job.save()
    _held(clerk, job=job)
    html = _client(clerk).get(reverse("ingest:duplicates")).content.decode()
    _name, _person, file, row, *_rest = _cells(html)[0]
    assert (file, row) == ("鹤城区花名册（第二批）.xlsx", "7")
    assert f'href="{job.get_absolute_url()}"' in html
