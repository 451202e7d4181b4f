"""A county clerk imports a roster in a real browser, the whole way: upload a GBK CSV from an
older system (or the same roster as a GB2312 web page saved as .xls), read the check's
problems by row and column while nothing is written, confirm, watch the import finish in the
background, take away the problem report, and find the new people in the registry. The check
and the import run in the server's background threads, as they do in production, and the
page follows them by polling."""

from __future__ import annotations

import datetime
import io
from typing import Any

import openpyxl
import pytest
from tests.browser.test_browser_registry import _login
from tests.factories import UserFactory

from hongxia.core import idcard
from hongxia.ingest.models import ImportJob
from hongxia.people.models import Person

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

GOOD = [("曾国华", datetime.date(1938, 5, 1), "1938.05"),
        ("王秀英", datetime.date(1941, 10, 9), "1941年10月"),
        ("李建国", datetime.date(1945, 3, 12), "19450312")]


def _roster() -> bytes:
    """A county's CSV as an older system writes it: GBK, a title row above the header, a
    totals row below, and one row whose ID number fails its check digit."""
    lines = ["鹤城区离退休干部花名册,,,,", "姓名,性别,身份证号,出生年月,离退休类别"]
    for seq, (name, birth, written) in enumerate(GOOD, start=1):
        number = idcard.make("431202", birth, seq * 2 + 1)  # odd sequence: a man
        lines.append(f"{name},男,{number},{written},离休")
    bad = idcard.make("431202", datetime.date(1940, 1, 1), 21)
    wrong_check = bad[:17] + ("0" if bad[17] != "0" else "1")
    lines.append(f"赵坏号,男,{wrong_check},1940.01,离休")
    lines.append("合计,,,,4人")
    return ("\r\n".join(lines) + "\r\n").encode("gbk")


def _web_page() -> bytes:
    """The same roster as another older system exports it: a GB2312 web page named .xls."""
    rows = _roster().decode("gbk").split("\r\n")[:-1]
    cells = "".join(
        "<tr>" + "".join(f"<td>{c or '&nbsp;'}</td>" for c in row.split(",")) + "</tr>\n"
        for row in rows
    )
    return (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">'
        f"</head><body><table border=1>\n{cells}</table></body></html>"
    ).encode("gbk")


@pytest.mark.parametrize("kind", ["csv", "page"])
def test_clerk_imports_a_gbk_roster_end_to_end(browser: Any, live_server: Any,
                                               tmp_path: Any, kind: str) -> None:
    clerk = UserFactory(username=f"b_importer_{kind}", role="county_clerk", region_id="431202")
    if kind == "csv":
        upload = tmp_path / "鹤城区花名册.csv"
        upload.write_bytes(_roster())
    else:
        upload = tmp_path / "鹤城区花名册.xls"
        upload.write_bytes(_web_page())
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    page.set_default_timeout(30_000)
    _login(page, live_server.url, clerk.username)

    page.goto(live_server.url + "/import/")
    page.set_input_files("input[name=file]", str(upload))
    page.click("main form[enctype] button[type=submit]")
    page.wait_for_url(live_server.url + "/import/*/")

    # The check runs in the background; the page polls, then reloads with the problems.
    confirm = page.get_by_role("button", name="导入无误的行")
    confirm.wait_for()
    assert not Person.objects.filter(name__in=[n for n, _b, _w in GOOD]).exists(), \
        "nothing is written before the clerk confirms"
    problems = page.locator("table.data tbody tr")
    texts = [problems.nth(i).inner_text() for i in range(problems.count())]
    id_problem = [t for t in texts if t.startswith("6\t") and "身份证号" in t]
    assert id_problem and "校验" in id_problem[0], texts
    status = page.locator("#job-status").inner_text()
    assert ("gbk" if kind == "csv" else "gb2312") in status.lower(), "the encoding is shown"

    confirm.click()
    page.locator("#job-status .badge", has_text="已完成").wait_for()
    cards = page.locator("#job-status .card")
    figures = {cards.nth(i).locator(".label").inner_text(): cards.nth(i).locator(".value")
               .inner_text() for i in range(cards.count())}
    assert figures["新增"] == "3" and figures["拒绝"] == "1", figures
    assert figures["跳过的空行 / 合计及落款行"] == "0 / 1", figures

    with page.expect_download() as download:
        page.click("text=下载问题报告")
    book = openpyxl.load_workbook(io.BytesIO(download.value.path().read_bytes()))
    rows = list(book.active.iter_rows(values_only=True))
    flagged = [r for r in rows if r and r[0] == "赵坏号"]
    assert flagged and any("校验" in str(c) for c in flagged[0] if c), rows

    job = ImportJob.objects.get()
    assert job.status == "done" and job.summary["encoding"].lower().startswith("gb")
    born = dict(Person.objects.filter(region_id="431202").values_list("name", "birth_date"))
    assert born == {name: birth for name, birth, _w in GOOD}

    page.goto(live_server.url + "/people/?q=wxy")
    found = page.locator("table.data tbody tr")
    assert found.count() == 1 and "王秀英" in found.first.inner_text()
