"""The list of imports and the merge queue: newest first over many pages, searched, filtered,
and exported as the filters select."""

from __future__ import annotations

import datetime
import re
import urllib.parse
from typing import Any

from django.test import Client
from django.urls import reverse

from hongxia.core.models import AuditLog
from hongxia.ingest.models import ImportJob, MergeCandidate
from tests.factories import PersonFactory
from tests.http import logged_in, xlsx_rows


def _pages(client: Client, url: str, params: dict[str, str]) -> list[list[str]]:
    """Every page's rows (their first cell's text), following the pager's "next" links."""
    pages, query = [], dict(params)
    while True:
        response = client.get(url, query)
        assert response.status_code == 200
        html = response.content.decode()
        body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
        cells = re.findall(r"<tr>\s*<td>(.*?)</td>", body, flags=re.S)
        pages.append([re.sub(r"<[^>]+>", "", cell).strip() for cell in cells])
        after = re.search(r'rel="next" href="\?[^"]*cursor=([^"&]+)"', html)
        if not after:
            return pages
        query = {**params, "cursor": urllib.parse.unquote(after.group(1))}


def _jobs(region: str = "431202") -> None:
    for i in range(1, 6):
        ImportJob.objects.create(
            region_id=region,
            filename=f"花名册{i}.xlsx" if i != 4 else "离休干部.csv",
            status="done" if i % 2 else "failed",
            summary={"rows": 10 * i, "created": i, "updated": 0, "unchanged": 0, "rejected": 0},
        )


def test_imports_page_newest_first_across_pages(clerk: Any, settings: Any) -> None:
    settings.HONGXIA_PAGE_SIZE = 2
    _jobs()
    pages = _pages(logged_in(clerk), reverse("ingest:jobs"), {})
    assert pages == [
        ["花名册5.xlsx", "离休干部.csv"],
        ["花名册3.xlsx", "花名册2.xlsx"],
        ["花名册1.xlsx"],
    ]


def test_imports_are_searched_filtered_and_exported_as_shown(clerk: Any) -> None:
    _jobs()
    _jobs(region="431221")  # another county: never shown to this clerk
    client = logged_in(clerk)
    html = client.get(reverse("ingest:jobs"), {"q": "花名册", "status": "done"}).content.decode()
    assert "花名册5.xlsx" in html and "花名册1.xlsx" in html
    assert "花名册2.xlsx" not in html and "离休干部.csv" not in html
    rows = xlsx_rows(client.get(reverse("ingest:jobs"), {"status": "done", "export": "xlsx"}))
    assert rows[0][:3] == ("文件", "状态", "行数")
    assert [r[0] for r in rows[1:]] == ["花名册5.xlsx", "花名册3.xlsx", "花名册1.xlsx"]
    assert rows[1][2] == 50
    assert AuditLog.objects.filter(
        action=AuditLog.Action.EXPORT, note__startswith="imports"
    ).exists()


def _candidates() -> dict[str, MergeCandidate]:
    made = {}
    for name, phone in (("王秀英", "13900001234"), ("李建国", "13900005678"), ("曾国华", "")):
        person = PersonFactory(
            region_id="431202", name=name, birth_date=datetime.date(1938, 5, 1), phone=phone
        )
        made[name] = MergeCandidate.objects.create(
            region_id="431202",
            person=person,
            name=name,
            row_number=len(made) + 2,
            data={"name": name},
        )
    return made


def test_merge_queue_is_searched_like_the_registry(clerk: Any) -> None:
    made = _candidates()
    made["李建国"].status = "dismissed"
    made["李建国"].save()
    client = logged_in(clerk)
    url = reverse("ingest:duplicates")

    def shown(**params: str) -> set[str]:
        html = client.get(url, params).content.decode()
        return {n for n in made if n in html}

    assert shown(q="wxy") == {"王秀英"}  # initials
    assert shown(q="zengguo") == {"曾国华"}  # pinyin, with the surname's own reading
    assert shown(q="5678") == {"李建国"}  # the last digits of the phone
    assert shown(q="国") == {"李建国", "曾国华"}
    assert shown(q="国", status="pending") == {"曾国华"}


def test_merge_queue_pages_and_exports(clerk: Any, settings: Any) -> None:
    settings.HONGXIA_PAGE_SIZE = 2
    _candidates()
    client = logged_in(clerk)
    pages = _pages(client, reverse("ingest:duplicates"), {})
    assert pages == [["曾国华", "李建国"], ["王秀英"]]
    rows = xlsx_rows(client.get(reverse("ingest:duplicates"), {"q": "wxy", "export": "xlsx"}))
    assert rows[0][:3] == ("姓名", "已登记人员", "出生日期")
    assert [r[:2] for r in rows[1:]] == [("王秀英", "王秀英")]


def test_exports_need_the_list_permission(leader: Any) -> None:
    client = logged_in(leader)
    assert client.get(reverse("ingest:jobs"), {"export": "xlsx"}).status_code == 403
    assert client.get(reverse("ingest:duplicates"), {"export": "xlsx"}).status_code == 403
