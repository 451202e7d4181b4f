"""Tasks owned by "the branch": the person's current party branch, whose secretary sees them."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from hongxia.care import selectors, services
from hongxia.care.models import TaskRow, VisitRule
from hongxia.party.models import Member, Organisation
from tests.conftest import HECHENG
from tests.factories import PersonFactory, UserFactory

D = datetime.date
DAY = D(2026, 5, 4)
pytestmark = pytest.mark.django_db


def _branch(name: str, secretary: Any) -> Organisation:
    return Organisation.objects.create(
        name=name,
        kind="branch",
        region_id=HECHENG,
        basis="community",
        start_date=D(2015, 1, 1),
        secretary_user=secretary,
    )


def _member(branch: Organisation, name: str) -> Any:
    person = PersonFactory(region_id=HECHENG, name=name, political_status="cpc_member")
    Member.objects.create(person=person, organisation=branch, since=D(2016, 1, 1))
    return person


@pytest.fixture
def setup(care_admin: Any) -> dict[str, Any]:
    VisitRule.objects.exclude(code="yearly").update(active=False)
    VisitRule.objects.filter(code="yearly").update(owner="branch")
    sec_a = UserFactory(username="sec_north", role="branch_secretary", region_id=HECHENG)
    sec_b = UserFactory(username="sec_south", role="branch_secretary", region_id=HECHENG)
    north, south = _branch("城北支部", sec_a), _branch("城南支部", sec_b)
    no_account = _branch("无账号支部", None)
    people = {
        "north": _member(north, "城北党员"),
        "south": _member(south, "城南党员"),
        "orphan": _member(no_account, "无书记党员"),
        "outsider": PersonFactory(region_id=HECHENG, name="非党员"),
    }
    services.tasks_plan_for_day(actor=None, day=DAY)
    assert TaskRow.objects.filter(owner="branch").count() == 4
    return {"sec_a": sec_a, "sec_b": sec_b, "north_branch": north, "south_branch": south, **people}


def _names(qs: Any) -> set[str]:
    return {t.person.name for t in qs}


def test_secretary_sees_their_branch_tasks_as_mine(setup: dict[str, Any], care_clerk: Any) -> None:
    sec_a = setup["sec_a"]
    assert _names(selectors.tasks_due(user=sec_a, when="mine", today=DAY)) == {"城北党员"}
    assert _names(TaskRow.objects.visible_to(sec_a)) == {"城北党员"}
    # The county bureau keeps what no secretary can take: non-members, branches with no account.
    assert _names(selectors.tasks_due(user=care_clerk, when="mine", today=DAY)) == {
        "无书记党员",
        "非党员",
    }
    client = Client()
    client.force_login(sec_a)
    page = client.get("/care/?when=mine").content.decode()
    assert "城北党员" in page and "城南党员" not in page and "城北支部" in page
    assert client.get("/").status_code == 200  # the home page's care panel, branch-scoped
    other = TaskRow.objects.get(person=setup["south"])
    assert client.get(f"/care/tasks/{other.pk}/").status_code == 404
    api = APIClient()
    api.force_authenticate(sec_a)
    rows = api.get("/api/care/tasks?when=mine").json()["results"]
    assert [(r["person_name"], r["owner_branch"]) for r in rows] == [
        ("城北党员", setup["north_branch"].pk)
    ]


def test_a_transfer_moves_the_task_to_the_new_branch(setup: dict[str, Any]) -> None:
    Member.objects.filter(person=setup["north"]).update(organisation=setup["south_branch"])
    assert not selectors.tasks_due(user=setup["sec_a"], when="mine", today=DAY).exists()
    assert _names(selectors.tasks_due(user=setup["sec_b"], when="mine", today=DAY)) == {
        "城北党员",
        "城南党员",
    }


def test_secretary_records_the_visit_that_closes_it(setup: dict[str, Any]) -> None:
    sec_a, person = setup["sec_a"], setup["north"]
    client = Client()
    client.force_login(sec_a)
    r = client.post(
        f"/care/people/{person.pk}/visit/",
        {"date": DAY.isoformat(), "mode": "home", "visitors": "支部书记"},
    )
    assert r.status_code == 302
    task = TaskRow.objects.get(person=person)
    assert task.status == "done"
    assert client.get(r["Location"]).status_code == 200  # the visit is theirs to see
    # Not a member of their branch: not theirs to visit.
    r = client.post(
        f"/care/people/{setup['south'].pk}/visit/",
        {"date": DAY.isoformat(), "mode": "home", "visitors": "支部书记"},
    )
    assert r.status_code == 404
