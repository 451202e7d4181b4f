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
