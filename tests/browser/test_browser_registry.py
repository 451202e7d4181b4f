"""The registry as a clerk uses it in a real browser: log in, search, open, reveal, switch."""

from __future__ import annotations

from typing import Any

import pytest
from tests.factories import PASSWORD, PersonFactory, UserFactory

from hongxia.core.models import AuditLog

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _login(page: Any, base: str, username: str) -> None:
    page.goto(base + "/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(base + "/")


def test_clerk_searches_opens_and_reveals(browser: Any, live_server: Any) -> None:
    admin = UserFactory(username="b_admin", role="city_admin", region_id="431200")
    zeng = PersonFactory(name="曾国华", region_id="431202")
    PersonFactory(name="王秀英", region_id="431202")
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    _login(page, live_server.url, admin.username)
    assert "离退休干部" in page.inner_text("main")

    page.goto(live_server.url + "/people/")
    page.fill("input[name=q]", "zgh")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**q=zgh**")  # the results page, not the one being left
    rows = page.locator("table.data tbody tr")
    assert rows.count() == 1
    assert "曾国华" in rows.first.inner_text()
    # The results start above the fold on an office screen.
    assert rows.first.bounding_box()["y"] < 768

    rows.first.locator("a").first.click()
    page.wait_for_url(f"**/people/{zeng.pk}/")
    assert zeng.id_masked in page.inner_text("#reveal-id_number")
    page.click("button.reveal >> nth=0")
    page.wait_for_function("document.querySelector('#reveal-id_number').innerText.indexOf('*') < 0")
    assert page.inner_text("#reveal-id_number").strip() == zeng.id_number
    assert AuditLog.objects.filter(action="view_sensitive", person_id=zeng.pk).count() == 1


def test_language_switch_and_large_text(browser: Any, live_server: Any) -> None:
    clerk = UserFactory(username="b_clerk", role="county_clerk", region_id="431202")
    page = browser.new_page(viewport={"width": 1366, "height": 768}, locale="en-US")
    _login(page, live_server.url, clerk.username)
    assert "信息库" in page.inner_text("nav.mainnav"), "Chinese by default, whatever the browser"
    page.select_option("#language-select", "en")
    with page.expect_navigation():  # the switch posts, then comes back to this page
        page.click("form.lang button")
    assert "Registry" in page.inner_text("nav.mainnav")

    size = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    page.click("#toggle-large")
    larger = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert larger > size >= 16
    page.reload()
    assert page.evaluate("document.documentElement.classList.contains('large')")


def test_phone_layout_has_no_page_wide_scroll(browser: Any, live_server: Any) -> None:
    clerk = UserFactory(username="b_phone", role="county_clerk", region_id="431202")
    for i in range(5):
        PersonFactory(name=f"手机{i}", region_id="431202")
    page = browser.new_page(viewport={"width": 390, "height": 844})
    _login(page, live_server.url, clerk.username)
    page.goto(live_server.url + "/people/")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, "the page itself must not scroll sideways on a phone"
    assert page.locator("table.data tbody tr").count() == 5


def test_form_errors_show_on_the_field(browser: Any, live_server: Any) -> None:
    clerk = UserFactory(username="b_form", role="county_clerk", region_id="431202")
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    _login(page, live_server.url, clerk.username)
    page.goto(live_server.url + "/people/new/")
    page.fill("input[name=name]", "测试")
    page.fill("input[name=id_number]", "431202193805011233")
    page.click("form button.primary")
    field = page.locator(".field.has-error", has=page.locator("input[name=id_number]"))
    assert "校验码" in field.inner_text()
