"""The care API: tasks, visits closing tasks, payments with approval by another user."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from hongxia.care import services
from hongxia.care.models import AidPayment, VisitTask
from tests.conftest import HECHENG, YUANLING
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


def _api(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_plan_tasks_and_record_a_visit(care_clerk: Any) -> None:
    person = PersonFactory(region_id=HECHENG, name="接口对象")
    PersonFactory(region_id=YUANLING, name="别县的人")
    api = _api(care_clerk)
    r = api.post("/api/care/plan", {"date": timezone.localdate().isoformat()}, format="json")
    assert r.status_code == 200 and r.json()["created"]["yearly"] == 1
    tasks = api.get("/api/care/tasks?when=mine").json()
    assert [t["person_name"] for t in tasks["results"]] == ["接口对象"]
    assert tasks["by_county"][0]["county"] == HECHENG
    r = api.post(
        "/api/care/visits",
        {
            "person": person.pk,
            "date": timezone.localdate().isoformat(),
            "mode": "phone",
            "visitors": "张干事",
        },
        format="json",
    )
    assert r.status_code == 201, r.json()
    assert r.json()["closed_tasks"] == [tasks["results"][0]["id"]]
    assert VisitTask.objects.get().status == "done"
    assert api.get(f"/api/care/visits/{r.json()['id']}").status_code == 200


def test_visit_in_the_future_is_a_field_error(care_clerk: Any) -> None:
    person = PersonFactory(region_id=HECHENG)
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    r = _api(care_clerk).post(
        "/api/care/visits",
        {"person": person.pk, "date": tomorrow.isoformat(), "mode": "home", "visitors": "x"},
        format="json",
    )
    assert r.status_code == 400 and "date" in r.json()["errors"]


def test_other_county_person_is_refused(care_clerk: Any) -> None:
    other = PersonFactory(region_id=YUANLING)
    r = _api(care_clerk).post(
        "/api/care/visits",
        {"person": other.pk, "date": "2026-01-01", "mode": "home", "visitors": "x"},
        format="json",
    )
    assert r.status_code == 400 and "person" in r.json()["errors"]


def test_payment_flow_no_self_approval(care_clerk: Any, care_clerk2: Any, care_admin: Any) -> None:
    prog = services.programme_save(
        actor=care_admin,
        programme=None,
        data={
            "region_id": HECHENG,
            "name": "重阳慰问",
            "kind": "festival",
            "year": 2026,
            "budget_fen": 100_000,
            "amount_min_fen": 10_000,
            "amount_max_fen": 60_000,
        },
    )
    person = PersonFactory(region_id=HECHENG)
    api = _api(care_clerk)
    r = api.post(
        "/api/care/payments",
        {"programme": prog.pk, "person": person.pk, "amount_fen": 50_000, "period": "2026重阳"},
        format="json",
    )
    assert r.status_code == 400  # the programme is not approved yet
    services.programme_approve(actor=care_approver_for(care_admin), programme=prog)
    r = api.post(
        "/api/care/payments",
        {"programme": prog.pk, "person": person.pk, "amount_fen": 50_000, "period": "2026重阳"},
        format="json",
    )
    assert r.status_code == 201
    pid = r.json()["id"]
    assert api.post(f"/api/care/payments/{pid}/approve").status_code == 400
    r = _api(care_clerk2).post(f"/api/care/payments/{pid}/approve")
    assert r.status_code == 200 and r.json()["status"] == "approved"
    r = api.post(f"/api/care/payments/{pid}/pay", {"voucher": "PZ9"}, format="json")
    assert r.json()["status"] == "paid"
    listing = _api(care_admin).get("/api/care/payments").json()
    assert listing["totals"]["by_county"][0]["fen"] == 50_000
    assert AidPayment.objects.get().approved_by == care_clerk2


def care_approver_for(setter: Any) -> Any:
    from hongxia.care.permissions import ROLE_CARE_PERMISSIONS
    from tests.care.conftest import grant
    from tests.factories import UserFactory

    return grant(
        UserFactory(username="api_approver", role="city_admin", region_id="431200"),
        ROLE_CARE_PERMISSIONS["city_admin"],
    )


def test_leader_phone_masked_in_api(care_clerk: Any) -> None:
    services.leader_save(
        actor=care_clerk,
        leader=None,
        data={
            "region_id": HECHENG,
            "name": "领导",
            "post": "书记",
            "unit": "区委",
            "phone": "13712345678",
        },
    )
    body = _api(care_clerk).get("/api/care/leaders").json()
    assert body["results"][0]["phone"] == "137****5678"


def test_a_leader_with_a_masked_phone_is_refused(care_clerk: Any) -> None:
    from django.core.exceptions import ValidationError

    from hongxia.care.models import Leader

    with pytest.raises(ValidationError) as refused:
        services.leader_save(
            actor=care_clerk, leader=None,
            data={"region_id": HECHENG, "name": "领导", "post": "书记", "unit": "区委",
                  "phone": "137****5678"},
        )
    assert set(refused.value.message_dict) == {"phone"}
    assert not Leader.objects.exists()


def test_leaders_are_searched_in_the_api_as_on_the_page(care_clerk: Any) -> None:
    for name, phone in (("曾国华", "13712345678"), ("王秀英", "13700001111")):
        services.leader_save(
            actor=care_clerk,
            leader=None,
            data={"region_id": HECHENG, "name": name, "post": "书记", "unit": "区委",
                  "phone": phone},
        )
    client = _api(care_clerk)

    def found(q: str) -> list[str]:
        return [r["name"] for r in client.get("/api/care/leaders", {"q": q}).json()["results"]]

    assert found("zgh") == ["曾国华"]
    assert found("zengguohua") == ["曾国华"]
    assert found("1111") == ["王秀英"]
    assert sorted(found("")) == ["曾国华", "王秀英"]
    bad = client.get("/api/care/leaders", {"status": "nonsense"})
    assert bad.status_code == 400 and "status" in bad.json()["errors"]


def test_without_permission_is_forbidden(db: Any) -> None:
    from tests.factories import UserFactory

    retiree = UserFactory(username="care_retiree", role="retiree", region_id=HECHENG)
    assert _api(retiree).get("/api/care/tasks").status_code == 403
