"""How to make one row of each region-scoped model in a given county, for the scope walk.

A new scoped model must be added here or in its app's `tests/<app>/scope_factories.py`
(a dict `SCOPE_FACTORIES` there is merged in): the walk fails for a model it cannot make.
"""

from __future__ import annotations

import datetime
import importlib
from collections.abc import Callable
from typing import Any

from hongxia.core.models import AuditLog
from hongxia.people.models import Contact, LifeEvent, Person
from tests.factories import PersonFactory


def _person(region: str, marker: str) -> Person:
    return PersonFactory(region_id=region, name=marker)


def _contact(region: str, marker: str) -> Contact:
    return Contact.objects.create(person=_person(region, marker), name=marker, relation="son")


def _event(region: str, marker: str) -> LifeEvent:
    return LifeEvent.objects.create(
        person=_person(region, marker),
        kind="hospitalised",
        date=datetime.date(2026, 1, 5),
        note=marker,
    )


def _audit(region: str, marker: str) -> AuditLog:
    return AuditLog.objects.create(
        action="update", region_id=region, object_repr=marker, note=marker
    )


SCOPE_FACTORIES: dict[type[Any], Callable[[str, str], Any]] = {
    Person: _person,
    Contact: _contact,
    LifeEvent: _event,
    AuditLog: _audit,
}

for _app in ("party", "care", "ingest", "reports"):
    try:
        _module = importlib.import_module(f"tests.{_app}.scope_factories")
    except ModuleNotFoundError:
        continue
    SCOPE_FACTORIES.update(_module.SCOPE_FACTORIES)
