"""Party fixtures: the permissions each role should hold, branches, members and secretaries."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from tests.conftest import HECHENG
from tests.factories import PersonFactory, UserFactory
from tests.party.party_factories import make_branch

from hongxia.core.auth import ROLE_PERMISSIONS

_VIEW = {f"party.view_{m}" for m in ("organisation", "member", "meeting", "rating",
                                     "partyhome", "transfer", "committeeseat",
                                     "reorganisation", "meetingrequirement")}
_CLERK = _VIEW | {
    "party.add_organisation", "party.change_organisation", "party.add_member",
    "party.change_member", "party.add_transfer", "party.add_meeting", "party.change_meeting",
    "party.add_rating", "party.add_partyhome", "party.change_partyhome", "party.export_party",
}
# What each role needs (to be added to hongxia.core.auth.ROLE_PERMISSIONS).
PARTY_ROLE_PERMISSIONS: dict[str, set[str]] = {
    "city_admin": _CLERK | {"party.change_meetingrequirement"},
    "county_clerk": set(_CLERK),
    "leader": _VIEW | {"party.export_party"},
    "branch_secretary": {
        "party.view_organisation", "party.view_member", "party.change_member",
        "party.view_meeting", "party.add_meeting", "party.view_rating", "party.view_partyhome",
        "people.view_person",
    },
}


@pytest.fixture(autouse=True)
def _templates_and_roles(settings: Any, monkeypatch: Any) -> None:
    """The party permissions for each role, and a stand-in base layout while the real one is
    being written (the real templates directory comes first, so it wins once it exists)."""
    here = Path(__file__).parent / "templates"
    engines = [dict(t) for t in settings.TEMPLATES]
    engines[0]["DIRS"] = [*engines[0]["DIRS"], here]
    settings.TEMPLATES = engines
    for role, perms in PARTY_ROLE_PERMISSIONS.items():
        monkeypatch.setitem(ROLE_PERMISSIONS, role, set(ROLE_PERMISSIONS.get(role, set())) | perms)


def grant(user: Any, *perms: str) -> Any:
    for perm in perms:
        app, codename = perm.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app, codename=codename))
    return user


@pytest.fixture
def secretary(db: Any) -> Any:
    return UserFactory(username="sec_a", role="branch_secretary", region_id=HECHENG)


@pytest.fixture
def other_secretary(db: Any) -> Any:
    return UserFactory(username="sec_b", role="branch_secretary", region_id=HECHENG)


@pytest.fixture
def branch(db: Any, secretary: Any) -> Any:
    return make_branch(HECHENG, "城北社区离退休干部党支部", secretary_user=secretary)


@pytest.fixture
def other_branch(db: Any, other_secretary: Any) -> Any:
    return make_branch(HECHENG, "城南社区离退休干部党支部", secretary_user=other_secretary)


@pytest.fixture
def party_person(db: Any) -> Any:
    return PersonFactory(region_id=HECHENG, political_status="cpc_member",
                         party_joined=datetime.date(1970, 7, 1))
