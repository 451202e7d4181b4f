"""Care pages: the scope walk over every care URL, and the main flows through the pages."""

from __future__ import annotations

import datetime
import io
from typing import Any

import openpyxl
import pytest
from django.test import Client
from django.utils import timezone

from hongxia.care.models import AidPayment, AidProgramme, Pairing, ServicePlan, Visit, VisitTask
from hongxia.care.permissions import ROLE_CARE_PERMISSIONS
from hongxia.core.models import Role
from tests.care.scope_factories import SCOPE_FACTORIES as CARE_FACTORIES
from tests.conftest import HECHENG, YUANLING
from tests.core.test_scope_walk import (
    MARK_MINE,
    MARK_THEIRS,
    Route,
    _allowed,
    _content,
    _url,
    routes,
)
from tests.factories import PersonFactory
from tests.scope_factories import SCOPE_FACTORIES

pytestmark = pytest.mark.django_db


@pytest.fixture
def role_perms() -> None:
    """The care permissions come with the roles (core.auth.role_permissions merges them)."""
    from hongxia.core.auth import role_permissions

    assert ROLE_CARE_PERMISSIONS["county_clerk"] <= role_permissions()[Role.COUNTY_CLERK]


def _care_routes() -> list[Route]:
    return [r for r in routes() if r.regex.startswith(("care/", "api/care/"))]


def test_care_factories_are_registered() -> None:
    assert set(CARE_FACTORIES) <= set(SCOPE_FACTORIES)


@pytest.mark.parametrize("route", _care_routes(), ids=lambda r: r.name)
def test_care_scope_walk(route: Route, role_perms: None, clerk: Any, other_clerk: Any) -> None:
    """The foundation's walk, for care URLs, with care permissions granted by role."""
    # PersonFactory's birth dates step 37 days a person: a long walk would reach the future.
    PersonFactory.reset_sequence()
    mine = {m: f(HECHENG, MARK_MINE) for m, f in SCOPE_FACTORIES.items()}
    theirs = {m: f(YUANLING, MARK_THEIRS) for m, f in SCOPE_FACTORIES.items()}
    clerk.role = "city_admin"
    clerk.save()
    client = Client()
    client.force_login(clerk)
    model = getattr(route.view, "model", None)
    if "pk" in route.params:
        their_url, my_url = _url(route, theirs[model].pk), _url(route, mine[model].pk)
        for method in ("get", "post", "put", "patch", "delete"):
            response = getattr(client, method)(their_url, content_type="application/json", data={})
            assert response.status_code in (404, 405), f"{method} {their_url}"
            if response.status_code != 405:
                assert MARK_THEIRS not in _content(response)
        allowed = [m for m in ("get", "post") if m.upper() in _allowed(client, my_url)]
        ok = getattr(client, allowed[0])(my_url, content_type="application/json", data={})
        assert ok.status_code not in (404, 500), f"{my_url}: {ok.status_code}"
    else:
        url = _url(route, 0)
        response = client.get(url)
        if response.status_code == 405:
            return
        assert response.status_code == 200, f"GET {url}: {response.status_code}"
        body = _content(response)
        assert MARK_THEIRS not in body
        assert MARK_MINE in body, url
        if not url.startswith("/api/"):
            export = client.get(url + "?export=xlsx")
            if export.get("Content-Type", "").startswith("application/vnd.openxml"):
                sheet = _content(export)  # a stream: read once
                assert MARK_THEIRS not in sheet and MARK_MINE in sheet


def _login(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_task_pages_and_visit_flow(care_clerk: Any) -> None:
    from hongxia.care import services

    person = PersonFactory(region_id=HECHENG, name="走访对象")
    services.tasks_plan_for_day(actor=care_clerk, day=timezone.localdate())
    client = _login(care_clerk)
    for when in ("", "mine", "week", "overdue", "all"):
        assert client.get(f"/care/?when={when}").status_code == 200
    assert "走访对象" in client.get("/care/?when=mine").content.decode()
    assert client.get("/care/calendar/?month=2026-10").status_code == 200
    book = openpyxl.load_workbook(
        io.BytesIO(b"".join(client.get("/care/?export=xlsx").streaming_content))
    )
    assert any("走访对象" in str(c) for row in book.active.iter_rows(values_only=True) for c in row)
    response = client.post(
        f"/care/people/{person.pk}/visit/",
        {"date": timezone.localdate().isoformat(), "mode": "home", "visitors": "李科长"},
    )
    assert response.status_code == 302
    visit = Visit.objects.get(person=person)
    assert VisitTask.objects.filter(person=person, visit=visit, status="done").exists()
    assert client.get(visit.get_absolute_url()).status_code == 200


def test_pairing_side_list_says_when_it_shows_only_the_first(
    care_clerk: Any, monkeypatch: Any
) -> None:
    from hongxia.care import views

    monkeypatch.setattr(views, "SIDE_LIST", 2)
    for name in ("甲离休", "乙离休", "丙离休"):
        PersonFactory(region_id=HECHENG, category="lixiu", name=name)
    html = _login(care_clerk).get("/care/pairs/").content.decode()
    not_paired = html.split("<h2>未结对</h2>", 1)[1].split("</ul>", 1)[0]
    assert not_paired.count("<li>") == 2
    assert "仅显示前 2 人，共 3 人。" in html
    PersonFactory(region_id=HECHENG, category="tuixiu", name="退休不计")
    monkeypatch.setattr(views, "SIDE_LIST", 3)
    assert "仅显示前" not in _login(care_clerk).get("/care/pairs/").content.decode()


def test_pairing_coverage_page(care_clerk: Any) -> None:
    from hongxia.care import services

    a = PersonFactory(region_id=HECHENG, category="lixiu", name="甲离休")
    PersonFactory(region_id=HECHENG, category="lixiu", name="乙离休")
    leader = services.leader_save(
        actor=care_clerk,
        leader=None,
        data={
            "region_id": HECHENG,
            "name": "结对领导",
            "post": "书记",
            "unit": "区委",
            "phone": "13912345678",
        },
    )
    client = _login(care_clerk)
    assert client.post(f"/care/people/{a.pk}/pair/", {"leader": leader.pk}).status_code == 302
    body = client.get("/care/pairs/").content.decode()
    assert "1/2" in body and "乙离休" in body
    detail = client.get(leader.get_absolute_url()).content.decode()
    assert "139****5678" in detail and "13912345678" not in detail
    assert Pairing.objects.filter(person=a, active=True).exists()


def test_plan_versions_keep_history(care_clerk: Any) -> None:
    person = PersonFactory(region_id=HECHENG, category="lixiu")
    client = _login(care_clerk)
    data = {
        "needs": "助餐",
        "measures": "社区送餐",
        "responsible": "社区",
        "review_date": (timezone.localdate() + datetime.timedelta(days=3)).isoformat(),
    }
    client.post(f"/care/people/{person.pk}/plan/", data)
    client.post(f"/care/people/{person.pk}/plan/", {**data, "needs": "助浴"})
    plans = ServicePlan.objects.filter(person=person).order_by("version")
    assert [(p.version, p.current) for p in plans] == [(1, False), (2, True)]
    body = client.get("/care/plans/").content.decode()
    assert "review_due=true" in body  # the reminder
    assert client.get(plans[1].get_absolute_url()).status_code == 200


def test_aid_pages_programme_apply_upload_approve_pay_ledger(
    care_clerk: Any, care_clerk2: Any, care_admin: Any
) -> None:
    a = _login(care_clerk)
    r = a.post(
        "/care/aid/programmes/new/",
        {
            "region": HECHENG,
            "name": "特困帮扶",
            "kind": "hardship",
            "year": 2026,
            "budget": "10000",
            "amount_min": "100",
            "amount_max": "1000",
        },
    )
    prog = AidProgramme.objects.get()
    assert r.status_code == 302 and prog.budget_fen == 1_000_000 and prog.status == "draft"
    person = PersonFactory(region_id=HECHENG, name="受助人")
    a.post(
        f"/care/aid/programmes/{prog.pk}/apply/",
        {"person": person.pk, "amount": "500", "period": "2026"},
    )
    assert not AidPayment.objects.exists()  # not approved yet
    _login(care_admin).post(f"/care/aid/programmes/{prog.pk}/approve/")
    a.post(
        f"/care/aid/programmes/{prog.pk}/apply/",
        {"person": person.pk, "amount": "500", "period": "2026"},
    )
    other = PersonFactory(region_id=HECHENG)
    csv = f"编号,金额\n{other.pk},300\n".encode()
    from django.core.files.uploadedfile import SimpleUploadedFile

    a.post(
        f"/care/aid/programmes/{prog.pk}/upload/",
        {"file": SimpleUploadedFile("list.csv", csv), "period": "2026"},
    )
    assert AidPayment.objects.count() == 2
    pay = AidPayment.objects.get(person=person)
    a.post(f"/care/aid/payments/{pay.pk}/approve/")  # own application: refused
    assert AidPayment.objects.get(pk=pay.pk).status == "pending"
    b = _login(care_clerk2)
    b.post(f"/care/aid/payments/{pay.pk}/approve/")
    b.post(f"/care/aid/payments/{pay.pk}/pay/", {"voucher": "V1"})
    assert AidPayment.objects.get(pk=pay.pk).status == "paid"
    body = b.get("/care/aid/ledger/").content.decode()
    assert "受助人" in body and "500.00" in body and "50000" not in body  # yuan, not fen
    export = b.get("/care/aid/ledger/?export=xlsx")
    assert "受助人" in _content(export)


def _approved_programme(care_clerk: Any, care_admin: Any) -> AidProgramme:
    from hongxia.care import services

    prog = services.programme_save(
        actor=care_clerk,
        programme=None,
        data={"region_id": HECHENG, "name": "特困帮扶", "kind": "hardship", "year": 2026,
              "budget_fen": 1_000_000, "amount_min_fen": 10_000, "amount_max_fen": 100_000},
    )  # fmt: skip
    return services.programme_approve(actor=care_admin, programme=prog)


def _messages(response: Any) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_payment_upload_of_a_damaged_workbook_is_the_file_fields_error(
    care_clerk: Any, care_admin: Any
) -> None:
    """It was a 500 (openpyxl's BadZipFile), found by tests/core/test_bad_posts_deep.py."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    prog = _approved_programme(care_clerk, care_admin)
    r = _login(care_clerk).post(
        f"/care/aid/programmes/{prog.pk}/upload/",
        {"file": SimpleUploadedFile("名单.xlsx", b"not a workbook"), "period": "2026"},
        follow=True,
    )
    assert r.status_code == 200
    assert _messages(r) == ["名单（.xlsx 或 .csv）：此文件无法作为 .xlsx 工作簿读取。"]
    assert not AidPayment.objects.exists()


def test_payment_upload_reads_the_whole_list_before_applying_for_anyone(
    care_clerk: Any, care_admin: Any
) -> None:
    """A cell the list cannot hold (an ID number stored as a number) in its third row used to
    stop the import after the second row was applied for: now nothing is."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    prog = _approved_programme(care_clerk, care_admin)
    good = PersonFactory(region_id=HECHENG)
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["编号", "身份证号", "金额"])
    sheet.append([good.pk, None, 200])
    sheet.append([None, 431202194001010011, 200])
    buf = io.BytesIO()
    book.save(buf)
    r = _login(care_clerk).post(
        f"/care/aid/programmes/{prog.pk}/upload/",
        {"file": SimpleUploadedFile("名单.xlsx", buf.getvalue()), "period": "2026"},
        follow=True,
    )
    assert r.status_code == 200
    assert _messages(r) == ["名单（.xlsx 或 .csv）：身份证号被存成了数字，请把该列设为文本格式。"]
    assert not AidPayment.objects.exists()


def test_ceremony_and_honoree_enters_registry(care_clerk: Any) -> None:
    from hongxia.core import idcard
    from hongxia.people.models import Person

    client = _login(care_clerk)
    client.post(
        "/care/ceremonies/new/",
        {"region": HECHENG, "date": "2026-06-30", "place": "区委礼堂", "unit": "鹤城区教育局"},
    )
    from hongxia.care.models import Ceremony, Honoree

    ceremony = Ceremony.objects.get()
    number = idcard.make("431202", datetime.date(1966, 5, 4), 11)
    client.post(
        f"/care/ceremonies/{ceremony.pk}/honorees/", {"name": "荣退者", "id_number": number}
    )
    person = Person.objects.get(name="荣退者")
    assert person.category == "tuixiu" and person.region_id == HECHENG
    honoree = Honoree.objects.get(person=person)
    client.post(f"/care/honorees/{honoree.pk}/check/", {"item": "ceremony", "done": "on"})
    honoree.refresh_from_db()
    assert honoree.checklist == {"ceremony": True}
    assert "荣退者" in client.get(ceremony.get_absolute_url()).content.decode()


@pytest.mark.parametrize(("item", "says"), [
    (None, "清单：未收到是哪一项，请刷新页面。"),
    ("abc", "清单：没有此清单项。"),
])
def test_a_checklist_post_of_a_stale_item_says_so(care_clerk: Any, item: str | None,
                                                  says: str) -> None:
    from hongxia.care.models import Ceremony, Honoree

    ceremony = Ceremony.objects.create(region_id=HECHENG, date=datetime.date(2026, 6, 30),
                                       place="区委礼堂", unit="鹤城区教育局")
    honoree = Honoree.objects.create(ceremony=ceremony, region_id=HECHENG,
                                     person=PersonFactory(region_id=HECHENG))
    post = {"done": "on"} if item is None else {"item": item, "done": "on"}
    response = _login(care_clerk).post(f"/care/honorees/{honoree.pk}/check/", post,
                                       follow=True, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.redirect_chain[-1][0] == ceremony.get_absolute_url()
    assert [str(m) for m in response.context["messages"]] == [says]
    honoree.refresh_from_db()
    assert honoree.checklist == {}


def test_rule_edit_and_copy(care_admin: Any) -> None:
    from hongxia.care.models import VisitRule

    rule = VisitRule.objects.get(code="birthday")
    client = _login(care_admin)
    assert client.get(f"/care/rules/{rule.pk}/edit/").status_code == 200
    data = {
        "region": "431200",
        "code": "birthday_nine",
        "name": "做九不做十",
        "trigger": "birthday",
        "active": "on",
        "milestone_ages": "59,69,79,89",
        "reckoning": "xusui",
        "birthday_calendar": "lunar",
        "days_before": 7,
        "days_after": 0,
        "owner": "county",
        "contact_modes": ["home"],
        "order": 31,
    }
    r = client.post(f"/care/rules/{rule.pk}/copy/", data)
    assert r.status_code == 302
    new = VisitRule.objects.get(code="birthday_nine")
    assert (
        new.milestone_ages == [59, 69, 79, 89]
        and VisitRule.objects.get(pk=rule.pk).name != "做九不做十"
    )


def test_clerk_cannot_edit_rules_or_approve_programmes(care_clerk: Any) -> None:
    from hongxia.care.models import VisitRule

    client = _login(care_clerk)
    rule = VisitRule.objects.get(code="birthday")
    assert client.get(f"/care/rules/{rule.pk}/edit/").status_code in (403, 404)


def test_home_panel_counts_overdue_per_county(care_admin: Any) -> None:
    from django.test import RequestFactory

    from hongxia.care import home

    person = PersonFactory(region_id=HECHENG)
    rule_task = CARE_FACTORIES[VisitTask](HECHENG, "x")
    VisitTask.objects.filter(pk=rule_task.pk).update(
        due=timezone.localdate() - datetime.timedelta(3),
        opens=timezone.localdate() - datetime.timedelta(9),
    )
    request = RequestFactory().get("/")
    request.user = care_admin
    panel = home.panel(request)
    assert panel is not None and panel["overdue"] == 1
    assert panel["counties"][0]["county"] == HECHENG
    from django.template.loader import render_to_string

    html = render_to_string("care/_home_panel.html", {"panel": panel})
    assert "鹤城区" in html
    assert person.pk
