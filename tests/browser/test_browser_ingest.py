"""The merge queue as a county clerk works it in a real browser: search it the way the
registry is searched, export what it shows; on an office screen and on a phone."""

from __future__ import annotations

import datetime
import io
from typing import Any

import openpyxl
import pytest
from tests.browser.test_browser_registry import _login
from tests.factories import PersonFactory, UserFactory

from hongxia.ingest.models import ImportJob, MergeCandidate

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _queue() -> None:
    job = ImportJob.objects.create(region_id="431202", filename="鹤城区花名册.xlsx", status="done")
    for row, name in enumerate(["曾国华", "王秀英", "李建国"], start=5):
        person = PersonFactory(name=name, region_id="431202", birth_date=datetime.date(1938, 5, 1))
        MergeCandidate.objects.create(
            region_id="431202", person=person, job=job, name=name, row_number=row,
            data={"name": name},
        )


def test_clerk_searches_the_merge_queue_and_exports_it(browser: Any, live_server: Any) -> None:
    clerk = UserFactory(username="b_ingest", role="county_clerk", region_id="431202")
    _queue()
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    _login(page, live_server.url, clerk.username)
    page.goto(live_server.url + "/import/duplicates/")
    assert page.locator("table.data tbody tr").count() == 3

    page.fill("input[name=q]", "zgh")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**q=zgh**")  # the results page, not the one being left
    rows = page.locator("table.data tbody tr")
    assert rows.count() == 1 and "曾国华" in rows.first.inner_text()
    assert rows.first.bounding_box()["y"] < 768, "the match shows above the fold"

    with page.expect_download() as download:
        page.click("form.filters >> text=导出 Excel")
    book = openpyxl.load_workbook(io.BytesIO(download.value.path().read_bytes()))
    rows_in_file = list(book.active.iter_rows(values_only=True))
    assert [r[0] for r in rows_in_file[1:]] == ["曾国华"]


@pytest.mark.parametrize("path", ["/import/", "/import/duplicates/"])
def test_import_pages_fit_a_phone(browser: Any, live_server: Any, path: str) -> None:
    clerk = UserFactory(username=f"b_ingest_phone{len(path)}", role="county_clerk",
                        region_id="431202")
    _queue()
    page = browser.new_page(viewport={"width": 390, "height": 844})
    _login(page, live_server.url, clerk.username)
    page.goto(live_server.url + path)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, "the page itself must not scroll sideways on a phone"
    # The filters fold away on a phone; one tap opens them.
    search = page.locator("form.filters input[name=q]")
    assert not search.is_visible()
    page.click("details.filters-wrap > summary")
    assert search.is_visible()
