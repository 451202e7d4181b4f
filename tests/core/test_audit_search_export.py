"""The audit trail's search box finds entries about people as the registry's search does (name,
pinyin, initials, last 4 digits of ID or phone), and its export holds exactly the filtered rows,
for those who may read the trail."""

from __future__ import annotations

from typing import Any

import pytest
from tests.conftest import HECHENG, YUANLING
from tests.factories import PersonFactory
from tests.http import logged_in, xlsx_rows

from hongxia.core.models import AuditLog
from hongxia.people import services
from hongxia.people.models import Person

pytestmark = pytest.mark.django_db

PAGE = "/audit/"
EXPORT = "/audit/export.xlsx"
HEADERS = ("时间", "用户", "地址", "操作", "记录类型", "记录", "人员编号", "变更内容", "备注")


@pytest.fixture
def two(city_admin: Any) -> dict[str, Person]:
    zhang = PersonFactory(region_id=HECHENG, name="张建国", phone="13907317788")
    li = PersonFactory(region_id=YUANLING, name="李秀英", phone="13907314455")
    services.person_update(actor=city_admin, person=zhang, data={"address": "迎丰路甲号"})
    services.person_update(actor=city_admin, person=li, data={"address": "沅陵路乙号"})
    return {"zhang": zhang, "li": li}


@pytest.mark.parametrize("text", ["张建", "zhangjianguo", "zjg", "7788"])
def test_search_finds_entries_about_the_person(
    city_admin: Any, two: dict[str, Person], text: str
) -> None:
    response = logged_in(city_admin).get(PAGE, {"q": text})
    assert response.status_code == 200
    rows = response.context["page"].rows
    assert rows and {r.person_id for r in rows} == {two["zhang"].pk}
    html = response.content.decode()
    assert "迎丰路甲号" in html and "沅陵路乙号" not in html
    assert 'name="q"' in html


def test_search_by_the_id_number_tail(city_admin: Any, two: dict[str, Person]) -> None:
    tail = two["li"].id_number[-4:]
    rows = logged_in(city_admin).get(PAGE, {"q": tail}).context["page"].rows
    assert rows and {r.person_id for r in rows} == {two["li"].pk}


def test_search_keeps_keyset_pages(city_admin: Any, two: dict[str, Person], settings: Any) -> None:
    settings.HONGXIA_PAGE_SIZE = 1
    services.person_update(actor=city_admin, person=two["zhang"], data={"address": "第二次"})
    services.person_update(actor=city_admin, person=two["li"], data={"address": "不该出现"})
    wanted = set(
        AuditLog.objects.filter(person_id=two["zhang"].pk).values_list("pk", flat=True)
    )
    assert len(wanted) >= 2
    client = logged_in(city_admin)
    params: dict[str, Any] = {"q": "zjg"}
    seen: list[int] = []
    for _ in range(len(wanted) + 2):
        page = client.get(PAGE, params).context["page"]
        seen += [r.pk for r in page.rows]
        if not page.next_cursor:
            break
        params["cursor"] = page.next_cursor
    assert sorted(seen) == sorted(wanted)


def test_export_holds_exactly_the_filtered_rows(city_admin: Any, two: dict[str, Person]) -> None:
    client = logged_in(city_admin)
    html = client.get(PAGE, {"q": "lxy", "action": "update"}).content.decode()
    assert f'href="{EXPORT}?q=lxy&amp;action=update"' in html
    rows = xlsx_rows(client.get(EXPORT, {"q": "lxy", "action": "update"}))
    assert rows[0] == HEADERS
    body = rows[1:]
    assert len(body) == 1
    row = body[0]
    assert row[1] == city_admin.username
    assert row[3] == "修改"
    assert row[4] == "people.Person" and row[5] == "李秀英"
    assert row[6] == two["li"].pk
    assert "address:" in row[7] and row[7].endswith("→ 沅陵路乙号")
    everything = xlsx_rows(client.get(EXPORT, {"action": "update"}))
    assert {r[5] for r in everything[1:]} == {"张建国", "李秀英"}


def test_export_is_itself_audited(city_admin: Any, two: dict[str, Person]) -> None:
    xlsx_rows(logged_in(city_admin).get(EXPORT, {"q": "zjg"}))
    entry = AuditLog.objects.filter(action="export").latest("id")
    assert entry.actor == city_admin and entry.note.startswith("audit trail ")
    assert "q=zjg" in entry.note


def test_export_needs_the_audit_permission(clerk: Any, two: dict[str, Person]) -> None:
    client = logged_in(clerk)
    assert client.get(PAGE).status_code == 403
    assert client.get(EXPORT, {"q": "zjg"}).status_code == 403
