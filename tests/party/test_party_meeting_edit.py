"""Editing and deleting a meeting keeps its attendance consistent and leaves an audit row."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from tests.conftest import HECHENG
from tests.party.party_factories import make_branch, make_meeting, make_member

from hongxia.core.models import AuditLog
from hongxia.party import services
from hongxia.party.models import Meeting, MeetingAttendance

pytestmark = pytest.mark.django_db


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _form(meeting: Meeting, **changes: Any) -> dict[str, Any]:
    data = {"kind": meeting.kind, "date": meeting.date.isoformat(), "place": meeting.place,
            "topic": meeting.topic, "speaker": meeting.speaker, "minutes": meeting.minutes}
    data.update(changes)
    return data


def test_edit_moves_every_mark_to_the_new_date_and_changes_marks(clerk: Any) -> None:
    branch = make_branch(HECHENG, "编辑支部")
    a, b, c = (make_member(branch, name=n) for n in ("甲党员", "乙党员", "丙党员"))
    meeting = make_meeting(branch, "theme_day", datetime.date(2026, 3, 1),
                           attendance={a: "present", b: "present", c: "present"})
    client = _client(clerk)
    page = client.get(f"/party/meetings/{meeting.pk}/edit/").content.decode()
    assert "甲党员" in page and "编辑支部" in page
    response = client.post(f"/party/meetings/{meeting.pk}/edit/", _form(
        meeting, date="2026-03-08", topic="改过的议题",
        **{f"att-{a.pk}": "present", f"att-{b.pk}": "absent", f"reason-{b.pk}": "住院",
           f"att-{c.pk}": ""}))
    assert response.status_code == 302, response.content.decode()[:3000]
    meeting.refresh_from_db()
    assert meeting.topic == "改过的议题" and meeting.date == datetime.date(2026, 3, 8)
    marks = {m.member_id: (m.status, m.reason, m.date) for m in meeting.attendance.all()}
    assert marks == {a.pk: ("present", "", meeting.date),
                     b.pk: ("absent", "住院", meeting.date)}
    log = AuditLog.objects.get(model="party.Meeting", action="update")
    assert "date" in log.changes and "attendance" in log.changes


def test_edit_refuses_an_absence_without_reason_and_keeps_everything(clerk: Any) -> None:
    branch = make_branch(HECHENG, "编辑支部")
    a = make_member(branch, name="甲党员")
    meeting = make_meeting(branch, "theme_day", datetime.date(2026, 3, 1),
                           attendance={a: "present"})
    response = _client(clerk).post(f"/party/meetings/{meeting.pk}/edit/", _form(
        meeting, topic="不该保存", **{f"att-{a.pk}": "absent"}))
    assert response.status_code == 200
    assert "请填写 甲党员 缺席的原因" in response.content.decode()
    meeting.refresh_from_db()
    assert meeting.topic != "不该保存"
    assert MeetingAttendance.objects.get().status == "present"


def test_a_member_who_left_keeps_an_editable_mark_but_outsiders_are_refused(
        clerk: Any) -> None:
    branch = make_branch(HECHENG, "编辑支部")
    other = make_branch(HECHENG, "别的支部")
    left = make_member(branch, name="已转走")
    outsider = make_member(other, name="外支部")
    meeting = make_meeting(branch, "theme_day", datetime.date(2026, 3, 1),
                           attendance={left: "present"})
    services.member_transfer(actor=clerk, member=left, to_organisation=other,
                             date=datetime.date(2026, 4, 1))
    left.refresh_from_db()
    services.meeting_update(actor=clerk, meeting=meeting, data={"topic": "更正"},
                            attendance=[(left, "home_study", "")])
    assert MeetingAttendance.objects.get(member=left).status == "home_study"
    with pytest.raises(ValidationError) as exc:
        services.meeting_update(actor=clerk, meeting=meeting, data={},
                                attendance=[(outsider, "present", "")])
    assert "外支部" in str(exc.value)


def test_delete_asks_first_then_deletes_meeting_and_marks(clerk: Any) -> None:
    branch = make_branch(HECHENG, "删除支部")
    a = make_member(branch)
    meeting = make_meeting(branch, "theme_day", datetime.date(2026, 3, 1), topic="误录的会议",
                           attendance={a: "present"})
    client = _client(clerk)
    page = client.get(f"/party/meetings/{meeting.pk}/delete/").content.decode()
    assert "误录的会议" in page and "删除" in page
    assert Meeting.objects.filter(pk=meeting.pk).exists()
    client.post(f"/party/meetings/{meeting.pk}/delete/")  # not confirmed
    assert Meeting.objects.filter(pk=meeting.pk).exists()
    response = client.post(f"/party/meetings/{meeting.pk}/delete/", {"confirm": "yes"})
    assert response.status_code == 302 and response["Location"] == branch.get_absolute_url()
    assert not Meeting.objects.filter(pk=meeting.pk).exists()
    assert not MeetingAttendance.objects.exists()
    log = AuditLog.objects.get(model="party.Meeting", action="delete")
    assert log.changes["topic"][0] == "误录的会议"


def test_another_county_cannot_edit_or_delete(other_clerk: Any) -> None:
    meeting = make_meeting(make_branch(HECHENG, "鹤城支部"), "theme_day",
                           datetime.date(2026, 3, 1))
    client = _client(other_clerk)
    assert client.get(f"/party/meetings/{meeting.pk}/edit/").status_code == 404
    assert client.post(f"/party/meetings/{meeting.pk}/edit/", {"topic": "x"}).status_code == 404
    assert client.post(f"/party/meetings/{meeting.pk}/delete/",
                       {"confirm": "yes"}).status_code == 404
    assert Meeting.objects.filter(pk=meeting.pk).exists()


def test_secretary_edits_only_their_own_branch(branch: Any, other_branch: Any,
                                               secretary: Any) -> None:
    mine = make_meeting(branch, "theme_day", datetime.date(2026, 3, 1))
    theirs = make_meeting(other_branch, "theme_day", datetime.date(2026, 3, 1))
    client = _client(secretary)
    assert client.get(f"/party/meetings/{mine.pk}/edit/").status_code == 200
    assert client.get(f"/party/meetings/{theirs.pk}/edit/").status_code == 404
