"""Branch Work Regulations: absolute rules refuse the action, with a Chinese message; the
states to put right are warned about and listed (filterable, exportable)."""

from __future__ import annotations

import datetime
import io
from typing import Any

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from tests.conftest import HECHENG, YUANLING
from tests.party.party_factories import make_branch, make_member

from hongxia.party import services
from hongxia.party.models import CommitteeSeat, Organisation

pytestmark = pytest.mark.django_db

DAY = datetime.date(2025, 1, 1)


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _branch(n: int, name: str = "规范支部", region: str = HECHENG) -> tuple[Organisation, list]:
    org = make_branch(region, name)
    return org, [make_member(org) for _ in range(n)]


def _seat(actor: Any, org: Organisation, member: Any, role: str, **kw: Any) -> CommitteeSeat:
    return services.committee_seat_add(actor=actor, organisation=org, person=member.person,
                                       role=role, start_date=DAY, **kw)


def test_a_committee_has_at_most_seven(clerk: Any) -> None:
    org, members = _branch(9)
    roles = ["secretary", "deputy", "organisation", "propaganda", "discipline", "member",
             "member"]
    for member, role in zip(members, roles, strict=False):
        _seat(clerk, org, member, role)
    with pytest.raises(ValidationError) as exc:
        _seat(clerk, org, members[7], "member")
    assert exc.value.message_dict["role"] == ["支部委员会最多 7 人。"]
    assert CommitteeSeat.objects.filter(organisation=org).count() == 7


def test_one_secretary_members_only_and_no_committee_below_seven(clerk: Any) -> None:
    org, members = _branch(4)
    outsider = make_member(make_branch(HECHENG, "别的支部"))
    _seat(clerk, org, members[0], "secretary")
    with pytest.raises(ValidationError) as exc:
        _seat(clerk, org, members[1], "secretary")
    assert "已有书记" in exc.value.message_dict["role"][0]
    with pytest.raises(ValidationError) as exc:
        _seat(clerk, org, outsider, "deputy")
    assert "本支部" in exc.value.message_dict["person"][0]
    with pytest.raises(ValidationError) as exc:
        _seat(clerk, org, members[1], "propaganda")
    assert "不足 7 人" in exc.value.message_dict["role"][0]
    _seat(clerk, org, members[1], "deputy")  # a deputy is allowed in a small branch


def test_a_seat_ends_within_the_term(clerk: Any) -> None:
    org, members = _branch(3)  # organised by community: a five-year term
    with pytest.raises(ValidationError) as exc:
        _seat(clerk, org, members[0], "secretary", end_date=datetime.date(2030, 6, 1))
    assert "2030-01-01" in exc.value.message_dict["end_date"][0]
    _seat(clerk, org, members[0], "secretary", end_date=datetime.date(2030, 1, 1))


def test_the_page_refuses_with_the_reason(clerk: Any) -> None:
    org, members = _branch(4)
    page = _client(clerk).post(f"/party/organisations/{org.pk}/committee/", {
        "person": members[0].person.pk, "role": "propaganda", "start_date": "2025-01-01"},
        follow=True).content.decode()
    assert "不足 7 人" in page
    assert not CommitteeSeat.objects.exists()


def test_branches_to_put_right_are_listed_filtered_and_exported(clerk: Any) -> None:
    small, _ = _branch(2, "人少支部")
    big, _ = _branch(8, "没有支委会支部")
    fine, _members = _branch(3, "合规支部")
    expired, _ = _branch(3, "届满支部")
    expired.term_ends = datetime.date(2024, 12, 31)
    expired.save()
    _branch(1, "沅陵人少支部", region=YUANLING)
    client = _client(clerk)
    page = client.get("/party/branch-rules/").content.decode()
    for name in ("人少支部", "没有支委会支部", "届满支部"):
        assert name in page
    assert "合规支部" not in page and "沅陵人少支部" not in page
    assert "不足 3 名正式党员" in page
    only = client.get("/party/branch-rules/", {"rule": "needs_committee"}).content.decode()
    assert "没有支委会支部" in only and "人少支部" not in only
    response = client.get("/party/branch-rules.xlsx", {"rule": "term_expired"})
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = list(book.active.iter_rows(values_only=True))
    assert [r[0] for r in rows[1:]] == ["届满支部"]
    assert small.pk and big.pk and fine.pk


def test_a_general_branch_counts_its_branches_members(clerk: Any) -> None:
    general = make_branch(HECHENG, "住长沙流动党员党总支", kind="general_branch")
    for i in range(2):
        sub = make_branch(HECHENG, f"住长沙第{i + 1}党支部", parent=general)
        for _ in range(5):
            make_member(sub)
    page = _client(clerk).get("/party/branch-rules/", {"rule": "too_few_members"})
    assert "住长沙流动党员党总支" not in page.content.decode()
    page = _client(clerk).get("/party/branch-rules/", {"rule": "needs_committee"})
    assert "住长沙流动党员党总支" in page.content.decode()
    member = general.children.first().members.first()
    _seat(clerk, general, member, "secretary")  # a member of one of its branches


def test_a_past_seat_may_name_someone_who_has_left(clerk: Any) -> None:
    org, members = _branch(3)
    other = make_branch(HECHENG, "别的支部")
    services.member_transfer(actor=clerk, member=members[0], to_organisation=other,
                             date=datetime.date(2026, 1, 1))
    _seat(clerk, org, members[0], "secretary", end_date=datetime.date(2025, 12, 31))
    with pytest.raises(ValidationError):
        _seat(clerk, org, members[0], "secretary")


def test_the_api_lists_the_same_branches_as_the_page(clerk: Any) -> None:
    from rest_framework.test import APIClient

    _branch(2, "人少支部")
    _branch(8, "没有支委会支部")
    _branch(3, "合规支部")
    _branch(1, "沅陵人少支部", region=YUANLING)
    api = APIClient()
    api.force_authenticate(clerk)
    listed = api.get("/api/party/branch-rules")
    assert listed.status_code == 200
    body = listed.json()
    names = sorted(r["name"] for r in body["results"])
    assert names == ["人少支部", "没有支委会支部"]
    page = _client(clerk).get("/party/branch-rules/").content.decode()
    for name in names:
        assert name in page
    small = next(r for r in body["results"] if r["name"] == "人少支部")
    assert small["problems"] == ["too_few_members"] and small["full_members"] == 2
    only = api.get("/api/party/branch-rules", {"rule": "needs_committee"}).json()["results"]
    assert [r["name"] for r in only] == ["没有支委会支部"]
    assert api.get("/api/party/branch-rules", {"rule": "nonsense"}).status_code == 400
