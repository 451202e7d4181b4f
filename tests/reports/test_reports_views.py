"""Dashboard, drill-down, comparisons, home panel and API: scoped, self-contained, exportable."""

from __future__ import annotations

import datetime
import io
from typing import Any

import openpyxl
import pytest
from django.test import Client, RequestFactory
from django.utils import timezone

from hongxia.people.models import Person
from hongxia.reports import home, registry, selectors
from hongxia.reports.registry import Period
from tests.conftest import HECHENG, YUANLING
from tests.factories import PersonFactory
from tests.reports.conftest import grant


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_pages_need_the_permission(registry_world: Any) -> None:
    from tests.factories import UserFactory

    client = _client(UserFactory(username="no_stats", role="branch_secretary", region_id=HECHENG))
    for url in ("/reports/", "/reports/annual/", "/reports/drill/", "/reports/compare/",
                "/reports/filed/", "/api/reports/annual"):
        assert client.get(url).status_code == 403, url


def test_dashboard_draws_its_charts_without_scripts(registry_world: Any, city_admin: Any) -> None:
    grant(city_admin)
    response = _client(city_admin).get("/reports/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<svg" in html and "<rect" in html
    # Only the site's own static files; the charts are SVG drawn on the server.
    import re

    assert all(src.startswith("/static/") for src in re.findall(r'<script[^>]*src="([^"]+)"', html))
    assert "cdn" not in html.lower()
    counties = {c["code"]: c["value"] for c in response.context["counties"]}
    period = Period.year(timezone.localdate().year)
    assert counties[HECHENG] == registry.get("people.cadres").value(HECHENG, period)
    assert counties[YUANLING] == registry.get("people.cadres").value(YUANLING, period)
    assert f"/reports/drill/?indicator=people.cadres&amp;region={HECHENG}" in html


def test_compare_counties_and_years(registry_world: Any, city_admin: Any) -> None:
    grant(city_admin)
    year = timezone.localdate().year
    response = _client(city_admin).get("/reports/compare/",
                                       {"indicator": "people.deaths", "year": year})
    assert response.status_code == 200
    counties = {c["code"]: c for c in response.context["counties"]}
    assert counties[HECHENG]["value"] == 1 and counties[YUANLING]["value"] == 1
    assert counties[HECHENG]["previous"] == 1
    years = response.context["years_rows"]
    assert [r["year"] for r in years][-1] == year and years[-1]["value"] == 2


def test_drill_down_lists_the_rows_it_counts_within_scope(registry_world: Any, clerk: Any) -> None:
    grant(clerk)
    client = _client(clerk)
    year = timezone.localdate().year
    response = client.get("/reports/drill/", {"indicator": "people.cadres", "year": year})
    assert response.status_code == 200
    shown = {o.pk for o, _cells in response.context["table"]}
    expected = set(registry.get("people.cadres").rows(HECHENG, Period.year(year))
                   .values_list("pk", flat=True))
    assert shown == expected and response.context["value"] == len(expected)
    assert not Person.objects.filter(pk__in=shown, region__code__startswith=YUANLING).exists()
    assert client.get("/reports/drill/", {"region": YUANLING}).status_code == 404

    export = client.get("/reports/drill/export.xlsx", {"indicator": "people.cadres"})
    assert export.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(b"".join(export.streaming_content)), read_only=True)
    rows = list(next(iter(book)).iter_rows(values_only=True))
    assert rows[0][0] == "姓名" and len(rows) - 1 == len(expected)


def test_drill_down_pages_by_keyset(db: Any, city_admin: Any, settings: Any) -> None:
    settings.HONGXIA_PAGE_SIZE = 3
    grant(city_admin)
    made = {PersonFactory(region_id=HECHENG, id_number="", phone="",
                          birth_date=datetime.date(1950, 1, 1 + i)).pk for i in range(7)}
    client = _client(city_admin)
    seen: list[int] = []
    params: dict[str, Any] = {"indicator": "people.cadres"}
    for _ in range(5):
        page = client.get("/reports/drill/", params).context["page"]
        seen += [p.pk for p in page.rows]
        if not page.next_cursor:
            break
        params["cursor"] = page.next_cursor
    assert seen == sorted(made)


def test_drill_down_needs_the_rows_own_permission(registry_world: Any, db: Any) -> None:
    from tests.factories import UserFactory

    viewer = grant(UserFactory(username="stats_only", role="branch_secretary",
                               region_id=HECHENG))
    assert _client(viewer).get("/reports/drill/").status_code == 403


def test_home_panel_shows_this_years_figures(registry_world: Any, clerk: Any) -> None:
    request = RequestFactory().get("/")
    from tests.factories import UserFactory

    request.user = UserFactory(username="no_stats", role="branch_secretary", region_id=HECHENG)
    assert home.panel(request) is None
    request.user = clerk
    panel = home.panel(request)
    assert panel is not None
    values = {h["key"]: h["value"] for h in panel["headlines"]}
    period = Period.year(timezone.localdate().year)
    assert values["people.cadres"] == registry.get("people.cadres").value(HECHENG, period)


def test_api_annual_values_rows(registry_world: Any, clerk: Any) -> None:
    from rest_framework.test import APIClient

    grant(clerk)
    client = APIClient()
    client.force_authenticate(clerk)
    year = timezone.localdate().year
    annual = client.get("/api/reports/annual", {"year": year})
    assert annual.status_code == 200
    data = annual.json()
    assert data["region"] == HECHENG and data["year"] == year
    expected = selectors.annual_summary(
        region=selectors.region_in_scope(user=clerk, code=None), year=year).as_json()
    assert data["indicators"] == expected["indicators"]

    values = client.get("/api/reports/values", {"indicator": "people.cadres"}).json()
    assert values["values"]["people.cadres"] == data["indicators"][0]["value"]
    assert {r["region"] for r in values["by_region"]} >= {"431202001"}

    rows = client.get("/api/reports/rows", {"indicator": "people.cadres", "page_size": 2}).json()
    assert rows["count"] == values["values"]["people.cadres"] and len(rows["results"]) == 2
    following = client.get("/api/reports/rows", {"indicator": "people.cadres",
                                                 "cursor": rows["next_cursor"]}).json()
    assert not {r["id"] for r in rows["results"]} & {r["id"] for r in following["results"]}

    assert client.get("/api/reports/annual", {"region": YUANLING}).status_code == 404


@pytest.mark.parametrize("url", ["/reports/", "/reports/annual/", "/reports/compare/",
                                 "/reports/filed/"])
def test_pages_render_for_a_leader(url: str, registry_world: Any, leader: Any) -> None:
    grant(leader, "view_statistics", "view_filedreport")
    assert _client(leader).get(url).status_code == 200
