"""Planning visit tasks: idempotent, set-based, life events at once, death stops new tasks."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from hongxia.care import services
from hongxia.care.models import Leader, Pairing, TaskRow, Visit, VisitRule, VisitTask
from hongxia.people import services as people_services
from tests.conftest import HECHENG, YUANLING
from tests.factories import PersonFactory

D = datetime.date
pytestmark = pytest.mark.django_db


def _only(*codes: str) -> None:
    VisitRule.objects.exclude(code__in=codes).update(active=False)


def test_default_rules_are_loaded() -> None:
    codes = set(VisitRule.objects.values_list("code", flat=True))
    assert {"hospital", "death", "spring", "chongyang", "birthday", "lixiu_pair"} <= codes


def test_planning_the_same_day_twice_is_a_no_op(care_admin: Any) -> None:
    for n in range(5):
        PersonFactory(region_id=HECHENG if n % 2 else YUANLING)
    PersonFactory(category="lixiu", region_id=HECHENG)
    day = D(2026, 10, 10)
    first = services.tasks_plan_for_day(actor=care_admin, day=day)
    count = TaskRow.objects.count()
    assert first["chongyang"] == 6 and first["yearly"] == 5 and first["lixiu_pair"] == 1
    again = services.tasks_plan_for_day(actor=care_admin, day=day)
    assert sum(again.values()) == 0 and TaskRow.objects.count() == count
    # The next day inside the same windows adds nothing either.
    assert (
        sum(services.tasks_plan_for_day(actor=None, day=day + datetime.timedelta(1)).values()) == 0
    )
    task = TaskRow.objects.get(rule__code="chongyang", person__category="lixiu")
    assert (task.opens, task.due) == (D(2026, 10, 8), D(2026, 10, 18))


def test_chongyang_window_by_lunar_calendar(care_admin: Any) -> None:
    _only("chongyang")
    PersonFactory(region_id=HECHENG)
    assert sum(services.tasks_plan_for_day(actor=None, day=D(2027, 9, 27)).values()) == 0
    assert services.tasks_plan_for_day(actor=None, day=D(2027, 9, 28))["chongyang"] == 1
    assert TaskRow.objects.get().due == D(2027, 10, 8)


def test_deceased_get_no_tasks_survivors_do(care_admin: Any) -> None:
    _only("spring")
    dead = PersonFactory(region_id=HECHENG, life_status="deceased", death_date=D(2025, 5, 1))
    widow = PersonFactory(
        region_id=HECHENG,
        category="survivor",
        survivor_of=dead,
        survivor_relation="spouse",
        gender="F",
    )
    services.tasks_plan_for_day(actor=None, day=D(2026, 2, 10))
    assert list(TaskRow.objects.values_list("person_id", flat=True)) == [widow.pk]


def test_death_stops_new_tasks_the_same_day(care_admin: Any) -> None:
    _only("yearly", "death", "lixiu_pair")
    today = timezone.localdate()
    person = PersonFactory(region_id=HECHENG)
    other = PersonFactory(region_id=HECHENG)
    # Recording the death fires the care rules at once (people.services._on_life_event).
    people_services.person_record_death(actor=care_admin, person=person, date=today)
    made = TaskRow.objects.filter(person=person)
    assert [t.rule.code for t in made] == ["death"]  # condolence to the family
    services.tasks_plan_for_day(actor=care_admin, day=today)
    # Planned after the death: nothing open for the deceased but the condolence to the family.
    assert set(
        TaskRow.objects.filter(person=person, status="open").values_list("rule__code", flat=True)
    ) == {"death"}
    assert TaskRow.objects.filter(person=other, rule__code="yearly").exists()


def test_death_cancels_open_planned_tasks(care_admin: Any) -> None:
    _only("yearly", "death")
    today = timezone.localdate()
    person = PersonFactory(region_id=HECHENG)
    services.tasks_plan_for_day(actor=None, day=today)
    people_services.person_record_death(actor=care_admin, person=person, date=today)
    assert TaskRow.objects.get(person=person, rule__code="yearly").status == "cancelled"


def test_hospital_admission_triggers_at_once_and_a_visit_closes_it(care_clerk: Any) -> None:
    person = PersonFactory(region_id=HECHENG)
    today = timezone.localdate()
    people_services.life_event_record(
        actor=care_clerk, person=person, kind="hospitalised", date=today
    )
    (task,) = TaskRow.objects.filter(person=person)
    assert task.due == today + datetime.timedelta(days=3) and task.owner_region_id == HECHENG
    # Planning the day again finds the event already served.
    assert services.tasks_plan_for_day(actor=care_clerk, day=today)["hospital"] == 0
    # A phone call does not count for the hospital rule; a hospital visit does.
    services.visit_record(
        actor=care_clerk, person=person, data={"date": today, "mode": "phone", "visitors": "王科长"}
    )
    task.refresh_from_db()
    assert task.status == "open"
    visit = services.visit_record(
        actor=care_clerk,
        person=person,
        data={"date": today, "mode": "hospital", "visitors": "王科长", "follow_up": "出院后回访"},
    )
    task.refresh_from_db()
    assert task.status == "done" and task.visit == visit
    assert Visit.objects.count() == 2


def test_event_recorded_without_the_hook_is_planned(care_admin: Any) -> None:
    from hongxia.people.models import LifeEvent

    person = PersonFactory(region_id=HECHENG)
    day = D(2026, 3, 3)
    LifeEvent.objects.create(person=person, kind="hardship", date=day)
    assert services.tasks_plan_for_day(actor=None, day=day + datetime.timedelta(2))["hardship"] == 1
    assert services.tasks_plan_for_day(actor=None, day=day + datetime.timedelta(2))["hardship"] == 0


def test_lunar_birthday_80_xusui_vs_zhousui(care_admin: Any) -> None:
    _only("birthday")
    person = PersonFactory(region_id=HECHENG, birth_date=D(1946, 9, 10), lunar_birthday=True)
    rule = VisitRule.objects.get(code="birthday")
    rule.reckoning = "xusui"
    rule.save()
    services.tasks_plan_for_day(actor=None, day=D(2025, 10, 1))
    task = TaskRow.objects.get(person=person)
    assert (task.period_key, task.due) == ("A80", D(2025, 10, 6))
    VisitTask.objects.all().delete()
    rule.reckoning = "zhousui"
    rule.save()
    services.tasks_plan_for_day(actor=None, day=D(2025, 10, 1))
    assert not TaskRow.objects.exists()
    services.tasks_plan_for_day(actor=None, day=D(2026, 9, 20))
    assert TaskRow.objects.get(person=person).due == D(2026, 9, 25)


def test_solar_birthday_person(care_admin: Any) -> None:
    _only("birthday")
    person = PersonFactory(region_id=HECHENG, birth_date=D(1956, 3, 4))
    services.tasks_plan_for_day(actor=None, day=D(2026, 3, 1))
    assert TaskRow.objects.get(person=person).period_key == "A70"


def test_paired_leader_owns_and_handover_moves_pairs_and_tasks(care_admin: Any) -> None:
    _only("lixiu_pair")
    old = services.leader_save(
        actor=care_admin,
        leader=None,
        data={
            "region_id": HECHENG,
            "name": "刘书记",
            "post": "区委书记",
            "unit": "鹤城区委",
            "phone": "13812345678",
        },
    )
    new = services.leader_save(
        actor=care_admin,
        leader=None,
        data={"region_id": HECHENG, "name": "陈区长", "post": "区长", "unit": "鹤城区政府"},
    )
    assert old.phone_masked == "138****5678"
    people = [PersonFactory(region_id=HECHENG, category="lixiu") for _ in range(3)]
    for p in people:
        services.pairing_create(actor=care_admin, person=p, leader=old)
    services.tasks_plan_for_day(actor=None, day=D(2026, 7, 1))
    assert set(TaskRow.objects.values_list("owner_leader_id", flat=True)) == {old.pk}
    services.leader_save(actor=care_admin, leader=old, data={"status": "moved"})
    result = services.leader_handover(actor=care_admin, old=old, new=new)
    assert result == {"pairs": 3, "tasks": 3}
    assert set(TaskRow.objects.values_list("owner_leader_id", flat=True)) == {new.pk}
    assert Pairing.objects.filter(active=True, leader=new).count() == 3
    assert Pairing.objects.filter(active=False, leader=old).count() == 3
    assert Leader.objects.get(pk=old.pk).pairings.filter(active=True).count() == 0


def test_elsewhere_owner_and_region_limit(care_admin: Any, care_clerk: Any) -> None:
    _only("yearly")
    rule = VisitRule.objects.get(code="yearly")
    rule.owner_elsewhere = "city"
    rule.save()
    away = PersonFactory(region_id=HECHENG, lives_elsewhere=True, elsewhere_city="长沙")
    PersonFactory(region_id=YUANLING)
    services.tasks_plan_for_day(actor=care_clerk, day=D(2026, 5, 1))  # clerk: own county only
    task = TaskRow.objects.get()
    assert (task.person_id, task.owner, task.owner_region_id) == (away.pk, "city", "431200")
    services.tasks_plan_for_day(actor=care_admin, day=D(2026, 5, 1), region=YUANLING)
    assert TaskRow.objects.count() == 2


def test_coverage_by_tag_and_age(care_admin: Any) -> None:
    from hongxia.people.models import Tag

    _only("alone_quarterly")
    VisitRule.objects.filter(code="alone_quarterly").update(active=True, min_age=80)
    alone = Tag.objects.get(code="living_alone")
    old_alone = PersonFactory(region_id=HECHENG, birth_date=D(1940, 1, 1), tags=[alone])
    PersonFactory(region_id=HECHENG, birth_date=D(1960, 1, 1), tags=[alone])
    PersonFactory(region_id=HECHENG, birth_date=D(1940, 2, 1))
    services.tasks_plan_for_day(actor=None, day=D(2026, 4, 2))
    assert list(TaskRow.objects.values_list("person_id", "period_key")) == [
        (old_alone.pk, "2026P4-2")
    ]


def test_care_plan_command(care_admin: Any) -> None:
    PersonFactory(region_id=HECHENG)
    call_command("care_plan", "--date", "2026-10-10")
    n = TaskRow.objects.count()
    call_command("care_plan", "--date", "2026-10-10")
    assert n > 0 and TaskRow.objects.count() == n


def test_seed_app_pairs_every_lixiu_and_plans(db: Any) -> None:
    from hongxia.care.seed import seed_app
    from hongxia.care.selectors import pairing_coverage
    from hongxia.people.seed import seed as seed_people

    seed_people(scale="small", people=400, progress=False, today=D(2026, 11, 1))
    result = seed_app(scale="small", seed=1, today=D(2026, 11, 1), progress=None)
    assert result["pairs"] > 0 and result["tasks"] > 0 and result["visits"] > 0
    from tests.factories import UserFactory

    admin = UserFactory(username="seed_viewer", role="city_admin", region_id="431200")
    cov = pairing_coverage(user=admin)
    assert cov["paired"] == cov["total"] > 0


def test_indicators_compute_for_a_county(care_clerk: Any) -> None:
    from hongxia.care.indicators import by_rule_and_county
    from hongxia.reports.registry import Period, all_indicators

    person = PersonFactory(region_id=HECHENG)
    today = timezone.localdate()
    services.tasks_plan_for_day(actor=care_clerk, day=today)
    services.visit_record(
        actor=care_clerk, person=person, data={"date": today, "mode": "home", "visitors": "x"}
    )
    care = {i.key: i for i in all_indicators() if i.line == "care"}
    assert {"care.tasks_due", "care.pairing_coverage", "care.aid_amount", "care.ceremonies"} <= set(
        care
    )
    year = Period.year(today.year)
    assert care["care.visits"].value(HECHENG, year) == 1
    assert care["care.tasks_done"].value(HECHENG, year) >= 1
    assert care["care.tasks_due"].value(YUANLING, year) == 0
    for indicator in care.values():
        indicator.value("4312", year)
    assert by_rule_and_county("4312", year)
