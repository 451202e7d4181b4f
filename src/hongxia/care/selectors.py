"""Reads shared by care pages, the API, reports and the home page; each takes `user`."""

from __future__ import annotations

import dataclasses
import datetime
import functools
import hashlib
import unicodedata
from collections.abc import Callable
from typing import Any, TypeVar

import django_filters
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from hongxia.care.choices import (
    LeaderStatus,
    OwnerKind,
    PaymentStatus,
    TaskStatus,
)
from hongxia.care.models import (
    BRANCH_SECRETARY_PATH,
    CURRENT_MEMBER_Q,
    DERIVED_ID_BASE,
    AidPayment,
    AidProgramme,
    Ceremony,
    Leader,
    Pairing,
    ServicePlan,
    TaskRow,
    Visit,
    VisitCampaign,
    VisitRule,
)
from hongxia.core import masking, pinyin, versions
from hongxia.core.models import Region
from hongxia.core.pagination import Page, paginate
from hongxia.party.choices import MemberStatus
from hongxia.party.models import Member, Organisation
from hongxia.people.choices import Category, LifeStatus
from hongxia.people.models import Person
from hongxia.people.selectors import search_q

_T = TypeVar("_T")


def week_bounds(day: datetime.date) -> tuple[datetime.date, datetime.date]:
    start = day - datetime.timedelta(days=day.weekday())
    return start, start + datetime.timedelta(days=6)


def _branch_with_secretary() -> Exists:
    """The task's person is a current member of a branch that has a secretary's account."""
    return Exists(
        Member.objects.filter(
            person_id=OuterRef("person_id"),
            status=MemberStatus.ACTIVE,
            organisation__secretary_user__isnull=False,
        )
    )


def mine_q(user: Any) -> Q:
    """My tasks: assigned to me, or unassigned and owned by me: a branch secretary owns the
    branch tasks of their branch's current members; a bureau owns its own tasks and the branch
    tasks of people with no branch secretary to take them (not members, or no account)."""
    q = Q(assignee=user)
    if getattr(user, "role", None) == "branch_secretary":
        return q | Q(
            CURRENT_MEMBER_Q,
            assignee__isnull=True,
            owner=OwnerKind.BRANCH,
            **{BRANCH_SECRETARY_PATH: user},
        )
    if getattr(user, "region_id", None):
        q |= Q(
            assignee__isnull=True,
            owner_region_id=user.region_id,
            owner__in=[OwnerKind.COUNTY, OwnerKind.CITY],
        )
        q |= Q(
            ~Q(_branch_with_secretary()),
            assignee__isnull=True,
            owner_region_id=user.region_id,
            owner=OwnerKind.BRANCH,
        )
    return q


def branch_of(person_id: int) -> Organisation | None:
    """The person's current party branch (the party app's membership), or None."""
    member = (
        Member.objects.filter(person_id=person_id, status=MemberStatus.ACTIVE)
        .select_related("organisation")
        .first()
    )
    return member.organisation if member else None


def with_branch(qs: QuerySet[TaskRow]) -> QuerySet[TaskRow]:
    """Annotate each branch-owned task with its branch (id and name) as of now."""
    current = Member.objects.filter(person_id=OuterRef("person_id"), status=MemberStatus.ACTIVE)
    return qs.annotate(
        branch_id=Subquery(current.values("organisation_id")[:1]),
        branch_name=Subquery(current.values("organisation__name")[:1]),
    )


def tasks_visible(*, user: Any) -> QuerySet[TaskRow]:
    """Every task the user may see: stored, and derived from campaigns (`TaskRow`)."""
    return TaskRow.objects.visible_to(user)


def task_page(qs: QuerySet[TaskRow], *, user: Any, cursor: str | None, page_size: int) -> Page:
    """One page of tasks in (due, id) order, at a cost that does not grow with the number of
    tasks campaigns derive.

    A derived task's id is its campaign's id × 2³² + its person's id, and its due date is its
    campaign's: every task of an earlier campaign (by due date, then id) comes before every
    task of a later one. So the page is the first rows of the stored tasks (an index) merged
    with the first rows of the campaigns taken in order, one campaign at a time (then two,
    four, ... once a filter leaves them nearly empty) until the page is full: a city's page
    reads one county's campaign, not every covered person. The order is found on three
    narrow columns; then only the page's rows are read whole (person, rule, branch), each
    found again by its person."""
    campaigns = VisitCampaign.objects.all()
    prefix = getattr(user, "scope_prefix", None)
    if prefix and getattr(user, "role", None) not in ("branch_secretary", "retiree"):
        campaigns = campaigns.filter(region__code__startswith=prefix[:6])

    def fetch(
        after: QuerySet[Any], order: list[str], limit: int, cursor_values: list[Any] | None
    ) -> list[Any]:
        return _first_tasks(after, order, limit, campaigns, cursor_values)

    page = paginate(
        qs,
        ordering=["due", "id"],
        cursor=cursor,
        page_size=page_size,
        columns=("id", "due", "person_id"),
        fetch=fetch,
    )
    keys = [(r["id"], r["person_id"]) for r in page.rows]
    if not keys:
        return page
    full = {
        t.pk: t
        for t in qs.filter(
            pk__in=[pk for pk, _p in keys], person_id__in={p for _pk, p in keys}
        ).order_by()
    }
    return dataclasses.replace(page, rows=[full[pk] for pk, _p in keys if pk in full])


def _first_tasks(
    after: QuerySet[Any],
    order: list[str],
    limit: int,
    campaigns: QuerySet[VisitCampaign],
    cursor_values: list[Any] | None,
) -> list[Any]:
    """The first `limit` rows of `after` (a TaskRow values() queryset) in `order` (due, id;
    ascending or both descending): see `task_page`."""
    descending = order[0].startswith("-")
    op = "lt" if descending else "gt"
    stored = list(after.filter(derived=False).order_by(*order)[:limit])
    ranked = campaigns.order_by(*order)
    try:
        due = datetime.date.fromisoformat(cursor_values[0])  # type: ignore[index]
        pk = int(cursor_values[1])  # type: ignore[index]
    except (TypeError, ValueError, IndexError):  # no cursor, or not one of ours
        due, pk = None, 0
    if due is not None:
        # Campaigns wholly before the cursor have nothing after it.
        ranked = ranked.filter(
            Q(**{f"due__{op}": due}) | Q(due=due, **{f"id__{op}e": pk // DERIVED_ID_BASE})
        )
    keys = list(ranked.values_list("id", "rule_id", "period_key", "lo", "hi"))
    derived: list[Any] = []
    start, batch = 0, 1
    while start < len(keys) and len(derived) < limit:
        chunk = keys[start : start + batch]
        picked = Q()
        for _id, rule_id, period_key, lo, hi in chunk:
            picked |= Q(rule_id=rule_id, period_key=period_key, region_id__gte=lo, region_id__lt=hi)
        rows = after.filter(picked, derived=True)
        if len(chunk) == 1:
            # Inside one campaign (due, id) is the person's id: the people's primary key gives
            # the order, and a cursor inside the campaign is a seek on it.
            if pk // DERIVED_ID_BASE == chunk[0][0]:
                rows = rows.filter(**{f"person_id__{op}": pk % DERIVED_ID_BASE})
            rows = rows.order_by("-person_id" if descending else "person_id")
        else:
            rows = rows.order_by(*order)
        derived += list(rows[: limit - len(derived)])
        # One campaign at a time while they fill the page; more at once when a filter leaves
        # them nearly empty, so a selective search costs a few queries, not one per campaign.
        start, batch = start + len(chunk), (1 if start < 4 else batch * 2)
    merged = sorted([*stored, *derived], key=lambda r: (r["due"], r["id"]), reverse=descending)
    return merged[:limit]


def tasks_due(
    *, user: Any, when: str = "", today: datetime.date | None = None
) -> QuerySet[TaskRow]:
    """Open tasks: all, due this week, or overdue; `when="mine"` for the user's own."""
    today = today or timezone.localdate()
    qs = tasks_visible(user=user).filter(status=TaskStatus.OPEN)
    if when == "week":
        _start, end = week_bounds(today)
        qs = qs.filter(due__gte=today, due__lte=end, opens__lte=end)
    elif when == "overdue":
        qs = qs.filter(due__lt=today)
    elif when == "mine":
        qs = qs.filter(mine_q(user))
    return qs


def by_scope(user: Any, name: str, compute: Callable[[], _T]) -> _T:
    """`compute()` for the user's scope, shared by everyone with the same scope and kept until
    the registry or the care data change (data versions). Derived tasks make task counts cost
    a pass over the people they cover, so pages that show them on every load share them.
    A branch secretary's scope is their branch (party data), and is never cached."""
    prefix = getattr(user, "scope_prefix", None)
    if getattr(user, "role", None) in ("branch_secretary", "retiree") or prefix is None:
        return compute()
    return versions.cached(f"care:{name}:{prefix}", ["people", "care", "regions"], compute)


def overdue_by_county(*, user: Any, today: datetime.date | None = None) -> list[dict[str, Any]]:
    """Open and overdue tasks per county, with names, largest first."""
    day = today or timezone.localdate()
    return by_scope(user, f"overdue:{day}", lambda: _overdue_by_county(user, day))


def _overdue_by_county(user: Any, today: datetime.date) -> list[dict[str, Any]]:
    rows = (
        tasks_visible(user=user)
        .filter(status=TaskStatus.OPEN)
        .annotate(county=Substr("region_id", 1, 6))
        .values("county")
        .annotate(open=Count("id"), overdue=Count("id", filter=Q(due__lt=today)))
        .order_by("county")
    )
    names = dict(Region.objects.filter(level__in=["county", "city"]).values_list("code", "name"))
    out = [{**r, "name": names.get(r["county"], r["county"])} for r in rows]
    return sorted(out, key=lambda r: (-r["overdue"], r["county"]))


def calendar_month(*, user: Any, year: int, month: int) -> list[list[dict[str, Any]]]:
    """Weeks (Monday first) of the month, each day with its count of open tasks due."""
    first = datetime.date(year, month, 1)
    nxt = datetime.date(year + (month == 12), month % 12 + 1, 1)
    counts = by_scope(
        user,
        f"calendar:{first}",
        lambda: dict(
            tasks_visible(user=user)
            .filter(status=TaskStatus.OPEN, due__gte=first, due__lt=nxt)
            .values("due")
            .annotate(n=Count("id"))
            .values_list("due", "n")
        ),
    )
    start = first - datetime.timedelta(days=first.weekday())
    weeks, day = [], start
    while day < nxt:
        week = []
        for _i in range(7):
            week.append({"day": day, "in_month": day.month == month, "count": counts.get(day, 0)})
            day += datetime.timedelta(days=1)
        weeks.append(week)
    return weeks


def campaign_page(qs: QuerySet[VisitCampaign], *, cursor: str | None, page_size: int) -> Page:
    """One page of campaigns, newest due first, each with `.progress` (`campaign_progress`)."""
    page = paginate(qs, ordering=["due", "id"], cursor=cursor, page_size=page_size, descending=True)
    progress = campaign_progress(page.rows)
    for c in page.rows:
        c.progress = progress.get(c.pk, {})
    return page


def campaign_progress(campaigns: list[VisitCampaign]) -> dict[int, dict[str, int]]:
    """Per campaign: its tasks (stored and derived), open, done and cancelled, in one pass over
    the people the listed campaigns cover; kept until the registry or the care data change
    (the same for every user: the campaigns listed are already those in the user's scope)."""
    if not campaigns:
        return {}
    ids = ",".join(str(c.pk) for c in sorted(campaigns, key=lambda c: c.pk))
    key = hashlib.blake2b(ids.encode(), digest_size=12).hexdigest()
    return versions.cached(
        f"care:campaigns:{key}", ["people", "care"], lambda: _campaign_progress(campaigns)
    )


def _campaign_progress(campaigns: list[VisitCampaign]) -> dict[int, dict[str, int]]:
    picked = Q()
    for c in campaigns:
        picked |= Q(
            rule_id=c.rule_id, period_key=c.period_key, region_id__gte=c.lo, region_id__lt=c.hi
        )
    rows = (
        TaskRow.objects.filter(picked)
        .annotate(county=Substr("region_id", 1, 6))
        .values("rule_id", "period_key", "county")
        .annotate(
            total=Count("id"),
            open=Count("id", filter=Q(status=TaskStatus.OPEN)),
            done=Count("id", filter=Q(status=TaskStatus.DONE)),
            cancelled=Count("id", filter=Q(status=TaskStatus.CANCELLED)),
        )
        .order_by()
    )
    found = {(r["rule_id"], r["period_key"], r["county"]): r for r in rows}
    empty = {"total": 0, "open": 0, "done": 0, "cancelled": 0}
    out = {}
    for c in campaigns:
        r = found.get((c.rule_id, c.period_key, c.region_id), empty)
        out[c.pk] = {k: r[k] for k in empty}
    return out


def pairing_coverage(*, user: Any) -> dict[str, Any]:
    """Per county: living 离休干部, how many are paired with a serving leader, who is not."""
    lixiu = Person.objects.visible_to(user).filter(
        category=Category.LIXIU, life_status=LifeStatus.ALIVE
    )
    served = Pairing.objects.filter(
        person_id=OuterRef("pk"), active=True, leader__status=LeaderStatus.SERVING
    )
    rows = (
        lixiu.annotate(county=Substr("region_id", 1, 6), paired=Exists(served))
        .values("county")
        .annotate(total=Count("id"), paired=Count("id", filter=Q(paired=True)))
        .order_by("county")
    )
    names = dict(Region.objects.filter(level__in=["county", "city"]).values_list("code", "name"))
    counties = [{**r, "name": names.get(r["county"], r["county"])} for r in rows]
    unpaired = lixiu.exclude(Exists(served)).select_related("region").order_by("region_id", "id")
    needs_new = (
        Pairing.objects.visible_to(user)
        .filter(active=True)
        .exclude(leader__status=LeaderStatus.SERVING)
        .select_related("person", "leader")
    )
    return {
        "counties": counties,
        "unpaired": unpaired,
        "needs_new_leader": needs_new,
        "total": sum(c["total"] for c in counties),
        "paired": sum(c["paired"] for c in counties),
    }


def plans_due_for_review(
    *, user: Any, within_days: int = 14, today: datetime.date | None = None
) -> QuerySet[ServicePlan]:
    today = today or timezone.localdate()
    return ServicePlan.objects.visible_to(user).filter(
        current=True, review_date__lte=today + datetime.timedelta(days=within_days)
    )


def aid_ledger(*, user: Any) -> QuerySet[AidPayment]:
    return AidPayment.objects.visible_to(user).filter(status=PaymentStatus.PAID)


def aid_totals(*, user: Any, qs: QuerySet[AidPayment] | None = None) -> dict[str, list[Any]]:
    """Paid person-times and amounts per county and per programme."""
    qs = aid_ledger(user=user) if qs is None else qs
    names = dict(Region.objects.filter(level__in=["county", "city"]).values_list("code", "name"))
    by_county = [
        {**r, "name": names.get(r["county"], r["county"])}
        for r in qs.annotate(county=Substr("region_id", 1, 6))
        .values("county")
        .annotate(n=Count("id"), fen=Sum("amount_fen"))
        .order_by("county")
    ]
    by_programme = list(
        qs.values("programme_id", "programme__name", "programme__year")
        .annotate(n=Count("id"), fen=Sum("amount_fen"))
        .order_by("programme_id")
    )
    return {"by_county": by_county, "by_programme": by_programme}


# ---- filters: one description of each list for pages, API and exports ----------------------


class _SearchPersonMixin:
    def filter_q(self, qs: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        q = search_q(value)
        if q is None:
            return qs
        return qs.filter(person__in=Person.objects.filter(q).values("id"))


class TaskFilter(_SearchPersonMixin, django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("Search"))
    when = django_filters.ChoiceFilter(
        method="filter_when",
        label=_("Show"),
        choices=[
            ("mine", _("My tasks")),
            ("week", _("Due this week")),
            ("overdue", _("Overdue")),
            ("all", _("All, including closed")),
        ],
    )
    rule = django_filters.ModelChoiceFilter(queryset=VisitRule.objects.all(), label=_("Rule"))
    county = django_filters.CharFilter(method="filter_county", label=_("County code"))
    status = django_filters.ChoiceFilter(choices=TaskStatus.choices, label=_("Status"))

    class Meta:
        model = TaskRow
        fields = ["q", "when", "rule", "county", "status"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        user = getattr(self.request, "user", None)
        self.filters["rule"].queryset = VisitRule.objects.visible_to(user)

    def filter_when(self, qs: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        if value == "all":
            return qs
        today = timezone.localdate()
        qs = qs.filter(status=TaskStatus.OPEN)
        if value == "week":
            _s, end = week_bounds(today)
            return qs.filter(due__gte=today, due__lte=end)
        if value == "overdue":
            return qs.filter(due__lt=today)
        if value == "mine":
            return qs.filter(mine_q(self.request.user))
        return qs

    def filter_county(self, qs: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        code = "".join(ch for ch in value if ch.isdigit())[:6]
        return qs.filter(region_id__startswith=code) if code else qs


class CampaignFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(field_name="rule__name", lookup_expr="icontains", label=_("Rule"))
    year = django_filters.NumberFilter(field_name="due__year", label=_("Year"))
    county = django_filters.CharFilter(method="filter_county", label=_("County code"))

    class Meta:
        model = VisitCampaign
        fields = ["q", "year", "county"]

    def filter_county(self, qs: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        code = "".join(ch for ch in value if ch.isdigit())[:6]
        return qs.filter(region__code__startswith=code) if code else qs


class VisitFilter(_SearchPersonMixin, django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("Search"))
    mode = django_filters.ChoiceFilter(
        choices=Visit._meta.get_field("mode").choices, label=_("How")
    )
    date_from = django_filters.DateFilter(field_name="date", lookup_expr="gte", label=_("From"))
    date_to = django_filters.DateFilter(field_name="date", lookup_expr="lte", label=_("To"))

    class Meta:
        model = Visit
        fields = ["q", "mode", "date_from", "date_to"]


class PairingFilter(_SearchPersonMixin, django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("Search"))
    active = django_filters.BooleanFilter(label=pgettext_lazy("care record", "Current"))

    class Meta:
        model = Pairing
        fields = ["q", "active"]


class LeaderFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("Search"))
    status = django_filters.ChoiceFilter(choices=LeaderStatus.choices, label=_("Status"))

    class Meta:
        model = Leader
        fields = ["q", "status"]

    def filter_q(self, qs: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        return leader_search(qs, value)


@functools.lru_cache(maxsize=4096)
def _leader_name_keys(name: str) -> frozenset[str]:
    return frozenset(pinyin.name_search_keys(name))


def leader_search(qs: QuerySet[Leader], text: str) -> QuerySet[Leader]:
    """The leaders in `qs` a search box's text finds: any part of the name, its pinyin or
    initials from a syllable on (as people are found: 建国, jianguo, zjg), or the last 4
    digits of the phone.

    Leaders have no search-key table: a region's leaders are a few hundred at most, so their
    names and masked phones are read and matched here, and the list stays a queryset (ids),
    filtered and paginated as before. The phone is matched on its masked form, which shows
    the last 4 digits of any number long enough to have them; the number itself is never
    decrypted for a search."""
    raw = (text or "").strip()
    folded = unicodedata.normalize("NFKC", raw).replace(" ", "")
    if folded.isdecimal():
        if len(folded) != 4:
            return qs.none()  # only a phone's last 4 digits; other numbers say nothing
        ids = [
            pk
            for pk, masked in qs.order_by().values_list("pk", "phone_masked")
            if masking.tail(masked) == folded
        ]
        return qs.filter(pk__in=ids)
    key = pinyin.normalize_query(raw)
    if not key:
        return qs
    ids = [
        pk
        for pk, leader_name in qs.order_by().values_list("pk", "name")
        if any(k.startswith(key) for k in _leader_name_keys(leader_name))
    ]
    return qs.filter(pk__in=ids)


class PlanFilter(_SearchPersonMixin, django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("Search"))
    current = django_filters.BooleanFilter(label=pgettext_lazy("care record", "Current"))
    review_due = django_filters.BooleanFilter(method="filter_review", label=_("Review due"))

    class Meta:
        model = ServicePlan
        fields = ["q", "current", "review_due"]

    def filter_review(self, qs: QuerySet[Any], name: str, value: bool | None) -> QuerySet[Any]:
        if not value:
            return qs
        return qs.filter(
            current=True, review_date__lte=timezone.localdate() + datetime.timedelta(days=14)
        )


class ProgrammeFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains", label=_("Name"))
    year = django_filters.NumberFilter(label=_("Year"))
    status = django_filters.ChoiceFilter(
        choices=AidProgramme._meta.get_field("status").choices, label=_("Status")
    )

    class Meta:
        model = AidProgramme
        fields = ["q", "year", "status"]


class PaymentFilter(_SearchPersonMixin, django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("Search"))
    programme = django_filters.NumberFilter(field_name="programme_id", label=_("Programme"))
    status = django_filters.ChoiceFilter(choices=PaymentStatus.choices, label=_("Status"))
    county = django_filters.CharFilter(method="filter_county", label=_("County code"))

    class Meta:
        model = AidPayment
        fields = ["q", "programme", "status", "county"]

    def filter_county(self, qs: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        code = "".join(ch for ch in value if ch.isdigit())[:6]
        return qs.filter(region_id__startswith=code) if code else qs


class RuleFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains", label=_("Name"))
    trigger = django_filters.ChoiceFilter(
        choices=VisitRule._meta.get_field("trigger").choices, label=_("Trigger")
    )

    class Meta:
        model = VisitRule
        fields = ["q", "trigger"]


class CeremonyFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(field_name="unit", lookup_expr="icontains", label=_("Unit"))
    year = django_filters.NumberFilter(field_name="date__year", label=_("Year"))

    class Meta:
        model = Ceremony
        fields = ["q", "year"]
