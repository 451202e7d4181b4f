"""Search boxes and exports of the statistics lists: filed reports by title or region; the rows
behind a figure (live or as filed) by the registry's person search, on the page, its keyset
pages and its .xlsx alike, inside the user's region."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from hongxia.core.models import AuditLog, Region
from hongxia.party.models import Member
from hongxia.reports import services
from hongxia.reports.models import FiledReport
from hongxia.reports.registry import Period
from tests.conftest import HECHENG, YUANLING
from tests.factories import PersonFactory, UserFactory
from tests.http import logged_in, xlsx_rows
from tests.party.party_factories import make_branch
from tests.reports.conftest import grant

pytestmark = pytest.mark.django_db

DRILL = "/reports/drill/"
DRILL_XLSX = "/reports/drill/export.xlsx"
FILED = "/reports/filed/"
FILED_XLSX = "/reports/filed/export.xlsx"


def _cadre(region: str, name: str, phone: str, day: int) -> Any:
    return PersonFactory(region_id=region, name=name, phone=phone,
                         birth_date=datetime.date(1950, 1, day))


@pytest.fixture
def people(db: Any) -> dict[str, Any]:
    return {
        "zhang": _cadre(HECHENG, "张建国", "13907317788", 1),
        "zhang2": _cadre(HECHENG, "张建华", "13907310001", 2),
        "li": _cadre(HECHENG, "李秀英", "13907314455", 3),
        "theirs": _cadre(YUANLING, "张建军", "13907319999", 4),
    }


# ---------------------------------------------------------------- the drill-down


@pytest.mark.parametrize("text", ["张建国", "zhangjianguo", "zjg", "7788"])
def test_drill_down_is_searched_by_name_pinyin_initials_or_phone_tail(
        clerk: Any, people: dict[str, Any], text: str) -> None:
    grant(clerk)
    response = logged_in(clerk).get(DRILL, {"indicator": "people.cadres", "q": text})
    assert response.status_code == 200
    assert [o.pk for o, _cells in response.context["table"]] == [people["zhang"].pk]
    assert response.context["page"].total == 1
    html = response.content.decode()
    assert 'name="q"' in html and 'type="hidden" name="indicator" value="people.cadres"' in html
    assert f"{DRILL_XLSX}?indicator=people.cadres&amp;region={HECHENG}&amp;year=" in html
    assert "&amp;q=" in html


def test_drill_down_search_stays_in_the_users_region(clerk: Any, people: dict[str, Any]) -> None:
    grant(clerk)
    response = logged_in(clerk).get(DRILL, {"indicator": "people.cadres", "q": "zhangjian"})
    names = sorted(o.name for o, _cells in response.context["table"])
    assert names == ["张建华", "张建国"]  # not 沅陵's 张建军


def test_drill_down_search_keeps_keyset_pages(
        city_admin: Any, people: dict[str, Any], settings: Any) -> None:
    settings.HONGXIA_PAGE_SIZE = 1
    grant(city_admin)
    client = logged_in(city_admin)
    params: dict[str, Any] = {"indicator": "people.cadres", "q": "zhangjian"}
    seen: list[int] = []
    for _ in range(5):
        page = client.get(DRILL, params).context["page"]
        seen += [p.pk for p in page.rows]
        if not page.next_cursor:
            break
        params["cursor"] = page.next_cursor
    assert seen == sorted([people["zhang"].pk, people["zhang2"].pk, people["theirs"].pk])


def test_drill_down_export_has_only_the_searched_rows(
        clerk: Any, people: dict[str, Any]) -> None:
    grant(clerk)
    rows = xlsx_rows(logged_in(clerk).get(DRILL_XLSX, {"indicator": "people.cadres",
                                                      "q": "lxy"}))
    assert rows[0][0] == "姓名"
    assert [r[0] for r in rows[1:]] == ["李秀英"]
    entry = AuditLog.objects.filter(action="export").latest("id")
    assert entry.note.endswith("q=lxy")


def test_drill_down_of_rows_naming_a_person_is_searched_through_it(
        clerk: Any, people: dict[str, Any]) -> None:
    grant(clerk)
    branch = make_branch(HECHENG, "城北社区离退休干部党支部")
    for key in ("zhang", "li"):
        person = people[key]
        person.party_joined = datetime.date(1975, 7, 1)
        person.save()
        Member.objects.create(person=person, organisation=branch,
                              since=datetime.date(2016, 1, 1))
    client = logged_in(clerk)
    response = client.get(DRILL, {"indicator": "party_members", "q": "lixiuying"})
    assert [o.person_id for o, _cells in response.context["table"]] == [people["li"].pk]
    everyone = client.get(DRILL, {"indicator": "party_members"}).context["table"]
    assert len(everyone) == 2


def test_drill_down_of_rows_naming_no_one_shows_no_search_box(clerk: Any) -> None:
    grant(clerk)
    make_branch(HECHENG, "城北社区离退休干部党支部")
    response = logged_in(clerk).get(DRILL, {"indicator": "party_orgs_branch", "q": "zjg"})
    assert response.status_code == 200
    assert response.context["searchable"] is False
    assert 'name="q"' not in response.content.decode()
    assert len(response.context["table"]) == 1  # the text names no one: nothing narrowed


# ---------------------------------------------------------------- rows behind a filed figure


@pytest.fixture
def filed(clerk: Any, people: dict[str, Any]) -> FiledReport:
    grant(clerk)
    return services.report_file(actor=clerk, region=Region.objects.get(code=HECHENG),
                                year=timezone.localdate().year)


def test_filed_rows_are_searched_and_exported_as_searched(
        clerk: Any, filed: FiledReport, people: dict[str, Any]) -> None:
    client = logged_in(clerk)
    url = f"/reports/filed/{filed.pk}/rows/"
    response = client.get(url, {"indicator": "people.cadres", "q": "zjg"})
    assert response.status_code == 200
    assert [o.pk for o, _cells in response.context["table"]] == [people["zhang"].pk]
    assert response.context["total"] == 3 and response.context["matching"] == 1
    html = response.content.decode()
    assert 'name="q"' in html
    assert f"/reports/filed/{filed.pk}/rows.xlsx?indicator=people.cadres&amp;q=zjg" in html
    rows = xlsx_rows(client.get(f"/reports/filed/{filed.pk}/rows.xlsx",
                                 {"indicator": "people.cadres", "q": "4455"}))
    assert rows[0][0] == "姓名" and [r[0] for r in rows[1:]] == ["李秀英"]
    unsearched = xlsx_rows(client.get(f"/reports/filed/{filed.pk}/rows.xlsx",
                                       {"indicator": "people.cadres"}))
    assert sorted(r[0] for r in unsearched[1:]) == ["张建华", "张建国", "李秀英"]


def test_filed_rows_search_keeps_its_pages(
        clerk: Any, filed: FiledReport, people: dict[str, Any], settings: Any) -> None:
    settings.HONGXIA_PAGE_SIZE = 1
    client = logged_in(clerk)
    url = f"/reports/filed/{filed.pk}/rows/"
    params: dict[str, Any] = {"indicator": "people.cadres", "q": "zhangjian"}
    seen: list[int] = []
    for _ in range(4):
        ctx = client.get(url, params).context
        seen += [o.pk for o, _cells in ctx["table"]]
        if ctx["next_after"] is None:
            break
        params["after"] = ctx["next_after"]
    assert seen == sorted([people["zhang"].pk, people["zhang2"].pk])


# ---------------------------------------------------------------- the list of filed reports


@pytest.fixture
def two_filings(city_admin: Any) -> dict[str, FiledReport]:
    year = timezone.localdate().year
    period = Period.year(year)

    def file(region: str, title: str, note: str) -> FiledReport:
        return FiledReport.objects.create(
            region_id=region, year=year, period_start=period.start, period_end=period.end,
            title=title, note=note, filed_by=city_admin, filed_by_name="王科长")

    return {"hc": file(HECHENG, f"鹤城区{year}年度工作综述", "按时上报"),
            "yl": file(YUANLING, f"沅陵县{year}年度工作综述", "补报")}


def test_filed_reports_are_searched_by_region_name_or_note(
        city_admin: Any, two_filings: dict[str, FiledReport]) -> None:
    grant(city_admin)
    client = logged_in(city_admin)
    response = client.get(FILED, {"q": "沅陵"})
    assert [f.pk for f in response.context["page"].rows] == [two_filings["yl"].pk]
    html = response.content.decode()
    assert 'name="q"' in html and f'href="{FILED_XLSX}?q=' in html
    assert [f.pk for f in client.get(FILED, {"q": "按时"}).context["page"].rows] == [
        two_filings["hc"].pk]


def test_filed_reports_export_has_the_filtered_rows(
        city_admin: Any, two_filings: dict[str, FiledReport]) -> None:
    grant(city_admin)
    rows = xlsx_rows(logged_in(city_admin).get(FILED_XLSX, {"q": "鹤城"}))
    assert rows[0] == ("标题", "地区", "区划代码", "年度", "上报人", "上报时间", "备注")
    year = timezone.localdate().year
    assert [r[:5] for r in rows[1:]] == [
        (f"鹤城区{year}年度工作综述", "鹤城区", HECHENG, year, "王科长")]
    assert rows[1][6] == "按时上报"
    assert AuditLog.objects.filter(action="export",
                                   note__startswith="filed reports 1 rows").exists()


def test_filed_reports_export_stays_in_the_users_region(
        clerk: Any, two_filings: dict[str, FiledReport]) -> None:
    grant(clerk)
    rows = xlsx_rows(logged_in(clerk).get(FILED_XLSX))
    assert [r[1] for r in rows[1:]] == ["鹤城区"]


def test_filed_reports_export_needs_the_export_permission(
        two_filings: dict[str, FiledReport]) -> None:
    viewer = grant(UserFactory(username="filed_viewer", role="branch_secretary",
                               region_id=HECHENG), "view_filedreport")
    client = logged_in(viewer)
    page = client.get(FILED, {"q": "鹤城"})
    assert page.status_code == 200
    assert FILED_XLSX not in page.content.decode()
    assert client.get(FILED_XLSX, {"q": "鹤城"}).status_code == 403


def test_changing_the_drill_downs_region_or_year_keeps_its_figure(
        clerk: Any, people: dict[str, Any]) -> None:
    # The region-and-year form used to send no indicator: the page fell back to the default.
    grant(clerk)
    html = logged_in(clerk).get(DRILL, {"indicator": "people.lixiu"}).content.decode()
    scope_form = html.split('<form class="filters" method="get">', 1)[1].split("</form>", 1)[0]
    assert 'name="region"' in scope_form and 'name="year"' in scope_form
    assert '<input type="hidden" name="indicator" value="people.lixiu">' in scope_form
