"""How the import pages look in a real browser: on a phone every column of their tables is on
the screen, on an office screen they stay tables; the comparison marks every differing field;
errors and warnings do not look like notes; the progress bar is big enough to see."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from tests.browser.test_browser_registry import _login
from tests.factories import PersonFactory, UserFactory

from hongxia.ingest.models import ImportJob, MergeCandidate

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
OFFICE = {"width": 1366, "height": 768}


def _pages(clerk: Any) -> dict[str, str]:
    """A checked job with problems of every kind, a running one, and a held row whose record
    differs in several fields: the four import pages, by name."""
    problems = [
        {"row": 5 + i, "column": ("公民身份号码", "出生年月", "联系电话")[i % 3],
         "message": "无法识别的日期“不详”，请写成 1938-05-01、1938.05 或 1938年5月。",
         "severity": ("error", "warning", "info")[i % 3], "value": "不详"}
        for i in range(30)
    ]
    checked = ImportJob.objects.create(
        region_id="431202", filename="鹤城区花名册（第二批）.xlsx", status="previewed", user=clerk,
        problems=problems, options={"stage": "check"},
        summary={"rows": 30, "created": 0, "updated": 0, "rejected": 10, "queued": 0})
    running = ImportJob.objects.create(
        region_id="431202", filename="沅陵.xlsx", status="running", user=clerk, total=200,
        processed=50, options={"stage": "import"}, heartbeat=datetime.datetime.now(datetime.UTC))
    person = PersonFactory(name="覃玉兰", region_id="431202", gender="F",
                           birth_date=datetime.date(1938, 5, 1), former_unit="怀化市林业局",
                           address="鹤城区迎丰路1号", notes="")
    held = MergeCandidate.objects.create(
        region_id="431202", person=person, name="覃玉兰", row_number=9, job=checked,
        data={"name": "覃玉兰", "gender": "F", "birth_date": "1938-05-01", "region": "431202",
              "category": person.category, "former_unit": "怀化市农业局",
              "address": "鹤城区迎丰路9号", "notes": "2024年迁居"},
    )
    return {
        "list": "/import/",
        "job": f"/import/{checked.pk}/",
        "running": f"/import/{running.pk}/",
        "duplicates": "/import/duplicates/",
        "compare": f"/import/duplicates/{held.pk}/",
    }


def _off_screen(page: Any) -> list[str]:
    """The cells of the page's tables that end beyond the right edge of the window."""
    return page.evaluate(
        """() => [...document.querySelectorAll('table.data td, table.data tbody th')]
             .filter(c => c.getBoundingClientRect().right > window.innerWidth + 1)
             .map(c => c.textContent.trim().slice(0, 30))"""
    )


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_column_of_the_import_tables_is_on_a_phone_screen(
    browser: Any, live_server: Any, language: str
) -> None:
    clerk = UserFactory(username=f"b_pages_{language}", role="county_clerk",
                        region_id="431202")
    pages = _pages(clerk)
    page = browser.new_page(viewport=PHONE)
    page.context.add_cookies([{"name": "django_language", "value": language,
                               "url": live_server.url}])
    _login(page, live_server.url, clerk.username)
    for name in ("list", "job", "duplicates", "compare"):
        page.goto(live_server.url + pages[name])
        assert page.locator("table.data td").count() > 0, name
        assert _off_screen(page) == [], f"{name}: cells off the screen"
        # Each cell says which column it is.
        labels = page.locator("table.data td[data-label]")
        assert labels.count() > 0
        before = labels.first.evaluate("c => getComputedStyle(c, '::before').content")
        assert before.strip('"') == labels.first.get_attribute("data-label"), name


def test_on_an_office_screen_they_stay_tables(browser: Any, live_server: Any) -> None:
    clerk = UserFactory(username="b_pages_office", role="county_clerk", region_id="431202")
    pages = _pages(clerk)
    page = browser.new_page(viewport=OFFICE)
    _login(page, live_server.url, clerk.username)
    for name in ("list", "job", "duplicates", "compare"):
        page.goto(live_server.url + pages[name])
        assert page.locator("table.data thead").first.is_visible(), name
        first_row = page.locator("table.data tbody tr").first.locator("td")
        tops = {round(first_row.nth(i).bounding_box()["y"]) for i in range(first_row.count())}
        assert len(tops) == 1, f"{name}: the cells of a row side by side"
        assert _off_screen(page) == [], name


@pytest.mark.parametrize("viewport", [OFFICE, PHONE])
def test_every_differing_field_is_marked(browser: Any, live_server: Any,
                                         viewport: dict[str, int]) -> None:
    """The zebra stripes of even rows hid the mark of every second differing field."""
    clerk = UserFactory(username=f"b_pages_cmp{viewport['width']}", role="county_clerk",
                        region_id="431202")
    pages = _pages(clerk)
    page = browser.new_page(viewport=viewport)
    _login(page, live_server.url, clerk.username)
    page.goto(live_server.url + pages["compare"])
    rows = page.locator("table.compare tbody tr")
    marked = rows.evaluate_all(
        """rows => rows.map(r => [r.classList.contains('differs'),
             getComputedStyle(r).backgroundColor + getComputedStyle(r.cells[1]).backgroundColor])"""
    )
    differing = {colour for differs, colour in marked if differs}
    alike = {colour for differs, colour in marked if not differs}
    assert sum(1 for differs, _c in marked if differs) >= 3
    assert len(differing) == 1 and not differing & alike, marked


def _luminance(rgb: str) -> float:
    parts = [int(p) / 255 for p in rgb[rgb.index("(") + 1:rgb.index(")")].split(",")[:3]]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in parts]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def _contrast(fg: str, bg: str) -> float:
    a, b = sorted((_luminance(fg), _luminance(bg)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def test_errors_and_warnings_look_unlike_notes(browser: Any, live_server: Any) -> None:
    clerk = UserFactory(username="b_pages_tags", role="county_clerk", region_id="431202")
    pages = _pages(clerk)
    failed = ImportJob.objects.create(region_id="431202", filename="坏.xlsx", status="failed",
                                      user=clerk, message="文件已损坏", options={"stage": "check"})
    page = browser.new_page(viewport=OFFICE)
    _login(page, live_server.url, clerk.username)
    page.goto(live_server.url + pages["job"])
    look = {}
    for kind in ("error", "warning", "info"):
        tag = page.locator(f"#problems ~ .table-wrap .tag.{kind}").first
        colour, background = tag.evaluate(
            "t => [getComputedStyle(t).color, getComputedStyle(t).backgroundColor]")
        assert _contrast(colour, background) >= 4.5, (kind, colour, background)
        look[kind] = background
    assert len(set(look.values())) == 3, look

    page.goto(live_server.url + pages["list"])
    information = page.locator(".section .notice").first.evaluate(
        "b => getComputedStyle(b).backgroundColor")
    page.goto(live_server.url + f"/import/{failed.pk}/")
    box = page.locator("#job-status .notice", has_text="文件已损坏")
    colour, background = box.evaluate(
        "b => [getComputedStyle(b).color, getComputedStyle(b).backgroundColor]")
    assert background != information, "an error, not information"
    assert _contrast(colour, background) >= 4.5

def test_the_progress_bar_is_wide_and_tall(browser: Any, live_server: Any) -> None:
    clerk = UserFactory(username="b_pages_progress", role="county_clerk", region_id="431202")
    pages = _pages(clerk)
    page = browser.new_page(viewport=OFFICE)
    _login(page, live_server.url, clerk.username)
    page.goto(live_server.url + pages["running"])
    bar = page.locator("#job-status progress").bounding_box()
    box = page.locator("#job-status").evaluate("b => b.clientWidth")
    assert bar["width"] >= 0.85 * box and bar["height"] >= 24, (bar, box)


@pytest.mark.parametrize("viewport", [PHONE, OFFICE])
def test_another_sheet_is_checked_with_one_button(
    browser: Any, live_server: Any, tmp_path: Any, viewport: dict[str, int]
) -> None:
    """离休 and 退休 on two sheets of one book: the check of the first offers the second, on
    the screen on a phone too, and one click checks it."""
    import xlsxwriter
    from tests.ingest.ingest_corpus import HEADERS, person_row

    path = tmp_path / "两表.xlsx"
    book = xlsxwriter.Workbook(str(path))
    for name, seq in (("离休", 1), ("退休", 2)):
        sheet = book.add_worksheet(name)
        sheet.write_row(0, 0, HEADERS)
        sheet.write_row(1, 0, person_row(seq, name=f"{name}的人"))
    book.close()
    clerk = UserFactory(username=f"b_sheets{viewport['width']}", role="county_clerk",
                        region_id="431202")
    page = browser.new_page(viewport=viewport)
    page.set_default_timeout(30_000)
    _login(page, live_server.url, clerk.username)
    page.goto(live_server.url + "/import/")
    page.set_input_files("input[name=file]", str(path))
    page.click("main form[enctype] button[type=submit]")
    page.wait_for_url(live_server.url + "/import/*/")
    button = page.get_by_role("button", name="检查工作表“退休”")
    button.wait_for()
    box = button.bounding_box()
    assert box and box["x"] + box["width"] <= viewport["width"], "the button is on the screen"
    first = page.url
    button.click()
    page.wait_for_url(lambda url: url != first and "/import/" in url)
    page.get_by_role("button", name="导入无误的行").wait_for()
    assert "退休" in page.locator("#job-status").inner_text()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1
