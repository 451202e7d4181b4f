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


def test_the_list_pages_a_search_in_relevance_order_each_person_once(
    clerk: Any, settings: Any
) -> None:
    """PersonListView pages a key search on the keys: the people the filter finds, ordered by
    the first key of theirs that matches (an exact match first), then by name; page after
    page, each once, with the right total. 章章 is under "zhang" and "zhangzhang": listed
    once, under "zhang"."""
    from django.test import Client

    from hongxia.people.models import SearchKey

    settings.HONGXIA_PAGE_SIZE = 2
    for name in [*NAMES, "章章", "张三", "张四", "王章"]:
        PersonFactory(name=name, region_id="431202")
    PersonFactory(name="张五", region_id="431222")  # another county: never listed
    client = Client()
    client.force_login(clerk)
    q = selectors.search_q("zhang")
    assert q is not None
    found = Person.objects.visible_to(clerk).filter(q)
    first_key = {
        p.pk: min(
            SearchKey.objects.filter(person=p, key__gte="zhang", key__lt="zhanh").values_list(
                "key", flat=True
            )
        )
        for p in found
    }
    expected = [p.name for p in sorted(found, key=lambda p: (first_key[p.pk], p.name_pinyin, p.pk))]
    assert expected[:2] == ["王章", "章章"]  # "zhang" exactly, before "zhangsan", "zhangwei"…
    assert "张五" not in expected and len(expected) == len(set(expected))
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
    back = client.get("/people/", {"q": "zhang", "cursor": response.context["page"].prev_cursor})
    assert [row["name"] for row in back.context["page"].rows] == seen[-4:-2] or len(seen) <= 2
