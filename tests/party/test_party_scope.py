"""Scope for party pages and API: the core scope walk over the party routes (two county
clerks), the same walk for two branch secretaries of one county, and direct checks."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from tests.conftest import HECHENG
from tests.core.test_scope_walk import (
    MARK_MINE,
    MARK_THEIRS,
    Route,
    _allowed,
    _content,
    _url,
    routes,
    world,
)
from tests.factories import UserFactory
from tests.party.conftest import PARTY_ROLE_PERMISSIONS, grant
from tests.party.party_factories import make_meeting, make_member
from tests.party.scope_factories import SCOPE_FACTORIES

from hongxia.party.models import Meeting, Member, Organisation

__all__ = ["world"]


def _party_routes() -> list[Route]:
    return [r for r in routes() if r.name.startswith(("party:", "api:party-"))]


def test_party_routes_are_walked() -> None:
    names = {r.name for r in _party_routes()}
    assert {"party:org-detail", "party:compliance", "api:party-meeting-list"} <= names


def _walk(route: Route, user: Any, mine: dict[Any, Any], theirs: dict[Any, Any], *,
          positive: bool) -> None:
    """The core walk's checks for one route (reading a streamed export only once)."""
    client = Client()
    client.force_login(user)
    model = getattr(route.view, "model", None)
    if "pk" in route.params:
        assert model in theirs, f"{route.name}: no factory for {model}"
        url = _url(route, theirs[model].pk)
        for method in ("get", "post", "put", "patch", "delete"):
            response = getattr(client, method)(url, content_type="application/json", data={})
            assert response.status_code in (404, 405), f"{method.upper()} {url}"
            if response.status_code != 405:
                assert MARK_THEIRS not in _content(response)
        if positive:
            url = _url(route, mine[model].pk)
            allowed = [m for m in ("get", "post") if m.upper() in _allowed(client, url)]
            ok = getattr(client, allowed[0])(url, content_type="application/json", data={})
            assert ok.status_code not in (404, 500), f"{url}: {ok.status_code}"
    else:
        url = _url(route, 0)
        response = client.get(url)
        if response.status_code == 405:
            return
        assert response.status_code == 200, f"GET {url}: {response.status_code}"
        body = _content(response)
        assert MARK_THEIRS not in body
        if positive:
            assert MARK_MINE in body, f"{url}: the positive control shows nothing"


@pytest.mark.parametrize("route", _party_routes(), ids=lambda r: r.name)
def test_party_clerk_cannot_reach_other_county(
    route: Route, world: dict[str, Any], clerk: Any
) -> None:
    _walk(route, clerk, world["mine"], world["theirs"], positive=True)


# --- branch secretaries: the same walk inside one county -----------------------------------


@pytest.fixture
def branch_world(db: Any) -> dict[str, Any]:
    """Every party model twice in 鹤城区, once in each of two secretaries' branches; the
    secretary holds every party permission, so only scope can stop them."""
    mine_user = UserFactory(username="walk_sec_mine", role="branch_secretary",
                            region_id=HECHENG)
    their_user = UserFactory(username="walk_sec_theirs", role="branch_secretary",
                             region_id=HECHENG)
    every = set().union(*PARTY_ROLE_PERMISSIONS.values())
    grant(mine_user, *sorted(p for p in every if p.startswith("party.")))
    mine = {m: f(HECHENG, MARK_MINE) for m, f in SCOPE_FACTORIES.items()}
    theirs = {m: f(HECHENG, MARK_THEIRS) for m, f in SCOPE_FACTORIES.items()}
    Organisation.objects.filter(name=MARK_MINE).update(secretary_user=mine_user)
    Organisation.objects.filter(name=MARK_THEIRS).update(secretary_user=their_user)
    return {"mine": mine, "theirs": theirs, "user": mine_user}


@pytest.mark.parametrize("route", _party_routes(), ids=lambda r: r.name)
def test_secretary_cannot_reach_another_branch(route: Route, branch_world: dict[str, Any]) -> None:
    model = getattr(route.view, "model", None)
    # 老党员之家 are not a branch's own rows: a secretary sees none (no branch_scope_field).
    positive = bool(getattr(model, "branch_scope_field", None))
    _walk(route, branch_world["user"], branch_world["mine"], branch_world["theirs"],
          positive=positive)


# --- direct ---------------------------------------------------------------------------------


def test_secretary_sees_only_their_own_branch(
    secretary: Any, branch: Any, other_branch: Any
) -> None:
    grant(secretary, *sorted(PARTY_ROLE_PERMISSIONS["branch_secretary"]))
    mine = make_member(branch, name="本支部党员")
    theirs = make_member(other_branch, name="别支部党员")
    make_meeting(branch, "theme_day", mine.since, topic="本支部主题党日")
    make_meeting(other_branch, "theme_day", mine.since, topic="别支部主题党日")

    assert list(Organisation.objects.visible_to(secretary)) == [branch]
    assert list(Member.objects.visible_to(secretary)) == [mine]
    assert [m.topic for m in Meeting.objects.visible_to(secretary)] == ["本支部主题党日"]

    client = Client()
    client.force_login(secretary)
    assert client.get(f"/party/organisations/{other_branch.pk}/").status_code == 404
    assert client.get(f"/party/members/{theirs.pk}/").status_code == 404
    assert client.get(f"/people/{theirs.person.pk}/").status_code == 404
    assert client.get(f"/people/{mine.person.pk}/").status_code == 200
    page = client.get("/party/members/").content.decode()
    assert "本支部党员" in page and "别支部党员" not in page
    api = client.get("/api/party/meetings").json()
    assert [m["topic"] for m in api["results"]] == ["本支部主题党日"]
    # Recording for another branch is refused as if it did not exist.
    response = client.post("/api/party/meetings", content_type="application/json", data={
        "organisation": other_branch.pk, "kind": "theme_day", "date": "2026-01-05",
        "topic": "越权"})
    assert response.status_code == 400
    assert not Meeting.objects.filter(topic="越权").exists()
