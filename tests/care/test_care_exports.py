"""Care lists as spreadsheets: what the filter selects, on every page, with the page's
columns; and the export permission where a list has one."""

from __future__ import annotations

import io
from typing import Any

import openpyxl
import pytest
from django.test import Client
from django.utils import timezone

from hongxia.care.models import AidPayment, AidProgramme
from tests.care.conftest import grant
from tests.conftest import HECHENG
from tests.factories import PersonFactory, UserFactory

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _login(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _sheet(response: Any) -> list[tuple[Any, ...]]:
    """The exported rows, header first, as a user opening the file would read them."""
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    body = b"".join(response.streaming_content)
    book = openpyxl.load_workbook(io.BytesIO(body), read_only=True)
    return [tuple(row) for row in book.active.iter_rows(values_only=True)]


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
    applicant = UserFactory(username="applicant", region_id=HECHENG)
    programme = AidProgramme.objects.create(
        region_id=HECHENG,
        name="春节慰问",
        kind="festival",
        year=2026,
        budget_fen=1_000_000,
        amount_min_fen=10_000,
        amount_max_fen=100_000,
        status="approved",
        created_by=applicant,
    )
    return _paid(HECHENG, "受助人", programme, applicant)


# ---- words shared with other apps --------------------------------------------------------


def test_care_words_are_not_taken_from_the_party_catalogue(
    care_clerk: Any, paid_aid: AidPayment
) -> None:
    """Party work reads "Period" and "Current" as 存续期间 and 现存, and the party catalogue
    comes first: care asks for its own readings (期次, 现行) by context."""
    client = _login(care_clerk)
    body = client.get("/care/aid/payments/").content.decode()
    assert "期次" in body and "存续期间" not in body
    body = client.get("/care/plans/").content.decode()
    assert "现行" in body and "现存" not in body
    rows = _sheet(client.get("/care/aid/payments/?export=xlsx"))
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
    client = _login(viewer)
    page = client.get(url)
    assert page.status_code == 200
    assert "export=xlsx" not in page.content.decode()
    assert client.get(url + "?export=xlsx").status_code == 403


@pytest.mark.parametrize("url", ["/care/aid/ledger/", "/care/aid/payments/"])
def test_aid_export_with_the_permission(url: str, care_clerk: Any, paid_aid: AidPayment) -> None:
    client = _login(care_clerk)
    assert "export=xlsx" in client.get(url).content.decode()
    rows = _sheet(client.get(url + "?export=xlsx&status=paid"))
    assert rows[0] == ("姓名", "项目", "期次", "金额（元）", "状态", "发放日期", "凭证号")
    assert [r[0] for r in rows[1:]] == ["受助人"]
    assert rows[1][3] == 123.45 and rows[1][6] == "V-1"
