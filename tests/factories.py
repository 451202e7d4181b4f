"""Factories that write through the same derived-field logic as the services."""

from __future__ import annotations

import datetime
from typing import Any

import factory
from django.contrib.auth.hashers import make_password

from hongxia.core import idcard
from hongxia.core.models import User
from hongxia.people import services
from hongxia.people.models import Person

PASSWORD = "Hongxia-2026!"
# Hashing with the full PBKDF2 work factor would dominate the suite; one hash serves all users.
_HASHED = make_password(PASSWORD)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Sequence(lambda n: f"用户{n}")
    role = "county_clerk"
    region_id = "431202"
    password = _HASHED


_NAMES = [
    "张三丰",
    "曾国华",
    "单雄信",
    "欧阳明",
    "王秀英",
    "李建国",
    "覃玉兰",
    "吴桂芳",
    "杨志德",
    "龙凤英",
]


class PersonFactory(factory.django.DjangoModelFactory):
    """A living 退休干部 with a valid ID number from their county's area code."""

    class Meta:
        model = Person

    name = factory.Sequence(lambda n: _NAMES[n % len(_NAMES)])
    birth_date = factory.Sequence(
        lambda n: datetime.date(1930, 1, 1) + datetime.timedelta(days=(37 * n) % 9000)
    )
    gender = "M"
    region_id = "431202"
    category = "tuixiu"
    rank = "keyuan"
    former_unit = "怀化市教育局"
    phone = factory.Sequence(lambda n: f"139{n:08d}")
    id_number = factory.LazyAttributeSequence(
        lambda o, n: idcard.make(
            o.region_id[:6], o.birth_date, (2 * n + (1 if o.gender == "M" else 0)) % 1000
        )
    )

    @classmethod
    def _create(cls, model_class: Any, *args: Any, **kwargs: Any) -> Person:
        tags = kwargs.pop("tags", None)
        person = model_class(*args, **kwargs)
        services.apply_derived(person)
        person.save()
        if tags:
            person.tags.set(tags)
        services.rebuild_search_keys(person)
        return person
