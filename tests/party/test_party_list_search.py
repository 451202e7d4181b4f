"""The search box of the transfer-request and rating lists: it narrows the page, the keyset
pages and the .xlsx export alike, inside the user's region."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from tests.conftest import HECHENG, YUANLING
from tests.factories import PersonFactory
from tests.http import logged_in, xlsx_rows
from tests.party.party_factories import make_branch

from hongxia.party import services
from hongxia.party.models import Member, Organisation, Rating

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 3, 1)
REQUESTS = "/party/transfer-requests/"
REQUESTS_XLSX = "/party/transfer-requests.xlsx"
RATINGS = "/party/ratings/"
RATINGS_XLSX = "/party/ratings.xlsx"


def _member(org: Organisation, name: str, phone: str) -> Member:
    person = PersonFactory(region_id=org.region_id[:6], name=name, phone=phone,
                           political_status="cpc_member", party_joined=datetime.date(1975, 7, 1),
                           birth_date=datetime.date(1945, 3, 15))
    return Member.objects.create(person=person, organisation=org,
                                 since=datetime.date(2016, 1, 1))


@pytest.fixture
def requests_world(clerk: Any) -> dict[str, Any]:
    home = make_branch(HECHENG, "鹤城城北支部")
    there = make_branch(YUANLING, "沅陵县城关支部")
    zhang = _member(home, "张建国", "13907317788")
    li = _member(home, "李秀英", "13907314455")
    for member in (zhang, li):
        services.transfer_request_send(actor=clerk, member=member, to_organisation=there,
                                       date=DAY, reason=f"{member.person.name}随子女迁居")
    return {"zhang": zhang, "li": li}


@pytest.mark.parametrize("text", ["张建", "zhangjianguo", "zjg", "7788"])
def test_transfer_requests_are_searched_by_the_members_name_pinyin_initials_or_phone(
        clerk: Any, requests_world: Any, text: str) -> None:
    response = logged_in(clerk).get(REQUESTS, {"q": text})
    assert response.status_code == 200
    names = [r.member.person.name for r in response.context["page"].rows]
    assert names == ["张建国"]
    html = response.content.decode()
    assert 'name="q"' in html
    assert f'href="{REQUESTS_XLSX}?q=' in html


def test_transfer_requests_export_has_only_the_searched_rows(
        clerk: Any, requests_world: Any) -> None:
    rows = xlsx_rows(logged_in(clerk).get(REQUESTS_XLSX, {"q": "lxy"}))
    # 转出, not 起: "From" of a transfer is a branch, not the start of a period.
    assert rows[0][:4] == ("申请日期", "姓名", "转出", "转入")
    assert [r[1:4] for r in rows[1:]] == [("李秀英", "鹤城城北支部", "沅陵县城关支部")]
    assert len(xlsx_rows(logged_in(clerk).get(REQUESTS_XLSX))) == 3


def test_transfer_request_search_keeps_keyset_pages(
        clerk: Any, requests_world: Any, settings: Any) -> None:
    settings.HONGXIA_PAGE_SIZE = 1
    home = requests_world["zhang"].organisation
    there = Organisation.objects.get(name="沅陵县城关支部")
    other = _member(home, "张建华", "13907310001")
    services.transfer_request_send(actor=clerk, member=other, to_organisation=there, date=DAY)
    client = logged_in(clerk)
    params: dict[str, Any] = {"q": "zhangjian"}
    seen: list[str] = []
    for _ in range(4):
        page = client.get(REQUESTS, params).context["page"]
        seen += [r.member.person.name for r in page.rows]
        if not page.next_cursor:
            break
        params["cursor"] = page.next_cursor
    assert sorted(seen) == ["张建华", "张建国"]


@pytest.fixture
def ratings_world(db: Any) -> dict[str, Any]:
    north = make_branch(HECHENG, "城北社区离退休干部党支部")
    south = make_branch(HECHENG, "城南社区离退休干部党支部")
    theirs = make_branch(YUANLING, "沅陵城北党支部")
    Rating.objects.create(organisation=north, year=2025, level="municipal", note="北")
    Rating.objects.create(organisation=south, year=2025, level="municipal", note="南")
    Rating.objects.create(organisation=theirs, year=2025, level="municipal", note="沅")
    return {"north": north, "south": south}


def test_ratings_are_searched_by_branch_name_within_the_region(
        clerk: Any, ratings_world: Any) -> None:
    response = logged_in(clerk).get(RATINGS, {"q": "城北"})
    assert response.status_code == 200
    assert [r.organisation.name for r in response.context["page"].rows] == [
        "城北社区离退休干部党支部"]
    html = response.content.decode()
    assert 'name="q"' in html and "城南社区离退休干部党支部" not in html
    assert "沅陵城北党支部" not in html


def test_ratings_export_has_only_the_searched_rows(clerk: Any, ratings_world: Any) -> None:
    rows = xlsx_rows(logged_in(clerk).get(RATINGS_XLSX, {"q": "城南"}))
    assert rows[0] == ("年度", "级别", "党支部", "备注")
    assert [(r[2], r[3]) for r in rows[1:]] == [("城南社区离退休干部党支部", "南")]


def test_ratings_export_needs_the_export_permission(secretary: Any, ratings_world: Any) -> None:
    client = logged_in(secretary)
    assert client.get(RATINGS, {"q": "城南"}).status_code == 200
    assert client.get(RATINGS_XLSX, {"q": "城南"}).status_code == 403
