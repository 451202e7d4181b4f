"""Fixtures of the reports tests: a small registry whose every figure is known by hand."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.utils import timezone

from tests.conftest import HECHENG, YUANLING
from tests.factories import PersonFactory

TOWN = "431202001"  # 城中街道, inside 鹤城区
STATS_PERMS = ["view_statistics", "export_statistics", "add_filedreport", "view_filedreport"]


@pytest.fixture(autouse=True)
def _base_templates(settings: Any) -> None:
    """Until the site's base templates land, render the pages inside a bare stand-in."""
    try:
        get_template("base.html")
        get_template("includes/pager.html")
    except TemplateDoesNotExist:
        templates = [dict(t) for t in settings.TEMPLATES]
        templates[0]["DIRS"] = [*templates[0]["DIRS"], Path(__file__).parent / "templates"]
        settings.TEMPLATES = templates


@pytest.fixture(autouse=True)
def _fresh_cache() -> Any:
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def grant(user: Any, *codenames: str) -> Any:
    """Give `user` the reports permissions (and viewing people, which their role has)."""
    perms = Permission.objects.filter(content_type__app_label="reports",
                                      codename__in=codenames or STATS_PERMS)
    user.user_permissions.add(*perms)
    # Permissions are cached on the user object.
    for attr in ("_perm_cache", "_user_perm_cache"):
        if hasattr(user, attr):
            delattr(user, attr)
    return user


def years_ago(today: datetime.date, years: int, days: int = 0) -> datetime.date:
    try:
        day = today.replace(year=today.year - years)
    except ValueError:
        day = today.replace(year=today.year - years, day=28)
    return day - datetime.timedelta(days=days)


def _spec(**fields: Any) -> dict[str, Any]:
    return fields


@pytest.fixture
def registry_world(db: Any) -> list[Any]:
    """People of every kind in two counties (and a town of one), this year and last."""
    today = timezone.localdate()
    year = today.year
    end_of_year = datetime.date(year, 12, 31)
    specs: list[dict[str, Any]] = [
        _spec(region_id=HECHENG, category="lixiu", birth_date=years_ago(end_of_year, 92),
             political_status="cpc_member"),
        _spec(region_id=HECHENG, category="tuixiu", birth_date=years_ago(end_of_year, 65),
             ethnicity="06", lives_elsewhere=True, elsewhere_city="长沙"),
        _spec(region_id=TOWN, category="tuixiu", birth_date=years_ago(end_of_year, 71),
             ethnicity="12", political_status="cpc_probationary"),
        _spec(region_id=TOWN, category="tuixiu", birth_date=years_ago(end_of_year, 80),
             ethnicity="15"),
        _spec(region_id=HECHENG, category="survivor", birth_date=years_ago(end_of_year, 85),
             gender="F"),
        # died this year: counted last year, and in this year's deaths
        _spec(region_id=HECHENG, category="tuixiu", birth_date=years_ago(end_of_year, 88),
             life_status="deceased", death_date=datetime.date(year, 1, 1)),
        # died last year
        _spec(region_id=HECHENG, category="lixiu", birth_date=years_ago(end_of_year, 95),
             life_status="deceased", death_date=datetime.date(year - 1, 6, 30),
             political_status="cpc_member"),
        # retires only next year: not yet on the books
        _spec(region_id=HECHENG, category="tuixiu", birth_date=years_ago(end_of_year, 59),
             retirement_date=datetime.date(year + 1, 3, 1)),
        # retired this year: on the books this year, not last year
        _spec(region_id=HECHENG, category="tuixiu", birth_date=years_ago(end_of_year, 60),
             retirement_date=datetime.date(year, 2, 1), ethnicity="13"),
        _spec(region_id=HECHENG, category="tuixiu", birth_date=years_ago(end_of_year, 101)),
        _spec(region_id=YUANLING, category="lixiu", birth_date=years_ago(end_of_year, 90),
             ethnicity="06", political_status="cpc_member"),
        _spec(region_id=YUANLING, category="tuixiu", birth_date=years_ago(end_of_year, 75),
             lives_elsewhere=True, elsewhere_city="深圳"),
        _spec(region_id=YUANLING, category="tuixiu", birth_date=years_ago(end_of_year, 66),
             life_status="deceased", death_date=datetime.date(year, 3, 5)),
        _spec(region_id=YUANLING, category="survivor", birth_date=years_ago(end_of_year, 82),
             gender="F"),
    ]
    people = []
    for spec in specs:
        spec.setdefault("gender", "M")
        people.append(PersonFactory(id_number="", phone="", **spec))
    return people
