"""The registry pages as a clerk uses them: list, search, filters, forms, death, export."""

from __future__ import annotations

import datetime
import io
from typing import Any

import openpyxl
import pytest
from django.test import Client
from tests.factories import PersonFactory

from hongxia.core.models import AuditLog
from hongxia.ingest import exports
from hongxia.people.models import LifeEvent, Person

pytestmark = pytest.mark.django_db


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _names(response: Any) -> str:
    return response.content.decode()


VALID = {
    "name": "单雄信",
    "id_number": "431202193805011232",
    "gender": "",
    "birth_date": "",
    "ethnicity": "12",
    "category": "tuixiu",
    "rank": "keyuan",
    "former_unit": "怀化市林业局",
    "political_status": "cpc_member",
    "party_joined": "1960-07-01",
    "region": "431202",
    "health_status": "good",
    "phone": "13912345678",
}


def test_create_fills_birth_date_and_gender_from_the_id(clerk: Any) -> None:
    response = _client(clerk).post("/people/new/", VALID)
    assert response.status_code == 302, _names(response)
    person = Person.objects.get(name="单雄信")
    assert person.birth_date == datetime.date(1938, 5, 1)
    assert person.gender == "M"
    assert person.id_masked == "4312**********1232"
    assert AuditLog.objects.filter(action="create", person_id=person.pk, actor=clerk).exists()


@pytest.mark.parametrize(
    ("field", "value", "needle"),
    [
        ("id_number", "431202193805011233", "校验码"),
        ("id_number", "4.31202E+17", "表格"),
        # VALID leaves gender and birth date to the ID; without one, each is asked for by name.
        ("id_number", "", "没有身份证号时，请填写性别。"),
        ("id_number", "", "没有身份证号时，请填写出生日期。"),
        ("birth_date", "1950-02-30", "有效的日期"),
        ("name", "", "必填"),
        ("name", "名" * 65, "64"),
        ("region", "431222", "选择一个有效的选项"),
        ("party_joined", "not-a-date", "有效的日期"),
        # Copied from a masked page or export, it would have overwritten the real number.
        ("phone", "139****5678", "这是遮盖后的号码（如 138****5678），请填写完整号码。"),
        ("landline", "不详", "不是电话号码"),
        # An id past any integer column: SQLite could not even look it up (it was a 500).
        ("tags", "9" * 20, f"选择一个有效的选项。 {'9' * 20} 不在可用的选项中。"),
    ],
)
def test_bad_input_is_named_on_its_field_and_nothing_is_saved(
    clerk: Any, field: str, value: str, needle: str
) -> None:
    data = dict(VALID, **{field: value})
    response = _client(clerk).post("/people/new/", data)
    assert response.status_code == 200
    page = _names(response)
    assert needle in page, page[page.find("errorlist") - 300 : page.find("errorlist") + 300]
    assert "has-error" in page
    assert not Person.objects.exists()


def test_future_birth_date_is_refused(clerk: Any) -> None:
    future = (datetime.date.today() + datetime.timedelta(days=3)).isoformat()
    data = dict(VALID, id_number="", gender="M", birth_date=future)
    response = _client(clerk).post("/people/new/", data)
    assert "将来" in _names(response)
    assert not Person.objects.exists()


def test_birth_date_must_match_the_id(clerk: Any) -> None:
    data = dict(VALID, birth_date="1938-05-02")
    response = _client(clerk).post("/people/new/", data)
    assert "不一致" in _names(response)
    assert not Person.objects.exists()


def test_duplicate_id_is_refused_without_saying_whose(clerk: Any, other_person: Person) -> None:
    data = dict(VALID, id_number=other_person.id_number, birth_date="", gender="", party_joined="")
    response = _client(clerk).post("/people/new/", data)
    page = _names(response)
    assert "已登记" in page
    assert other_person.name not in page.split("errorlist")[1][:300]
    assert Person.objects.count() == 1


def test_list_search_by_pinyin_initials_surname_reading_and_digits(clerk: Any) -> None:
    zeng = PersonFactory(name="曾国华", phone="13800005678")
    PersonFactory(name="王秀英", phone="13800001111")
    client = _client(clerk)
    for query in ("曾国华", "国华", "zengguohua", "ZengGuoHua", "zgh", "guohua", "5678"):
        page = _names(client.get("/people/", {"q": query}))
        assert "曾国华" in page and "王秀英" not in page, query
    page = _names(client.get("/people/", {"q": zeng.id_number[-4:]}))
    assert "曾国华" in page


def test_list_filters(clerk: Any) -> None:
    PersonFactory(name="离休甲", category="lixiu", birth_date=datetime.date(1930, 1, 1))
    PersonFactory(name="退休乙", category="tuixiu", birth_date=datetime.date(1960, 1, 1))
    client = _client(clerk)
    page = _names(client.get("/people/", {"category": "lixiu"}))
    assert "离休甲" in page and "退休乙" not in page
    page = _names(client.get("/people/", {"age_band": "60_69"}))
    assert "退休乙" in page and "离休甲" not in page


def test_list_shows_masked_numbers_to_a_clerk(clerk: Any, person: Person) -> None:
    page = _names(_client(clerk).get("/people/"))
    assert person.id_masked in page
    assert person.id_number not in page
    assert person.phone not in page


def test_keyset_pages_walk_the_whole_list(clerk: Any, settings: Any) -> None:
    settings.HONGXIA_PAGE_SIZE = 3
    people = [PersonFactory(name=f"测试{i:02d}") for i in range(8)]
    client = _client(clerk)
    seen: list[str] = []
    response = client.get("/people/")
    for _ in range(5):
        page = response.context["page"]
        seen += [p["name"] for p in page.rows]
        if not page.next_cursor:
            break
        response = client.get("/people/", {"cursor": page.next_cursor})
    assert sorted(seen) == sorted(p.name for p in people)
    back = client.get("/people/", {"cursor": response.context["page"].prev_cursor})
    assert [p["name"] for p in back.context["page"].rows] == seen[3:6]


def test_detail_reveal_is_logged_and_only_for_the_permitted(
    city_admin: Any, clerk: Any, person: Person
) -> None:
    url = f"/people/{person.pk}/reveal/id_number/"
    assert _client(clerk).post(url).status_code == 403
    response = _client(city_admin).post(url)
    assert response.status_code == 200
    assert person.id_number in response.content.decode()
    row = AuditLog.objects.get(action="view_sensitive")
    assert row.actor == city_admin and row.person_id == person.pk and row.note == "id_number"


def test_record_death_keeps_history_and_survivors(clerk: Any, person: Person) -> None:
    survivor = PersonFactory(name="遗孀丙", category="survivor", survivor_of=person, gender="F")
    response = _client(clerk).post(
        f"/people/{person.pk}/death/", {"date": "2026-05-04", "note": "病逝"}
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.life_status == "deceased" and person.death_date == datetime.date(2026, 5, 4)
    assert LifeEvent.objects.filter(person=person, kind="death").count() == 1
    survivor.refresh_from_db()
    assert survivor.life_status == "alive" and survivor.survivor_of_id == person.pk
    page = _names(_client(clerk).get(f"/people/{person.pk}/"))
    assert "遗孀丙" in page and "病逝" in page


def test_record_death_in_the_future_is_refused(clerk: Any, person: Person) -> None:
    future = (datetime.date.today() + datetime.timedelta(days=1)).isoformat()
    _client(clerk).post(f"/people/{person.pk}/death/", {"date": future})
    person.refresh_from_db()
    assert person.life_status == "alive"


def _sheet_rows(response: Any) -> list[tuple[Any, ...]]:
    body = b"".join(response.streaming_content)
    return list(openpyxl.load_workbook(io.BytesIO(body)).active.iter_rows(values_only=True))


def test_export_is_the_roster_masked_for_a_clerk_and_audited(clerk: Any, person: Person) -> None:
    response = _client(clerk).get("/people/export.xlsx", {"q": person.name})
    rows = _sheet_rows(response)
    assert rows[0] == tuple(exports.headers()), "the importer's columns"
    assert person.id_masked in rows[1] and person.id_number not in rows[1]
    assert response["Content-Disposition"].endswith('.xlsx"')
    log = AuditLog.objects.get(action="export", actor=clerk)
    assert "xlsx" in log.note and "unmasked" not in log.note
    assert _client(clerk).get("/people/export.xlsx", {"unmasked": "1"}).status_code == 403


def test_export_unmasked_for_an_administrator_who_asks(city_admin: Any, person: Person) -> None:
    assert person.id_number not in _sheet_rows(_client(city_admin).get("/people/export.xlsx"))[1]
    response = _client(city_admin).get("/people/export.xlsx", {"unmasked": "1"})
    assert person.id_number in _sheet_rows(response)[1]
    assert "unmasked" in AuditLog.objects.filter(action="export").latest("id").note


def test_edit_by_a_clerk_keeps_the_hidden_id(clerk: Any, person: Person) -> None:
    client = _client(clerk)
    form = client.get(f"/people/{person.pk}/edit/").content.decode()
    assert person.id_number not in form
    data = dict(
        VALID,
        name=person.name,
        id_number="",
        birth_date=person.birth_date.isoformat(),
        gender=person.gender,
        phone="",
        party_joined="",
    )
    response = client.post(f"/people/{person.pk}/edit/", data)
    assert response.status_code == 302, _names(response)
    old = person.id_number
    person.refresh_from_db()
    assert person.id_number == old
    assert person.former_unit == "怀化市林业局"


def test_english_is_complete_for_the_list(clerk: Any, person: Person) -> None:
    client = _client(clerk)
    client.cookies["django_language"] = "en"
    page = _names(client.get("/people/"))
    assert "Registry" in page and "信息库" not in page


def test_contacts_are_added_and_removed_from_the_detail_page(clerk: Any, person: Person) -> None:
    client = _client(clerk)
    url = f"/people/{person.pk}/contacts/"
    response = client.post(
        url, {"name": "李明", "relation": "son", "phone": "138 0000 1111", "is_emergency": "on"}
    )
    assert response.status_code == 302
    contact = person.contacts.get()
    assert contact.phone == "13800001111" and contact.phone_masked == "138****1111"
    page = _names(client.get(f"/people/{person.pk}/"))
    assert "李明" in page and "138****1111" in page and "13800001111" not in page
    assert client.post(url, {"name": "", "relation": "son"}).status_code == 302
    assert person.contacts.count() == 1, "a contact without a name is refused"
    masked = client.post(url, {"name": "李红", "relation": "daughter", "phone": "138****1111"},
                         follow=True)
    assert "这是遮盖后的号码" in _names(masked)
    assert person.contacts.count() == 1, "a masked number copied from the page is refused"
    client.post(f"/people/contacts/{contact.pk}/delete/")
    assert not person.contacts.exists()
    actions = list(AuditLog.objects.filter(model="people.Contact").values_list("action", flat=True))
    assert sorted(actions) == ["create", "delete"]


def test_city_admin_edits_the_classification_list(city_admin: Any, clerk: Any) -> None:
    from hongxia.people.models import Tag

    assert _client(clerk).get("/people/tags/").status_code == 403
    client = _client(city_admin)
    response = client.post(
        "/people/tags/",
        {
            "code": "veteran_soldier",
            "name": "退役军人",
            "name_en": "Veteran soldier",
            "active": "on",
        },
    )
    assert response.status_code == 302
    tag = Tag.objects.get(code="veteran_soldier")
    client.post("/people/tags/", {"toggle": tag.pk})
    tag.refresh_from_db()
    assert not tag.active
    client.get("/people/tags/")  # (shows the "saved" message once)
    assert "退役军人" not in _names(client.get("/people/"))  # retired tags leave the filter
    page = _names(client.post("/people/tags/", {"code": "", "name": ""}))
    assert "errorlist" in page
    assert AuditLog.objects.filter(model="people.Tag").count() == 2


def test_a_search_counts_only_so_far(clerk: Any, monkeypatch: Any) -> None:
    from hongxia.people.views import PersonListView

    monkeypatch.setattr(PersonListView, "search_count_cap", 2)
    for _ in range(3):
        PersonFactory(name="张三丰")
    client = _client(clerk)
    page = client.get("/people/", {"q": "zsf"}).context["page"]
    assert page.total == 2 and page.total_capped
    page = client.get("/people/").context["page"]
    assert page.total == 3 and not page.total_capped


def test_a_toggle_that_is_not_a_tag_id_is_not_found(city_admin: Any) -> None:
    from hongxia.people.models import Tag

    tag = Tag.objects.create(code="veteran_soldier", name="退役军人", active=True)
    client = _client(city_admin)
    for junk in ("abc", "2026-13-45", "9" * 20):
        assert client.post("/people/tags/", {"toggle": junk}).status_code == 404
    tag.refresh_from_db()
    assert tag.active
    assert not AuditLog.objects.filter(model="people.Tag").exists()


def test_the_region_select_reads_its_labels_once(city_admin: Any, monkeypatch: Any) -> None:
    """Each read of the cached labels unpickles the whole map; read once per option, the
    city-wide select of some 900 regions cost every form page about 0.15 s."""
    from hongxia.people import forms

    reads = []

    def counted() -> dict[str, str]:
        reads.append(1)
        return real()

    real = forms.region_label_map
    monkeypatch.setattr(forms, "region_label_map", counted)
    page = _client(city_admin).get("/people/new/").content.decode()
    assert len(reads) == 1
    assert "怀化市 · 鹤城区 · 城中街道" in page


SURVIVOR = {
    **VALID,
    "name": "遗孀测甲",
    "id_number": "",
    "gender": "F",
    "birth_date": "1940-02-03",
    "category": "survivor",
    "survivor_relation": "spouse",
    "rank": "",
    "political_status": "masses",
    "party_joined": "",
    "phone": "",
}


def test_a_survivor_is_linked_only_to_a_cadre_whose_death_is_recorded(
    clerk: Any, person: Person
) -> None:
    """A 遗属 linked to a living cadre, or to another survivor, was stored without a word:
    her festival visits and subsidies then hang on someone still alive."""
    client = _client(clerk)
    widow = PersonFactory(region_id="431202", name="李桂兰", category="survivor", gender="F")

    response = client.post("/people/new/", {**SURVIVOR, "survivor_of": person.pk})
    assert response.status_code == 200
    assert response.context["form"].errors["survivor_of"] == [
        f"{person.name}尚未登记去世。请先在其信息页登记去世。"
    ]
    response = client.post("/people/new/", {**SURVIVOR, "survivor_of": widow.pk})
    assert response.context["form"].errors["survivor_of"] == [
        "李桂兰登记为遗属。请将遗属关联到已故干部本人。"
    ]
    assert not Person.objects.filter(name="遗孀测甲").exists()

    client.post(f"/people/{person.pk}/death/", {"date": "2026-05-04"})
    response = client.post("/people/new/", {**SURVIVOR, "survivor_of": person.pk})
    assert response.status_code == 302, _names(response)
    assert Person.objects.get(name="遗孀测甲").survivor_of_id == person.pk


def test_a_link_made_before_the_rule_does_not_stop_other_edits(
    clerk: Any, person: Person
) -> None:
    survivor = PersonFactory(
        region_id="431202", name="遗孀测甲", category="survivor", gender="F", survivor_of=person,
        birth_date=datetime.date(1940, 2, 3), id_number="", phone="",
    )
    data = {**SURVIVOR, "survivor_of": person.pk, "address": "鹤城区迎丰路2号"}
    response = _client(clerk).post(f"/people/{survivor.pk}/edit/", data)
    assert response.status_code == 302, _names(response)
    survivor.refresh_from_db()
    assert survivor.address == "鹤城区迎丰路2号" and survivor.survivor_of_id == person.pk


@pytest.mark.parametrize(
    ("field", "message"),
    [("revolution_date", "参加革命时间不能早于出生日期。"),
     ("retirement_date", "离退休时间不能早于出生日期。")],
)
def test_a_date_before_the_birth_date_is_refused(clerk: Any, field: str, message: str) -> None:
    response = _client(clerk).post("/people/new/", {**VALID, field: "1899-12-31"})
    assert response.context["form"].errors[field] == [message]
