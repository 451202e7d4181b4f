"""Bad input never gives a 500, deeper: one junk field in an otherwise valid form.

tests/core/test_bad_posts.py posts junk in every field at once, so a form stops at its first
required field and the code behind a valid form (the cleaning of later fields, the services,
the database) is never reached. Here each POST route's form is found on its own page (a GET
on the same URL by a city administrator, rows from tests/scope_factories.py), else on the page
one level up (an action's form sits on its row's detail page, a create form on its list), else
on a page named in FORM_PAGE. The form is read into a baseline body: the values it shows, the
selected option of each select (or its first non-empty one), its textareas and checked boxes,
and for a required field left blank a plausible value for its type (BLANK_FILL, NAME_FILL).
What the page cannot know, PREPARE sets up. The baseline must be accepted, or the walk would
not be deep. Then one field at a time is replaced by a value of test_bad_posts.JUNK, or left
out, everything else left good, and the answer must not be a 500. As there, each post runs in
a savepoint that is rolled back.

The walk is capped to keep this file near half a minute: a route gets posts worth PAGE_BUDGET
bytes of its page, at least one per field. Small forms get every field with every value; the
visit rule forms (15 KB) two or three values a field; the person, organisation and party home
forms (80-120 KB) one, a different one for each field (see _variants). A route whose form no
page shows (most one-button actions, and party:requirements and care:honoree-check, whose
forms sit on pages of other rows) is skipped.
"""

from __future__ import annotations

import datetime
import io
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import openpyxl
import pytest
from django.contrib import messages
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.forms import BaseForm
from django.test import Client
from tests.conftest import HECHENG
from tests.core.test_bad_posts import (
    JUNK,
    _post,
    _post_routes,
    _where,
    admin_client,
    route_url,
    world,
)
from tests.core.test_scope_walk import Route
from tests.factories import PersonFactory
from tests.party.party_factories import make_branch, make_member

from hongxia.care.models import AidPayment, Leader, Pairing
from hongxia.party.models import Organisation, Participation
from hongxia.people.models import Person

__all__ = ["admin_client", "world"]  # fixtures, imported to be used here

# Bytes of page per route. A refused post re-renders its page, and the pages of the person,
# organisation and party home forms (80-120 KB) list every region of the city, 0.1-0.2 s a
# post: all their fields with every value took two minutes. A route gets at most this many
# bytes' worth of posts, and never fewer than one per field (see _variants).
PAGE_BUDGET = 1_000_000

# A value for a required field the page leaves blank, by its input type.
BLANK_FILL = {
    "date": "2026-06-01",
    "month": "2026-06",
    "time": "09:00",
    "datetime-local": "2026-06-01T09:00",
    "number": "1",
    "email": "ceshi@example.com",
    "tel": "13800138000",
    "url": "https://example.com/",
}
# ... or by its name, where the type says too little.
NAME_FILL = {
    "id_number": "43120219400101001X",
    "phone": "13800138000",
    "year": "2026",
    "month": "6",
    "code": "ceshi",
}


def _party_member_to_enter(world: dict[Any, Any]) -> dict[str, Any]:
    person = PersonFactory(region_id=HECHENG, political_status="cpc_member")
    return {"person": str(person.pk)}


def _veteran(world: dict[Any, Any]) -> dict[str, Any]:
    Person.objects.filter(pk=world[Person].pk).update(category="lixiu")
    return {}


def _merge_into_another(world: dict[Any, Any]) -> dict[str, Any]:
    return {"kind": "merge", "into": str(make_branch(HECHENG, "鹤城乙").pk)}


def _branch_member(world: dict[Any, Any]) -> dict[str, Any]:
    return {"person": str(make_member(world[Organisation]).person_id)}


def _temporary(world: dict[Any, Any]) -> dict[str, Any]:
    Organisation.objects.filter(pk=world[Organisation].pk).update(
        kind="temporary", end_date=datetime.date(2030, 12, 31)
    )
    return {"person": str(make_member(make_branch(HECHENG, "鹤城乙")).person_id)}


def _leader_with_pairs(world: dict[Any, Any]) -> dict[str, Any]:
    Pairing.objects.filter(pk=world[Pairing].pk).update(leader=world[Leader])
    return {}


def _approved_payment(world: dict[Any, Any]) -> dict[str, Any]:
    AidPayment.objects.filter(pk=world[AidPayment].pk).update(status="approved", paid_on=None)
    return {}


# What a page cannot say about a valid post: a row the service checks against others, or a
# value inside a range set by a row. Each makes what it needs and gives values for the baseline.
PREPARE: dict[str, Callable[[dict[Any, Any]], dict[str, Any]]] = {
    "people:create": lambda world: {"gender": "M", "birth_date": "1930-01-01"},
    "party:member-create": _party_member_to_enter,
    "party:org-reorganise": _merge_into_another,
    "party:org-committee": _branch_member,
    "party:participant-add": _temporary,
    "party:request-decline": lambda world: {"note": "测试"},
    "care:pair-create": _veteran,
    "care:leader-handover": _leader_with_pairs,
    "care:payment-pay": _approved_payment,
    "care:payment-apply": lambda world: {"amount": "200", "person": str(world[Person].pk)},
    "care:honoree-add": lambda world: {"person": str(world[Person].pk)},
    # The upload's optional column mapping, given as a valid one, so that junk replaces it.
    "ingest:jobs": lambda world: {"mapping": SimpleUploadedFile(
        "列映射.json", '{"姓名": "name"}'.encode(), "application/json")},
}

# Where a route's form is when it is on neither its own page nor the one above it.
FORM_PAGE: dict[str, Callable[[dict[Any, Any]], str]] = {
    "party:participant-end": lambda world: world[Participation].organisation.get_absolute_url(),
}


BUTTONS = ("submit", "image", "reset", "button")


@dataclass
class _Field:
    tag: str
    kind: str  # the input's type; "select", "select-multiple", "textarea"
    name: str
    value: str = ""
    checked: bool = False
    required: bool = False
    options: list[tuple[str, bool]] = field(default_factory=list)  # (value, selected)


@dataclass
class _Form:
    method: str
    action: str
    fields: list[_Field] = field(default_factory=list)
    formactions: list[str] = field(default_factory=list)  # buttons that post it elsewhere


class _Forms(HTMLParser):
    """The forms of a page and their fields, as a browser would read them."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[_Form] = []
        self._form: _Form | None = None
        self._open: _Field | None = None  # the select or textarea being read
        self._option: list[str] | None = None  # the text of an option without a value

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._form = _Form(a.get("method", "get").lower(), a.get("action", ""))
            self.forms.append(self._form)
            return
        form = self._form
        if form is None:
            return
        name = a.get("name", "")
        if tag in ("input", "button") and a.get("formaction"):
            form.formactions.append(a["formaction"])
        if tag in ("input", "button") and name and name != "csrfmiddlewaretoken":
            kind = a.get("type", "text" if tag == "input" else "submit").lower()
            if "disabled" in a:
                return
            field_ = _Field(tag, kind, name, a.get("value", ""), "checked" in a, "required" in a)
            form.fields.append(field_)
        elif tag in ("select", "textarea") and name and "disabled" not in a:
            kind = "select-multiple" if "multiple" in a else tag
            self._open = _Field(tag, kind, name, required="required" in a)
            form.fields.append(self._open)
        elif tag == "option" and self._open is not None and self._open.tag == "select":
            if "value" in a:
                self._open.options.append((a["value"], "selected" in a))
            else:
                self._option = []
                self._open.options.append(("", "selected" in a))

    def handle_data(self, data: str) -> None:
        if self._option is not None and self._open is not None:
            self._option.append(data)
        elif self._open is not None and self._open.tag == "textarea":
            self._open.value += data.removeprefix("\n") if self._open.value == "" else data

    def handle_endtag(self, tag: str) -> None:
        if tag == "option" and self._option is not None and self._open is not None:
            _v, selected = self._open.options[-1]
            self._open.options[-1] = ("".join(self._option).strip(), selected)
            self._option = None
        elif tag in ("select", "textarea"):
            self._open = None
        elif tag == "form":
            self._form = None


def _own_form(html: str, page_url: str, url: str) -> _Form | None:
    """The page's POST form to `url` with the most fields."""
    parser = _Forms()
    parser.feed(html)
    own = [
        f
        for f in parser.forms
        if f.method == "post" and url in (f.action.split("?")[0] or page_url, *f.formactions)
    ]
    return max(own, key=lambda f: len(f.fields), default=None)


def _xlsx() -> SimpleUploadedFile:
    """A file for a file field: a workbook with a header row and no rows, which an import
    reads as an empty list and a meeting keeps as an attachment."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["编号", "身份证号", "金额"])
    out = io.BytesIO()
    book.save(out)
    return SimpleUploadedFile("测试.xlsx", out.getvalue(), "application/octet-stream")


def _baseline(form: _Form) -> tuple[dict[str, Any], list[str]]:
    """A valid body for the form, and its field names in page order."""
    data: dict[str, Any] = {}
    names: list[str] = []
    submitted = False
    for f in form.fields:
        if f.name not in names:
            names.append(f.name)
        if f.kind in BUTTONS:
            if f.kind in ("submit", "image") and not submitted:  # the first is the one clicked
                data[f.name] = f.value
                submitted = True
            continue
        if f.kind == "file":
            data[f.name] = _xlsx()
        elif f.kind in ("checkbox", "radio"):
            if f.checked:
                values = data.setdefault(f.name, [])
                values.append(f.value or "on")
            elif f.kind == "radio" and f.required and f.name not in data:
                data[f.name] = [f.value or "on"]
        elif f.kind == "select-multiple":
            data[f.name] = [v for v, selected in f.options if selected]
        elif f.kind == "select":
            chosen = [v for v, selected in f.options if selected]
            first = [v for v, _s in f.options if v != ""]
            value = chosen[-1] if chosen else ""
            if value == "" and (f.required or not chosen) and first:
                value = first[0]
            data[f.name] = value
        else:
            value = f.value
            if value == "" and f.required:
                value = NAME_FILL.get(f.name) or BLANK_FILL.get(f.kind, "测试")
            data[f.name] = value
    return data, [n for n in names if not _is_button(form, n)]


def _is_button(form: _Form, name: str) -> bool:
    return all(f.kind in BUTTONS for f in form.fields if f.name == name)


def _copy(data: dict[str, Any]) -> dict[str, Any]:
    """A fresh body: an uploaded file is read once by the request it is posted in."""
    out: dict[str, Any] = {}
    for k, v in data.items():
        if isinstance(v, SimpleUploadedFile):
            v.seek(0)
            out[k] = SimpleUploadedFile(v.name, v.read(), v.content_type)
        else:
            out[k] = v
    return out


@dataclass
class _Page:
    url: str  # where the form posts
    form: _Form | None
    size: int = 0  # of the page that shows the form, in bytes


def _form_for(client: Client, page_url: str, url: str) -> _Page:
    page = client.get(page_url)
    html = page.get("Content-Type", "").startswith("text/html")
    if page.status_code != 200 or page.streaming or not html:
        return _Page(url, None)
    form = _own_form(page.content.decode("utf-8", "replace"), page_url, url)
    return _Page(url, form, len(page.content))


def _page(route: Route, world: dict[Any, Any], client: Client) -> _Page:
    """The route's form: on its own page, or on the page one level up (an action's form on
    the detail page of its row, a create form on the list)."""
    url = route_url(route, world)
    if route.name in FORM_PAGE:
        return _form_for(client, FORM_PAGE[route.name](world), url)
    page = _form_for(client, url, url)
    if page.form is None and url.count("/") > 2:
        page = _form_for(client, url.rstrip("/").rsplit("/", 1)[0] + "/", url)
    return page


def _variants(route: Route, names: list[str], page_size: int) -> list[tuple[str, str | None]]:
    """Which field gets which junk (None: the field is left out), within PAGE_BUDGET.

    Round by round every field gets one more value, each field a different one, starting at
    a place set by the route's name, so twin forms (create and edit) try different pairs."""
    values: list[str | None] = [None, *JUNK]
    start = zlib.crc32(route.name.encode())
    pairs = [
        (name, values[(start + i + r) % len(values)])
        for r in range(len(values))
        for i, name in enumerate(names)
    ]
    return pairs[: max(PAGE_BUDGET // max(page_size, 1), len(names))]


def _refusal(response: Any) -> list[str]:
    """What the answer to a post says is wrong: its error messages and its forms' errors."""
    said = [str(m) for m in get_messages(response.wsgi_request) if m.level >= messages.ERROR]
    if response.status_code not in (200, 302):
        said.append(str(response.status_code))
    forms: dict[int, BaseForm] = {}
    contexts = response.context if isinstance(response.context, list) else [response.context]
    for context in contexts if response.status_code == 200 else ():
        for value in context.flatten().values() if context is not None else ():
            if isinstance(value, BaseForm):
                forms[id(value)] = value
    for form in forms.values():
        said += [f"{k}: {' '.join(v)}" for k, v in form.errors.items()]
    return said


@pytest.mark.parametrize("route", _post_routes(), ids=lambda r: r.name)
def test_one_bad_field_is_never_a_500(
    route: Route, world: dict[Any, Any], admin_client: Client
) -> None:
    prepared = PREPARE.get(route.name, lambda world: {})(world)
    page = _page(route, world, admin_client)
    if page.form is None:
        pytest.skip("no page shows a form posting to it")
    baseline, names = _baseline(page.form)
    baseline.update(prepared)

    # The walk is only deep if the form is otherwise good: the baseline itself is accepted.
    response = _post(admin_client, page.url, _copy(baseline))
    refused = _refusal(response)
    assert refused == [], f"POST {page.url}: the baseline is refused, see PREPARE: {refused}"

    failures = []
    for name, junk in _variants(route, names, page.size):
        data = _copy(baseline)
        if junk is None:
            data.pop(name, None)
        elif isinstance(baseline.get(name), SimpleUploadedFile):
            data[name] = SimpleUploadedFile("junk.xlsx", junk.encode())
        else:
            data[name] = junk
        response = _post(admin_client, page.url, data)
        if response.status_code >= 500:
            label = f"{name} removed" if junk is None else f"{name}={junk[:12]}"
            exc = getattr(response, "exc_info", None)
            where = _where(exc) if exc else ""
            failures.append(f"POST {page.url} [{label}]: {response.status_code}\n{where}")
    assert failures == [], "\n".join(failures)
