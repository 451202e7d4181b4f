"""Money with visits: a rule's amount schedule and linked programme make the visit that
satisfies it apply for the money, which then waits for another user's approval."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from hongxia.care import services
from hongxia.care.models import AidPayment, AidProgramme, Visit, VisitRule, VisitTask
from hongxia.people import services as people_services
from tests.conftest import CITY, HECHENG
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


def _programme(setter: Any, approver: Any, *, year: int, region: str = CITY) -> AidProgramme:
    prog = services.programme_save(
        actor=setter,
        programme=None,
        data={
            "region_id": region,
            "name": "住院慰问",
            "kind": "condolence",
            "year": year,
            "budget_fen": 1_000_000,
            "amount_min_fen": 5_000,
            "amount_max_fen": 20_000,
        },
    )
    return services.programme_approve(actor=approver, programme=prog)


def _link_hospital_rule(admin: Any, prog: AidProgramme) -> VisitRule:
    rule = VisitRule.objects.get(code="hospital")
    assert rule.amount_schedule == [150, 100, 50]  # the default rule's schedule
    return services.rule_save(actor=admin, rule=rule, data={"aid_programme": prog})


def _admitted(clerk: Any, person: Any, day: datetime.date) -> VisitTask:
    people_services.life_event_record(actor=clerk, person=person, kind="hospitalised", date=day)
    return VisitTask.objects.filter(person=person, status="open").latest("id")


def test_visit_page_offers_and_makes_the_application(
    care_admin: Any, care_approver: Any, care_clerk: Any, care_clerk2: Any
) -> None:
    today = timezone.localdate()
    prog = _programme(care_admin, care_approver, year=today.year)
    _link_hospital_rule(care_admin, prog)
    person = PersonFactory(region_id=HECHENG, name="住院的人")
    task = _admitted(care_clerk, person, today)
    client = Client()
    client.force_login(care_clerk)
    page = client.get(f"/care/people/{person.pk}/visit/").content.decode()
    assert "150.00" in page and "住院慰问" in page and f'value="{task.pk}"' in page
    r = client.post(
        f"/care/people/{person.pk}/visit/",
        {
            "date": today.isoformat(),
            "mode": "hospital",
            "visitors": "王科长",
            "aid_tasks": [task.pk],
        },
    )
    assert r.status_code == 302
    pay = AidPayment.objects.get(person=person)
    assert (pay.programme, pay.amount_fen, pay.status) == (prog, 15_000, "pending")
    assert pay.task == task and pay.period == f"hospital:E{task.period_key[1:]}"
    visit = Visit.objects.get(person=person)
    assert visit.payment == pay
    task.refresh_from_db()
    assert task.status == "done" and task.visit == visit
    # The visit page shows the application; the ordinary approval flow follows.
    assert "150.00" in client.get(f"/care/visits/{visit.pk}/").content.decode()
    with pytest.raises(ValidationError):
        services.payment_approve(actor=care_clerk, payment=pay)  # no self-approval
    services.payment_approve(actor=care_clerk2, payment=pay)
    prog.refresh_from_db()
    assert prog.committed_fen == 15_000


def test_second_stay_in_a_year_takes_the_second_amount(
    care_admin: Any, care_approver: Any, care_clerk: Any
) -> None:
    today = timezone.localdate()
    prog = _programme(care_admin, care_approver, year=today.year)
    _link_hospital_rule(care_admin, prog)
    person = PersonFactory(region_id=HECHENG)
    amounts = []
    for _stay in range(4):
        task = _admitted(care_clerk, person, today)
        (offer,) = services.aid_offers(user=care_clerk, person=person, day=today)
        assert offer.task.pk == task.pk and offer.programme == prog
        services.visit_record(
            actor=care_clerk,
            person=person,
            data={"date": today, "mode": "hospital", "visitors": "x", "aid_tasks": [task.pk]},
        )
        amounts.append(AidPayment.objects.get(task=task).amount_fen)
    assert amounts == [15_000, 10_000, 5_000, 5_000]


def test_county_programme_of_the_visit_year_is_preferred(
    care_admin: Any, care_approver: Any, care_clerk: Any
) -> None:
    today = timezone.localdate()
    linked = _programme(care_admin, care_approver, year=today.year - 1)  # last year's, linked
    _link_hospital_rule(care_admin, linked)
    city = _programme(care_admin, care_approver, year=today.year)
    county = _programme(care_admin, care_approver, year=today.year, region=HECHENG)
    person = PersonFactory(region_id=HECHENG)
    _admitted(care_clerk, person, today)
    (offer,) = services.aid_offers(user=care_clerk, person=person, day=today)
    assert offer.programme == county != city


def test_no_money_without_a_satisfying_visit_or_an_approved_programme(
    care_admin: Any, care_approver: Any, care_clerk: Any
) -> None:
    today = timezone.localdate()
    prog = _programme(care_admin, care_approver, year=today.year - 1)
    _link_hospital_rule(care_admin, prog)
    person = PersonFactory(region_id=HECHENG)
    task = _admitted(care_clerk, person, today)
    client = Client()
    client.force_login(care_clerk)
    page = client.get(f"/care/people/{person.pk}/visit/").content.decode()
    assert "aid_tasks" not in page and "住院慰问" in page  # a notice, nothing to tick
    with pytest.raises(ValidationError):  # no approved programme this year
        services.visit_record(
            actor=care_clerk,
            person=person,
            data={"date": today, "mode": "hospital", "visitors": "x", "aid_tasks": [task.pk]},
        )
    _programme(care_admin, care_approver, year=today.year)
    with pytest.raises(ValidationError):  # a phone call does not satisfy the hospital rule
        services.visit_record(
            actor=care_clerk,
            person=person,
            data={"date": today, "mode": "phone", "visitors": "x", "aid_tasks": [task.pk]},
        )
    assert not Visit.objects.exists() and not AidPayment.objects.exists()
    task.refresh_from_db()
    assert task.status == "open"


def test_a_rule_linked_to_a_programme_needs_amounts(care_admin: Any, care_approver: Any) -> None:
    prog = _programme(care_admin, care_approver, year=2026)
    rule = VisitRule.objects.get(code="yearly")
    with pytest.raises(ValidationError):
        services.rule_save(actor=care_admin, rule=rule, data={"aid_programme": prog})


def test_api_visit_applies_for_aid(care_admin: Any, care_approver: Any, care_clerk: Any) -> None:
    today = timezone.localdate()
    prog = _programme(care_admin, care_approver, year=today.year)
    _link_hospital_rule(care_admin, prog)
    person = PersonFactory(region_id=HECHENG)
    task = _admitted(care_clerk, person, today)
    api = APIClient()
    api.force_authenticate(care_clerk)
    r = api.post(
        "/api/care/visits",
        {
            "person": person.pk,
            "date": today.isoformat(),
            "mode": "home",
            "visitors": "x",
            "aid_tasks": [task.pk],
        },
        format="json",
    )
    assert r.status_code == 201, r.content
    pay = AidPayment.objects.get(task=task)
    assert r.json()["aid_applications"] == [pay.pk] and pay.amount_fen == 15_000


def test_rule_page_links_a_programme(care_admin: Any, care_approver: Any) -> None:
    prog = _programme(care_admin, care_approver, year=2026)
    rule = VisitRule.objects.get(code="death")
    client = Client()
    client.force_login(care_admin)
    assert "住院慰问" in client.get(f"/care/rules/{rule.pk}/edit/").content.decode()
    data = {
        "region": "431200",
        "code": "death",
        "name": rule.name,
        "trigger": "event",
        "active": "on",
        "event_kinds": rule.event_kinds,
        "days_after": rule.days_after,
        "days_before": 0,
        "birthday_calendar": "person",
        "owner": "county",
        "amount_schedule": "500",
        "aid_programme": prog.pk,
        "order": rule.order,
    }
    r = client.post(f"/care/rules/{rule.pk}/edit/", data)
    assert r.status_code == 302
    rule.refresh_from_db()
    assert (rule.aid_programme, rule.amount_schedule) == (prog, [500])
    page = client.get(f"/care/rules/{rule.pk}/").content.decode()
    assert "住院慰问" in page and "500" in page
