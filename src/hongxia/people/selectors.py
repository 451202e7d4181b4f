"""Reads of the registry shared by pages, the API, exports and reports."""

from __future__ import annotations

import datetime
import re
from typing import Any

import django_filters
from django.core.cache import cache
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hongxia.core import crypto, idcard, pinyin
from hongxia.core.models import Region
from hongxia.core.widgets import FastCheckboxSelectMultiple, FastSelect
from hongxia.people.choices import AGE_BANDS, PARTY_STATUSES, RANK_CHOICES, Category, LifeStatus
from hongxia.people.models import Person, SearchKey, Tag

LIST_ORDERING = ["name_pinyin", "id"]


def people_visible(*, user: Any) -> QuerySet[Person]:
    return Person.objects.visible_to(user)


def _years_before(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def age_band_q(band: str, *, today: datetime.date) -> Q:
    """Age (周岁) within a band as a birth-date range, so the birth_date index serves it."""
    for code, _label, low, high in AGE_BANDS:
        if code == band:
            q = Q()
            if low is not None:
                q &= Q(birth_date__lte=_years_before(today, low))
            if high is not None:
                q &= Q(birth_date__gt=_years_before(today, high + 1))
            return q
    return Q()


def search_q(text: str) -> Q | None:
    """The filter for a search box: name characters, pinyin, initials, last 4 digits of ID or
    phone, or a whole ID or phone number. None when the text is empty."""
    raw = (text or "").strip()
    if not raw:
        return None
    digits = idcard.normalize(raw)
    # A number: digits, perhaps ending in the ID's X ("x" alone is the initial of 许 or 徐).
    if re.fullmatch(r"\d+X?", digits) and any(ch.isdigit() for ch in digits):
        if len(digits) in (15, 18):
            try:
                number = idcard.parse(digits).number
            except idcard.IdNumberError:
                return Q(pk__in=[])
            return Q(id_hash=crypto.lookup_hash(number))
        if len(digits) == 11 and digits.startswith("1"):
            return Q(phone_hash=crypto.lookup_hash(digits))
        if len(digits) != 4:
            return Q(pk__in=[])  # other lengths: say nothing rather than guess
    keys = search_keys(raw)
    return None if keys is None else _matching(keys)


def search_keys(text: str) -> QuerySet[SearchKey] | None:
    """The search keys a search box's text matches, when it is a key search (name, pinyin,
    initials, last 4 digits); None for an empty text or a whole ID or phone number."""
    raw = (text or "").strip()
    digits = idcard.normalize(raw)
    if re.fullmatch(r"\d+X?", digits) and any(ch.isdigit() for ch in digits):
        return SearchKey.objects.filter(key="#" + digits) if len(digits) == 4 else None
    key = pinyin.normalize_query(raw)[:64]
    if not key:
        return None
    keys = SearchKey.objects.filter(key__gte=key)
    upper = pinyin.prefix_upper_bound(key)
    return keys.filter(key__lt=upper) if upper is not None else keys


# Up to this many matching keys, the list fetches the matches and sorts them; beyond it, it
# walks the name order until a page is full.
FEW_MATCHES = 20_000


def _matching(keys: QuerySet[SearchKey]) -> Q:
    """People with one of `keys`. The planner assumes matches are spread evenly through the
    name order and walks it, probing each person's keys; they are not (initials "wj" match
    18,000 of 1,000,000 people, mostly 王/吴/魏 near the end), and the walk passed 420,000
    people before a page was full (7 s). When the keys are few (counted up to FEW_MATCHES on
    the key index alone), a LIMIT fences the subquery: the database then collects those
    people by primary key and sorts them. A common prefix keeps the walk, which fills a page
    early because its matches are dense."""
    ids = keys.values("person_id")
    if keys[: FEW_MATCHES + 1].count() <= FEW_MATCHES:
        ids = ids[: FEW_MATCHES + 1]
    return Q(pk__in=ids)


def region_choices(*, user: Any) -> QuerySet[Region]:
    """Regions a user may pick: their own subtree, counties and towns (not communities)."""
    qs = Region.objects.filter(level__in=["city", "county", "town"])
    prefix = getattr(user, "scope_prefix", None)
    if prefix is None:
        return qs.none()
    if prefix:
        qs = qs.filter(code__startswith=prefix)
    return qs


YES_NO = [("true", _("Yes")), ("false", _("No"))]
ALL = _("All")


class PersonFilter(django_filters.FilterSet):
    """The one description of registry filtering: the list page, the API and exports."""

    q = django_filters.CharFilter(
        method="filter_q",
        label=_("Search"),
        help_text=_("Name, pinyin, initials, or the last 4 digits of ID or phone"),
    )
    region = django_filters.ChoiceFilter(
        method="filter_region", label=_("Region"), choices=[], empty_label=ALL, widget=FastSelect
    )
    category = django_filters.MultipleChoiceFilter(
        choices=Category.choices,
        label=_("Category"),
        widget=FastCheckboxSelectMultiple,
        distinct=False,  # no join, so no duplicates; DISTINCT would sort the whole table
    )
    life_status = django_filters.ChoiceFilter(
        choices=LifeStatus.choices, label=_("Life status"), empty_label=ALL, widget=FastSelect
    )
    rank = django_filters.ChoiceFilter(
        field_name="rank", label=_("Rank"), choices=RANK_CHOICES, empty_label=ALL, widget=FastSelect
    )
    age_band = django_filters.ChoiceFilter(
        choices=[(c, label) for c, label, _lo, _hi in AGE_BANDS],
        method="filter_age",
        label=_("Age"),
        empty_label=ALL,
    )
    party = django_filters.ChoiceFilter(
        choices=YES_NO,
        method="filter_party",
        label=_("Party member"),
        empty_label=ALL,
        widget=FastSelect,
    )
    lives_elsewhere = django_filters.ChoiceFilter(
        choices=YES_NO,
        method="filter_elsewhere",
        label=_("Lives elsewhere"),
        empty_label=ALL,
        widget=FastSelect,
    )
    tag = django_filters.ModelMultipleChoiceFilter(
        field_name="tags__code",
        to_field_name="code",
        queryset=Tag.objects.filter(active=True),
        label=_("Classification"),
        conjoined=True,
        widget=FastCheckboxSelectMultiple,
    )

    class Meta:
        model = Person
        fields = [
            "q",
            "region",
            "category",
            "rank",
            "tag",
            "life_status",
            "party",
            "age_band",
            "lives_elsewhere",
        ]

    def __init__(self, *args: Any, skip_search: bool = False, **kwargs: Any) -> None:
        # skip_search: the caller applies the search box itself (PersonListView, by the keys).
        self.skip_search = skip_search
        super().__init__(*args, **kwargs)
        user = getattr(self.request, "user", None)
        self.filters["region"].extra["choices"] = [
            (r.code, ("\u3000" if r.level == "town" else "") + r.name)
            for r in region_choices(user=user).only("code", "name", "level")
        ]

    def filter_q(self, qs: QuerySet[Person], name: str, value: str) -> QuerySet[Person]:
        if self.skip_search:
            return qs
        q = search_q(value)
        return qs if q is None else qs.filter(q)

    def filter_region(self, qs: QuerySet[Person], name: str, value: str) -> QuerySet[Person]:
        code = "".join(ch for ch in value if ch.isdigit())
        if not code:
            return qs
        try:
            region = Region.objects.get(code=code)
        except Region.DoesNotExist:
            return qs.none()
        low = region.prefix
        upper = pinyin.prefix_upper_bound(low)
        qs = qs.filter(region_id__gte=low)
        return qs.filter(region_id__lt=upper) if upper else qs

    def filter_party(self, qs: QuerySet[Person], name: str, value: str) -> QuerySet[Person]:
        q = Q(political_status__in=PARTY_STATUSES)
        return qs.filter(q) if value == "true" else qs.exclude(q)

    def filter_elsewhere(self, qs: QuerySet[Person], name: str, value: str) -> QuerySet[Person]:
        return qs.filter(lives_elsewhere=value == "true")

    def filter_age(self, qs: QuerySet[Person], name: str, value: str) -> QuerySet[Person]:
        return qs.filter(age_band_q(value, today=timezone.localdate()))


def people_filtered(*, request: Any, params: Any) -> tuple[PersonFilter, QuerySet[Person]]:
    user = request.user
    f = PersonFilter(params, queryset=people_visible(user=user), request=request)
    qs = f.qs if f.is_valid() else people_visible(user=user).none()
    return f, qs.select_related("region")


def registry_counts(*, user: Any) -> dict[str, int]:
    """Headline counts for the home page, computed in one aggregate and cached briefly."""
    prefix = getattr(user, "scope_prefix", None)
    own = user.pk if user.role == "retiree" else ""
    key = f"hongxia:counts:{getattr(user, 'role', '')}:{prefix}:{own}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    year_start = timezone.localdate().replace(month=1, day=1)
    alive = Q(life_status=LifeStatus.ALIVE)
    counts = people_visible(user=user).aggregate(
        total=Count("id", filter=alive & ~Q(category=Category.SURVIVOR)),
        lixiu=Count("id", filter=alive & Q(category=Category.LIXIU)),
        tuixiu=Count("id", filter=alive & Q(category=Category.TUIXIU)),
        survivors=Count("id", filter=alive & Q(category=Category.SURVIVOR)),
        party=Count("id", filter=alive & Q(political_status__in=PARTY_STATUSES)),
        elsewhere=Count("id", filter=alive & Q(lives_elsewhere=True)),
        deaths_this_year=Count("id", filter=Q(death_date__gte=year_start)),
    )
    cache.set(key, counts, 120)
    return counts
