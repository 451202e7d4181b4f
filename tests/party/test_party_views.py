"""The party pages as a clerk and a secretary use them: lists, forms, compliance, export."""

from __future__ import annotations

import datetime
import io
from typing import Any

import openpyxl
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from tests.conftest import HECHENG, YUANLING
from tests.party.conftest import PARTY_ROLE_PERMISSIONS, grant
from tests.party.party_factories import make_branch, make_meeting, make_member

from hongxia.core.models import AuditLog
from hongxia.party.models import Meeting, MeetingRequirement, Member, Organisation, PartyHome

pytestmark = pytest.mark.django_db


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _page(response: Any) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_clerk_creates_a_branch_and_adds_a_member(clerk: Any, party_person: Any) -> None:
    client = _client(clerk)
    response = client.post("/party/organisations/new/", {
        "name": "鹤城区人社局离退休干部党支部", "kind": "branch", "region": HECHENG,
        "basis": "unit", "basis_note": "鹤城区人社局", "start_date": "2020-01-01"})
    assert response.status_code == 302, response.content.decode()[:2000]
    org = Organisation.objects.get(name="鹤城区人社局离退休干部党支部")
    response = client.post("/party/members/new/", {
        "person": party_person.pk, "organisation": org.pk, "since": "2021-03-01"})
    assert response.status_code == 302
    member = Member.objects.get(person=party_person)
    page = _page(client.get(f"/party/members/{member.pk}/"))
    assert "2020-07-01" in page  # 光荣在党50年 from the 50th anniversary of 1970-07-01
    assert AuditLog.objects.filter(model="party.Member", action="create").exists()


def test_clerk_cannot_create_a_branch_in_another_county(clerk: Any) -> None:
    response = _client(clerk).post("/party/organisations/new/", {
        "name": "越界支部", "kind": "branch", "region": YUANLING, "basis": "unit",
        "start_date": "2020-01-01"})
    assert response.status_code == 200
    assert not Organisation.objects.filter(name="越界支部").exists()


def test_branch_page_shows_its_compliance_and_who_missed_everything(city_admin: Any) -> None:
    branch = make_branch(HECHENG, "落后支部")
    came, missed = make_member(branch, name="按时参会"), make_member(branch, name="从不参会")
    today = datetime.date.today()
    make_meeting(branch, "theme_day", today, attendance={came: "present", missed: "absent"})
    response = _client(city_admin).get(f"/party/organisations/{branch.pk}/")
    page = _page(response)
    _month, quarter = response.context["checks"]
    assert quarter["row"].held_theme_day == 1
    assert [m.person.name for m in response.context["missing"]] == ["从不参会"]
    assert "从不参会" in page


def test_list_filters_search_and_pages(city_admin: Any) -> None:
    for i in range(60):
        make_branch(HECHENG, f"支部{i:02d}")
    make_branch(YUANLING, "沅陵某支部")
    client = _client(city_admin)
    first = _page(client.get("/party/", {"region": HECHENG}))
    assert "沅陵某支部" not in first
    response = client.get("/party/", {"region": HECHENG})
    cursor = response.context["page"].next_cursor
    assert cursor
    second = _page(client.get("/party/", {"region": HECHENG, "cursor": cursor}))
    assert "支部59" in second or "支部59" in first
    assert "支部07" in _page(client.get("/party/", {"q": "支部07"}))


def test_list_query_count_does_not_grow_with_rows(city_admin: Any) -> None:
    client = _client(city_admin)
    branch = make_branch(HECHENG, "甲支部")
    make_member(branch)
    client.get("/party/members/")
    with CaptureQueriesContext(connection) as few:
        client.get("/party/members/")
    for _i in range(10):
        make_member(branch)
    with CaptureQueriesContext(connection) as many:
        client.get("/party/members/")
    assert len(many) == len(few)


def test_export_has_the_filtered_rows(city_admin: Any) -> None:
    make_member(make_branch(HECHENG, "甲支部"), name="导出人")
    make_member(make_branch(YUANLING, "乙支部"), name="不导出")
    response = _client(city_admin).get("/party/members.xlsx", {"region": HECHENG})
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    text = [c for row in book.active.iter_rows(values_only=True) for c in row]
    assert "导出人" in text and "不导出" not in text
    assert AuditLog.objects.filter(action="export").exists()


def test_record_a_meeting_with_attendance(secretary: Any, branch: Any) -> None:
    grant(secretary, *PARTY_ROLE_PERMISSIONS["branch_secretary"])
    a, b = make_member(branch), make_member(branch)
    client = _client(secretary)
    form = _page(client.get("/party/meetings/new/", {"organisation": branch.pk}))
    assert f'name="att-{a.pk}"' in form
    response = client.post("/party/meetings/new/", {
        "organisation": branch.pk, "kind": "theme_day", "date": "2026-01-05",
        "topic": "重温入党誓词", f"att-{a.pk}": "present", f"att-{b.pk}": "absent",
        f"reason-{b.pk}": "住院治疗"})
    assert response.status_code == 302, response.content.decode()[:3000]
    meeting = Meeting.objects.get(topic="重温入党誓词")
    assert dict(meeting.attendance.values_list("member_id", "status")) == {
        a.pk: "present", b.pk: "absent"}
    assert meeting.recorded_by == secretary


@pytest.mark.parametrize("junk", ["abc", "2026-13-45", "9" * 20])
def test_meeting_for_an_organisation_that_is_not_an_id_is_a_field_error(
    secretary: Any, branch: Any, junk: str
) -> None:
    grant(secretary, *PARTY_ROLE_PERMISSIONS["branch_secretary"])
    client = _client(secretary)
    assert client.get("/party/meetings/new/", {"organisation": junk}).status_code == 200
    page = _page(client.post("/party/meetings/new/", {
        "organisation": junk, "kind": "theme_day", "date": "2026-01-05", "topic": "重温入党誓词"}))
    errors = page[page.find('name="organisation"') - 1500:page.find('name="organisation"') + 1500]
    assert "选择一个有效的选项" in errors
    assert not Meeting.objects.exists()


def test_home_covering_a_branch_id_too_large_for_the_database_is_a_field_error(
    clerk: Any,
) -> None:
    page = _page(_client(clerk).post("/party/homes/new/", {
        "name": "城北老党员之家", "region": HECHENG, "address": "人民路1号",
        "branches": ["9" * 20]}))
    assert f"选择一个有效的选项。 {'9' * 20} 不在可用的选项中。" in page
    assert not PartyHome.objects.exists()


def test_compliance_overview_lists_counties_and_branches_behind(city_admin: Any) -> None:
    behind = make_branch(HECHENG, "鹤城落后支部", start=datetime.date(2020, 1, 1))
    make_branch(YUANLING, "沅陵落后支部")
    page = _page(_client(city_admin).get("/party/compliance/", {"period": "2026Q1"}))
    assert "鹤城落后支部" in page and "沅陵落后支部" in page
    assert "鹤城区" in page and "沅陵县" in page
    only_hc = _page(_client(city_admin).get("/party/compliance/",
                                            {"period": "2026Q1", "region": HECHENG}))
    assert "沅陵落后支部" not in only_hc
    del behind


def test_requirement_edit_from_the_compliance_page(city_admin: Any, clerk: Any) -> None:
    grant(clerk, *PARTY_ROLE_PERMISSIONS["county_clerk"])
    req = MeetingRequirement.objects.get(org_kind="branch", meeting_kind="theme_day")
    refused = _client(clerk).post("/party/requirements/", {
        "requirement": req.pk, "times": 1, "per": "quarter", "active": "on"})
    assert refused.status_code == 403
    response = _client(city_admin).post("/party/requirements/", {
        "requirement": req.pk, "times": 1, "per": "quarter", "active": "on"})
    assert response.status_code == 302
    req.refresh_from_db()
    assert req.per == "quarter"


@pytest.mark.parametrize(("requirement", "says"), [
    (None, "频次要求：未收到是哪一项，请刷新页面。"),
    ("abc", "频次要求：该项已不存在，请刷新页面。"),
    ("999999", "频次要求：该项已不存在，请刷新页面。"),
])
def test_requirement_edit_of_a_stale_row_names_what_is_wrong(
        city_admin: Any, requirement: str | None, says: str) -> None:
    post = {"times": 1, "per": "quarter", "active": "on"}
    if requirement is not None:
        post["requirement"] = requirement
    before = list(MeetingRequirement.objects.values_list("times", "per", "active"))
    response = _client(city_admin).post("/party/requirements/", post, follow=True,
                                         HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.redirect_chain[-1][0] == "/party/compliance/"
    assert [str(m) for m in response.context["messages"]] == [says]
    assert list(MeetingRequirement.objects.values_list("times", "per", "active")) == before


def test_home_panel_for_secretary_and_clerk(secretary: Any, branch: Any, clerk: Any) -> None:
    from django.test import RequestFactory

    from hongxia.party.home import panel

    grant(secretary, *PARTY_ROLE_PERMISSIONS["branch_secretary"])
    request = RequestFactory().get("/")
    request.user = secretary
    ctx = panel(request)
    assert ctx is not None and [b.pk for b in ctx["branches"]] == [branch.pk]
    request.user = clerk
    ctx = panel(request)
    assert ctx is not None and ctx["summary"].branches >= 1
    page = _page(_client(secretary).get("/"))
    assert branch.name in page


def test_home_create_with_coverage(clerk: Any) -> None:
    branch = make_branch(HECHENG, "甲支部")
    response = _client(clerk).post("/party/homes/new/", {
        "name": "城北老党员之家", "region": HECHENG, "address": "人民路1号",
        "branches": [branch.pk]})
    assert response.status_code == 302, response.content.decode()[:2000]
    home = PartyHome.objects.get(name="城北老党员之家")
    assert list(home.branches.all()) == [branch]


@pytest.mark.parametrize("url", ["/party/organisations.xlsx", "/party/branch-rules.xlsx",
                                 "/party/compliance.xlsx?period=2026Q1"])
def test_an_export_reads_the_region_labels_once(city_admin: Any, monkeypatch: Any,
                                                url: str) -> None:
    """Each read of the cached labels unpickles the whole code → label map; read once per
    row, a city's 798 branches cost 798 of them."""
    from hongxia.party import views

    for n in range(5):
        make_branch(HECHENG, f"鹤城第{n}支部")
    reads = []
    real = views.region_label_map

    def counted() -> dict[str, str]:
        reads.append(1)
        return real()

    monkeypatch.setattr(views, "region_label_map", counted)
    response = _client(city_admin).get(url)
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = list(book.active.iter_rows(values_only=True))
    assert sum("鹤城区" in str(cell) for row in rows for cell in row) >= 5
    assert len(reads) == 1
