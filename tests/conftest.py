"""Shared fixtures: users of each role in two counties, and people in them."""

from __future__ import annotations

import os
from typing import Any

import pytest
from django.core.cache import cache

from tests.factories import PersonFactory, UserFactory

HECHENG = "431202"  # 鹤城区
YUANLING = "431222"  # 沅陵县
CITY = "431200"


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix: None,
                                 tmp_path_factory: pytest.TempPathFactory) -> None:
    """On SQLite the test database is a file, in WAL mode like the embedded default, not
    Django's shared in-memory database. There, a live server's background import writing
    beside a request reading failed the request with "database table is locked" (shared-cache
    table locks do not wait); WAL lets readers run beside the writer, as in production."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        db.setdefault("TEST", {})["NAME"] = str(tmp_path_factory.mktemp("db") / "test.sqlite3")


@pytest.fixture(autouse=True)
def _english_off(settings: Any) -> None:
    settings.LANGUAGE_CODE = "zh-hans"


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    """Each test starts with an empty cache. A test's writes are rolled back, data versions
    (core.versions) with them, so the next test would otherwise meet pages cached under the
    same version numbers for rows it never had."""
    cache.clear()


@pytest.fixture
def city_admin(db: Any) -> Any:
    return UserFactory(username="admin", role="city_admin", region_id=CITY)


@pytest.fixture
def clerk(db: Any) -> Any:
    """A county clerk of 鹤城区, without the see-sensitive permission."""
    return UserFactory(username="clerk_hc", role="county_clerk", region_id=HECHENG)


@pytest.fixture
def other_clerk(db: Any) -> Any:
    """A county clerk of 沅陵县."""
    return UserFactory(username="clerk_yl", role="county_clerk", region_id=YUANLING)


@pytest.fixture
def leader(db: Any) -> Any:
    return UserFactory(username="leader", role="leader", region_id=CITY)


@pytest.fixture
def person(db: Any) -> Any:
    return PersonFactory(region_id=HECHENG)


@pytest.fixture
def other_person(db: Any) -> Any:
    return PersonFactory(region_id=YUANLING)


def pytest_report_header(config: Any) -> str:
    return "database: " + ("PostgreSQL" if os.environ.get("HONGXIA_DATABASE_URL") else "SQLite")
