"""The registry search takes one of two query shapes by how many keys match
(people.selectors._matching); both must find exactly the same people, in the same order."""

from __future__ import annotations

from typing import Any

import pytest
from tests.factories import PersonFactory

from hongxia.people import selectors
from hongxia.people.models import Person

pytestmark = pytest.mark.django_db

NAMES = ["王军", "吴杰", "魏建国", "李文军", "张伟", "章文杰", "赵无极", "王建"]


@pytest.mark.parametrize("text", ["wj", "wang", "王", "wenj", "zw"])
def test_few_and_many_matches_find_the_same_people(
    text: str, monkeypatch: pytest.MonkeyPatch, clerk: Any
) -> None:
    for name in NAMES:
        PersonFactory(name=name, region_id="431202")

    def found() -> list[str]:
        q = selectors.search_q(text)
        assert q is not None
        return list(
            Person.objects.visible_to(clerk)
            .filter(q)
            .order_by(*selectors.LIST_ORDERING)
            .values_list("name", flat=True)
        )

    fenced = found()
    monkeypatch.setattr(selectors, "FEW_MATCHES", 0)  # every search counts as "many"
    walked = found()
    assert fenced == walked
    assert fenced  # each text matches someone above


def test_the_list_pages_a_search_by_its_keys_like_the_filter_finds_it(
    clerk: Any, settings: Any
) -> None:
    """PersonListView pages a key search on the keys' copy of name_pinyin: the same people,
    in the same order, page after page, each once, with the right total; a person under two
    keys of the range (章章: "zhang" and "zhangzhang") is listed and counted once."""
    from django.test import Client

    settings.HONGXIA_PAGE_SIZE = 2
    for name in [*NAMES, "章章", "张三", "张四"]:
        PersonFactory(name=name, region_id="431202")
    PersonFactory(name="张五", region_id="431222")  # another county: never listed
    client = Client()
    client.force_login(clerk)
    q = selectors.search_q("zhang")
    assert q is not None
    expected = list(
        Person.objects.visible_to(clerk)
        .filter(q)
        .order_by(*selectors.LIST_ORDERING)
        .values_list("name", flat=True)
    )
    assert "章章" in expected and "张五" not in expected
    seen: list[str] = []
    response = client.get("/people/", {"q": "zhang"})
    for _ in range(10):
        page = response.context["page"]
        assert page.total == len(expected)
        seen += [row["name"] for row in page.rows]
        if not page.next_cursor:
            break
        response = client.get("/people/", {"q": "zhang", "cursor": page.next_cursor})
    assert seen == expected
