"""Care lists as spreadsheets: what the filter selects, on every page, with the page's
columns; and the export permission where a list has one."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from hongxia.care.models import AidPayment, AidProgramme
from tests.care.conftest import grant
from tests.care.scope_factories import SCOPE_FACTORIES as CARE_FACTORIES
from tests.conftest import HECHENG, YUANLING
from tests.factories import PersonFactory, UserFactory
from tests.http import logged_in, xlsx_rows

pytestmark = pytest.mark.django_db

def _paid(region: str, name: str, programme: AidProgramme, user: Any) -> AidPayment:
    return AidPayment.objects.create(
        programme=programme,
        person=PersonFactory(region_id=region, name=name),
        region_id=region,
        period="2026",
        amount_fen=12_345,
        status="paid",
        applied_by=user,
        paid_on=timezone.localdate(),
        voucher="V-1",
    )


@pytest.fixture
def paid_aid(care_clerk: Any) -> AidPayment:
    programme = CARE_FACTORIES[AidProgramme](HECHENG, "春节慰问")  # an approved programme
    return _paid(HECHENG, "受助人", programme, programme.created_by)


# ---- words shared with other apps --------------------------------------------------------


def test_care_words_are_not_taken_from_the_party_catalogue(
    care_clerk: Any, paid_aid: AidPayment
) -> None:
    """Party work reads "Period" and "Current" as 存续期间 and 现存, and the party catalogue
    comes first: care asks for its own readings (期次, 现行) by context."""
    client = logged_in(care_clerk)
    body = client.get("/care/aid/payments/").content.decode()
    assert "期次" in body and "存续期间" not in body
    body = client.get("/care/plans/").content.decode()
    assert "现行" in body and "现存" not in body
    rows = xlsx_rows(client.get("/care/aid/payments/?export=xlsx"))
    assert rows[0][2] == "期次"


# ---- the export permission ---------------------------------------------------------------


@pytest.mark.parametrize("url", ["/care/aid/ledger/", "/care/aid/payments/"])
def test_aid_export_needs_the_export_permission(url: str, paid_aid: AidPayment) -> None:
    """Seeing the aid lists is not enough to take them away as a file: without
    care.export_aidpayment the page has no button and ?export=xlsx is refused."""
    viewer = grant(
        UserFactory(username="viewer", role="branch_secretary", region_id=HECHENG),
        {"care.view_aidpayment"},
    )
    client = logged_in(viewer)
    page = client.get(url)
    assert page.status_code == 200
    assert "export=xlsx" not in page.content.decode()
    assert client.get(url + "?export=xlsx").status_code == 403


@pytest.mark.parametrize("url", ["/care/aid/ledger/", "/care/aid/payments/"])
def test_aid_export_with_the_permission(url: str, care_clerk: Any, paid_aid: AidPayment) -> None:
    client = logged_in(care_clerk)
    assert "export=xlsx" in client.get(url).content.decode()
    rows = xlsx_rows(client.get(url + "?export=xlsx&status=paid"))
    assert rows[0] == ("姓名", "项目", "期次", "金额（元）", "状态", "发放日期", "凭证号")
    assert [r[0] for r in rows[1:]] == ["受助人"]
    assert rows[1][3] == 123.45 and rows[1][6] == "V-1"


# ---- the lists that gained an export -------------------------------------------------------


def _leader(actor: Any, name: str, phone: str = "", region: str = HECHENG, **extra: Any) -> Any:
    from hongxia.care import services

    data = {"region_id": region, "name": name, "post": "副区长", "unit": "区政府", "phone": phone}
    return services.leader_save(actor=actor, leader=None, data={**data, **extra})


@pytest.fixture
def small_pages(settings: Any) -> None:
    """Two rows a page: an export must hold every page the filter selects."""
    settings.HONGXIA_PAGE_SIZE = 2


def test_leader_export_follows_the_filter_with_masked_phones(
    care_admin: Any, small_pages: None
) -> None:
    for name, phone in (("张建国", "13912345678"), ("张建华", "13800001111"), ("张建军", "")):
        _leader(care_admin, name, phone)
    _leader(care_admin, "张建设", "13700002222", status="retired")
    _leader(care_admin, "李四", "13600003333")
    client = logged_in(care_admin)
    page = client.get("/care/leaders/?q=张&status=serving").content.decode()
    assert "export=xlsx" in page and "q=%E5%BC%A0&amp;status=serving&amp;export=xlsx" in page
    rows = xlsx_rows(client.get("/care/leaders/?q=张&status=serving&export=xlsx"))
    assert rows[0] == ("姓名", "职务", "单位", "电话", "状态", "状态起始日期")
    # In name order, which is the database's collation: compared as a set.
    assert len(rows) == 4 and set(rows[1:]) == {
        ("张建华", "副区长", "区政府", "138****1111", "在职", None),
        ("张建军", "副区长", "区政府", None, "在职", None),
        ("张建国", "副区长", "区政府", "139****5678", "在职", None),
    }


def test_leader_export_stays_in_the_users_region(care_clerk: Any, care_admin: Any) -> None:
    _leader(care_admin, "鹤城领导")
    _leader(care_admin, "沅陵领导", region=YUANLING)
    rows = xlsx_rows(logged_in(care_clerk).get("/care/leaders/?export=xlsx"))
    assert [r[0] for r in rows[1:]] == ["鹤城领导"]


def test_pairing_export_follows_the_filter(care_clerk: Any, small_pages: None) -> None:
    from hongxia.care.models import Pairing

    leader = _leader(care_clerk, "结对领导")
    start = datetime.date(2026, 1, 5)
    names = ["甲离休", "乙离休", "丙离休", "丁离休"]
    for i, name in enumerate(names):
        person = PersonFactory(region_id=HECHENG, category="lixiu", name=name)
        Pairing.objects.create(
            person=person,
            leader=leader,
            region_id=HECHENG,
            start=start,
            active=i != 3,
            end=None if i != 3 else datetime.date(2026, 3, 1),
        )
    client = logged_in(care_clerk)
    assert "export=xlsx" in client.get("/care/pairs/").content.decode()
    rows = xlsx_rows(client.get("/care/pairs/?active=true&export=xlsx"))
    assert rows[0] == ("姓名", "领导", "职务", "起始日期", "截止日期", "现行")
    assert [(r[0], r[1], r[2], r[3].date(), r[4], r[5]) for r in rows[1:]] == [
        (name, "结对领导", "副区长", start, None, "是") for name in names[:3]
    ]
    rows = xlsx_rows(client.get("/care/pairs/?active=false&export=xlsx"))
    assert [(r[0], r[4].date(), r[5]) for r in rows[1:]] == [
        ("丁离休", datetime.date(2026, 3, 1), "否")
    ]


def test_plan_export_follows_the_filter(care_clerk: Any, small_pages: None) -> None:
    from hongxia.care.models import ServicePlan

    today = timezone.localdate()
    soon, later = today + datetime.timedelta(days=3), today + datetime.timedelta(days=60)
    for name, review in (("甲", soon), ("乙", soon), ("丙", soon), ("丁", later)):
        ServicePlan.objects.create(
            person=PersonFactory(region_id=HECHENG, name=f"{name}老"),
            region_id=HECHENG,
            needs=f"{name}需求",
            measures="送餐",
            responsible="社区",
            review_date=review,
        )
    client = logged_in(care_clerk)
    assert "export=xlsx" in client.get("/care/plans/").content.decode()
    rows = xlsx_rows(client.get("/care/plans/?review_due=true&export=xlsx"))
    assert rows[0] == ("姓名", "版本", "现行", "需求", "措施", "责任人", "下次复核")
    assert [(r[0], r[1], r[2], r[3], r[4], r[5], r[6].date()) for r in rows[1:]] == [
        (f"{n}老", 1, "是", f"{n}需求", "送餐", "社区", soon) for n in "甲乙丙"
    ]


def test_programme_export_follows_the_filter(care_admin: Any, small_pages: None) -> None:
    def programme(name: str, year: int, region: str = HECHENG, **extra: Any) -> AidProgramme:
        return AidProgramme.objects.create(
            region_id=region,
            name=name,
            kind=extra.pop("kind", "festival"),
            year=year,
            budget_fen=1_234_567,
            committed_fen=extra.pop("committed_fen", 0),
            amount_min_fen=10_000,
            amount_max_fen=100_000,
            status=extra.pop("status", "approved"),
            created_by=care_admin,
        )

    programme("春节慰问", 2026, committed_fen=50_050)
    programme("重阳慰问", 2026, status="draft")
    programme("困难帮扶", 2026, kind="hardship", region=YUANLING)
    programme("往年慰问", 2025)
    client = logged_in(care_admin)
    page = client.get("/care/aid/programmes/").content.decode()
    assert "export=xlsx" in page and "项目名称" in page  # a programme's name, not a person's
    rows = xlsx_rows(client.get("/care/aid/programmes/?year=2026&export=xlsx"))
    assert rows[0] == ("项目名称", "年度", "类别", "地区", "预算（元）", "已批准（元）", "状态")
    assert rows[1:] == [
        ("困难帮扶", 2026, "困难帮扶金", "沅陵县", 12345.67, 0, "已批准"),
        ("重阳慰问", 2026, "节日慰问金", "鹤城区", 12345.67, 0, "待审批"),
        ("春节慰问", 2026, "节日慰问金", "鹤城区", 12345.67, 500.5, "已批准"),
    ]


def test_rule_export_follows_the_filter(care_admin: Any, small_pages: None) -> None:
    from hongxia.care.models import VisitRule

    for i, (name, trigger, active) in enumerate(
        (("导出甲", "periodic", True), ("导出乙", "periodic", False), ("导出丙", "birthday", True))
    ):
        VisitRule.objects.create(
            region_id=HECHENG,
            code=f"export-{i}",
            name=name,
            trigger=trigger,
            times_per_year=1,
            active=active,
            order=900 + i,
        )
    client = logged_in(care_admin)
    page = client.get("/care/rules/").content.decode()
    assert "export=xlsx" in page and "规则名称" in page
    rows = xlsx_rows(client.get("/care/rules/?q=导出&trigger=periodic&export=xlsx"))
    assert rows[0] == ("规则名称", "触发条件", "地区", "责任方", "启用")
    assert rows[1:] == [
        ("导出甲", "定期定人", "鹤城区", "县级老干部局", "是"),
        ("导出乙", "定期定人", "鹤城区", "县级老干部局", "否"),
    ]


def test_ceremony_export_follows_the_filter(care_clerk: Any, small_pages: None) -> None:
    from hongxia.care.models import Ceremony

    days = [datetime.date(2026, m, 28) for m in (3, 6, 9)]
    for day in days:
        Ceremony.objects.create(region_id=HECHENG, date=day, place="区委礼堂", unit="鹤城区教育局")
    Ceremony.objects.create(
        region_id=HECHENG, date=datetime.date(2025, 6, 1), place="区委礼堂", unit="鹤城区教育局"
    )
    Ceremony.objects.create(
        region_id=HECHENG, date=datetime.date(2026, 6, 1), place="会议室", unit="鹤城区卫健局"
    )
    client = logged_in(care_clerk)
    assert "export=xlsx" in client.get("/care/ceremonies/").content.decode()
    rows = xlsx_rows(client.get("/care/ceremonies/?q=教育&year=2026&export=xlsx"))
    assert rows[0] == ("日期", "单位", "地点", "地区")
    assert [(r[0].date(), *r[1:]) for r in rows[1:]] == [
        (day, "鹤城区教育局", "区委礼堂", "鹤城区") for day in days
    ]
