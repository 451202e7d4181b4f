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


def test_a_job_with_many_problems_fits_a_phone(browser: Any, live_server: Any) -> None:
    """The problem summary, the long list and the three decisions of the merge queue stay
    inside a phone's width: only their tables scroll."""
    clerk = UserFactory(username="b_ingest_job", role="county_clerk", region_id="431202")
    _queue()
    problems = [{"row": 5 + i, "column": "出生年月" if i % 3 else "公民身份号码",
                 "message": "无法识别的日期“不详”，请写成 1938-05-01、1938.05 或 1938年5月。",
                 "severity": "error", "value": "不详"} for i in range(40)]
    job = ImportJob.objects.create(region_id="431202", filename="鹤城区花名册（第二批）.xlsx",
                                   status="previewed", user=clerk, problems=problems,
                                   summary={"rows": 40, "rejected": 40})
    page = browser.new_page(viewport={"width": 390, "height": 844})
    _login(page, live_server.url, clerk.username)
    for path in (f"/import/{job.pk}/", "/import/duplicates/"):
        page.goto(live_server.url + path)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"{path} scrolls sideways on a phone"
    page.goto(live_server.url + f"/import/{job.pk}/")
    assert page.locator("text=问题概览").is_visible()
    page.click("table.data >> nth=0 >> text=出生年月")
    page.wait_for_url("**severity=error**")
    assert page.locator("#problems ~ .table-wrap tbody tr").count() == 26


@pytest.mark.parametrize("width", [1366, 390])
def test_clerk_compares_a_held_row_and_decides(browser: Any, live_server: Any, width: int) -> None:
    """From the queue to one held row beside the record, the difference marked in words,
    and a decision: on an office screen and on a phone."""
    clerk = UserFactory(username=f"b_ingest_cmp{width}", role="county_clerk", region_id="431202")
    person = PersonFactory(name="覃玉兰", region_id="431202", gender="F",
                           birth_date=datetime.date(1938, 5, 1), former_unit="怀化市林业局")
    MergeCandidate.objects.create(
        region_id="431202", person=person, name="覃玉兰", row_number=9,
        data={"name": "覃玉兰", "gender": "F", "birth_date": "1938-05-01", "region": "431202",
              "category": person.category, "former_unit": "怀化市农业局"},
    )
    page = browser.new_page(viewport={"width": width, "height": 844 if width < 500 else 768})
    _login(page, live_server.url, clerk.username)
    page.goto(live_server.url + "/import/duplicates/")
    page.click("table.data tbody >> text=覃玉兰")
    page.wait_for_url("**/import/duplicates/*/")
    differs = page.locator("table.compare tr.differs")
    assert differs.count() == 1 and "怀化市农业局" in differs.inner_text()
    assert "不同" in differs.inner_text()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, "the page itself must not scroll sideways"
    page.click("form.decisions >> text=同一人：用此行更新记录")
    page.wait_for_url("**/import/duplicates/")
    told = page.locator("ul.messages li.success")
    assert told.is_visible() and "覃玉兰" in told.inner_text(), "whose row was decided"
    person.refresh_from_db()
    assert person.former_unit == "怀化市农业局"
