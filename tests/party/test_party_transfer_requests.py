"""Transfers into another county: the sender asks, the receiver accepts or declines, the
member (and the counts) move only on acceptance, and history is kept on both sides."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from tests.conftest import HECHENG, YUANLING
from tests.party.party_factories import make_branch, make_member

from hongxia.core.models import AuditLog
from hongxia.party import selectors, services
from hongxia.party.models import Member, Organisation, Transfer, TransferRequest

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 3, 1)


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def sides(db: Any) -> dict[str, Any]:
    home = make_branch(HECHENG, "鹤城城北支部")
    there = make_branch(YUANLING, "沅陵县城关社区离退休干部党支部")
    resident = make_member(there, name="沅陵老党员")
    mover = make_member(home, name="搬家的党员")
    return {"home": home, "there": there, "resident": resident, "mover": mover}


def _counts(*orgs: Organisation) -> list[int]:
    return [selectors.member_counts(Organisation.objects.filter(pk=o.pk))["active"]
            for o in orgs]


def test_sender_finds_the_branch_sends_and_the_receiver_accepts(
        sides: dict[str, Any], clerk: Any, other_clerk: Any) -> None:
    home, there, mover = sides["home"], sides["there"], sides["mover"]
    sender = _client(clerk)
    page = sender.get(f"/party/members/{mover.pk}/", {"target_q": "城关"}).content.decode()
    assert "沅陵县城关社区离退休干部党支部" in page
    assert "沅陵老党员" not in page  # branch names only, never the other county's members
    response = sender.post(f"/party/members/{mover.pk}/transfer-request/", {
        "to_organisation": there.pk, "date": DAY.isoformat(), "reason": "随子女迁居沅陵"})
    request = TransferRequest.objects.get()
    assert response["Location"] == request.get_absolute_url()
    assert request.status == "pending"
    mover.refresh_from_db()
    assert mover.organisation == home and _counts(home, there) == [1, 1]

    receiver = _client(other_clerk)
    listing = receiver.get("/party/transfer-requests/", {"direction": "in"}).content.decode()
    assert "搬家的党员" in listing
    detail = receiver.get(request.get_absolute_url()).content.decode()
    assert "接收" in detail
    receiver.post(f"/party/transfer-requests/{request.pk}/accept/", {"note": "欢迎"})
    request.refresh_from_db()
    mover.refresh_from_db()
    assert request.status == "accepted" and request.decided_by == other_clerk
    assert mover.organisation == there and _counts(home, there) == [0, 2]
    transfer = Transfer.objects.get(member=mover)
    assert (transfer.from_organisation, transfer.to_organisation) == (home, there)
    assert request.transfer == transfer
    # The sender no longer sees the member, but still sees what became of the request.
    assert sender.get(f"/party/members/{mover.pk}/").status_code == 404
    assert "已接收" in sender.get(request.get_absolute_url()).content.decode()
    assert AuditLog.objects.filter(model="party.TransferRequest", action="update").exists()


def test_declining_needs_a_reason_and_leaves_the_member_at_home(
        sides: dict[str, Any], clerk: Any, other_clerk: Any) -> None:
    request = services.transfer_request_send(actor=clerk, member=sides["mover"],
                                             to_organisation=sides["there"], date=DAY)
    receiver = _client(other_clerk)
    page = receiver.post(f"/party/transfer-requests/{request.pk}/decline/", {"note": ""},
                         follow=True).content.decode()
    assert "请说明不接收的原因" in page
    request.refresh_from_db()
    assert request.status == "pending"
    receiver.post(f"/party/transfer-requests/{request.pk}/decline/", {"note": "该支部已满员"})
    request.refresh_from_db()
    sides["mover"].refresh_from_db()
    assert request.status == "declined" and request.decision_note == "该支部已满员"
    assert sides["mover"].organisation == sides["home"]
    assert not Transfer.objects.exists()
    # Declined, the sender may ask again (elsewhere or later).
    services.transfer_request_send(actor=clerk, member=sides["mover"],
                                   to_organisation=sides["there"], date=DAY)
    assert TransferRequest.objects.count() == 2


def test_only_the_receiving_side_accepts(sides: dict[str, Any], clerk: Any) -> None:
    request = services.transfer_request_send(actor=clerk, member=sides["mover"],
                                             to_organisation=sides["there"], date=DAY)
    with pytest.raises(PermissionDenied):
        services.transfer_request_accept(actor=clerk, request=request)
    page = _client(clerk).post(f"/party/transfer-requests/{request.pk}/accept/",
                               follow=True).content.decode()
    assert "只有转接的另一方" in page
    request.refresh_from_db()
    assert request.status == "pending"


def test_one_pending_request_at_a_time_and_no_direct_transfer_meanwhile(
        sides: dict[str, Any], clerk: Any) -> None:
    services.transfer_request_send(actor=clerk, member=sides["mover"],
                                   to_organisation=sides["there"], date=DAY)
    with pytest.raises(ValidationError) as exc:
        services.transfer_request_send(actor=clerk, member=sides["mover"],
                                       to_organisation=sides["there"], date=DAY)
    assert "to_organisation" in exc.value.message_dict
    nearby = make_branch(HECHENG, "鹤城城南支部")
    with pytest.raises(ValidationError):
        services.member_transfer(actor=clerk, member=sides["mover"], to_organisation=nearby,
                                 date=DAY)


def test_a_branch_in_ones_own_area_is_transferred_directly(sides: dict[str, Any],
                                                            clerk: Any) -> None:
    nearby = make_branch(HECHENG, "鹤城城南支部")
    with pytest.raises(ValidationError) as exc:
        services.transfer_request_send(actor=clerk, member=sides["mover"],
                                       to_organisation=nearby, date=DAY)
    assert "直接" in str(exc.value.message_dict["to_organisation"][0])


def test_the_search_is_names_of_current_branches_only(sides: dict[str, Any], clerk: Any) -> None:
    make_branch(YUANLING, "沅陵县城关已撤销支部", end=datetime.date(2024, 1, 1))
    make_branch(YUANLING, "沅陵县城关临时党组织", kind="temporary")
    names = [o.name for o in services.transfer_targets(actor=clerk, query="城关")]
    assert names == ["沅陵县城关社区离退休干部党支部"]
    assert list(services.transfer_targets(actor=clerk, query="城")) == []
    # Without the request, nothing of the other county is visible.
    assert not Organisation.objects.visible_to(clerk).filter(region_id=YUANLING).exists()
    assert not Member.objects.visible_to(clerk).filter(pk=sides["resident"].pk).exists()


def test_sender_withdraws_and_death_withdraws(sides: dict[str, Any], clerk: Any,
                                              other_clerk: Any) -> None:
    request = services.transfer_request_send(actor=clerk, member=sides["mover"],
                                             to_organisation=sides["there"], date=DAY)
    _client(clerk).post(f"/party/transfer-requests/{request.pk}/withdraw/")
    request.refresh_from_db()
    assert request.status == "withdrawn"
    again = services.transfer_request_send(actor=clerk, member=sides["mover"],
                                           to_organisation=sides["there"], date=DAY)
    services.member_end(actor=clerk, member=sides["mover"], date=DAY, reason="death")
    again.refresh_from_db()
    assert again.status == "withdrawn"
    with pytest.raises(ValidationError):
        services.transfer_request_accept(actor=other_clerk, request=again)


def test_a_third_county_sees_nothing(sides: dict[str, Any], clerk: Any) -> None:
    from tests.factories import UserFactory

    third = UserFactory(username="clerk_zf", role="county_clerk", region_id="431221")
    request = services.transfer_request_send(actor=clerk, member=sides["mover"],
                                             to_organisation=sides["there"], date=DAY)
    client = _client(third)
    assert client.get(request.get_absolute_url()).status_code == 404
    assert "搬家的党员" not in client.get("/party/transfer-requests/").content.decode()


def test_the_receiving_clerks_home_page_shows_the_request(sides: dict[str, Any], clerk: Any,
                                                          other_clerk: Any) -> None:
    services.transfer_request_send(actor=clerk, member=sides["mover"],
                                   to_organisation=sides["there"], date=DAY)
    page = _client(other_clerk).get("/").content.decode()
    assert "待您答复的外县市区转入" in page
    assert "待您答复的外县市区转入" not in _client(clerk).get("/").content.decode()
