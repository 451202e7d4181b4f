"""The party API: scoped reads, keyset pages, recording a meeting with attendance."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from rest_framework.test import APIClient
from tests.conftest import HECHENG, YUANLING
from tests.party.party_factories import make_branch, make_meeting, make_member

from hongxia.party.models import Meeting

pytestmark = pytest.mark.django_db


def _api(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_lists_only_the_callers_county(clerk: Any) -> None:
    mine = make_branch(HECHENG, "鹤城支部")
    theirs = make_branch(YUANLING, "沅陵支部")
    make_member(mine, name="鹤城党员")
    make_member(theirs, name="沅陵党员")
    api = _api(clerk)
    orgs = api.get("/api/party/organisations").json()["results"]
    assert [o["name"] for o in orgs] == ["鹤城支部"]
    members = api.get("/api/party/members").json()["results"]
    assert [m["name"] for m in members] == ["鹤城党员"]
    assert members[0]["medal_eligible_on"] == "2025-07-01"
    assert api.get(f"/api/party/organisations/{theirs.pk}").status_code == 404


def test_meetings_page_newest_first_with_cursor(clerk: Any) -> None:
    branch = make_branch(HECHENG, "鹤城支部")
    for day in range(1, 8):
        make_meeting(branch, "theme_day", datetime.date(2026, 1, day), topic=f"第{day}次")
    api = _api(clerk)
    first = api.get("/api/party/meetings", {"page_size": 4}).json()
    assert [m["topic"] for m in first["results"]] == ["第7次", "第6次", "第5次", "第4次"]
    second = api.get(first["next"]).json()
    assert [m["topic"] for m in second["results"]] == ["第3次", "第2次", "第1次"]


def test_create_meeting_with_attendance(clerk: Any) -> None:
    branch = make_branch(HECHENG, "鹤城支部")
    a, b, c = make_member(branch), make_member(branch), make_member(branch)
    response = _api(clerk).post("/api/party/meetings", {
        "organisation": branch.pk, "kind": "general_meeting", "date": "2026-03-02",
        "topic": "支部党员大会", "attendance": [
            {"member": a.pk, "status": "present"},
            {"member": b.pk, "status": "absent", "reason": "外出"},
            {"member": c.pk, "status": "home_study"}]}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert {r["member"]: r["status"] for r in body["attendance"]} == {
        a.pk: "present", b.pk: "absent", c.pk: "home_study"}
    meeting = Meeting.objects.get(pk=body["id"])
    assert meeting.attendance.get(member=b).date == datetime.date(2026, 3, 2)


def test_create_meeting_refuses_bad_attendance(clerk: Any) -> None:
    branch = make_branch(HECHENG, "鹤城支部")
    a = make_member(branch)
    outsider = make_member(make_branch(HECHENG, "别的支部"))
    api = _api(clerk)
    response = api.post("/api/party/meetings", {
        "organisation": branch.pk, "kind": "lecture", "date": "2026-03-02", "topic": "党课",
        "attendance": [{"member": outsider.pk, "status": "present"}]}, format="json")
    assert response.status_code == 400
    assert "attendance" in response.json()["errors"]
    response = api.post("/api/party/meetings", {
        "organisation": branch.pk, "kind": "lecture", "date": "2026-03-02", "topic": "党课",
        "attendance": [{"member": a.pk, "status": "absent"}]}, format="json")
    assert response.status_code == 400  # an absence needs its reason
    assert not Meeting.objects.exists()


def test_leader_reads_but_cannot_record(leader: Any) -> None:
    branch = make_branch(HECHENG, "鹤城支部")
    api = _api(leader)
    assert api.get("/api/party/organisations").status_code == 200
    response = api.post("/api/party/meetings", {
        "organisation": branch.pk, "kind": "lecture", "date": "2026-03-02", "topic": "党课"},
        format="json")
    assert response.status_code == 403
