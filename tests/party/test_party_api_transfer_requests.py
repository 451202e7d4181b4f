"""Transfer requests between counties through the API: both counties see a request, a third
does not; the sender sends and may withdraw, the receiver accepts or declines with a reason;
an accepted transfer ends the member's temporary-organisation participations outside the new
branch's region."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from rest_framework.test import APIClient
from tests.conftest import CITY, HECHENG, YUANLING
from tests.factories import UserFactory
from tests.party.party_factories import make_branch, make_member

from hongxia.core.models import AuditLog
from hongxia.party.models import Member, Participation, TransferRequest

pytestmark = pytest.mark.django_db

ZHONGFANG = "431221"  # 中方县, a third county
DAY = datetime.date(2026, 3, 1)
LIST = "/api/party/transfer-requests"


def _api(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def sides(db: Any) -> dict[str, Any]:
    home = make_branch(HECHENG, "鹤城城北支部")
    there = make_branch(YUANLING, "沅陵县城关社区离退休干部党支部")
    mover = make_member(home, name="搬家的党员")
    return {"home": home, "there": there, "mover": mover}


def _send(clerk: Any, sides: dict[str, Any], **extra: Any) -> Any:
    return _api(clerk).post(LIST, {"member": sides["mover"].pk,
                                   "to_organisation": sides["there"].pk,
                                   "date": DAY.isoformat(), "reason": "随子女迁居沅陵",
                                   **extra}, format="json")


def test_sender_finds_the_branch_and_sends_a_request(sides: dict[str, Any],
                                                     clerk: Any) -> None:
    targets = f"/api/party/members/{sides['mover'].pk}/transfer-targets"
    found = _api(clerk).get(targets, {"q": "城关"}).json()
    assert [o["id"] for o in found] == [sides["there"].pk]
    assert found[0]["region"] == YUANLING
    assert "members" not in found[0]
    assert _api(clerk).get(targets).json() == []

    response = _send(clerk, sides)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "pending"
    assert body["name"] == "搬家的党员"
    assert body["to_organisation_name"] == "沅陵县城关社区离退休干部党支部"
    assert Member.objects.get(pk=sides["mover"].pk).organisation == sides["home"]
    assert AuditLog.objects.filter(model="party.TransferRequest", action="create",
                                   actor=clerk).exists()


def test_sending_refuses_a_member_outside_the_callers_county(sides: dict[str, Any],
                                                             other_clerk: Any) -> None:
    targets = f"/api/party/members/{sides['mover'].pk}/transfer-targets"
    assert _api(other_clerk).get(targets, {"q": "城关"}).status_code == 404
    response = _send(other_clerk, sides)
    assert response.status_code == 400
    assert "member" in response.json()["errors"]
    assert not TransferRequest.objects.exists()


def test_sending_refuses_a_second_pending_request(sides: dict[str, Any], clerk: Any) -> None:
    assert _send(clerk, sides).status_code == 201
    again = _send(clerk, sides)
    assert again.status_code == 400
    assert "等待" in " ".join(again.json()["errors"]["to_organisation"])


def test_both_counties_see_the_request_and_a_third_does_not(
        sides: dict[str, Any], clerk: Any, other_clerk: Any) -> None:
    pk = _send(clerk, sides).json()["id"]
    third = UserFactory(username="clerk_zf", role="county_clerk", region_id=ZHONGFANG)
    for user in (clerk, other_clerk):
        assert [r["id"] for r in _api(user).get(LIST).json()["results"]] == [pk]
        assert _api(user).get(f"{LIST}/{pk}").status_code == 200
    assert _api(third).get(LIST).json()["results"] == []
    assert _api(third).get(f"{LIST}/{pk}").status_code == 404
    assert _api(third).post(f"{LIST}/{pk}/accept", {}, format="json").status_code == 404
    assert _api(third).post(f"{LIST}/{pk}/withdraw", {}, format="json").status_code == 404


def test_direction_and_status_filters(sides: dict[str, Any], clerk: Any,
                                      other_clerk: Any) -> None:
    pk = _send(clerk, sides).json()["id"]

    def ids(user: Any, **query: str) -> list[int]:
        return [r["id"] for r in _api(user).get(LIST, query).json()["results"]]

    assert ids(clerk, direction="out") == [pk]
    assert ids(clerk, direction="in") == []
    assert ids(other_clerk, direction="in") == [pk]
    assert ids(other_clerk, status="pending") == [pk]
    assert ids(other_clerk, status="accepted") == []
    bad = _api(clerk).get(LIST, {"direction": "sideways"})
    assert bad.status_code == 400
    assert "direction" in bad.json()["errors"]


def test_only_the_receiver_accepts_and_the_member_moves(
        sides: dict[str, Any], clerk: Any, other_clerk: Any) -> None:
    pk = _send(clerk, sides).json()["id"]
    refused = _api(clerk).post(f"{LIST}/{pk}/accept", {}, format="json")
    assert refused.status_code == 403
    assert TransferRequest.objects.get(pk=pk).status == "pending"

    accepted = _api(other_clerk).post(f"{LIST}/{pk}/accept", {"note": "欢迎"}, format="json")
    assert accepted.status_code == 200
    assert accepted.json()["status"] == "accepted"
    assert accepted.json()["transfer"] is not None
    assert Member.objects.get(pk=sides["mover"].pk).organisation == sides["there"]
    # The member is now the receiving county's; the request stays visible to both.
    assert _api(other_clerk).get(f"/api/party/members/{sides['mover'].pk}").status_code == 200
    assert _api(clerk).get(f"/api/party/members/{sides['mover'].pk}").status_code == 404
    assert _api(clerk).get(f"{LIST}/{pk}").json()["status"] == "accepted"
    again = _api(other_clerk).post(f"{LIST}/{pk}/decline", {"note": "x"}, format="json")
    assert again.status_code == 400


def test_decline_needs_a_reason(sides: dict[str, Any], clerk: Any, other_clerk: Any) -> None:
    pk = _send(clerk, sides).json()["id"]
    bare = _api(other_clerk).post(f"{LIST}/{pk}/decline", {}, format="json")
    assert bare.status_code == 400
    assert bare.json()["errors"]["note"] == ["请说明不接收的原因。"]
    declined = _api(other_clerk).post(f"{LIST}/{pk}/decline", {"note": "该支部已撤销合并"},
                                      format="json")
    assert declined.status_code == 200
    assert declined.json()["status"] == "declined"
    assert declined.json()["decision_note"] == "该支部已撤销合并"
    assert Member.objects.get(pk=sides["mover"].pk).organisation == sides["home"]


def test_only_the_sender_withdraws(sides: dict[str, Any], clerk: Any,
                                   other_clerk: Any) -> None:
    pk = _send(clerk, sides).json()["id"]
    assert _api(other_clerk).post(f"{LIST}/{pk}/withdraw", {},
                                  format="json").status_code == 403
    withdrawn = _api(clerk).post(f"{LIST}/{pk}/withdraw", {}, format="json")
    assert withdrawn.status_code == 200
    assert withdrawn.json()["status"] == "withdrawn"


def test_accepted_transfer_ends_participations_outside_the_new_region(
        sides: dict[str, Any], clerk: Any, other_clerk: Any) -> None:
    mover = sides["mover"]
    county_task = make_branch(HECHENG, "鹤城区疫情防控临时党支部", kind="temporary")
    city_task = make_branch(CITY, "市老干部宣讲团临时党支部", kind="temporary")
    start = datetime.date(2025, 6, 1)
    in_county = Participation.objects.create(organisation=county_task, member=mover,
                                             start_date=start)
    city_wide = Participation.objects.create(organisation=city_task, member=mover,
                                             start_date=start)
    pk = _send(clerk, sides).json()["id"]
    assert _api(other_clerk).post(f"{LIST}/{pk}/accept", {}, format="json").status_code == 200

    in_county.refresh_from_db()
    city_wide.refresh_from_db()
    moved_on = Member.objects.get(pk=mover.pk).since
    assert in_county.end_date == moved_on  # 鹤城's task: the member has left its region
    assert city_wide.end_date is None  # the city's task: 沅陵 is still inside its region
    ended = AuditLog.objects.get(model="party.Participation", object_pk=str(in_county.pk),
                                 action="update")
    assert "沅陵县城关社区离退休干部党支部" in ended.note
    # The county's participant list no longer shows the member as current.
    current = _api(clerk).get("/api/party/participants",
                              {"organisation": county_task.pk, "current": "true"}).json()
    assert current["results"] == []


def test_a_transfer_within_the_county_keeps_participations(clerk: Any) -> None:
    from hongxia.party import services

    home = make_branch(HECHENG, "鹤城城北支部")
    other = make_branch(HECHENG, "鹤城城南支部")
    member = make_member(home, name="本县调动")
    task = make_branch(HECHENG, "鹤城区临时党支部", kind="temporary")
    taking_part = Participation.objects.create(organisation=task, member=member,
                                               start_date=datetime.date(2025, 6, 1))
    services.member_transfer(actor=clerk, member=member, to_organisation=other, date=DAY)
    taking_part.refresh_from_db()
    assert taking_part.end_date is None
