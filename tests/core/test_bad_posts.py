"""Bad input never gives a 500: every HTML form of the site, posted junk by a city administrator.

The product rule is "every form says exactly what is wrong, by field, in Chinese; bad input
never gives a 500, never half-writes". Like the scope walk (tests/core/test_scope_walk.py) this
reads the URL configuration, so a form added tomorrow is posted junk the day it lands. For each
route whose view takes POST it sends an empty body, then every field name the form would take
(its `form_class.base_fields`, the names in the page's own HTML, and a fixed set of common ones)
set to one junk value at a time, and asks only that the answer is not a 500; what each form
says, and that nothing was written, is for the app's own tests. The REST API has its own
(tests/api/test_api_errors.py).

Each post runs in a savepoint that is rolled back, so every payload meets the same world and a
database error in one (which would poison PostgreSQL's transaction) cannot hide the next.
"""

from __future__ import annotations

import traceback
from html.parser import HTMLParser
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from tests.conftest import CITY, HECHENG, YUANLING
from tests.core.test_scope_walk import Route, _url, routes
from tests.factories import UserFactory
from tests.scope_factories import SCOPE_FACTORIES

from hongxia.core.models import Role

# Not posted to: the sign-in pages have their own tests (tests/core/test_auth.py).
SKIPPED = {"login", "logout"}

# The last is an id past any integer column (PostgreSQL's bigint, SQLite's INTEGER).
JUNK = ["x" * 5000, "-1", "2026-13-45", "abc", "１２３", "999999999", "9" * 20]

# Names many forms of the site use, sent even when the page that shows the form is not the URL
# the form posts to (an action button on a detail page).
COMMON_FIELDS = [
    "name", "note", "notes", "reason", "date", "start", "end", "year", "month", "kind",
    "status", "person", "member", "organisation", "to_organisation", "leader", "amount",
    "region", "comment", "decision", "title", "q", "file", "id_number", "phone", "programme",
    "visit_date", "successor", "language", "next", "action", "keep", "target",
]  # fmt: skip


class _Fields(HTMLParser):
    """The names of the inputs, selects and textareas of a page; which of them take a file."""

    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()
        self.files: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ("input", "select", "textarea"):
            return
        a = dict(attrs)
        name = a.get("name")
        if not name or name == "csrfmiddlewaretoken":
            return
        self.names.add(name)
        if tag == "input" and a.get("type") == "file":
            self.files.add(name)


def _accepts_post(route: Route) -> bool:
    if route.regex.startswith(("api/", "admin/", "static")) or route.name in SKIPPED:
        return False
    if route.view is None:  # a function view (set_language): it may take POST
        return True
    return hasattr(route.view, "post")


def _post_routes() -> list[Route]:
    return [r for r in routes() if _accepts_post(r)]


@pytest.fixture
def world(db: Any) -> dict[Any, Any]:
    """One row of every scoped model in each of two counties; the URLs use the first."""
    mine = {m: f(HECHENG, "鹤城甲") for m, f in SCOPE_FACTORIES.items()}
    for f in SCOPE_FACTORIES.values():
        f(YUANLING, "沅陵乙")
    return mine


@pytest.fixture
def admin_client(db: Any) -> Client:
    # The city administrator's permissions are their role's, merged from every app
    # (hongxia.core.auth.role_permissions); nothing is granted beyond that.
    user = UserFactory(username="bad_posts_admin", role=Role.CITY_ADMIN, region_id=CITY)
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def _field_names(route: Route, client: Client, url: str) -> tuple[set[str], set[str]]:
    found = _Fields()
    page = client.get(url)
    html = page.get("Content-Type", "").startswith("text/html")
    if page.status_code == 200 and not page.streaming and html:
        found.feed(page.content.decode("utf-8", "replace"))
    names = set(found.names) | set(COMMON_FIELDS)
    form_class = getattr(route.view, "form_class", None)
    if form_class is not None and hasattr(form_class, "base_fields"):
        names |= set(form_class.base_fields)
        files = {
            n
            for n, f in form_class.base_fields.items()
            if f.widget.__class__.__name__.endswith("FileInput")
        }
        found.files |= files
    return names, found.files


def _where(exc: Any) -> str:
    """The project's own frames of the traceback and the error, each line cut short."""
    frames = [f for f in traceback.extract_tb(exc[2]) if "/hongxia/" in f.filename]
    lines = [f"  {f.filename.split('/hongxia/')[-1]}:{f.lineno} {f.line}" for f in frames]
    lines.append(f"  {exc[0].__name__}: {exc[1]}")
    return "\n".join(line[:200] for line in lines)


def _post(client: Client, url: str, data: dict[str, Any]) -> Any:
    with transaction.atomic():
        response = client.post(url, data)
        transaction.set_rollback(True)
    return response


def route_url(route: Route, world: dict[Any, Any]) -> str:
    """The route's URL, on the row of its model that the scope factories made."""
    model = getattr(route.view, "model", None)
    if "pk" not in route.params:
        return _url(route, 0)
    assert model in world, f"{route.name}: no factory for {model}"
    return _url(route, world[model].pk)


@pytest.mark.parametrize("route", _post_routes(), ids=lambda r: r.name)
def test_bad_post_is_never_a_500(route: Route, world: dict[Any, Any], admin_client: Client) -> None:
    url = route_url(route, world)
    names, files = _field_names(route, admin_client, url)

    payloads: list[tuple[str, dict[str, Any]]] = [("empty", {})]
    for junk in JUNK:
        data: dict[str, Any] = dict.fromkeys(sorted(names - files), junk)
        for n in files:
            data[n] = SimpleUploadedFile("junk.xlsx", junk.encode(), "application/octet-stream")
        payloads.append((junk[:12], data))

    failures = []
    for label, data in payloads:
        response = _post(admin_client, url, data)
        if response.status_code >= 500:
            exc = getattr(response, "exc_info", None)
            where = _where(exc) if exc else ""
            failures.append(f"POST {url} [{label}]: {response.status_code}\n{where}")
    assert failures == [], "\n".join(failures)
