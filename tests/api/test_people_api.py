"""The registry's REST API: scope, search, pagination, masking, writes through the services."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from tests.conftest import CITY, HECHENG, YUANLING
from tests.factories import PersonFactory

from hongxia.core import idcard
from hongxia.core.models import AuditLog
from hongxia.people import services
from hongxia.people.models import LifeEvent, Person, Tag

Api = Callable[[Any], APIClient]
LIST = "/api/people"
BIRTH = datetime.date(1950, 3, 15)


def detail(person: Any) -> str:
    return f"/api/people/{person.pk}"


def names(response: Any) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["name"] for row in response.json()["results"]]


def valid_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "刘德胜",
        "gender": "M",
        "id_number": idcard.make(HECHENG, BIRTH, 123),
        "birth_date": BIRTH.isoformat(),
        "category": "tuixiu",
        "rank": "ke_zheng",
        "region": HECHENG,
        "phone": "13812345678",
        "tags": ["aged80", "living_alone"],
    }
    body.update(overrides)
    return body


# --- reading: scope, search, filters, pagination -------------------------------------------


def test_list_shows_only_the_clerks_county(
    api: Api, clerk: Any, person: Any, other_person: Any
) -> None:
    response = api(clerk).get(LIST)
    ids = [row["id"] for row in response.json()["results"]]
    assert ids == [person.pk]
    assert response.json()["count"] == 1
    assert response.json()["count_capped"] is False


def test_list_row_has_the_documented_fields(api: Api, clerk: Any, person: Any) -> None:
    row = api(clerk).get(LIST).json()["results"][0]
    for field in (
        "id",
        "url",
        "name",
        "name_pinyin",
        "gender",
        "gender_display",
        "ethnicity",
        "id_number",
        "birth_date",
        "lunar_birthday",
        "category",
        "rank",
        "former_unit",
        "retirement_date",
        "revolution_date",
        "political_status",
        "party_joined",
        "region",
        "region_name",
        "address",
        "lives_elsewhere",
        "elsewhere_city",
        "phone",
        "landline",
        "health_status",
        "hardship",
        "tags",
        "life_status",
        "death_date",
        "survivor_of",
        "contacts",
    ):
        assert field in row, field
    assert row["region"] == HECHENG
    assert row["region_name"] == "鹤城区"
    assert row["url"].endswith(detail(person))


@pytest.mark.parametrize("query", ["zhangsanfeng", "zsf", "张三", "三丰", "zhangs"])
def test_search_by_characters_pinyin_and_initials(api: Api, clerk: Any, query: str) -> None:
    PersonFactory(name="张三丰", region_id=HECHENG)
    PersonFactory(name="李建国", region_id=HECHENG)
    assert names(api(clerk).get(LIST, {"q": query})) == ["张三丰"]


def test_search_reads_the_surname_曾_as_zeng(api: Api, clerk: Any) -> None:
    PersonFactory(name="曾国华", region_id=HECHENG)
    PersonFactory(name="王秀英", region_id=HECHENG)
    assert names(api(clerk).get(LIST, {"q": "zeng"})) == ["曾国华"]
    assert names(api(clerk).get(LIST, {"q": "zgh"})) == ["曾国华"]


def test_search_by_last_four_digits_of_phone(api: Api, clerk: Any) -> None:
    PersonFactory(name="张三丰", region_id=HECHENG, phone="13900004321")
    PersonFactory(name="李建国", region_id=HECHENG, phone="13900001234")
    assert names(api(clerk).get(LIST, {"q": "4321"})) == ["张三丰"]


def test_search_never_reaches_another_county(api: Api, clerk: Any) -> None:
    PersonFactory(name="张三丰", region_id=YUANLING)
    assert names(api(clerk).get(LIST, {"q": "zhangsanfeng"})) == []


def test_filters_are_those_of_the_list_page(api: Api, clerk: Any) -> None:
    today = timezone.localdate()
    aged80 = Tag.objects.get(code="aged80")
    PersonFactory(
        name="离休甲",
        region_id=HECHENG,
        category="lixiu",
        birth_date=today.replace(year=today.year - 95) - datetime.timedelta(days=1),
    )
    PersonFactory(
        name="党员乙",
        region_id="431202001",
        political_status="cpc_member",
        tags=[aged80],
        birth_date=today.replace(year=today.year - 65),
    )
    PersonFactory(
        name="外地丙",
        region_id=HECHENG,
        lives_elsewhere=True,
        elsewhere_city="长沙",
        life_status="deceased",
        death_date=datetime.date(2024, 5, 1),
        birth_date=datetime.date(1941, 2, 3),
    )
    client = api(clerk)
    assert names(client.get(LIST, {"category": "lixiu"})) == ["离休甲"]
    assert names(client.get(LIST, {"party": "true"})) == ["党员乙"]
    assert names(client.get(LIST, {"tag": "aged80"})) == ["党员乙"]
    assert names(client.get(LIST, {"region": "431202001"})) == ["党员乙"]
    assert sorted(names(client.get(LIST, {"region": HECHENG}))) == ["党员乙", "外地丙", "离休甲"]
    assert names(client.get(LIST, {"age_band": "90_99"})) == ["离休甲"]
    assert names(client.get(LIST, {"age_band": "60_69"})) == ["党员乙"]
    assert names(client.get(LIST, {"lives_elsewhere": "true"})) == ["外地丙"]
    assert names(client.get(LIST, {"life_status": "deceased"})) == ["外地丙"]
    assert names(client.get(LIST, {"category": "lixiu", "party": "true"})) == []


def test_an_invalid_filter_value_is_a_field_error(api: Api, clerk: Any, person: Any) -> None:
    response = api(clerk).get(LIST, {"category": "emperor", "page_size": "x"})
    assert response.status_code == 400
    assert "page_size" in response.json()["errors"]
    response = api(clerk).get(LIST, {"category": "emperor"})
    assert response.status_code == 400
    assert "category" in response.json()["errors"]


def test_keyset_pagination_walks_forward_and_back(api: Api, clerk: Any) -> None:
    for _ in range(5):
        PersonFactory(region_id=HECHENG)
    client = api(clerk)
    first = client.get(LIST, {"page_size": 2}).json()
    assert first["count"] == 5
    assert first["previous"] is None
    pages, page = [first], first
    while page["next"]:
        page = client.get(page["next"]).json()
        pages.append(page)
    assert [len(p["results"]) for p in pages] == [2, 2, 1]
    seen = [row["id"] for p in pages for row in p["results"]]
    expected = list(Person.objects.order_by("name_pinyin", "id").values_list("id", flat=True))
    assert seen == expected
    back = client.get(pages[2]["previous"]).json()
    assert [r["id"] for r in back["results"]] == [r["id"] for r in pages[1]["results"]]
    assert back["next"] and back["previous"]
    assert "page_size=2" in back["next"]


def test_page_size_is_limited_to_200(api: Api, clerk: Any) -> None:
    assert api(clerk).get(LIST, {"page_size": 200}).status_code == 200
    response = api(clerk).get(LIST, {"page_size": 201})
    assert response.status_code == 400
    assert "page_size" in response.json()["errors"]


def test_list_query_count_does_not_grow_with_rows(api: Api, city_admin: Any) -> None:
    from hongxia.people.models import Contact

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert api(city_admin).get(LIST).status_code == 200
        return len(ctx.captured_queries)

    aged80 = Tag.objects.get(code="aged80")
    for _ in range(2):
        p = PersonFactory(region_id=HECHENG, tags=[aged80])
        Contact.objects.create(person=p, name="儿子", relation="son", phone="13700000000")
    queries()  # the first request also loads the user's permissions
    few = queries()
    for _ in range(4):
        p = PersonFactory(region_id=YUANLING, tags=[aged80])
        Contact.objects.create(person=p, name="女儿", relation="daughter", phone="13700000001")
    assert queries() == few


# --- masking and the sensitive-view log ---------------------------------------------------


def test_clerk_sees_masks_only_and_nothing_is_logged(api: Api, clerk: Any, person: Any) -> None:
    services.contact_save(
        actor=clerk,
        person=person,
        contact=None,
        data={"name": "儿子", "relation": "son", "phone": "13712345678"},
    )
    row = api(clerk).get(LIST).json()["results"][0]
    assert row["id_number"] == person.id_masked != person.id_number
    assert "*" in row["id_number"]
    assert row["phone"] == person.phone_masked != person.phone
    assert row["contacts"][0]["phone"] == "137****5678"
    assert api(clerk).get(detail(person)).json()["id_number"] == person.id_masked
    assert not AuditLog.objects.filter(action=AuditLog.Action.VIEW_SENSITIVE).exists()


def test_admin_list_is_unmasked_and_logged_once(api: Api, city_admin: Any) -> None:
    people = [PersonFactory(region_id=HECHENG) for _ in range(3)]
    rows = api(city_admin).get(LIST).json()["results"]
    assert {r["id_number"] for r in rows} == {p.id_number for p in people}
    assert {r["phone"] for r in rows} == {p.phone for p in people}
    logs = AuditLog.objects.filter(action=AuditLog.Action.VIEW_SENSITIVE)
    assert logs.count() == 1
    assert "3" in logs.get().note
    assert logs.get().actor == city_admin


def test_admin_detail_is_unmasked_and_logged_per_record(
    api: Api, city_admin: Any, person: Any
) -> None:
    body = api(city_admin).get(detail(person)).json()
    assert body["id_number"] == person.id_number
    log = AuditLog.objects.get(action=AuditLog.Action.VIEW_SENSITIVE)
    assert log.person_id == person.pk
    assert log.object_pk == str(person.pk)


def test_reveal_gives_one_value_to_admin_and_logs_it(
    api: Api, city_admin: Any, clerk: Any, person: Any
) -> None:
    response = api(city_admin).get(f"{detail(person)}/reveal", {"field": "phone"})
    assert response.json() == {"field": "phone", "value": person.phone}
    assert AuditLog.objects.filter(action="view_sensitive", note="phone").count() == 1
    assert api(clerk).get(f"{detail(person)}/reveal", {"field": "phone"}).status_code == 403
    bad = api(city_admin).get(f"{detail(person)}/reveal", {"field": "notes"})
    assert bad.status_code == 400
    assert "field" in bad.json()["errors"]


# --- authentication ------------------------------------------------------------------------


def test_token_authentication(clerk: Any, person: Any) -> None:
    token = Token.objects.create(user=clerk)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert names(client.get(LIST)) == [person.name]
    assert client.get("/api/me").json()["username"] == "clerk_hc"


def test_no_credentials_is_401(person: Any) -> None:
    response = APIClient().get(LIST)
    assert response.status_code == 401
    assert response.json()["message"]
    assert "Token" in response["WWW-Authenticate"]


def test_me_and_regions(api: Api, clerk: Any) -> None:
    me = api(clerk).get("/api/me").json()
    assert me["role"] == "county_clerk"
    assert me["region"] == HECHENG
    assert "people.add_person" in me["permissions"]
    assert "people.view_sensitive" not in me["permissions"]
    codes = [r["code"] for r in api(clerk).get("/api/regions").json()]
    assert HECHENG in codes
    assert all(c.startswith(HECHENG) for c in codes)
    assert YUANLING not in codes


# --- writing -------------------------------------------------------------------------------


def test_create_registers_and_audits(api: Api, clerk: Any) -> None:
    response = api(clerk).post(LIST, valid_body(), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    person = Person.objects.get(pk=body["id"])
    assert person.name == "刘德胜"
    assert person.region_id == HECHENG
    assert sorted(body["tags"]) == ["aged80", "living_alone"]
    assert body["id_number"] == person.id_masked  # a clerk sees the mask even of what they sent
    assert response["Location"].endswith(detail(person))
    log = AuditLog.objects.get(action=AuditLog.Action.CREATE, object_pk=str(person.pk))
    assert log.actor == clerk
    assert log.changes["name"] == [None, "刘德胜"]
    assert log.changes["id_number"] == ["***", "***"]
    assert log.changes["tags"] == [None, ["aged80", "living_alone"]]


def _future() -> str:
    return (timezone.localdate() + datetime.timedelta(days=30)).isoformat()


BAD_CREATES: list[tuple[str, dict[str, Any], str]] = [
    ("check digit", {"id_number": idcard.make(HECHENG, BIRTH, 123)[:-1] + "0"}, "id_number"),
    ("impossible date", {"birth_date": "1950-02-30", "id_number": ""}, "birth_date"),
    ("future birth", {"birth_date": "FUTURE", "id_number": ""}, "birth_date"),
    ("long name", {"name": "张" * 65}, "name"),
    ("empty name", {"name": ""}, "name"),
    ("blank name", {"name": "   "}, "name"),
    ("no name", {"name": None}, "name"),
    ("name as list", {"name": ["张三"]}, "name"),
    ("number as date", {"birth_date": 123, "id_number": ""}, "birth_date"),
    ("unknown category", {"category": "emperor"}, "category"),
    ("unknown tag", {"tags": ["aged80", "nonsense"]}, "tags"),
    ("tags not a list", {"tags": "aged80"}, "tags"),
    ("unknown region", {"region": "999999"}, "region"),
    ("gender mismatch", {"gender": "F"}, "gender"),
]


@pytest.mark.parametrize(("case", "change", "field"), BAD_CREATES, ids=[c[0] for c in BAD_CREATES])
def test_bad_create_is_a_field_error_and_saves_nothing(
    api: Api, clerk: Any, case: str, change: dict[str, Any], field: str
) -> None:
    if change.get("birth_date") == "FUTURE":
        change = {**change, "birth_date": _future()}
    body = valid_body(**change)
    if change.get("name", "") is None:
        del body["name"]
    before = Person.objects.count(), AuditLog.objects.count()
    response = api(clerk).post(LIST, body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"], response.json()
    assert response.json()["message"]
    assert (Person.objects.count(), AuditLog.objects.count()) == before


def test_duplicate_id_number_is_refused(api: Api, clerk: Any, person: Any) -> None:
    body = valid_body(id_number=person.id_number, birth_date=person.birth_date.isoformat())
    before = Person.objects.count()
    response = api(clerk).post(LIST, body, format="json")
    assert response.status_code == 400
    assert "id_number" in response.json()["errors"]
    assert Person.objects.count() == before


def test_duplicate_of_another_countys_id_says_no_more(
    api: Api, clerk: Any, other_person: Any
) -> None:
    body = valid_body(
        id_number=other_person.id_number, birth_date=other_person.birth_date.isoformat()
    )
    response = api(clerk).post(LIST, body, format="json")
    assert response.status_code == 400
    assert "id_number" in response.json()["errors"]
    assert other_person.name not in response.content.decode()


def test_clerk_cannot_register_in_another_county(api: Api, clerk: Any) -> None:
    body = valid_body(region=YUANLING, id_number=idcard.make(YUANLING, BIRTH, 123))
    response = api(clerk).post(LIST, body, format="json")
    assert response.status_code == 400
    assert "region" in response.json()["errors"]
    assert not Person.objects.exists()


def test_leader_may_read_but_not_create(api: Api, leader: Any, person: Any) -> None:
    assert names(api(leader).get(LIST)) == [person.name]
    response = api(leader).post(LIST, valid_body(), format="json")
    assert response.status_code == 403
    assert response.json()["message"]
    assert api(leader).patch(detail(person), {"address": "x"}, format="json").status_code == 403
    assert (
        api(leader)
        .post(f"{detail(person)}/death", {"date": "2025-01-01"}, format="json")
        .status_code
        == 403
    )
    assert Person.objects.count() == 1


def test_other_countys_person_is_404_everywhere(api: Api, clerk: Any, other_person: Any) -> None:
    client = api(clerk)
    url = detail(other_person)
    for response in (
        client.get(url),
        client.put(url, valid_body(), format="json"),
        client.patch(url, {"address": "改"}, format="json"),
        client.post(f"{url}/death", {"date": "2025-01-01"}, format="json"),
        client.get(f"{url}/reveal", {"field": "phone"}),
    ):
        assert response.status_code == 404
        assert other_person.name not in response.content.decode()
    # A missing id answers the same.
    assert client.get("/api/people/999999").json() == client.get(url).json()
    assert other_person.pk not in [r["id"] for r in client.get(LIST).json()["results"]]
    other_person.refresh_from_db()
    assert other_person.life_status == "alive"
    assert other_person.address == ""


def test_patch_changes_only_given_fields_and_audits_the_diff(
    api: Api, clerk: Any, person: Any
) -> None:
    before = Person.objects.get(pk=person.pk)
    response = api(clerk).patch(
        detail(person), {"former_unit": "怀化市卫生局", "tags": ["empty_nest"]}, format="json"
    )
    assert response.status_code == 200, response.content
    after = Person.objects.get(pk=person.pk)
    assert after.former_unit == "怀化市卫生局"
    for field in ("name", "id_number", "phone", "birth_date", "region_id", "rank", "category"):
        assert getattr(after, field) == getattr(before, field), field
    log = AuditLog.objects.get(action=AuditLog.Action.UPDATE, object_pk=str(person.pk))
    assert log.changes == {
        "former_unit": ["怀化市教育局", "怀化市卫生局"],
        "tags": [[], ["empty_nest"]],
    }


def test_patch_with_a_bad_value_changes_nothing(api: Api, clerk: Any, person: Any) -> None:
    response = api(clerk).patch(
        detail(person), {"former_unit": "新单位", "birth_date": _future()}, format="json"
    )
    assert response.status_code == 400
    assert "birth_date" in response.json()["errors"]
    person.refresh_from_db()
    assert person.former_unit == "怀化市教育局"
    assert not AuditLog.objects.filter(action=AuditLog.Action.UPDATE).exists()


def test_put_needs_the_required_fields(api: Api, clerk: Any, person: Any) -> None:
    response = api(clerk).put(detail(person), {"former_unit": "x"}, format="json")
    assert response.status_code == 400
    assert {"name", "category", "region"} <= set(response.json()["errors"])


def test_put_of_what_was_shown_keeps_the_real_id_and_phone(
    api: Api, clerk: Any, person: Any
) -> None:
    shown = api(clerk).get(detail(person)).json()
    assert "*" in shown["id_number"]
    shown["address"] = "鹤城区迎丰东路1号"
    response = api(clerk).put(detail(person), shown, format="json")
    assert response.status_code == 200, response.content
    after = Person.objects.get(pk=person.pk)
    assert after.id_number == person.id_number
    assert after.phone == person.phone
    assert after.address == "鹤城区迎丰东路1号"
    log = AuditLog.objects.get(action=AuditLog.Action.UPDATE)
    assert set(log.changes) == {"address"}


def test_clerk_cannot_move_a_person_to_another_county(api: Api, clerk: Any, person: Any) -> None:
    response = api(clerk).patch(detail(person), {"region": YUANLING}, format="json")
    assert response.status_code == 400
    assert "region" in response.json()["errors"]
    person.refresh_from_db()
    assert person.region_id == HECHENG


def test_admin_may_move_within_the_city(api: Api, city_admin: Any, person: Any) -> None:
    response = api(city_admin).patch(detail(person), {"region": YUANLING}, format="json")
    assert response.status_code == 200, response.content
    assert Person.objects.get(pk=person.pk).region_id == YUANLING
    assert CITY in {r["code"] for r in api(city_admin).get("/api/regions").json()}


def test_survivor_of_must_be_visible(api: Api, clerk: Any, person: Any, other_person: Any) -> None:
    spouse = {
        "name": "王秀英",
        "gender": "F",
        "birth_date": "1942-06-01",
        "category": "survivor",
        "region": HECHENG,
        "survivor_relation": "spouse",
    }
    refused = api(clerk).post(LIST, {**spouse, "survivor_of": other_person.pk}, format="json")
    assert refused.status_code == 400
    assert "survivor_of" in refused.json()["errors"]
    alive = api(clerk).post(LIST, {**spouse, "survivor_of": person.pk}, format="json")
    assert alive.status_code == 400
    assert alive.json()["errors"]["survivor_of"] == [
        f"{person.name}尚未登记去世。请先在其信息页登记去世。"
    ]
    Person.objects.filter(pk=person.pk).update(
        life_status="deceased", death_date=datetime.date(2024, 1, 1)
    )
    made = api(clerk).post(LIST, {**spouse, "survivor_of": person.pk}, format="json")
    assert made.status_code == 201, made.content
    assert made.json()["survivor_of"] == person.pk


def test_death_sets_the_status_and_keeps_the_survivors(api: Api, clerk: Any, person: Any) -> None:
    survivor: Any = PersonFactory(
        region_id=HECHENG,
        name="王秀英",
        gender="F",
        category="survivor",
        survivor_of=person,
        survivor_relation="spouse",
    )
    response = api(clerk).post(
        f"{detail(person)}/death", {"date": "2025-01-02", "note": "病故"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["life_status"] == "deceased"
    assert response.json()["death_date"] == "2025-01-02"
    person.refresh_from_db()
    assert person.life_status == "deceased"
    assert person.death_date == datetime.date(2025, 1, 2)
    survivor.refresh_from_db()
    assert survivor.survivor_of_id == person.pk
    assert survivor.life_status == "alive"
    assert LifeEvent.objects.filter(person=person, kind="death", note="病故").count() == 1
    again = api(clerk).post(f"{detail(person)}/death", {"date": "2025-01-03"}, format="json")
    assert again.status_code == 400
    assert "date" in again.json()["errors"]


@pytest.mark.parametrize(
    "body", [{}, {"date": "2025-02-30"}, {"date": "2999-01-01"}, {"date": "1900-01-01"}]
)
def test_bad_death_is_a_field_error(api: Api, clerk: Any, person: Any, body: Any) -> None:
    response = api(clerk).post(f"{detail(person)}/death", body, format="json")
    assert response.status_code == 400
    assert "date" in response.json()["errors"]
    person.refresh_from_db()
    assert person.life_status == "alive"


def test_people_are_never_deleted(api: Api, city_admin: Any, person: Any) -> None:
    response = api(city_admin).delete(detail(person))
    assert response.status_code == 405
    assert "DELETE" not in response["Allow"]
    assert Person.objects.filter(pk=person.pk).exists()


def test_a_cadre_with_survivors_is_not_made_a_survivor(api: Api, clerk: Any, person: Any) -> None:
    Person.objects.filter(pk=person.pk).update(
        life_status="deceased", death_date=datetime.date(2024, 1, 1)
    )
    PersonFactory(region_id=HECHENG, name="王秀英", gender="F", category="survivor",
                  survivor_of=person, survivor_relation="spouse")
    response = api(clerk).patch(detail(person), {"category": "survivor"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"]["category"] == [
        "有 1 名遗属关联到此人（作为已故干部），请先更正这些遗属的关联。"
    ]
    person.refresh_from_db()
    assert person.category != "survivor"
