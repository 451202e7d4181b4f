"""Campaigns: the rules that cover everyone are planned as one row per county, and each
person's task is derived when read (`TaskRow`) and stored only when someone acts on it."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from hongxia.care import rules, services
from hongxia.care.models import DERIVED_ID_BASE, TaskRow, VisitCampaign, VisitRule, VisitTask
from hongxia.core.models import Region
from hongxia.people import services as people_services
from hongxia.people.models import Person
from tests.conftest import HECHENG, YUANLING
from tests.factories import PersonFactory

D = datetime.date
pytestmark = pytest.mark.django_db
DAY = D(2026, 10, 8)  # 重阳 window open, second half-year


def _only(*codes: str) -> None:
    VisitRule.objects.exclude(code__in=codes).update(active=False)


def test_an_everyone_rule_is_one_campaign_per_county_not_a_row_per_person(
    care_admin: Any,
) -> None:
    _only("chongyang")
    people = [PersonFactory(region_id=HECHENG) for _ in range(3)] + [
        PersonFactory(region_id=YUANLING)
    ]
    made = services.tasks_plan_for_day(actor=care_admin, day=DAY)
    assert made["chongyang"] == 4
    assert not VisitTask.objects.exists()
    counties = set(VisitCampaign.objects.values_list("region_id", flat=True))
    assert {HECHENG, YUANLING} <= counties and all(len(c) == 6 for c in counties)
    rows = list(TaskRow.objects.filter(status="open"))
    assert sorted(r.person_id for r in rows) == sorted(p.pk for p in people)
    assert all(r.derived and r.pk >= DERIVED_ID_BASE for r in rows)
    assert {r.due for r in rows} == {D(2026, 10, 18)}
    # Planning again makes nothing new.
    assert sum(services.tasks_plan_for_day(actor=care_admin, day=DAY).values()) == 0
    # Someone registered after the window closed is not in it (the day was planned late: it
    # covers the registry as it was then)...
    late = PersonFactory(region_id=HECHENG)
    assert not TaskRow.objects.filter(person=late).exists()


def test_someone_registered_while_the_window_is_open_has_the_task(care_admin: Any) -> None:
    _only("yearly")
    services.tasks_plan_for_day(actor=care_admin, day=timezone.localdate())
    late = PersonFactory(region_id=HECHENG)
    (task,) = TaskRow.objects.filter(person=late)
    assert task.status == "open" and task.derived


def test_a_derived_task_is_stored_under_its_own_id_when_taken(care_clerk: Any) -> None:
    _only("yearly")
    person = PersonFactory(region_id=HECHENG)
    services.tasks_plan_for_day(actor=care_clerk, day=DAY)
    row = TaskRow.objects.get(person=person)
    client = Client()
    client.force_login(care_clerk)
    page = client.get(row.get_absolute_url())
    assert page.status_code == 200 and person.name in page.content.decode()
    assert client.post(f"/care/tasks/{row.pk}/take/").status_code == 302
    stored = VisitTask.objects.get(pk=row.pk)
    assert (stored.person_id, stored.assignee_id, stored.status) == (
        person.pk,
        care_clerk.pk,
        "open",
    )
    # One task, now stored: the view shows it once, no longer derived.
    (again,) = TaskRow.objects.filter(person=person)
    assert (again.pk, again.derived, again.assignee_id) == (row.pk, False, care_clerk.pk)


def test_a_visit_closes_a_derived_task(care_clerk: Any) -> None:
    _only("chongyang")
    person = PersonFactory(region_id=HECHENG)
    services.tasks_plan_for_day(actor=care_clerk, day=DAY)
    row = TaskRow.objects.get(person=person)
    visit = services.visit_record(
        actor=care_clerk,
        person=person,
        data={"date": DAY, "mode": "home", "visitors": "王科长"},
    )
    task = VisitTask.objects.get(pk=row.pk)
    assert (task.status, task.visit) == ("done", visit)
    assert not TaskRow.objects.filter(person=person, status="open").exists()


def test_a_visit_leaves_the_tasks_it_does_not_satisfy_derived(care_clerk: Any) -> None:
    _only("chongyang")
    VisitRule.objects.filter(code="chongyang").update(contact_modes=["home"])
    person = PersonFactory(region_id=HECHENG)
    services.tasks_plan_for_day(actor=care_clerk, day=DAY)
    services.visit_record(
        actor=care_clerk, person=person, data={"date": DAY, "mode": "phone", "visitors": "王科长"}
    )
    (row,) = TaskRow.objects.filter(person=person)
    assert (row.status, row.derived) == ("open", True)
    assert not VisitTask.objects.exists()


def test_a_death_cancels_the_derived_task_and_no_task_comes_after_it(care_admin: Any) -> None:
    _only("chongyang", "death")
    before = PersonFactory(region_id=HECHENG)
    services.tasks_plan_for_day(actor=care_admin, day=DAY)
    people_services.person_record_death(actor=care_admin, person=before, date=DAY)
    task = TaskRow.objects.get(person=before, rule__code="chongyang")
    assert task.status == "cancelled"
    # Died before the campaign was planned: no task in it at all.
    gone = PersonFactory(region_id=YUANLING, life_status="deceased", death_date=DAY)
    VisitCampaign.objects.all().delete()
    services.tasks_plan_for_day(actor=care_admin, day=DAY + datetime.timedelta(days=1))
    assert not TaskRow.objects.filter(person=gone, rule__code="chongyang").exists()


def test_derived_leader_tasks_follow_the_pairing(care_admin: Any) -> None:
    from hongxia.care.models import Leader

    _only("lixiu_pair")
    person = PersonFactory(region_id=HECHENG, category="lixiu")
    old = Leader.objects.create(region_id=HECHENG, name="甲", post="副县长", unit="县政府")
    new = Leader.objects.create(region_id=HECHENG, name="乙", post="副县长", unit="县政府")
    services.pairing_create(actor=care_admin, person=person, leader=old)
    services.tasks_plan_for_day(actor=care_admin, day=DAY)
    assert TaskRow.objects.get(person=person).owner_leader_id == old.pk
    moved = services.leader_handover(actor=care_admin, old=old, new=new)
    assert moved == {"pairs": 1, "tasks": 1}
    assert TaskRow.objects.get(person=person).owner_leader_id == new.pk


def test_a_county_clerk_plans_and_sees_only_their_county(care_clerk: Any) -> None:
    _only("chongyang")
    PersonFactory(region_id=HECHENG)
    PersonFactory(region_id=YUANLING)
    services.tasks_plan_for_day(actor=care_clerk, day=DAY)
    assert set(VisitCampaign.objects.values_list("region_id", flat=True)) == {HECHENG}
    assert {t.region_id[:6] for t in TaskRow.objects.visible_to(care_clerk)} == {HECHENG}


# ---- the view and the planner's own coverage agree ----------------------------------------


def _towns() -> list[str]:
    return list(
        Region.objects.filter(code__startswith=HECHENG, level="town").values_list(
            "code", flat=True
        )[:1]
    )


AGES = [60, 70, 80, 90, 100]
# Birth dates on each side of every age limit a rule may set: where off-by-one errors live.
EDGES = sorted(
    {
        rules.years_before(DAY, age) + datetime.timedelta(days=shift)
        for age in [*AGES, *(a + 1 for a in AGES)]
        for shift in (-1, 0, 1)
    }
)
people_st = st.lists(
    st.tuples(
        st.sampled_from(["lixiu", "tuixiu", "survivor"]),
        st.sampled_from(EDGES) | st.dates(D(1920, 1, 1), D(1966, 12, 31)),
        st.sampled_from(["hc", "yl", "town"]),
        st.sampled_from(["alive", "alive", "died_before", "died_after"]),
        st.booleans(),
    ),
    min_size=1,
    max_size=8,
)
rule_st = st.fixed_dictionaries(
    {
        "categories": st.lists(st.sampled_from(["lixiu", "tuixiu", "survivor"]), unique=True),
        "min_age": st.none() | st.sampled_from(AGES),
        "max_age": st.none() | st.sampled_from(AGES),
        "region": st.sampled_from(["", "hc", "town"]),
        "owner": st.sampled_from(["county", "city", "leader"]),
        "owner_elsewhere": st.sampled_from(["", "county", "city"]),
    }
)


class _Rollback(Exception):
    pass


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(people=people_st, spec=rule_st)
@example(  # born on the last day that makes them 80 on the planning day, and the day after
    people=[
        ("tuixiu", rules.years_before(DAY, 80), "hc", "alive", False),
        ("tuixiu", rules.years_before(DAY, 80) + datetime.timedelta(days=1), "hc", "alive", False),
    ],
    spec={
        "categories": [],
        "min_age": 80,
        "max_age": None,
        "region": "",
        "owner": "county",
        "owner_elsewhere": "",
    },
)
@example(  # the first day of being 81 is past a maximum age of 80; the day after is not
    people=[
        ("tuixiu", rules.years_before(DAY, 81), "hc", "alive", False),
        ("tuixiu", rules.years_before(DAY, 81) + datetime.timedelta(days=1), "hc", "alive", False),
    ],
    spec={
        "categories": [],
        "min_age": None,
        "max_age": 80,
        "region": "",
        "owner": "county",
        "owner_elsewhere": "",
    },
)
def test_the_view_derives_exactly_the_people_the_rule_covers(
    care_admin: Any, people: list[Any], spec: dict[str, Any]
) -> None:
    """Whatever the rule's coverage and the people, the derived tasks are the living people
    `coverage_q` selects (the planner's own filter), with the owner it would store."""
    town = (_towns() or [HECHENG])[0]
    codes = {"hc": HECHENG, "yl": YUANLING, "town": town, "": "431200"}
    try:
        with transaction.atomic():
            _only("yearly")
            rule = VisitRule.objects.get(code="yearly")
            rule.categories = spec["categories"]
            rule.min_age, rule.max_age = spec["min_age"], spec["max_age"]
            rule.region_id = codes[spec["region"]]
            rule.owner, rule.owner_elsewhere = spec["owner"], spec["owner_elsewhere"]
            rule.save()
            made = []
            for category, birth, where, life, away in people:
                p = PersonFactory(
                    region_id=codes[where],
                    category=category,
                    birth_date=birth,
                    lives_elsewhere=away,
                    elsewhere_city="长沙" if away else "",
                )
                if life == "died_before":
                    Person.objects.filter(pk=p.pk).update(
                        life_status="deceased", death_date=DAY - datetime.timedelta(days=1)
                    )
                made.append((p, life))
            count = services.tasks_plan_for_day(actor=None, day=DAY)["yearly"]
            for p, life in made:
                if life == "died_after":
                    Person.objects.filter(pk=p.pk).update(
                        life_status="deceased", death_date=DAY + datetime.timedelta(days=1)
                    )
            covered = set(
                Person.objects.filter(
                    services.coverage_q(rule, DAY), pk__in=[p.pk for p, _l in made]
                )
                .exclude(life_status="deceased", death_date__lt=DAY)
                .values_list("pk", flat=True)
            )
            alive_covered = {p.pk for p, life in made if p.pk in covered and life == "alive"}
            assert count == len(covered)  # planned when all of them were alive
            rows = {t.person_id: t for t in TaskRow.objects.filter(rule=rule)}
            assert set(rows) == covered
            assert {pid for pid, t in rows.items() if t.status == "open"} == alive_covered
            for p, _life in made:
                if p.pk in rows:
                    kind, region, leader = services._owner_of(rule, p)
                    t = rows[p.pk]
                    assert (t.owner, t.owner_region_id, t.owner_leader_id) == (
                        kind,
                        region,
                        leader,
                    )
            raise _Rollback
    except _Rollback:
        pass


def test_cached_task_counts_follow_every_write(care_admin: Any) -> None:
    """Counts per county are kept between requests; a visit, a new person or a death shows at
    once, because each raises a data version the cache is keyed by."""
    from hongxia.care import selectors

    _only("yearly")
    today = timezone.localdate()
    first, second = PersonFactory(region_id=HECHENG), PersonFactory(region_id=HECHENG)
    services.tasks_plan_for_day(actor=care_admin, day=today)

    def open_in_hecheng() -> int:
        rows = selectors.overdue_by_county(user=care_admin, today=today)
        return next(r["open"] for r in rows if r["county"] == HECHENG)

    assert open_in_hecheng() == 2
    services.visit_record(
        actor=care_admin, person=first, data={"date": today, "mode": "home", "visitors": "王科长"}
    )
    assert open_in_hecheng() == 1
    PersonFactory(region_id=HECHENG)
    assert open_in_hecheng() == 2
    people_services.person_record_death(actor=care_admin, person=second, date=today)
    assert open_in_hecheng() == 1


def test_task_pages_walk_stored_and_derived_tasks_in_order(care_admin: Any) -> None:
    """Page by page, forward and back, the list shows exactly the view's rows in (due, id)
    order, though it reads the campaigns one batch at a time."""
    from hongxia.care import selectors
    from hongxia.core.pagination import decode_cursor

    _only("chongyang", "yearly", "lixiu_pair", "hospital")
    for n in range(9):
        PersonFactory(
            region_id=[HECHENG, YUANLING, "431221"][n % 3],
            category="lixiu" if n % 4 == 0 else "tuixiu",
        )
    person = PersonFactory(region_id=HECHENG)
    people_services.life_event_record(
        actor=care_admin, person=person, kind="hospitalised", date=DAY
    )
    services.tasks_plan_for_day(actor=care_admin, day=DAY)
    services.tasks_plan_for_day(actor=care_admin, day=D(2027, 3, 1))  # next year's first half
    services.task_assign(
        actor=care_admin, task=TaskRow.objects.filter(derived=True).last(), assignee=care_admin
    )
    qs = TaskRow.objects.filter(status="open")
    expected = list(qs.order_by("due", "id").values_list("id", flat=True))
    assert len(expected) > 20 and VisitCampaign.objects.count() > 6
    assert VisitTask.objects.count() >= 2  # stored ones among them

    def walk(cursor: str | None, forward: bool) -> list[int]:
        seen: list[int] = []
        while True:
            page = selectors.task_page(qs, user=care_admin, cursor=cursor, page_size=4)
            ids = [t.pk for t in page.rows]
            seen = seen + ids if forward else ids + seen
            cursor = page.next_cursor if forward else page.prev_cursor
            if cursor is None:
                return seen

    assert walk(None, forward=True) == expected
    last = selectors.task_page(qs, user=care_admin, cursor=None, page_size=len(expected) - 3)
    assert last.next_cursor and decode_cursor(last.next_cursor)
    tail = selectors.task_page(qs, user=care_admin, cursor=last.next_cursor, page_size=4)
    assert [t.pk for t in tail.rows] == expected[-3:]
    assert walk(tail.prev_cursor, forward=False) == expected[:-3]
    # A cursor that is not ours is the first page, not an error.
    assert [
        t.pk
        for t in selectors.task_page(qs, user=care_admin, cursor="bm90IG91cnM", page_size=4).rows
    ] == expected[:4]


def test_campaigns_page_shows_progress_and_exports(care_clerk: Any) -> None:
    import io

    from openpyxl import load_workbook

    _only("chongyang")
    first, second = PersonFactory(region_id=HECHENG), PersonFactory(region_id=HECHENG)
    PersonFactory(region_id=YUANLING)
    services.tasks_plan_for_day(actor=None, day=DAY)
    services.visit_record(
        actor=care_clerk, person=first, data={"date": DAY, "mode": "home", "visitors": "王科长"}
    )
    client = Client()
    client.force_login(care_clerk)
    body = client.get("/care/campaigns/").content.decode()
    assert "重阳" in body and "鹤城区" in body and "沅陵县" not in body
    assert '<progress max="2" value="1">' in body
    response = client.get("/care/campaigns/?export=xlsx")
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[1][2] == "鹤城区" and rows[1][5:8] == (2, 1, 1)
    # The progress shown is kept between views, and a visit shows at once.
    services.visit_record(
        actor=care_clerk, person=second, data={"date": DAY, "mode": "home", "visitors": "王科长"}
    )
    assert '<progress max="2" value="2">' in client.get("/care/campaigns/").content.decode()


def test_campaigns_api(care_clerk: Any) -> None:
    from rest_framework.test import APIClient

    _only("chongyang")
    PersonFactory(region_id=HECHENG)
    services.tasks_plan_for_day(actor=None, day=DAY)
    client = APIClient()
    client.force_authenticate(care_clerk)
    data = client.get("/api/care/campaigns/").json()
    (row,) = data["results"]
    assert (row["rule"], row["county"], row["total"], row["open"]) == (
        "chongyang",
        HECHENG,
        1,
        1,
    )


@pytest.mark.parametrize("path", ["/api/care/tasks/", "/api/care/campaigns/", "/api/care/visits/"])
def test_a_page_size_that_is_not_a_number_is_a_400_not_a_500(care_clerk: Any, path: str) -> None:
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(care_clerk)
    response = client.get(path, {"page_size": "十"})
    assert response.status_code == 400 and "page_size" in response.json()["errors"]
    assert client.get(path, {"page_size": "0"}).status_code == 200
