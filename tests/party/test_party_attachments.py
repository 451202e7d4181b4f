"""Meeting attachments: kept under MEDIA_ROOT, checked on upload, served only through a scoped
view, deleted with an audit row."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from tests.conftest import YUANLING
from tests.party.party_factories import make_meeting, make_member

from hongxia.core.models import AuditLog
from hongxia.party.models import MeetingAttachment

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _upload(client: Client, meeting: Any, name: str, body: bytes) -> Any:
    return client.post(f"/party/meetings/{meeting.pk}/attachments/",
                       {"file": SimpleUploadedFile(name, body)}, follow=True)


def test_secretary_uploads_lists_and_downloads_a_file(branch: Any, secretary: Any,
                                                      _media: Path) -> None:
    meeting = make_meeting(branch, "theme_day", datetime.date(2026, 3, 1))
    client = _client(secretary)
    page = _upload(client, meeting, "签到表.pdf", PDF).content.decode()
    assert "签到表.pdf" in page
    attachment = MeetingAttachment.objects.get(meeting=meeting)
    assert attachment.size == len(PDF)
    assert (_media / attachment.file.name).read_bytes() == PDF
    response = client.get(f"/party/attachments/{attachment.pk}/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert "attachment;" in response["Content-Disposition"]
    assert AuditLog.objects.filter(model="party.MeetingAttachment", action="create",
                                   actor=secretary).exists()


@pytest.mark.parametrize(("name", "body", "message"), [
    ("病毒.exe", b"MZ\x90\x00", "不接受这种文件"),
    ("会议记录.pdf", b"MZ\x90\x00 not a pdf", "与文件名所示的类型不符"),
    ("空.txt", b"", "文件是空的"),
])
def test_upload_refuses_bad_files_with_a_chinese_reason(
        branch: Any, secretary: Any, name: str, body: bytes, message: str) -> None:
    meeting = make_meeting(branch, "theme_day", datetime.date(2026, 3, 1))
    page = _upload(_client(secretary), meeting, name, body).content.decode()
    assert message in page
    assert not MeetingAttachment.objects.exists()


def test_upload_refuses_a_file_over_the_limit(branch: Any, secretary: Any,
                                              settings: Any) -> None:
    settings.HONGXIA_ATTACHMENT_MAX_BYTES = 1024 * 1024
    meeting = make_meeting(branch, "theme_day", datetime.date(2026, 3, 1))
    page = _upload(_client(secretary), meeting, "照片.png",
                   b"\x89PNG" + b"0" * (1024 * 1024)).content.decode()
    assert "太大" in page and "1 MB" in page
    assert not MeetingAttachment.objects.exists()


def test_another_branch_or_county_cannot_download_or_delete(
        branch: Any, secretary: Any, other_secretary: Any, other_clerk: Any) -> None:
    meeting = make_meeting(branch, "theme_day", datetime.date(2026, 3, 1))
    _upload(_client(secretary), meeting, "纪要.txt", "会议纪要".encode())
    attachment = MeetingAttachment.objects.get()
    for user in (other_secretary, other_clerk):
        client = _client(user)
        assert client.get(f"/party/attachments/{attachment.pk}/").status_code == 404
        assert client.post(f"/party/attachments/{attachment.pk}/delete/").status_code == 404
        assert _upload(client, meeting, "x.txt", b"x").status_code == 404
    assert MeetingAttachment.objects.count() == 1
    assert other_clerk.region_id == YUANLING


def test_delete_removes_the_row_and_the_file(branch: Any, secretary: Any, _media: Path,
                                             django_capture_on_commit_callbacks: Any) -> None:
    meeting = make_meeting(branch, "theme_day", datetime.date(2026, 3, 1))
    client = _client(secretary)
    _upload(client, meeting, "纪要.txt", "会议纪要".encode())
    attachment = MeetingAttachment.objects.get()
    path = _media / attachment.file.name
    assert path.exists()
    with django_capture_on_commit_callbacks(execute=True):
        page = client.post(f"/party/attachments/{attachment.pk}/delete/", follow=True)
    assert "文件已删除" in page.content.decode()
    assert not MeetingAttachment.objects.exists()
    assert not path.exists()
    assert AuditLog.objects.filter(model="party.MeetingAttachment", action="delete").exists()


def test_files_are_not_served_from_a_public_media_url(branch: Any, secretary: Any) -> None:
    meeting = make_meeting(branch, "theme_day", datetime.date(2026, 3, 1))
    member = make_member(branch)
    assert member.organisation == branch
    client = _client(secretary)
    _upload(client, meeting, "纪要.txt", "会议纪要".encode())
    attachment = MeetingAttachment.objects.get()
    page = client.get(f"/party/meetings/{meeting.pk}/").content.decode()
    assert f"/party/attachments/{attachment.pk}/" in page
    assert attachment.file.name not in page
    assert Client().get("/media/" + attachment.file.name).status_code in (302, 404)
