"""Every write leaves an audit row with who, when, where, and field-by-field before and after;
audit rows cannot be changed or deleted through the application (or, on PostgreSQL, at all)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import Client

from hongxia.core import context
from hongxia.core.models import AuditLog, Region
from hongxia.people import services
from hongxia.people.models import Contact, Person

pytestmark = pytest.mark.django_db


def _data(**over: Any) -> dict[str, Any]:
    data = {
        "name": "曾国华",
        "id_number": "11010519491231002X",
        "category": "tuixiu",
        "region": Region.objects.get(pk="431202"),
        "rank": "keyuan",
        "former_unit": "怀化市教育局",
        "phone": "13912345678",
    }
    data.update(over)
    return data


def test_create_update_and_death_each_leave_a_diff(city_admin: Any) -> None:
    with context.acting_as(city_admin, ip="192.0.2.9", via="web"):
        person = services.person_create(actor=city_admin, data=_data())
        services.person_update(
            actor=city_admin, person=person, data={"former_unit": "怀化市财政局"}
        )
        services.person_record_death(
            actor=city_admin, person=person, date=datetime.date(2026, 3, 1)
        )
    rows = list(
        AuditLog.objects.filter(
            person_id=person.pk, model__in=["people.Person", "people.LifeEvent"]
        ).order_by("id")
    )
    assert [r.action for r in rows] == ["create", "update", "update", "create"]
    created, updated, died, event = rows
    assert created.actor == city_admin and created.ip == "192.0.2.9"
    assert created.changes["name"] == [None, "曾国华"]
    assert created.changes["id_number"] == ["***", "***"], "secrets never go into the trail"
    assert updated.changes == {"former_unit": ["怀化市教育局", "怀化市财政局"]}
    assert died.changes["life_status"] == ["alive", "deceased"]
    assert died.changes["death_date"] == [None, "2026-03-01"]
    assert event.model == "people.LifeEvent"


def test_an_update_that_changes_nothing_logs_nothing(city_admin: Any, person: Person) -> None:
    before = AuditLog.objects.count()
    services.person_update(actor=city_admin, person=person, data={"name": person.name})
    assert AuditLog.objects.count() == before


def test_contact_changes_are_audited(city_admin: Any, person: Person) -> None:
    contact = services.contact_save(
        actor=city_admin,
        person=person,
        contact=None,
        data={"name": "李明", "relation": "son", "phone": "13800001111"},
    )
    services.contact_delete(actor=city_admin, contact=contact)
    actions = list(AuditLog.objects.filter(model="people.Contact").values_list("action", flat=True))
    assert sorted(actions) == ["create", "delete"]
    assert not Contact.objects.exists()


def test_audit_rows_refuse_change_and_delete_in_the_application(
    city_admin: Any, person: Person
) -> None:
    services.person_update(actor=city_admin, person=person, data={"address": "迎丰中路1号"})
    row = AuditLog.objects.latest("id")
    row.note = "tampered"
    with pytest.raises(PermissionError):
        row.save()
    with pytest.raises(PermissionError):
        row.delete()
    with pytest.raises(PermissionError):
        AuditLog.objects.all().delete()
    with pytest.raises(PermissionError):
        AuditLog.objects.update(note="x")


def test_audit_rows_refuse_raw_update_in_the_database(city_admin: Any, person: Person) -> None:
    services.person_update(actor=city_admin, person=person, data={"address": "迎丰中路2号"})
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
        cur.execute("UPDATE core_auditlog SET note = 'tampered'")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the delete trigger is PostgreSQL's")
def test_audit_rows_refuse_raw_delete_on_postgresql(city_admin: Any, person: Person) -> None:
    services.person_update(actor=city_admin, person=person, data={"address": "迎丰中路3号"})
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
        cur.execute("DELETE FROM core_auditlog")


def test_audit_page_filters_by_person_user_and_date(
    city_admin: Any, person: Person, other_person: Person
) -> None:
    services.person_update(actor=city_admin, person=person, data={"address": "甲"})
    services.person_update(actor=city_admin, person=other_person, data={"address": "乙"})
    client = Client()
    client.force_login(city_admin)
    page = client.get("/audit/", {"person": person.pk}).content.decode()
    assert "甲" in page and "乙" not in page
    page = client.get("/audit/", {"user": "nobody"}).content.decode()
    assert "甲" not in page
    page = client.get(
        "/audit/", {"date_from": "2000-01-01", "user": city_admin.username}
    ).content.decode()
    assert "甲" in page and "乙" in page


def test_audit_page_is_for_administrators(clerk: Any) -> None:
    client = Client()
    client.force_login(clerk)
    assert client.get("/audit/").status_code == 403


def test_the_audit_page_offers_no_edit_or_delete(city_admin: Any, person: Person) -> None:
    services.person_update(actor=city_admin, person=person, data={"address": "丙"})
    client = Client()
    client.force_login(city_admin)
    assert client.post("/audit/", {"note": "x"}).status_code == 405
