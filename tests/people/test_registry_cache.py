"""The registry list's page cache (core.versions): a change shows on the next view however it
was made, and users who may see different things never share a page."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection, transaction
from django.test import Client
from tests.conftest import HECHENG
from tests.factories import PersonFactory

from hongxia.core import versions
from hongxia.core.models import Region
from hongxia.people.models import Person

pytestmark = pytest.mark.django_db


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _list(user: Any, query: str = "") -> str:
    response = _client(user).get(f"/people/{query}")
    assert response.status_code == 200
    return response.content.decode()


def test_a_person_registered_after_a_view_shows_on_the_next_view(clerk: Any) -> None:
    PersonFactory(name="甲乙丙", region_id=HECHENG)
    assert "甲乙丙" in _list(clerk)
    response = _client(clerk).post(
        "/people/new/",
        {
            "name": "单雄信",
            "id_number": "431202193805011232",
            "ethnicity": "01",
            "category": "tuixiu",
            "rank": "keyuan",
            "political_status": "masses",
            "region": HECHENG,
            "health_status": "good",
        },
    )
    assert response.status_code == 302, response.content.decode()
    assert "单雄信" in _list(clerk)


def test_a_bulk_update_outside_the_orm_signals_still_shows(clerk: Any) -> None:
    """Imports write with executemany or COPY: no signal fires, the trigger still does."""
    person = PersonFactory(name="甲乙丙", region_id=HECHENG)
    assert "甲乙丙" in _list(clerk)
    table = connection.ops.quote_name(Person._meta.db_table)
    with connection.cursor() as cur:
        cur.execute(f"UPDATE {table} SET name = %s WHERE id = %s", ["丁戊己", person.pk])  # noqa: S608
    page = _list(clerk)
    assert "丁戊己" in page
    assert "甲乙丙" not in page


def test_a_renamed_region_shows_on_the_next_view(clerk: Any) -> None:
    PersonFactory(name="甲乙丙", region_id="431202001")
    assert "新名字街道" not in _list(clerk)
    Region.objects.filter(code="431202001").update(name="新名字街道")
    assert "新名字街道" in _list(clerk)


def test_every_write_raises_the_version_and_a_rolled_back_one_does_not() -> None:
    before = versions.current(["people"])
    person = PersonFactory()
    after_insert = versions.current(["people"])
    assert after_insert != before
    with pytest.raises(RuntimeError), transaction.atomic():
        Person.objects.filter(pk=person.pk).update(former_unit="某单位")
        raise RuntimeError
    assert versions.current(["people"]) == after_insert
    Person.objects.filter(pk=person.pk).delete()
    assert versions.current(["people"]) != after_insert


def test_clerks_of_two_counties_never_share_a_cached_page(clerk: Any, other_clerk: Any) -> None:
    PersonFactory(name="鹤城人", region_id=HECHENG)
    PersonFactory(name="沅陵人", region_id="431222")
    first = _list(clerk)
    second = _list(other_clerk)
    assert "鹤城人" in first and "沅陵人" not in first
    assert "沅陵人" in second and "鹤城人" not in second


def test_a_read_only_leader_gets_no_register_button_from_a_clerks_cached_page(
    city_admin: Any, leader: Any
) -> None:
    PersonFactory(name="甲乙丙", region_id=HECHENG)
    assert "/people/new/" in _list(city_admin)
    page = _list(leader)  # same scope (the city), other permissions
    assert "甲乙丙" in page
    assert "/people/new/" not in page


def test_the_htmx_partial_and_the_full_page_are_cached_apart(clerk: Any) -> None:
    PersonFactory(name="甲乙丙", region_id=HECHENG)
    client = _client(clerk)
    partial = client.get("/people/?partial=1", HTTP_HX_REQUEST="true").content.decode()
    full = client.get("/people/?partial=1").content.decode()
    assert "<html" not in partial and "甲乙丙" in partial
    assert "<html" in full and "甲乙丙" in full
