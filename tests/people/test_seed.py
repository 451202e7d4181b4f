"""The synthetic data generator: deterministic, valid, and indistinguishable from rows written
through the services (derived columns, search keys, encryption)."""

from __future__ import annotations

import copy
import datetime
import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection, transaction

from hongxia.core import crypto, idcard, masking
from hongxia.core.models import AuditLog
from hongxia.people import seed as seed_module
from hongxia.people import selectors, services
from hongxia.people.models import Contact, Person, SearchKey
from hongxia.people.seed import LIXIU_PER_RETIREE, SCALES, SeedRefused, seed

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 1, 15)
SEED = 7


def _years_before(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


@pytest.fixture(scope="module")
def seeded(django_db_setup: Any, django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    """One 'small' registry for the whole module, rolled back at the end."""
    with django_db_blocker.unblock(), transaction.atomic():
        counts = seed(scale="small", seed=SEED, progress=False, today=TODAY)
        yield counts
        transaction.set_rollback(True)


def _digest() -> str:
    """Everything generated except ciphertexts, timestamps and absolute ids."""
    h = hashlib.sha256()
    rows = list(
        Person.objects.order_by("id").values_list(
            "id",
            "name",
            "id_hash",
            "birth_date",
            "gender",
            "ethnicity",
            "region_id",
            "category",
            "survivor_of_id",
            "rank",
            "former_unit",
            "retirement_date",
            "revolution_date",
            "political_status",
            "party_joined",
            "address",
            "phone_hash",
            "landline_masked",
            "health_status",
            "hardship",
            "life_status",
            "death_date",
            "lunar_birthday",
            "lives_elsewhere",
            "elsewhere_city",
        )
    )
    index = {row[0]: i for i, row in enumerate(rows)}
    for row in rows:
        h.update(repr((index[row[0]], *row[1:8], index.get(row[8]), *row[9:])).encode())
    for row in Contact.objects.order_by("id").values_list(
        "person_id", "name", "relation", "phone_masked", "is_emergency"
    ):
        h.update(repr((index[row[0]], *row[1:])).encode())
    tags = Person.tags.through.objects.order_by("id").values_list("person_id", "tag__code")
    for person_id, code in tags:
        h.update(repr((index[person_id], code)).encode())
    return h.hexdigest()


def _delete_registry() -> None:
    with connection.cursor() as cursor:
        for model in (SearchKey, Contact, Person.tags.through, Person):
            table = connection.ops.quote_name(model._meta.db_table)
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608


def test_counts(seeded: dict[str, Any]) -> None:
    total = SCALES["small"]
    lixiu = round(total * LIXIU_PER_RETIREE)
    assert seeded["people"] == total
    assert seeded["lixiu"] == lixiu == 8
    assert Person.objects.exclude(category="survivor").count() == total
    assert Person.objects.filter(category="lixiu").count() == lixiu
    assert Person.objects.filter(category="survivor").count() == seeded["survivors"] > 0
    assert Person.objects.filter(life_status="deceased").count() == seeded["deceased"]
    assert 0.02 * total < seeded["deceased"] < 0.06 * total
    assert SearchKey.objects.count() == seeded["search_keys"]
    assert Contact.objects.count() == seeded["contacts"]
    assert Person.tags.through.objects.count() == seeded["tag_links"]
    log = AuditLog.objects.get(action=AuditLog.Action.SEED)
    assert log.changes["people"] == total and log.changes["seed"] == SEED


def test_lixiu_joined_before_1949_and_are_90_plus(seeded: dict[str, Any]) -> None:
    for p in Person.objects.filter(category="lixiu"):
        assert p.birth_date < datetime.date(1936, 1, 1)
        assert p.revolution_date is not None
        assert p.revolution_date < datetime.date(1949, 10, 1)
        assert p.revolution_date > p.birth_date
        assert p.age_on(TODAY) >= 90
        assert p.retirement_date is not None and p.retirement_date <= TODAY


def test_tuixiu_ages_and_retirement_are_consistent(seeded: dict[str, Any]) -> None:
    for p in Person.objects.filter(category="tuixiu"):
        assert datetime.date(1925, 1, 1) <= p.birth_date < datetime.date(1967, 1, 1)
        assert p.revolution_date is None
        assert p.retirement_date is not None and p.retirement_date <= TODAY
        age_at_retirement = p.age_on(p.retirement_date)
        assert age_at_retirement in ({60} if p.gender == "M" else {55, 60}), p.pk
        if p.party_joined:
            assert p.age_on(p.party_joined) >= 18
            assert p.party_joined <= TODAY
        if p.death_date:
            assert p.life_status == "deceased"
            assert TODAY - datetime.timedelta(days=5 * 366) <= p.death_date <= TODAY
            assert p.death_date >= p.retirement_date


def test_survivors_are_spouses_of_deceased_cadres(seeded: dict[str, Any]) -> None:
    survivors = Person.objects.filter(category="survivor").select_related("survivor_of")
    assert survivors
    for s in survivors:
        dead = s.survivor_of
        assert dead is not None and dead.life_status == "deceased"
        assert s.survivor_relation == "spouse"
        assert s.gender != dead.gender
        assert s.region_id == dead.region_id
        assert abs((s.birth_date - dead.birth_date).days) < 9 * 366
        assert s.life_status == "alive"
        assert s.id_number and idcard.parse(s.id_number).gender == s.gender
    deceased = Person.objects.filter(life_status="deceased").count()
    assert 0.3 * deceased < survivors.count() < 0.7 * deceased


def test_id_numbers_are_valid_unique_and_decrypt(seeded: dict[str, Any]) -> None:
    seen = set()
    areas: Counter[str] = Counter()
    for p in Person.objects.only("id_number", "id_hash", "id_masked", "birth_date", "gender"):
        info = idcard.parse(p.id_number, today=TODAY)  # decrypted by the ORM
        assert info.number == p.id_number
        assert info.birth_date == p.birth_date
        assert info.gender == p.gender
        assert p.id_hash == crypto.lookup_hash(p.id_number)
        assert p.id_masked == masking.mask_id(p.id_number)
        seen.add(p.id_number)
        areas[p.id_number[:6]] += 1
    assert len(seen) == Person.objects.count()
    legacy = sum(n for area, n in areas.items() if area.startswith("4330"))
    assert 0.02 * len(seen) < legacy < 0.09 * len(seen)
    assert "431271" not in areas  # 洪江区 is a statistics code, never an ID area code


def test_regions_are_communities_of_huaihua(seeded: dict[str, Any]) -> None:
    regions = Counter(Person.objects.values_list("region_id", flat=True))
    assert all(len(code) == 12 and code.startswith("4312") for code in regions)
    counties: Counter[str] = Counter()
    for code, n in regions.items():
        counties[code[:6]] += n
    assert len(counties) == 13
    assert counties.most_common(1)[0][0] == "431202"  # 鹤城区 with the city-level units


def test_derived_columns_match_the_services(seeded: dict[str, Any]) -> None:
    keys: dict[int, set[str]] = defaultdict(set)
    key_names: dict[int, set[str]] = defaultdict(set)
    for person_id, key, name in SearchKey.objects.values_list("person_id", "key", "name_pinyin"):
        keys[person_id].add(key)
        key_names[person_id].add(name)
    for p in Person.objects.all():
        again = copy.copy(p)
        services.apply_derived(again, today=TODAY)
        for name in (
            "id_number",
            "id_hash",
            "id_masked",
            "phone",
            "phone_hash",
            "phone_masked",
            "landline",
            "landline_masked",
            "name_pinyin",
        ):
            assert getattr(again, name) == getattr(p, name), (name, p.pk)
        assert keys[p.pk] == services.search_keys_for(p), p.pk
        assert key_names[p.pk] == {p.name_pinyin}, p.pk  # the search sorts by this copy
        assert p.created_at is not None and p.created_at.tzinfo is not None


def test_contacts_belong_to_living_people_and_decrypt(seeded: dict[str, Any]) -> None:
    per_person = Counter(Contact.objects.values_list("person_id", flat=True))
    assert max(per_person.values()) <= 2
    dead = set(Person.objects.filter(life_status="deceased").values_list("id", flat=True))
    assert not dead & set(per_person)
    for c in Contact.objects.all()[:300]:
        if c.phone:
            assert len(c.phone) == 11 and c.phone[:2] in {"13", "15", "18"}
        assert c.phone_masked == masking.mask_phone(c.phone)


def test_shares_are_plausible(seeded: dict[str, Any]) -> None:
    people = Person.objects.all()
    total = people.count()
    alive = people.filter(life_status="alive")

    def share(qs: Any) -> float:
        return qs.count() / total

    assert 0.74 < share(people.exclude(phone_hash="")) < 0.86
    assert 0.29 < share(people.filter(lunar_birthday=True)) < 0.41
    assert 0.52 < share(people.filter(political_status="cpc_member")) < 0.66
    assert 0.01 < share(people.filter(hardship=True)) < 0.06
    assert 0.01 < share(alive.filter(lives_elsewhere=True)) < 0.06
    assert alive.filter(lives_elsewhere=True, elsewhere_city="长沙市").exists()
    aged = alive.filter(birth_date__lte=_years_before(TODAY, 80))
    assert aged.exists()
    assert aged.count() == aged.filter(tags__code="aged80").count()
    assert not alive.filter(birth_date__gt=_years_before(TODAY, 80), tags__code="aged80").exists()
    assert alive.filter(tags__code="living_alone").count() > 0.04 * total
    assert alive.filter(tags__code="empty_nest").count() > 0.10 * total
    assert len(set(people.values_list("ethnicity", flat=True))) >= 5


def test_search_finds_seeded_people(seeded: dict[str, Any]) -> None:
    for p in Person.objects.order_by("id")[::97]:
        for text in (p.name, p.name_pinyin, p.name_pinyin.upper(), p.name[1:]):
            q = selectors.search_q(text)
            assert q is not None
            assert Person.objects.filter(q, pk=p.pk).exists(), (p.name, text)
        for text in (p.id_number, p.id_number[-4:], p.phone[-4:], p.phone):
            if text:
                q = selectors.search_q(text)
                assert q is not None
                assert Person.objects.filter(q, pk=p.pk).exists(), (p.name, text)


def test_search_by_initials(seeded: dict[str, Any]) -> None:
    from hongxia.core import pinyin

    p = Person.objects.filter(name__regex=r"^...$").order_by("id").first()
    assert p is not None
    q = selectors.search_q(pinyin.name_initials(p.name))
    assert Person.objects.filter(q, pk=p.pk).exists()


def test_same_seed_gives_the_same_registry(
    seeded: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Seeded again into an empty registry, this time with the rows built in a forked process
    (as for large scales), the registry is the same."""
    first = _digest()
    _delete_registry()
    monkeypatch.setattr(seed_module, "PARALLEL_FROM", 0)
    again = seed(scale="small", seed=SEED, progress=False, today=TODAY)
    assert _digest() == first
    assert {k: v for k, v in again.items() if k != "seconds"} == {
        k: v for k, v in seeded.items() if k != "seconds"
    }


def test_a_registry_with_people_is_never_seeded(seeded: dict[str, Any]) -> None:
    before = Person.objects.count()
    result = seed(scale="small", seed=1, progress=False, today=TODAY)
    assert result == {"skipped": True, "existing": before}
    with pytest.raises(SeedRefused, match="nothing is ever deleted"):
        seed(scale="small", seed=1, progress=False, today=TODAY, force=True)
    assert Person.objects.count() == before


def test_unknown_scale() -> None:
    with pytest.raises(ValueError, match="unknown scale"):
        seed(scale="galaxy", progress=False)


def test_the_planner_has_statistics_for_the_registry_after_a_seed(
    seeded: dict[str, Any],
) -> None:
    """Without them SQLite sorts the whole registry for every list page (core.dbstats)."""
    sql = {
        "sqlite": "SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'people_person'",
        "postgresql": "SELECT count(*) FROM pg_stats WHERE tablename = 'people_person'",
    }[connection.vendor]
    with connection.cursor() as cur:
        cur.execute(sql)
        assert cur.fetchone()[0] > 0
