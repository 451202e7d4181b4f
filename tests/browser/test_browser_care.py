"""Visit tasks from campaigns as a county clerk works them in a real browser: the list, a
derived task taken as mine, the campaigns page; on an office screen and on a phone."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from django.apps import apps
from django.utils import timezone
from tests.browser.test_browser_registry import _login
from tests.care.conftest import grant
from tests.factories import PersonFactory, UserFactory

from hongxia.care import services
from hongxia.care.models import DERIVED_ID_BASE, VisitRule, VisitTask
from hongxia.care.permissions import ROLE_CARE_PERMISSIONS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _default_rules() -> None:
    """These tests commit, so the test before may have flushed the database: the regions come
    back (core's post_migrate hook), the visit rules the migration filled in do not."""
    importlib.import_module("hongxia.care.migrations.0002_default_rules").load(apps, None)


def _clerk(username: str) -> Any:
    user = UserFactory(username=username, role="county_clerk", region_id="431202")
    return grant(user, ROLE_CARE_PERMISSIONS["county_clerk"])


def _planned(n: int) -> list[Any]:
    VisitRule.objects.exclude(code="yearly").update(active=False)
    people = [PersonFactory(name=f"走访对象{i}", region_id="431202") for i in range(n)]
    PersonFactory(name="别县的人", region_id="431222")
    services.tasks_plan_for_day(actor=None, day=timezone.localdate())
    return people


def test_clerk_takes_a_derived_task_and_sees_the_campaign(browser: Any, live_server: Any) -> None:
    clerk = _clerk("b_care")
    people = _planned(3)
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    _login(page, live_server.url, clerk.username)

    page.goto(live_server.url + "/care/")
    rows = page.locator("table.data >> nth=0").locator("tbody tr")
    assert rows.count() == 3
    assert "别县的人" not in page.inner_text("main")
    assert rows.first.bounding_box()["y"] < 768, "the tasks start above the fold"

    rows.first.locator("a").first.click()
    page.wait_for_url("**/care/tasks/*/")
    task_id = int(page.url.rstrip("/").rsplit("/", 1)[1])
    assert task_id >= DERIVED_ID_BASE and task_id % DERIVED_ID_BASE in {p.pk for p in people}
    page.click("main form button[type=submit] >> text=认领")
    page.wait_for_url(f"**/care/tasks/{task_id}/")
    assert "任务已由您认领" in page.inner_text("body")
    assert VisitTask.objects.get(pk=task_id).assignee_id == clerk.pk

    page.goto(live_server.url + "/care/campaigns/")
    main = page.inner_text("main")
    assert "鹤城区" in main and "沅陵县" not in main
    assert page.locator("table.data progress").count() == 1


@pytest.mark.parametrize("path", ["/care/", "/care/campaigns/"])
def test_care_lists_fit_a_phone(browser: Any, live_server: Any, path: str) -> None:
    clerk = _clerk(f"b_care_phone{len(path)}")
    _planned(4)
    page = browser.new_page(viewport={"width": 390, "height": 844})
    _login(page, live_server.url, clerk.username)
    page.goto(live_server.url + path)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, "the page itself must not scroll sideways on a phone"
    assert page.locator("table.data tbody tr").count() >= 1
