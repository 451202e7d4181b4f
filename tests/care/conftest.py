"""Care fixtures: users holding the care permissions their role will have."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Permission

from hongxia.care.permissions import ROLE_CARE_PERMISSIONS
from tests.conftest import CITY, HECHENG
from tests.factories import UserFactory


def grant(user: Any, perms: set[str]) -> Any:
    """Give `user` single permissions ("care.add_visit"), as an administrator would."""
    codenames = {p.split(".", 1)[1] for p in perms if p.startswith("care.")}
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="care", codename__in=codenames)
    )
    for other in perms - {p for p in perms if p.startswith("care.")}:
        app, code = other.split(".", 1)
        user.user_permissions.add(
            *Permission.objects.filter(content_type__app_label=app, codename=code)
        )
    for attr in ("_perm_cache", "_user_perm_cache"):
        if hasattr(user, attr):
            delattr(user, attr)
    return user


@pytest.fixture
def care_admin(db: Any) -> Any:
    user = UserFactory(username="care_admin", role="city_admin", region_id=CITY)
    return grant(user, ROLE_CARE_PERMISSIONS["city_admin"])


@pytest.fixture
def care_approver(db: Any) -> Any:
    user = UserFactory(username="care_approver", role="city_admin", region_id=CITY)
    return grant(user, ROLE_CARE_PERMISSIONS["city_admin"])


@pytest.fixture
def care_clerk(db: Any) -> Any:
    user = UserFactory(username="care_clerk", role="county_clerk", region_id=HECHENG)
    return grant(user, ROLE_CARE_PERMISSIONS["county_clerk"])


@pytest.fixture
def care_clerk2(db: Any) -> Any:
    user = UserFactory(username="care_clerk2", role="county_clerk", region_id=HECHENG)
    return grant(user, ROLE_CARE_PERMISSIONS["county_clerk"])


@pytest.fixture(autouse=True)
def _stub_layout(settings: Any) -> None:
    """Until the real base layout lands, render care pages inside a minimal stand-in."""
    from pathlib import Path

    from django.template import TemplateDoesNotExist
    from django.template.loader import get_template

    try:
        get_template("base.html")
        get_template("includes/pager.html")
        get_template("includes/field.html")
    except TemplateDoesNotExist:
        templates = [dict(t) for t in settings.TEMPLATES]
        templates[0]["DIRS"] = [
            *templates[0].get("DIRS", []),
            str(Path(__file__).parent / "templates"),
        ]
        settings.TEMPLATES = templates
