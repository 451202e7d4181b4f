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
