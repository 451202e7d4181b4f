"""Participants of temporary organisations through the API: list, add and end, within the
caller's county, through the same service (and rules) as the organisation page."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from rest_framework.test import APIClient
from tests.conftest import HECHENG, YUANLING
from tests.party.party_factories import make_branch, make_member

from hongxia.core.models import AuditLog
from hongxia.party.models import Participation

pytestmark = pytest.mark.django_db

LIST = "/api/party/participants"


def _api(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def task(db: Any) -> Any:
    return make_branch(HECHENG, "鹤城区乡村振兴临时党支部", kind="temporary",
                       start=datetime.date(2025, 1, 1), end=datetime.date(2027, 12, 31))


def test_add_list_and_end_a_participant(clerk: Any, task: Any) -> None:
    member = make_member(make_branch(HECHENG, "鹤城支部"), name="驻村老党员")
    api = _api(clerk)
    added = api.post(LIST, {"organisation": task.pk, "member": member.pk,
                            "start_date": "2025-03-01", "note": "驻村指导"}, format="json")
    assert added.status_code == 201, added.json()
    pk = added.json()["id"]
    assert added.json()["name"] == "驻村老党员"
    assert added.json()["organisation_name"] == "鹤城区乡村振兴临时党支部"

    current = api.get(LIST, {"organisation": task.pk, "current": "true"}).json()["results"]
    assert [p["id"] for p in current] == [pk]
    assert api.get(f"{LIST}/{pk}").json()["end_date"] is None

    twice = api.post(LIST, {"organisation": task.pk, "member": member.pk,
                            "start_date": "2025-03-01"}, format="json")
    assert twice.status_code == 400
    assert "member" in twice.json()["errors"]

    early = api.post(f"{LIST}/{pk}/end", {"date": "2025-02-01"}, format="json")
    assert early.status_code == 400
    ended = api.post(f"{LIST}/{pk}/end", {"date": "2025-09-30"}, format="json")
    assert ended.status_code == 200
    assert ended.json()["end_date"] == "2025-09-30"
    assert api.get(LIST, {"organisation": task.pk, "current": "true"}).json()["results"] == []
    assert [p["id"] for p in api.get(LIST, {"organisation": task.pk}).json()["results"]] == [pk]
    assert AuditLog.objects.filter(model="party.Participation", actor=clerk).count() == 2


def test_only_a_temporary_organisation_and_members_of_ones_own_county(
        clerk: Any, task: Any) -> None:
    branch = make_branch(HECHENG, "鹤城支部")
    member = make_member(branch, name="本县党员")
    stranger = make_member(make_branch(YUANLING, "沅陵支部"), name="外县党员")
    api = _api(clerk)
    not_temporary = api.post(LIST, {"organisation": branch.pk, "member": member.pk,
                                    "start_date": "2025-03-01"}, format="json")
    assert not_temporary.status_code == 400
    assert "organisation" in not_temporary.json()["errors"]
    outsider = api.post(LIST, {"organisation": task.pk, "member": stranger.pk,
                               "start_date": "2025-03-01"}, format="json")
    assert outsider.status_code == 400
    assert "member" in outsider.json()["errors"]
    assert not Participation.objects.exists()


def test_another_county_neither_sees_nor_ends_a_participation(
        clerk: Any, other_clerk: Any, task: Any) -> None:
    member = make_member(make_branch(HECHENG, "鹤城支部"), name="驻村老党员")
    taking_part = Participation.objects.create(organisation=task, member=member,
                                               start_date=datetime.date(2025, 3, 1))
    other = _api(other_clerk)
    assert other.get(LIST).json()["results"] == []
    assert other.get(f"{LIST}/{taking_part.pk}").status_code == 404
    assert other.post(f"{LIST}/{taking_part.pk}/end", {"date": "2025-09-30"},
                      format="json").status_code == 404
    assert other.post(LIST, {"organisation": task.pk, "member": member.pk,
                             "start_date": "2025-03-01"}, format="json").status_code == 400
    taking_part.refresh_from_db()
    assert taking_part.end_date is None


def test_a_leader_reads_but_does_not_add(leader: Any, task: Any) -> None:
    member = make_member(make_branch(HECHENG, "鹤城支部"), name="驻村老党员")
    Participation.objects.create(organisation=task, member=member,
                                 start_date=datetime.date(2025, 3, 1))
    api = _api(leader)
    assert len(api.get(LIST).json()["results"]) == 1
    refused = api.post(LIST, {"organisation": task.pk, "member": member.pk,
                              "start_date": "2025-03-01"}, format="json")
    assert refused.status_code == 403
