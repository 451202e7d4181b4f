"""care:leaders search: name characters, pinyin, initials and the phone's last 4 digits."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from hongxia.care import selectors, services
from hongxia.care.models import Leader
from hongxia.care.permissions import ROLE_CARE_PERMISSIONS
from tests.care.conftest import grant
from tests.conftest import HECHENG, YUANLING
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def leaders(care_admin: Any) -> dict[str, Leader]:
    def make(name: str, phone: str, region: str = HECHENG) -> Leader:
        return services.leader_save(
            actor=care_admin,
            leader=None,
            data={
                "region_id": region,
                "name": name,
                "post": "书记",
                "unit": "区委",
                "phone": phone,
            },
        )

    return {
        "张建国": make("张建国", "13912345678"),
        "曾国华": make("曾国华", "13800005678"),
        "欧阳明": make("欧阳明", "0745-2223456"),
        "李四": make("李四", "13700001111"),
        "王短号": make("王短号", "12345678"),
        "沅陵张": make("张建国", "13612345678", region=YUANLING),
    }


def _names(user: Any, q: str) -> list[str]:
    qs = selectors.LeaderFilter(
        {"q": q}, queryset=Leader.objects.visible_to(user).order_by("name", "id"), request=None
    ).qs
    return sorted(qs.values_list("name", flat=True))


@pytest.mark.parametrize(
    ("q", "found"),
    [
        ("建国", ["张建国"]),
        ("zhangjianguo", ["张建国"]),
        ("Zhang Jian", ["张建国"]),
        ("jianguo", ["张建国"]),
        ("guo", ["张建国", "曾国华"]),
        ("zengguohua", ["曾国华"]),  # the surname table's reading, not pypinyin's ceng
        ("ouyangming", ["欧阳明"]),
        ("ZJG", ["张建国"]),
        ("zgh", ["曾国华"]),
        ("oym", ["欧阳明"]),
        ("ls", ["李四"]),
        # 王短号's number ends in 5678 too, but it is too short for its mask to show more
        # than "78": what the list cannot show, the search does not find.
        ("5678", ["张建国", "曾国华"]),
        ("５６７８", ["张建国", "曾国华"]),  # full-width digits, as some input methods type
        ("3456", ["欧阳明"]),  # a landline's last 4 digits
        ("1111", ["李四"]),
        ("139", []),  # numbers other than a last 4 find nothing, as in the registry
        ("wdh", ["王短号"]),
        ("xyz", []),
    ],
)
def test_leader_search(
    care_clerk: Any, leaders: dict[str, Leader], q: str, found: list[str]
) -> None:
    assert _names(care_clerk, q) == sorted(found)


def test_leader_search_stays_in_the_region(care_admin: Any, leaders: dict[str, Leader]) -> None:
    """The city sees both 张建国; a county clerk of 沅陵 only theirs, by pinyin and phone."""
    assert _names(care_admin, "zjg") == ["张建国", "张建国"]
    clerk = grant(
        UserFactory(username="yl_clerk", role="county_clerk", region_id=YUANLING),
        ROLE_CARE_PERMISSIONS["county_clerk"],
    )
    qs = selectors.LeaderFilter(
        {"q": "zjg"}, queryset=Leader.objects.visible_to(clerk), request=None
    ).qs
    assert list(qs) == [leaders["沅陵张"]]
    assert _names(clerk, "5678") == ["张建国"]


def test_leader_page_searches_and_paginates(
    care_clerk: Any, leaders: dict[str, Leader], settings: Any
) -> None:
    """The page finds by initials and keeps its pages: 2 of 3 matches, then the third."""
    settings.HONGXIA_PAGE_SIZE = 2
    for name in ("张建军", "张建华"):
        services.leader_save(
            actor=care_clerk,
            leader=None,
            data={"region_id": HECHENG, "name": name, "post": "书记", "unit": "区委", "phone": ""},
        )
    client = Client()
    client.force_login(care_clerk)
    first = client.get("/care/leaders/?q=zj")
    page = first.context["page"]
    assert page.total == 3 and len(page.rows) == 2 and page.next_cursor
    assert "李四" not in first.content.decode()
    second = client.get(f"/care/leaders/?q=zj&cursor={page.next_cursor}").context["page"]
    assert len(second.rows) == 1 and not second.next_cursor
    names = [leader.name for leader in [*page.rows, *second.rows]]
    assert sorted(names) == sorted(["张建华", "张建军", "张建国"])
