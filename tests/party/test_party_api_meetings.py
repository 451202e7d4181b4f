"""Meetings through the API beyond recording: correcting and deleting them, their files
(upload, list, download, delete), and every download of a file, page or API, in the audit
trail."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from rest_framework.test import APIClient
from tests.conftest import HECHENG, YUANLING
from tests.party.party_factories import make_branch, make_meeting, make_member

from hongxia.core.models import AuditLog
from hongxia.party.models import Meeting, MeetingAttachment, MeetingAttendance

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
DAY = datetime.date(2026, 3, 1)


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _api(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _upload(api: APIClient, meeting: Meeting, name: str, body: bytes) -> Any:
    return api.post(f"/api/party/meetings/{meeting.pk}/attachments",
                    {"file": SimpleUploadedFile(name, body)}, format="multipart")


def test_upload_list_download_and_delete_a_file(clerk: Any, _media: Path) -> None:
    meeting = make_meeting(make_branch(HECHENG, "鹤城支部"), "theme_day", DAY)
    api = _api(clerk)
    created = _upload(api, meeting, "签到表.pdf", PDF)
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["name"] == "签到表.pdf" and body["size"] == len(PDF)
    listed = api.get(f"/api/party/meetings/{meeting.pk}/attachments").json()
    assert [a["id"] for a in listed] == [body["id"]]

    download = api.get(f"/api/party/attachments/{body['id']}")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    assert "attachment;" in download["Content-Disposition"]
    as_pdf = api.get(f"/api/party/attachments/{body['id']}", HTTP_ACCEPT="application/pdf")
    assert as_pdf.status_code == 200
    assert b"".join(as_pdf.streaming_content) == PDF

    stored = MeetingAttachment.objects.get(pk=body["id"]).file.name
    with api_commit():
        gone = api.delete(f"/api/party/attachments/{body['id']}")
    assert gone.status_code == 204
    assert not MeetingAttachment.objects.filter(pk=body["id"]).exists()
    assert not (_media / stored).exists()
    assert AuditLog.objects.filter(model="party.MeetingAttachment", action="delete",
                                   actor=clerk).exists()


def api_commit() -> Any:
    """Run on-commit hooks (the file is removed only once the row is gone for good)."""
    from django.test import TestCase

    return TestCase.captureOnCommitCallbacks(execute=True)


def test_every_download_is_audited_on_the_page_and_the_api(clerk: Any) -> None:
    meeting = make_meeting(make_branch(HECHENG, "鹤城支部"), "theme_day", DAY)
    attachment_id = _upload(_api(clerk), meeting, "会议记录.pdf", PDF).json()["id"]
    page = Client()
    page.force_login(clerk)
    assert page.get(f"/party/attachments/{attachment_id}/").status_code == 200
    assert _api(clerk).get(f"/api/party/attachments/{attachment_id}").status_code == 200
    views = AuditLog.objects.filter(model="party.MeetingAttachment",
                                    object_pk=str(attachment_id), action="view_sensitive")
    assert sorted(v.note.split(",")[0] for v in views) == ["download (api)",
                                                           "download (page)"]
    assert {v.actor_id for v in views} == {clerk.pk}
    assert {v.region_id for v in views} == {HECHENG}


def test_upload_refuses_a_file_that_is_not_what_its_name_says(clerk: Any) -> None:
    meeting = make_meeting(make_branch(HECHENG, "鹤城支部"), "theme_day", DAY)
    response = _upload(_api(clerk), meeting, "会议记录.pdf", b"MZ\x90\x00 not a pdf")
    assert response.status_code == 400
    assert "与文件名所示的类型不符" in response.json()["errors"]["file"][0]
    missing = _api(clerk).post(f"/api/party/meetings/{meeting.pk}/attachments", {},
                               format="multipart")
    assert missing.status_code == 400
    assert "file" in missing.json()["errors"]
    assert not MeetingAttachment.objects.exists()


def test_another_countys_files_are_not_found(clerk: Any, other_clerk: Any) -> None:
    meeting = make_meeting(make_branch(HECHENG, "鹤城支部"), "theme_day", DAY)
    attachment_id = _upload(_api(clerk), meeting, "签到表.pdf", PDF).json()["id"]
    other = _api(other_clerk)
    assert other.get(f"/api/party/attachments/{attachment_id}").status_code == 404
    as_pdf = other.get(f"/api/party/attachments/{attachment_id}", HTTP_ACCEPT="application/pdf")
    assert as_pdf.status_code == 404
    assert "message" in as_pdf.json()
    assert other.delete(f"/api/party/attachments/{attachment_id}").status_code == 404
    assert other.get(f"/api/party/meetings/{meeting.pk}/attachments").status_code == 404
    assert _upload(other, meeting, "x.pdf", PDF).status_code == 404
    assert not AuditLog.objects.filter(action="view_sensitive").exists()


def test_patch_corrects_a_meeting_and_put_replaces_its_attendance(clerk: Any) -> None:
    branch = make_branch(HECHENG, "鹤城支部")
    came, missed = make_member(branch, name="到会党员"), make_member(branch, name="缺席党员")
    meeting = make_meeting(branch, "theme_day", DAY, topic="旧议题",
                           attendance={came: "present", missed: "present"})
    api = _api(clerk)
    url = f"/api/party/meetings/{meeting.pk}"
    patched = api.patch(url, {"topic": "学习二十届三中全会精神",
                              "attendance": [{"member": missed.pk, "status": "absent",
                                              "reason": "住院"}]}, format="json")
    assert patched.status_code == 200, patched.json()
    assert patched.json()["topic"] == "学习二十届三中全会精神"
    marks = {a["member"]: a["status"] for a in patched.json()["attendance"]}
    assert marks == {came.pk: "present", missed.pk: "absent"}

    later = DAY + datetime.timedelta(days=2)
    put = api.put(url, {"kind": "theme_day", "date": later.isoformat(), "topic": "改期",
                        "attendance": [{"member": came.pk, "status": "present"}]},
                  format="json")
    assert put.status_code == 200, put.json()
    assert [a["member"] for a in put.json()["attendance"]] == [came.pk]
    assert set(MeetingAttendance.objects.values_list("date", flat=True)) == {later}

    bad = api.patch(url, {"attendance": [{"member": missed.pk, "status": "absent"}]},
                    format="json")
    assert bad.status_code == 400  # absent needs a reason
    no_status = api.patch(url, {"attendance": [{"member": came.pk}]}, format="json")
    assert no_status.status_code == 400  # a row without a status never clears a mark
    assert no_status.json()["errors"]["attendance"]
    assert MeetingAttendance.objects.filter(member=came, status="present").exists()
    assert AuditLog.objects.filter(model="party.Meeting", action="update").count() == 2


def test_delete_a_meeting_and_another_county_cannot(clerk: Any, other_clerk: Any) -> None:
    meeting = make_meeting(make_branch(HECHENG, "鹤城支部"), "theme_day", DAY)
    theirs = make_meeting(make_branch(YUANLING, "沅陵支部"), "theme_day", DAY)
    api = _api(clerk)
    assert api.delete(f"/api/party/meetings/{theirs.pk}").status_code == 404
    assert api.patch(f"/api/party/meetings/{theirs.pk}", {"topic": "x"},
                     format="json").status_code == 404
    assert api.delete(f"/api/party/meetings/{meeting.pk}").status_code == 204
    assert list(Meeting.objects.all()) == [theirs]
    assert AuditLog.objects.filter(model="party.Meeting", action="delete",
                                   object_pk=str(meeting.pk)).exists()


def test_a_secretary_corrects_only_their_own_branch(branch: Any, other_branch: Any,
                                                    secretary: Any) -> None:
    mine = make_meeting(branch, "theme_day", DAY)
    theirs = make_meeting(other_branch, "theme_day", DAY)
    api = _api(secretary)
    assert api.patch(f"/api/party/meetings/{mine.pk}", {"topic": "本支部"},
                     format="json").status_code == 200
    assert api.patch(f"/api/party/meetings/{theirs.pk}", {"topic": "别的支部"},
                     format="json").status_code == 404
