"""Data migrations of the core app, run on what an earlier version left behind."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

from hongxia.core.models import Region

pytestmark = pytest.mark.django_db


def test_the_roster_names_join_the_names_a_region_already_has() -> None:
    # A database loaded before the names were data: 鹤城区 had none, 洪江市 one of its own.
    Region.objects.filter(code="431202").update(former_names="")
    Region.objects.filter(code="431281").update(former_names="安江")
    migration = importlib.import_module("hongxia.core.migrations.0006_region_roster_names")
    migration.add_names(apps, None)
    migration.add_names(apps, None)  # twice: nothing doubled
    names = dict(Region.objects.filter(code__in=["431202", "431281"]).values_list(
        "code", "former_names"))
    assert names == {"431202": "怀化市直、市直", "431281": "安江、黔阳县"}
