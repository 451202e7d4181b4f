"""The scope walk: every URL, two clerks of different counties, neither reaches the other's rows.

Nothing here lists the URLs by hand: the walk reads the URL configuration, so a new page or API
endpoint is covered the day it is added, and a view that does not go through the scoped base
classes fails `test_every_view_is_scoped`.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import openpyxl
import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from tests.conftest import HECHENG, YUANLING
from tests.scope_factories import SCOPE_FACTORIES

from hongxia.core.generic import UNSCOPED_VIEWS, ScopedMixin
from hongxia.core.scope import scoped_models

MARK_MINE = "鹤城自己人"
MARK_THEIRS = "沅陵别家人"


@dataclass
class Route:
    name: str
    regex: str
    view: Any
    params: list[str]


def _walk(patterns: list[Any], prefix: str = "", ns: str = "") -> Iterator[Route]:
    for p in patterns:
        if isinstance(p, URLResolver):
            sub_ns = f"{ns}{p.namespace}:" if p.namespace else ns
            yield from _walk(
                p.url_patterns, prefix + str(p.pattern.regex.pattern).lstrip("^"), sub_ns
            )
        elif isinstance(p, URLPattern):
            regex = prefix + str(p.pattern.regex.pattern).lstrip("^")
            view = getattr(p.callback, "view_class", None) or getattr(p.callback, "cls", None)
            params = re.findall(r"\(\?P<(\w+)>", regex)
            yield Route(f"{ns}{p.name}" if p.name else regex, regex, view, params)


def routes() -> list[Route]:
    return [r for r in _walk(get_resolver().url_patterns) if not r.regex.startswith("static")]


def _is_scoped(view: Any) -> bool:
    from hongxia.api.views import ScopedAPIView

    return isinstance(view, type) and (
        issubclass(view, ScopedMixin) or issubclass(view, ScopedAPIView)
    )


def test_every_view_is_scoped() -> None:
    loose = [
        r.name
        for r in routes()
        if r.name.split(":")[-1] not in UNSCOPED_VIEWS and not _is_scoped(r.view)
    ]
    assert loose == [], f"views outside the scoped base classes: {loose}"


def test_every_scoped_model_has_a_factory() -> None:
    missing = [m.__name__ for m in scoped_models() if m not in SCOPE_FACTORIES]
    assert missing == []


def _url(route: Route, pk: Any) -> str:
    path = route.regex.rstrip("$").rstrip("\\Z")
    for name in route.params:
        value = pk if name == "pk" else "id_number"
        path = re.sub(rf"\(\?P<{name}>[^)]*\)", str(value), path)
    path = path.replace("\\.", ".").replace("\\", "")
    return "/" + path.replace("^", "")


def _content(response: Any) -> str:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if response.get("Content-Type", "").startswith("application/vnd.openxmlformats"):
        book = openpyxl.load_workbook(io.BytesIO(body), read_only=True)
        return "\n".join(str(c) for s in book for row in s.iter_rows(values_only=True) for c in row)
    return body.decode("utf-8", "replace")


@pytest.fixture
def world(db: Any, clerk: Any, other_clerk: Any) -> dict[str, Any]:
    """One row of every scoped model in each county, marked so a leak is visible."""
    mine = {m: f(HECHENG, MARK_MINE) for m, f in SCOPE_FACTORIES.items()}
    theirs = {m: f(YUANLING, MARK_THEIRS) for m, f in SCOPE_FACTORIES.items()}
    for user in (clerk, other_clerk):
        # Every permission, so that only the region scope can stop them.
        user.role = "city_admin"
        user.is_superuser = True
        user.save()
    return {"mine": mine, "theirs": theirs}


def _scoped_routes() -> list[Route]:
    return [r for r in routes() if r.name.split(":")[-1] not in UNSCOPED_VIEWS]


@pytest.mark.parametrize("route", _scoped_routes(), ids=lambda r: r.name)
def test_clerk_cannot_reach_other_county(route: Route, world: dict[str, Any], clerk: Any) -> None:
    client = Client()
    client.force_login(clerk)
    model = getattr(route.view, "model", None)
    if "pk" in route.params:
        assert model in world["theirs"], f"{route.name}: no factory for {model}"
        theirs = _url(route, world["theirs"][model].pk)
        mine = _url(route, world["mine"][model].pk)
        for method in ("get", "post", "put", "patch", "delete"):
            response = getattr(client, method)(theirs, content_type="application/json", data={})
            assert response.status_code in (404, 405), (
                f"{method.upper()} {theirs}: {response.status_code}"
            )
            if response.status_code == 405:
                continue
            assert MARK_THEIRS not in _content(response)
        # The positive control: the same URL on one's own row does answer.
        allowed = [m for m in ("get", "post") if m.upper() in _allowed(client, mine)]
        ok = getattr(client, allowed[0])(mine, content_type="application/json", data={})
        assert ok.status_code not in (404, 500), f"{mine}: {ok.status_code}"
    else:
        url = _url(route, 0)
        response = client.get(url)
        if response.status_code == 405:
            return
        assert response.status_code == 200, f"GET {url}: {response.status_code}"
        content = _content(response)
        assert MARK_THEIRS not in content
        if getattr(route.view, "lists_rows", False):
            assert MARK_MINE in content, f"{url}: the positive control shows nothing"


def _allowed(client: Client, url: str) -> str:
    options = client.options(url)
    allow = options.get("Allow", "")
    return allow or "GET, POST"
