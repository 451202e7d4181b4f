"""Synthetic registry data for demos, tests and benchmarks: deterministic and fast.

``seed(scale="city")`` fills an empty registry with a Huaihua-like population: 56,000 retired
cadres over the 13 county-level units and the city-level units (市直), 218 of them 离休, with
survivors of some deceased cadres, contacts, classification tags and search keys.

Determinism: every choice comes from one ``random.Random(seed)``, and ages are reckoned
against ``today`` (a parameter), so the same seed and the same day give the same people. Only
ciphertexts (Fernet is randomised) and the created/updated timestamps differ between runs.

Speed: Django's ``bulk_create`` spends most of its time building SQL, so rows are built as
tuples here and written with ``executemany`` on SQLite and ``COPY`` on PostgreSQL, one
transaction per batch of people. The derived columns are filled exactly as
``services.apply_derived`` and the keys exactly as ``services.search_keys_for`` would (the
tests compare both), with the costly pinyin work cached per distinct name.

Real data is never touched: seeding only happens into an empty registry. Without ``force`` a
non-empty registry is left alone and the result says so (``skipped``); with ``force=True`` the
same situation raises ``SeedRefused`` with a message, because seeding never deletes people.
"""

from __future__ import annotations

import bisect
import calendar
import datetime
import functools
import itertools
import math
import multiprocessing
import random
import sys
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import IO, Any, cast

from django.db import connection, models, transaction
from django.db.models import Max
from django.utils import timezone

from hongxia.core import audit, crypto, dbstats, idcard, masking, pinyin
from hongxia.core.models import AuditLog, Region
from hongxia.core.services import legacy_area_codes
from hongxia.people import choices_data as data
from hongxia.people import services
from hongxia.people.models import Contact, Person, SearchKey, Tag

__all__ = ["SCALES", "SeedRefused", "seed"]

SCALES: dict[str, int] = {"small": 2_000, "city": 56_000, "province": 1_000_000}
LIXIU_PER_RETIREE = 218 / 56_000  # Huaihua, 2023
BATCH = 5_000
PARALLEL_FROM = 20_000  # people; below this, forking a generator process is not worth it
DECEASED_SHARE = 0.04
SURVIVOR_SHARE = 0.5  # of the deceased


class SeedRefused(Exception):
    """Seeding was asked for on a registry that already holds people."""


# (region code, place name in former-unit names, share of retirees). 市直 (city-level units)
# are registered in 鹤城区 communities; county shares follow population (2020 census, 万人).
_COUNTY_POPULATION: list[tuple[str, str, int]] = [
    ("431221", "中方县", 24),
    ("431222", "沅陵县", 50),
    ("431223", "辰溪县", 41),
    ("431224", "溆浦县", 74),
    ("431225", "会同县", 30),
    ("431226", "麻阳苗族自治县", 33),
    ("431227", "新晃侗族自治县", 22),
    ("431228", "芷江侗族自治县", 31),
    ("431229", "靖州苗族侗族自治县", 24),
    ("431230", "通道侗族自治县", 20),
    ("431281", "洪江市", 42),
    ("431271", "洪江区", 6),
]
_CITY_SHARE, _HECHENG_SHARE = 0.20, 0.13
_TOTAL_POPULATION = sum(p for _c, _n, p in _COUNTY_POPULATION)
UNITS: list[tuple[str, str, float]] = [
    ("431202", "怀化市", _CITY_SHARE),
    ("431202", "鹤城区", _HECHENG_SHARE),
    *(
        (code, name, (1 - _CITY_SHARE - _HECHENG_SHARE) * pop / _TOTAL_POPULATION)
        for code, name, pop in _COUNTY_POPULATION
    ),
]
# Codes that are regions but never ID area codes (洪江区 is a statistics code).
_ID_AREA_FALLBACK = {"431271": ("433002", "431281")}
_LEGACY_SHARE = 0.05

_ELSEWHERE = [
    ("长沙市", 0.80),
    ("株洲市", 0.05),
    ("广州市", 0.05),
    ("深圳市", 0.05),
    ("北京市", 0.03),
    ("上海市", 0.02),
]
_CHANGSHA_PLACES = [
    "芙蓉区五一大道",
    "天心区书院路",
    "岳麓区麓山南路",
    "开福区湘江中路",
    "雨花区韶山中路",
    "岳麓区枫林二路",
    "芙蓉区韶山北路",
    "天心区劳动西路",
]
_HARDSHIP_NOTES = [
    "因病致困",
    "配偶长期患病",
    "子女下岗失业",
    "住房困难",
    "遭受自然灾害",
    "医疗费用负担重",
]
_CONTACT_RELATIONS = [
    ("son", 0.30),
    ("daughter", 0.30),
    ("spouse", 0.15),
    ("daughter_in_law", 0.05),
    ("son_in_law", 0.04),
    ("grandchild", 0.06),
    ("sibling", 0.04),
    ("relative", 0.03),
    ("friend_neighbour", 0.02),
    ("carer", 0.01),
]
_RELATION_GENDER = {"son": "M", "son_in_law": "M", "daughter": "F", "daughter_in_law": "F"}
_POLITICAL = [
    ("cpc_member", 0.60),
    ("cpc_probationary", 0.002),
    ("democratic_party", 0.03),
    ("non_party", 0.02),
    ("masses", 0.348),
]
_HEALTH_BY_AGE: list[tuple[int, list[tuple[str, float]]]] = [
    (
        70,
        [("good", 0.40), ("fair", 0.35), ("chronic", 0.20), ("serious", 0.03), ("disabled", 0.02)],
    ),
    (
        80,
        [("good", 0.25), ("fair", 0.35), ("chronic", 0.30), ("serious", 0.06), ("disabled", 0.04)],
    ),
    (
        999,
        [("good", 0.10), ("fair", 0.30), ("chronic", 0.38), ("serious", 0.10), ("disabled", 0.12)],
    ),
]
_MOBILE_PREFIXES = [
    *(f"13{d}" for d in range(10)),
    *(f"15{d}" for d in range(10) if d != 4),
    *(f"18{d}" for d in range(10)),
]
# The most common given names of people born 1925-1966, heading each gender's name pool.
_COMMON_GIVEN = {
    "M": "建国 建华 国华 志明 文华 国庆 建平 建军 卫东 国平 志强 德明 光明 春生 福生 海林 永红 "
    "跃进 援朝 抗美 解放 胜利 和平 卫国 振华 新华 庆华 明华 金生 长生 家明 文明 国强 志刚 "
    "建新 国安 德华 正华 湘生 沅生 先富 石生 继承 学文",
    "F": "秀英 桂英 玉兰 秀兰 桂兰 玉梅 秀珍 桂芳 淑珍 凤英 玉英 秀华 丽华 美华 春梅 翠兰 冬梅 "
    "秀云 桂珍 玉珍 红梅 丽君 爱华 月英 素珍 秀芳 玉华 金花 菊英 兰英 淑华 桂香 秋菊 冬英 "
    "卫红 小红 建英 新华 爱民 湘云 翠英 雪梅",
}
_SENIOR_RANKS = {"shengbu", "ting_zheng", "ting_fu", "chu_zheng", "chu_fu"}

PERSON_COLUMNS = (
    "id",
    "name",
    "name_pinyin",
    "gender",
    "ethnicity",
    "id_number",
    "id_hash",
    "id_masked",
    "birth_date",
    "lunar_birthday",
    "category",
    "survivor_of_id",
    "survivor_relation",
    "rank",
    "former_unit",
    "retirement_date",
    "revolution_date",
    "political_status",
    "party_joined",
    "region_id",
    "address",
    "lives_elsewhere",
    "elsewhere_city",
    "elsewhere_address",
    "phone",
    "phone_hash",
    "phone_masked",
    "landline",
    "landline_masked",
    "health_status",
    "hardship",
    "hardship_note",
    "life_status",
    "death_date",
    "notes",
    "account_id",
    "created_at",
    "updated_at",
)
CONTACT_COLUMNS = (
    "person_id",
    "name",
    "relation",
    "phone",
    "phone_masked",
    "is_emergency",
    "address",
)


class _Picker:
    """Weighted choice from fixed (value, weight) pairs with one random draw."""

    def __init__(self, pairs: Iterable[tuple[Any, float]]) -> None:
        items = list(pairs)
        self.values = [v for v, _w in items]
        self.cum = list(itertools.accumulate(w for _v, w in items))
        self.total = self.cum[-1]

    def __call__(self, rng: random.Random) -> Any:
        i = bisect.bisect_right(self.cum, rng.random() * self.total)
        return self.values[min(i, len(self.values) - 1)]


def _keys(name: str = "", id_number: str = "", phone: str = "", landline: str = "") -> set[str]:
    """services.search_keys_for itself, on a stand-in carrying only what it reads."""
    stand_in = SimpleNamespace(name=name, id_number=id_number, phone=phone, landline=landline)
    return services.search_keys_for(cast(Person, stand_in))


@functools.lru_cache(maxsize=100_000)
def _name_derived(name: str) -> tuple[str, tuple[str, ...]]:
    """(name_pinyin, search keys of the name): the costly part, cached per distinct name.

    A person's keys are those of the name plus those of the numbers (search_keys_for is a
    union of the two); the tests check the sum against search_keys_for for every person.
    """
    return pinyin.name_pinyin(name)[:128], tuple(sorted(_keys(name=name)))


def _years_after(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _month_after(day: datetime.date) -> datetime.date:
    """The first day of the month after `day`: retirement takes effect then."""
    return datetime.date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def _age(birth: datetime.date, today: datetime.date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


@dataclass
class _Unit:
    region: str  # the county whose communities people are registered in
    place: str
    id_areas: tuple[str, ...]  # current area codes for ID numbers
    legacy_areas: tuple[str, ...]
    communities: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class _Batch:
    cadres: int = 0
    people: list[tuple[Any, ...]] = field(default_factory=list)
    keys: list[tuple[int, str, str]] = field(default_factory=list)
    contacts: list[tuple[Any, ...]] = field(default_factory=list)
    tags: list[tuple[int, int]] = field(default_factory=list)


class _Generator:
    """Builds rows; every random choice is drawn from `rng` in a fixed order."""

    def __init__(
        self,
        rng: random.Random,
        today: datetime.date,
        *,
        vendor: str,
        tag_ids: dict[str, int],
        units: list[tuple[_Unit, float]],
    ) -> None:
        self.rng = rng
        self.today = today
        self.date: Callable[[datetime.date | None], Any] = (
            (lambda d: d.isoformat() if d is not None else None)
            if vendor == "sqlite"
            else (lambda d: d)
        )
        now = timezone.now()
        self.now: Any = connection.ops.adapt_datetimefield_value(now) if vendor == "sqlite" else now
        self.tag_ids = tag_ids
        self.unit = _Picker(units)
        self.surname = _Picker(data.SURNAMES)
        self.ethnicity = _Picker(data.HUAIHUA_ETHNIC_MIX)
        self.rank = _Picker((code, w) for code, _zh, _en, w in data.RANKS)
        self.political = _Picker(_POLITICAL)
        self.health = [(limit, _Picker(pairs)) for limit, pairs in _HEALTH_BY_AGE]
        self.elsewhere = _Picker(_ELSEWHERE)
        self.relation = _Picker(_CONTACT_RELATIONS)
        self.given = {
            "M": self._given_pool(_COMMON_GIVEN["M"].split(), data.GIVEN_CHARS_MALE, 2_000),
            "F": self._given_pool(_COMMON_GIVEN["F"].split(), data.GIVEN_CHARS_FEMALE, 2_000),
        }
        self.tuixiu_year = _Picker(
            (y, 1.0 if today.year - y <= 68 else math.exp(-(today.year - y - 68) / 9))
            for y in range(1926, 1967)
        )
        self.lixiu_year = _Picker((y, math.exp((y - 1934) / 3)) for y in range(1920, 1935))
        self.used_ids: set[int] = set()
        self.used_phones: set[int] = set()
        self.next_id = 1

    def _given_pool(self, common: list[str], chars: str, size: int) -> _Picker:
        """Given names as people really have them: some very common, a long tail, ~10% with
        one character."""
        rng = self.rng
        singles = list(dict.fromkeys(chars))
        doubles: dict[str, None] = dict.fromkeys(common)
        while len(doubles) < size:
            doubles.setdefault(rng.choice(singles) + rng.choice(singles), None)
        pairs = [(n, 1 / (i + 8)) for i, n in enumerate(doubles)]
        rng.shuffle(singles)
        single_weights = [1 / (i + 3) for i in range(len(singles))]
        scale = sum(w for _n, w in pairs) * 0.10 / 0.90 / sum(single_weights)
        pairs += [(s, w * scale) for s, w in zip(singles, single_weights, strict=True)]
        return _Picker(pairs)

    # --- single values -----------------------------------------------------------------

    def _day_in(self, year: int) -> datetime.date:
        start = datetime.date(year, 1, 1)
        return start + datetime.timedelta(days=self.rng.randrange(365 + calendar.isleap(year)))

    def _between(self, low: datetime.date, high: datetime.date) -> datetime.date:
        if high <= low:
            return low
        return low + datetime.timedelta(days=self.rng.randrange((high - low).days + 1))

    def _id_number(self, unit: _Unit, birth: datetime.date, gender: str) -> str:
        rng = self.rng
        if unit.legacy_areas and rng.random() < _LEGACY_SHARE:
            area = rng.choice(unit.legacy_areas)
        else:
            area = unit.id_areas[0] if rng.random() < 0.85 else rng.choice(unit.id_areas)
        stem = f"{area}{birth:%Y%m%d}"
        odd = gender == "M"
        while True:
            first17 = f"{stem}{rng.randrange(500) * 2 + odd:03d}"
            key = int(first17)
            if key not in self.used_ids:
                self.used_ids.add(key)
                return first17 + idcard.check_char(first17)

    def _mobile(self) -> str:
        rng = self.rng
        while True:
            number = rng.choice(_MOBILE_PREFIXES) + f"{rng.randrange(100_000_000):08d}"
            key = int(number)
            if key not in self.used_phones:
                self.used_phones.add(key)
                return number

    def _name(self, gender: str, surname: str | None = None) -> tuple[str, str]:
        surname = surname or self.surname(self.rng)
        return surname, surname + self.given[gender](self.rng)

    def _address(self, community: str) -> str:
        rng = self.rng
        if community.endswith("村"):
            return f"{community}{rng.randint(1, 15)}组{rng.randint(1, 99)}号"
        street = f"{rng.choice(data.STREET_NAMES)}{rng.randint(1, 399)}号"
        if rng.random() < 0.6:
            street += (
                f"{rng.randint(1, 30)}栋{rng.randint(1, 4)}单元"
                f"{rng.randint(1, 18)}0{rng.randint(1, 4)}室"
            )
        return street

    # --- one person ----------------------------------------------------------------------

    def person(self, batch: _Batch, *, category: str) -> None:
        """A cadre (and perhaps the surviving spouse), with contacts, tags and keys."""
        rng = self.rng
        unit: _Unit = self.unit(rng)
        today = self.today
        revolution = None
        if category == "lixiu":
            gender = "M" if rng.random() < 0.88 else "F"
            birth = self._day_in(self.lixiu_year(rng))
            start = max(_years_after(birth, 15), datetime.date(1930, 1, 1))
            end = datetime.date(1949, 9, 30)
            revolution = datetime.date.fromordinal(
                min(
                    int(rng.triangular(start.toordinal(), end.toordinal(), end.toordinal())),
                    end.toordinal(),
                )
            )
            rank = self.rank(rng)
            retirement = _month_after(_years_after(birth, 60 if gender == "M" else 55))
        else:
            gender = "M" if rng.random() < 0.62 else "F"
            rank = self.rank(rng)
            retire_age = 60 if gender == "M" or rank in _SENIOR_RANKS else 55
            birth = self._day_in(self.tuixiu_year(rng))
            retirement = _month_after(_years_after(birth, retire_age))
            if retirement > today:  # not retired yet: a year older
                birth = _years_after(birth, -1)
                retirement = _month_after(_years_after(birth, retire_age))
        deceased = category == "tuixiu" and rng.random() < DECEASED_SHARE
        death = None
        if deceased:
            death = self._between(max(retirement, today - datetime.timedelta(days=5 * 365)), today)
        surname, name = self._name(gender)
        person_id = self._add(
            batch,
            unit,
            name=name,
            surname=surname,
            gender=gender,
            birth=birth,
            category=category,
            rank=rank,
            retirement=retirement,
            revolution=revolution,
            death=death,
        )
        if deceased and rng.random() < SURVIVOR_SHARE:
            spouse_gender = "F" if gender == "M" else "M"
            shift = rng.randint(-2, 6) if spouse_gender == "F" else rng.randint(-6, 2)
            spouse_birth = min(
                _years_after(birth, shift) + datetime.timedelta(days=rng.randint(-180, 180)),
                _years_after(today, -40),
            )
            spouse_surname, spouse_name = self._name(spouse_gender)
            self._add(
                batch,
                unit,
                name=spouse_name,
                surname=spouse_surname,
                gender=spouse_gender,
                birth=spouse_birth,
                category="survivor",
                rank="",
                retirement=None,
                revolution=None,
                death=None,
                survivor_of=person_id,
                region=batch.people[-1][PERSON_COLUMNS.index("region_id")],
            )

    def _add(
        self,
        batch: _Batch,
        unit: _Unit,
        *,
        name: str,
        surname: str,
        gender: str,
        birth: datetime.date,
        category: str,
        rank: str,
        retirement: datetime.date | None,
        revolution: datetime.date | None,
        death: datetime.date | None,
        survivor_of: int | None = None,
        region: str | None = None,
    ) -> int:
        rng = self.rng
        today = self.today
        pid = self.next_id
        self.next_id += 1
        alive = death is None
        age = _age(birth, death or today)
        if region is None:
            region, community = rng.choice(unit.communities)
        else:
            community = next(n for c, n in unit.communities if c == region)
        address = self._address(community)
        id_number = self._id_number(unit, birth, gender)
        phone = self._mobile() if rng.random() < 0.80 else ""
        landline = f"0745-{rng.randint(2_000_000, 8_999_999)}" if rng.random() < 0.25 else ""

        # political status and the date of joining the party (after the 18th birthday)
        if category == "lixiu":
            political = "cpc_member" if rng.random() < 0.95 else "masses"
        elif category == "survivor":
            political = "cpc_member" if rng.random() < 0.25 else "masses"
        else:
            political = self.political(rng)
        party_joined = None
        if political in ("cpc_member", "cpc_probationary"):
            low = _years_after(birth, 18) + datetime.timedelta(days=1)
            if revolution and revolution > low:
                low = revolution
            high = min(_years_after(birth, 45), retirement or today, death or today, today)
            if political == "cpc_probationary":
                low = max(low, today - datetime.timedelta(days=365))
                high = today
            party_joined = self._between(low, max(low, high))

        health = next(p for limit, p in self.health if age < limit)(rng)
        hardship = rng.random() < 0.03
        hardship_note = rng.choice(_HARDSHIP_NOTES) if hardship else ""
        lives_elsewhere = alive and rng.random() < 0.03
        elsewhere_city = elsewhere_address = ""
        if lives_elsewhere:
            elsewhere_city = self.elsewhere(rng)
            place = (
                rng.choice(_CHANGSHA_PLACES)
                if elsewhere_city == "长沙市"
                else rng.choice(data.STREET_NAMES)
            )
            elsewhere_address = f"{place}{rng.randint(1, 500)}号"
        name_pinyin, name_keys = _name_derived(name)
        d = self.date
        batch.people.append(
            (
                pid,
                name,
                name_pinyin,
                gender,
                self.ethnicity(rng),
                crypto.encrypt(id_number),
                crypto.lookup_hash(id_number),
                masking.mask_id(id_number),
                d(birth),
                rng.random() < 0.35,
                category,
                survivor_of,
                "spouse" if survivor_of else "",
                rank,
                rng.choice(data.FORMER_UNIT_TEMPLATES).format(place=unit.place) if rank else "",
                d(retirement),
                d(revolution),
                political,
                d(party_joined),
                region,
                address,
                lives_elsewhere,
                elsewhere_city,
                elsewhere_address,
                crypto.encrypt(phone) if phone else "",
                crypto.lookup_hash(phone),
                masking.mask_phone(phone),
                crypto.encrypt(landline) if landline else "",
                masking.mask_phone(landline),
                health,
                hardship,
                hardship_note,
                "alive" if alive else "deceased",
                d(death),
                "",
                None,
                self.now,
                self.now,
            )
        )
        keys = batch.keys
        keys.extend((pid, k, name_pinyin) for k in name_keys)
        number_keys = _keys(id_number=id_number, phone=phone, landline=landline)
        keys.extend((pid, k, name_pinyin) for k in sorted(number_keys) if k not in name_keys)
        if alive:
            self._tags(batch, pid, age, health, hardship)
            self._contacts(batch, pid, surname, gender, address, category)
        return pid

    def _tags(self, batch: _Batch, pid: int, age: int, health: str, hardship: bool) -> None:
        rng = self.rng
        codes = []
        if age >= 80:
            codes.append("aged80")
        if health == "disabled":
            codes.append("disabled")
        elif rng.random() < (0.12 if age >= 80 else 0.02):
            codes.append("semi_disabled")
        if health == "serious":
            codes.append("serious_illness")
        living = rng.random()
        if living < 0.08:
            codes.append("living_alone")
            if rng.random() < 0.12:
                codes.append("no_family")
        elif living < 0.23:
            codes.append("empty_nest")
        elif living < 0.45:
            codes.append("with_children")
        if hardship and rng.random() < 0.3:
            codes.append("extreme_hardship")
        if rng.random() < 0.05:
            codes.append("inactive")
        batch.tags.extend((pid, self.tag_ids[c]) for c in codes if c in self.tag_ids)

    def _contacts(
        self, batch: _Batch, pid: int, surname: str, gender: str, address: str, category: str
    ) -> None:
        rng = self.rng
        count = rng.choices((0, 1, 2), cum_weights=(0.2, 0.65, 1.0))[0]
        had_spouse = category == "survivor"
        for i in range(count):
            relation = self.relation(rng)
            if relation == "spouse" and had_spouse:
                relation = "son"
            had_spouse = had_spouse or relation == "spouse"
            if relation == "spouse":
                c_gender = "F" if gender == "M" else "M"
            else:
                c_gender = _RELATION_GENDER.get(relation) or ("M" if rng.random() < 0.5 else "F")
            family = relation in ("son", "daughter", "grandchild") and gender == "M"
            _s, c_name = self._name(c_gender, surname if family else None)
            phone = self._mobile() if rng.random() < 0.95 else ""
            batch.contacts.append(
                (
                    pid,
                    c_name,
                    relation,
                    crypto.encrypt(phone) if phone else "",
                    masking.mask_phone(phone),
                    i == 0,
                    address if rng.random() < 0.5 else "",
                )
            )


# --- writing ---------------------------------------------------------------------------------


def _extra_columns(model: type[models.Model], known: Sequence[str]) -> tuple[list[str], tuple]:
    """Columns added to a model after this module was written, filled with their defaults."""
    cols: list[str] = []
    values: list[Any] = []
    for f in model._meta.concrete_fields:
        if f.column in known or f.primary_key:
            continue
        cols.append(str(f.column))
        values.append(f.get_db_prep_save(f.get_default(), connection))
    return cols, tuple(values)


class _Writer:
    def __init__(self) -> None:
        connection.ensure_connection()
        self.vendor = connection.vendor
        self.raw = connection.connection
        self.tables: dict[str, tuple[str, list[str], tuple]] = {}
        for key, model, known in (
            ("people", Person, PERSON_COLUMNS),
            ("contacts", Contact, CONTACT_COLUMNS),
        ):
            extra_cols, extra_values = _extra_columns(model, known)
            self.tables[key] = (model._meta.db_table, [*known, *extra_cols], extra_values)
        self.tables["keys"] = (SearchKey._meta.db_table, ["person_id", "key", "name_pinyin"], ())
        self.sqlite_cache: Any = None
        if self.vendor == "sqlite":
            # Index pages of 600,000 search keys stay in memory while they are written.
            self.sqlite_cache = self.raw.execute("PRAGMA cache_size").fetchone()[0]
            self.raw.execute("PRAGMA cache_size = -262144")
        through = Person.tags.through._meta
        self.tables["tags"] = (
            through.db_table,
            [through.get_field("person").column, through.get_field("tag").column],
            (),
        )

    def write(self, batch: _Batch) -> None:
        for key, rows in (
            ("people", batch.people),
            ("keys", batch.keys),
            ("contacts", batch.contacts),
            ("tags", batch.tags),
        ):
            table, cols, extra = self.tables[key]
            if extra:
                rows = [row + extra for row in rows]
            self._insert(table, cols, rows)

    def _insert(self, table: str, cols: list[str], rows: Sequence[tuple]) -> None:
        if not rows:
            return
        qn = connection.ops.quote_name
        columns = ", ".join(qn(c) for c in cols)
        if self.vendor == "postgresql":
            with (
                self.raw.cursor() as cur,
                cur.copy(f"COPY {qn(table)} ({columns}) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" if self.vendor == "sqlite" else "%s" for _c in cols)
            # Table and column names come from the models; the values are parameters.
            sql = f"INSERT INTO {qn(table)} ({columns}) VALUES ({marks})"  # noqa: S608
            cur = self.raw.cursor()
            try:
                cur.executemany(sql, rows)
            finally:
                cur.close()

    def close(self) -> None:
        if self.sqlite_cache is not None:
            self.raw.execute(f"PRAGMA cache_size = {int(self.sqlite_cache)}")
            self.sqlite_cache = None

    def finish(self) -> None:
        """After the last batch: PostgreSQL's id sequence follows the explicit ids, and the
        planner learns the new row counts."""
        if self.vendor != "postgresql":
            dbstats.analyze(Person, SearchKey, Contact)
            return
        table = Person._meta.db_table
        with connection.cursor() as cur:
            sql = (
                f"SELECT setval(pg_get_serial_sequence(%s, 'id'), "  # noqa: S608
                f"(SELECT MAX(id) FROM {connection.ops.quote_name(table)}))"
            )
            cur.execute(sql, [table])
            for model in (Person, SearchKey, Contact, Person.tags.through):
                cur.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


class _ChildProducer:
    """Runs a batch generator in a forked process; iterating receives the batches in order.

    Building rows (pinyin, encryption, random choices) is CPU-bound Python; writing them is
    partly the database's work. A forked producer lets both run at once on two cores; a thread
    would not (the GIL). The producer is the same sequential generator, so the output is the
    same as in-process; the child never touches the database connection it inherits. Start it
    before other threads (tqdm's monitor): fork copies only the calling thread.
    """

    def __init__(self, items: Iterator[_Batch]) -> None:
        ctx = multiprocessing.get_context("fork")
        self.receiver, sender = ctx.Pipe(duplex=False)
        receiver = self.receiver

        def produce() -> None:
            receiver.close()
            try:
                for item in items:
                    sender.send(item)
                sender.send(None)
            except BaseException:
                sender.send(traceback.format_exc())
            finally:
                sender.close()

        self.process = ctx.Process(target=produce, name="hongxia-seed", daemon=True)
        self.process.start()
        sender.close()

    def __iter__(self) -> Iterator[_Batch]:
        while True:
            item = self.receiver.recv()
            if item is None:
                return
            if isinstance(item, str):
                raise RuntimeError(f"the data generator failed:\n{item}")
            yield item

    def close(self) -> None:
        self.receiver.close()
        if self.process.is_alive():
            self.process.terminate()
        self.process.join(timeout=10)


# --- the public function ---------------------------------------------------------------------


def _units() -> list[tuple[_Unit, float]]:
    legacy: dict[str, list[str]] = {}
    for old, current in legacy_area_codes().items():
        legacy.setdefault(current, []).append(old)
    legacy.setdefault("431221", ["433028", "433001"])  # 中方县 came from 怀化县 / 怀化市
    counties = list(dict.fromkeys(code for code, _p, _w in UNITS))
    by_level: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for code, name, level in Region.objects.order_by("code").values_list("code", "name", "level"):
        by_level.setdefault((code[:6], level), []).append((code, name))
    # People live in communities and villages; a coarser tree falls back to towns or counties.
    communities = {
        county: next(
            (
                by_level[(county, lvl)]
                for lvl in ("community", "town", "county")
                if by_level.get((county, lvl))
            ),
            [],
        )
        for county in counties
    }
    units = []
    other_areas = tuple(c for c in counties if c not in _ID_AREA_FALLBACK)
    for code, place, weight in UNITS:
        if not communities[code]:
            continue  # a tree without this county: nobody is registered there
        if place == "怀化市":  # city-level units: cadres came from all over
            areas: tuple[str, ...] = other_areas
        else:
            areas = _ID_AREA_FALLBACK.get(code, (code,))
        unit = _Unit(
            region=code,
            place=place,
            id_areas=areas,
            legacy_areas=tuple(sorted(legacy.get(code, []))),
            communities=communities[code],
        )
        units.append((unit, weight))
    if not units:
        raise SeedRefused("区划表中没有怀化市的县市区 (no Huaihua counties in the region table)")
    return units


def seed(
    *,
    scale: str,
    seed: int = 1,
    progress: bool = True,
    stdout: IO[str] | None = None,
    today: datetime.date | None = None,
    force: bool = False,
    people: int | None = None,
) -> dict[str, Any]:
    """Fill an empty registry with synthetic people; returns what was created.

    `scale` is one of SCALES (small ≈ 2,000, city = 56,000, province = 1,000,000 cadres);
    `people` overrides the count (tests). Survivors come on top of the count. A registry that
    already holds people is left alone: the result has ``skipped=True``, or with ``force`` a
    ``SeedRefused`` is raised — seeding never deletes or changes existing people.
    """
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; choose one of {', '.join(SCALES)}")
    today = today or timezone.localdate()
    total = SCALES[scale] if people is None else people
    existing = Person.objects.count()
    if existing:
        if force:
            raise SeedRefused(
                f"登记库中已有 {existing} 人，拒绝生成演示数据；演示数据只能生成到空库中，"
                f"本程序从不删除已有数据 (the registry already holds {existing} people; "
                "synthetic data goes only into an empty registry and nothing is ever deleted)"
            )
        if stdout:
            stdout.write(
                f"登记库中已有 {existing} 人，未生成演示数据 (registry not empty; nothing seeded)\n"
            )
        return {"skipped": True, "existing": existing}

    started = time.monotonic()
    rng = random.Random(seed)
    writer = _Writer()
    tag_ids = dict(Tag.objects.values_list("code", "id"))
    gen = _Generator(rng, today, vendor=writer.vendor, tag_ids=tag_ids, units=_units())
    gen.next_id = (Person.objects.aggregate(m=Max("id"))["m"] or 0) + 1
    lixiu_total = round(total * LIXIU_PER_RETIREE)
    lixiu_at = set(rng.sample(range(total), lixiu_total)) if lixiu_total else set()
    counts = {
        "people": 0,
        "lixiu": lixiu_total,
        "tuixiu": total - lixiu_total,
        "survivors": 0,
        "deceased": 0,
        "contacts": 0,
        "search_keys": 0,
        "tag_links": 0,
    }

    life = PERSON_COLUMNS.index("life_status")
    cat = PERSON_COLUMNS.index("category")

    def batches() -> Iterator[_Batch]:
        for start in range(0, total, BATCH):
            batch = _Batch(cadres=min(BATCH, total - start))
            for i in range(start, start + batch.cadres):
                gen.person(batch, category="lixiu" if i in lixiu_at else "tuixiu")
            yield batch

    from tqdm import tqdm

    child = None
    if total >= PARALLEL_FROM and sys.platform.startswith("linux"):
        child = _ChildProducer(batches())
    try:
        with tqdm(
            total=total,
            unit="人",
            desc="生成演示数据 (seeding)",
            file=sys.stderr,
            disable=not progress,
            mininterval=0.5,
            dynamic_ncols=True,
        ) as bar:
            for batch in child or batches():
                with transaction.atomic():
                    writer.write(batch)
                counts["people"] += len(batch.people)
                counts["survivors"] += sum(1 for p in batch.people if p[cat] == "survivor")
                counts["deceased"] += sum(1 for p in batch.people if p[life] == "deceased")
                counts["contacts"] += len(batch.contacts)
                counts["search_keys"] += len(batch.keys)
                counts["tag_links"] += len(batch.tags)
                bar.update(batch.cadres)
    finally:
        if child is not None:
            child.close()
        writer.close()
    writer.finish()
    counts["people"] -= counts["survivors"]
    audit.record_event(
        AuditLog.Action.SEED,
        note=f"synthetic data: scale={scale} seed={seed} today={today.isoformat()}",
        changes={"scale": scale, "seed": seed, **counts},
    )
    seconds = round(time.monotonic() - started, 1)
    if stdout:
        stdout.write(
            f"已生成演示数据 (seeded): {counts['people']} 名离退休干部（离休 {counts['lixiu']}，"
            f"已故 {counts['deceased']}），遗属 {counts['survivors']}，联系人 "
            f"{counts['contacts']}，检索键 {counts['search_keys']}，用时 {seconds} 秒\n"
        )
    return {"skipped": False, **counts, "seconds": seconds}
