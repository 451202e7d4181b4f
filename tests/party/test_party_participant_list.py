"""The list of temporary organisations' participants: the county's own only, filtered by
organisation and current ones, exported as shown, linked from the organisation's page."""

from __future__ import annotations

import datetime
import io
from typing import Any

import openpyxl
import pytest
from django.test import Client
from tests.conftest import HECHENG, YUANLING
from tests.party.party_factories import make_branch, make_member

from hongxia.party.models import Participation

pytestmark = pytest.mark.django_db

PAGE = "/party/participants/"
EXPORT = "/party/participants.xlsx"


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _take_part(task: Any, name: str, *, end: datetime.date | None = None,
               note: str = "") -> Participation:
    member = make_member(make_branch(task.region_id, f"{name}所在支部"), name=name)
    return Participation.objects.create(organisation=task, member=member, note=note,
                                        start_date=datetime.date(2025, 1, 1), end_date=end)


@pytest.fixture
def world(db: Any) -> dict[str, Any]:
    village = make_branch(HECHENG, "乡村振兴临时党支部", kind="temporary")
    flood = make_branch(HECHENG, "防汛临时党支部", kind="temporary")
    theirs = make_branch(YUANLING, "沅陵临时党支部", kind="temporary")
    _take_part(village, "驻村党员", note="驻村指导")
    _take_part(village, "已离开党员", end=datetime.date(2025, 6, 30))
    _take_part(flood, "防汛党员")
    _take_part(theirs, "沅陵党员")
    return {"village": village, "flood": flood}


def _xlsx_rows(response: Any) -> list[tuple[Any, ...]]:
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return list(book.active.iter_rows(values_only=True))


def test_another_countys_participants_are_never_listed(clerk: Any, world: Any) -> None:
    page = _client(clerk).get(PAGE)
    assert page.status_code == 200
    html = page.content.decode()
    for name in ("驻村党员", "已离开党员", "防汛党员", "驻村指导"):
        assert name in html
    assert "沅陵党员" not in html and "沅陵临时党支部" not in html
    exported = "\n".join(str(c) for r in _xlsx_rows(_client(clerk).get(EXPORT)) for c in r)
    assert "驻村党员" in exported and "沅陵党员" not in exported


def test_filtered_by_organisation_and_current_and_exported_as_shown(
        clerk: Any, world: Any) -> None:
    client = _client(clerk)
    query = {"organisation": world["village"].pk, "current": "true"}
    html = client.get(PAGE, query).content.decode()
    assert "驻村党员" in html
    assert "已离开党员" not in html and "防汛党员" not in html
    assert f"{EXPORT}?organisation={world['village'].pk}&amp;current=true" in html
    rows = _xlsx_rows(client.get(EXPORT, query))
    assert rows[0][:3] == ("临时党组织", "姓名", "原支部")
    assert [r[:3] for r in rows[1:]] == [("乡村振兴临时党支部", "驻村党员", "驻村党员所在支部")]
    everyone = [r[1] for r in _xlsx_rows(client.get(EXPORT, {"organisation":
                                                           world["village"].pk}))[1:]]
    assert sorted(everyone) == ["已离开党员", "驻村党员"]


def test_the_organisation_page_and_the_tabs_link_to_the_list(clerk: Any, world: Any) -> None:
    client = _client(clerk)
    village = world["village"]
    html = client.get(f"/party/organisations/{village.pk}/").content.decode()
    assert f'{PAGE}?organisation={village.pk}"' in html
    assert f'href="{PAGE}"' in client.get("/party/members/").content.decode()


def test_a_user_without_the_export_permission_gets_no_file(secretary: Any, world: Any) -> None:
    assert _client(secretary).get(PAGE).status_code == 200
    assert _client(secretary).get(EXPORT).status_code == 403


@pytest.mark.parametrize("text", ["驻村", "zhucun", "zcdy"])
def test_searched_by_name_pinyin_or_initials(clerk: Any, world: Any, text: str) -> None:
    html = _client(clerk).get(PAGE, {"q": text}).content.decode()
    assert "驻村党员" in html
    assert "防汛党员" not in html and "已离开党员" not in html
