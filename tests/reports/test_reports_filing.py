"""Filed reports stay as filed: edits to rows or to the registry change nothing in them, and
the comparison with a fresh computation lists the difference."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.utils import timezone

from hongxia.core.models import AuditLog, Region
from hongxia.people.models import Person
from hongxia.reports import registry, selectors, services
from hongxia.reports.models import FiledReport
from hongxia.reports.registry import Indicator, Period
from tests.conftest import HECHENG, YUANLING
from tests.factories import PersonFactory
from tests.reports.conftest import grant


@pytest.fixture
def filed(registry_world: Any, clerk: Any) -> FiledReport:
    grant(clerk)
    return services.report_file(actor=clerk, region=Region.objects.get(code=HECHENG),
                                year=timezone.localdate().year, note="按时上报")


def test_filing_freezes_figures_rows_and_who_when(filed: FiledReport, clerk: Any) -> None:
    period = Period.year(filed.year)
    assert filed.filed_by == clerk and filed.region_id == HECHENG
    assert (filed.period_start, filed.period_end) == (period.start, period.end)
    figures = {f.key: f for f in filed.figures.all()}
    assert set(figures) == {i.key for i in registry.all_indicators()}
    cadres = figures["people.cadres"]
    ids = set(registry.get("people.cadres").rows(HECHENG, period).values_list("pk", flat=True))
    assert set(selectors.expand_ids(cadres.row_ids)) == ids
    assert cadres.row_count == len(ids) == int(cadres.value)
    assert AuditLog.objects.filter(model="reports.FiledReport", object_pk=str(filed.pk),
                                   action="create").exists()


def test_filed_report_is_unchanged_after_edits_and_the_comparison_lists_them(
    filed: FiledReport, registry_world: list[Person],
) -> None:
    before = selectors.filed_summary(filed).as_json()
    # Edits after filing: one more cadre in the county, one party member leaves the party.
    newcomer = PersonFactory(region_id=HECHENG, category="tuixiu", id_number="", phone="",
                             birth_date=datetime.date(1955, 5, 5))
    member = Person.objects.get(pk=registry_world[0].pk)
    member.political_status = "masses"
    member.save()

    reloaded = FiledReport.objects.get(pk=filed.pk)
    assert selectors.filed_summary(reloaded).as_json() == before

    diffs = {d.key: d for d in selectors.compare_with_fresh(reloaded)}
    cadres = diffs["people.cadres"]
    assert (cadres.now, cadres.added, cadres.removed) == (cadres.then + 1, 1, 0)
    party = diffs["people.party_members"]
    assert (party.now, party.added, party.removed) == (party.then - 1, 0, 1)
    assert not diffs["people.survivors"].changed
    assert newcomer.pk not in selectors.expand_ids(
        reloaded.figures.get(key="people.cadres").row_ids)


def test_registry_edits_never_change_a_filed_report(filed: FiledReport,
                                                   monkeypatch: Any) -> None:
    before = selectors.filed_summary(filed).as_json()
    old = registry.get("people.cadres")
    changed = Indicator(key=old.key, label_zh="改了名字", label_en="renamed", unit=old.unit,
                        line=old.line, value=lambda prefix, period: 999_999, rows=old.rows)
    extra = Indicator(key="test.extra", label_zh="新指标", label_en="new", unit="个",
                      line="basic", value=lambda prefix, period: 3)
    registry_dict = dict(registry._REGISTRY)
    registry_dict[old.key] = changed
    registry_dict[extra.key] = extra
    registry_dict.pop("people.survivors")
    monkeypatch.setattr(registry, "_REGISTRY", registry_dict)

    assert selectors.filed_summary(FiledReport.objects.get(pk=filed.pk)).as_json() == before
    diffs = {d.key: d for d in selectors.compare_with_fresh(filed)}
    assert diffs["people.cadres"].now == 999_999
    assert diffs["people.survivors"].note == "no longer computed"
    assert diffs["test.extra"].note == "new indicator"


def test_filing_outside_ones_county_is_refused(registry_world: Any, clerk: Any) -> None:
    grant(clerk)
    with pytest.raises(PermissionDenied):
        services.report_file(actor=clerk, region=Region.objects.get(code=YUANLING), year=2025)
    assert not FiledReport.objects.exists()


def test_filing_needs_the_permission(registry_world: Any) -> None:
    from tests.factories import UserFactory

    secretary = UserFactory(username="no_stats", role="branch_secretary", region_id=HECHENG)
    with pytest.raises(PermissionDenied):
        services.report_file(actor=secretary, region=Region.objects.get(code=HECHENG), year=2025)


def test_filing_over_http_then_open_export_compare(registry_world: Any, clerk: Any) -> None:
    grant(clerk)
    client = Client()
    client.force_login(clerk)
    year = timezone.localdate().year
    response = client.post("/reports/annual/file/", {"region": HECHENG, "year": year,
                                                     "note": "第一次"})
    assert response.status_code == 302
    report = FiledReport.objects.get()
    assert response["Location"] == f"/reports/filed/{report.pk}/"
    assert client.get(response["Location"]).status_code == 200
    assert client.get(f"/reports/filed/{report.pk}/export.xlsx").status_code == 200
    assert client.get(f"/reports/filed/{report.pk}/export.pdf").status_code == 200
    rows = client.get(f"/reports/filed/{report.pk}/rows/", {"indicator": "people.cadres"})
    assert rows.status_code == 200 and rows.context["total"] == int(
        report.figures.get(key="people.cadres").value)
    assert client.get(f"/reports/filed/{report.pk}/rows.xlsx",
                      {"indicator": "people.cadres"}).status_code == 200
    PersonFactory(region_id=HECHENG, category="lixiu", id_number="", phone="",
                  birth_date=datetime.date(1930, 1, 1))
    compare = client.get(f"/reports/filed/{report.pk}/compare/")
    assert compare.status_code == 200
    assert {d.key for d in compare.context["changed"]} >= {"people.cadres", "people.lixiu"}
    refused = client.post("/reports/annual/file/", {"region": YUANLING, "year": year})
    assert refused.status_code == 404


def test_other_clerk_cannot_open_a_filing(filed: FiledReport, other_clerk: Any) -> None:
    grant(other_clerk)
    client = Client()
    client.force_login(other_clerk)
    for url in (f"/reports/filed/{filed.pk}/", f"/reports/filed/{filed.pk}/compare/",
                f"/reports/filed/{filed.pk}/export.pdf", f"/api/reports/filed/{filed.pk}"):
        assert client.get(url).status_code == 404, url


@pytest.mark.parametrize(("post", "says"), [
    ({"region": "abc", "year": "{year}"}, "地区：不是区划代码。"),
    ({"year": "{year}"}, "地区：该字段是必填项。"),
    ({"region": HECHENG, "year": "2026-13-45"}, "年度：输入整数。"),
    ({"region": HECHENG, "year": "1900"}, "年度：确保该值大于或等于1949。"),
    ({"region": HECHENG, "year": "{next_next}"}, "年度：不晚于{next}年。"),
    ({"region": HECHENG, "year": "{year}", "note": "长" * 201}, "备注"),
])
def test_a_filing_post_that_does_not_name_region_and_year_files_nothing(
        registry_world: Any, clerk: Any, post: dict[str, str], says: str) -> None:
    """The hidden region and year are not replaced by defaults: a bad one is refused by name,
    in Chinese, and the clerk is sent back to the annual page."""
    grant(clerk)
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(clerk)
    year = timezone.localdate().year
    values = {"year": year, "next": year + 1, "next_next": year + 2}
    response = client.post("/reports/annual/file/",
                           {k: v.format(**values) for k, v in post.items()}, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[0][0].startswith("/reports/annual/")
    shown = [str(m) for m in response.context["messages"]]
    assert any(m.startswith("未上报。") and says.format(**values) in m for m in shown), shown
    assert not FiledReport.objects.exists()
