"""Reads of party building shared by pages, the API, exports, indicators and the home panel.

Compliance (组织生活达标) is computed in the database: each organisation's meetings of each
required kind are counted by a correlated subquery on the (organisation, kind, date) index and
compared with the required number, which depends only on the organisation's kind and comes
from the few `MeetingRequirement` rows; county and city figures are GROUP BYs over that.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

import django_filters
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest, Least, Substr
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hongxia.core.models import Region
from hongxia.core.pinyin import prefix_upper_bound
from hongxia.party import rules
from hongxia.party.choices import (
    ATTENDED,
    BRANCH_KINDS,
    HOME_KINDS,
    Basis,
    MeetingKind,
    MemberStatus,
    OrgKind,
    RatingLevel,
    RequestStatus,
)
from hongxia.party.models import (
    Meeting,
    MeetingAttendance,
    MeetingRequirement,
    Member,
    Organisation,
    Participation,
    PartyHome,
    Rating,
    Transfer,
    TransferRequest,
)
from hongxia.people.models import Person
from hongxia.people.selectors import region_choices, search_q

ORG_ORDERING = ["region_id", "name", "id"]
MEMBER_ORDERING = ["organisation_id", "id"]
MEETING_ORDERING = ["date", "id"]  # shown newest first
HOME_ORDERING = ["region_id", "name", "id"]
RATING_ORDERING = ["year", "id"]  # shown newest first
PARTICIPATION_ORDERING = ["organisation_id", "id"]
REQUEST_ORDERING = ["date", "id"]  # shown newest first


def region_prefix_q(field: str, code: str) -> Q:
    """`field` (a region FK path) lies in region `code` or below, as an index range."""
    try:
        region = Region.objects.get(code=code)
    except Region.DoesNotExist:
        return Q(pk__in=[])
    low = region.prefix
    q = Q(**{f"{field}__gte": low})
    upper = prefix_upper_bound(low)
    return q & Q(**{f"{field}__lt": upper}) if upper else q


def _region_choices(user: Any) -> list[tuple[str, str]]:
    return [(r.code, ("\u3000" if r.level == "town" else "") + r.name)
            for r in region_choices(user=user).only("code", "name", "level")]


def active_in(start: datetime.date, end: datetime.date, prefix: str = "") -> Q:
    """Organisations alive for some of [start, end)."""
    return Q(**{f"{prefix}start_date__lt": end}) & (
        Q(**{f"{prefix}end_date__isnull": True}) | Q(**{f"{prefix}end_date__gte": start})
    )


def organisation_choices(*, user: Any, kinds: Any = BRANCH_KINDS) -> QuerySet[Organisation]:
    """What a user may pick as a branch in a form: in scope, of `kinds`, not ended (a
    temporary organisation always has an end date: it counts until that day)."""
    today = timezone.localdate()
    return Organisation.objects.visible_to(user).filter(
        Q(end_date__isnull=True) | Q(end_date__gte=today), kind__in=kinds)


# --- filters: the one description of filtering for pages, API and exports -----------------


class _RegionFilterMixin(django_filters.FilterSet):
    region_field = "region"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        user = getattr(self.request, "user", None)
        if "region" in self.filters:
            self.filters["region"].extra["choices"] = _region_choices(user)

    def filter_region(self, qs: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        code = "".join(ch for ch in value if ch.isdigit())
        return qs.filter(region_prefix_q(self.region_field, code)) if code else qs


class OrganisationFilter(_RegionFilterMixin):
    q = django_filters.CharFilter(method="filter_q", label=_("Search"))
    region = django_filters.ChoiceFilter(method="filter_region", label=_("Region"), choices=[])
    kind = django_filters.MultipleChoiceFilter(choices=OrgKind.choices, label=_("Kind"))
    basis = django_filters.ChoiceFilter(choices=Basis.choices, label=_("Organised by"))
    current = django_filters.BooleanFilter(method="filter_current", label=_("Current"))

    class Meta:
        model = Organisation
        fields = ["q", "region", "kind", "basis", "current"]

    def filter_q(self, qs: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        value = value.strip()
        return qs.filter(Q(name__contains=value) | Q(basis_note__contains=value)) if value else qs

    def filter_current(self, qs: QuerySet[Any], name: str, value: bool | None) -> QuerySet[Any]:
        if value is None:
            return qs
        today = timezone.localdate()
        q = Q(end_date__isnull=True) | Q(end_date__gte=today)
        return qs.filter(q) if value else qs.exclude(q)


class MemberFilter(_RegionFilterMixin):
    region_field = "organisation__region"

    q = django_filters.CharFilter(method="filter_q", label=_("Search"))
    region = django_filters.ChoiceFilter(method="filter_region", label=_("Region"), choices=[])
    organisation = django_filters.NumberFilter(field_name="organisation_id", label=_("Branch"))
    status = django_filters.ChoiceFilter(choices=MemberStatus.choices, label=_("Status"))
    is_flowing = django_filters.BooleanFilter(label=_("Flowing member"))
    medal = django_filters.BooleanFilter(method="filter_medal",
                                         label=_("Fifty years in the party"))

    class Meta:
        model = Member
        fields = ["q", "region", "organisation", "status", "is_flowing", "medal"]

    def filter_q(self, qs: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        q = search_q(value)
        return qs if q is None else qs.filter(person__in=Person.objects.filter(q).values("pk"))

    def filter_medal(self, qs: QuerySet[Any], name: str, value: bool | None) -> QuerySet[Any]:
        if value is None:
            return qs
        bound = rules.joined_on_or_before_for_medal(timezone.localdate())
        q = Q(person__party_joined__lte=bound)
        return qs.filter(q) if value else qs.exclude(q)


class MeetingFilter(_RegionFilterMixin):
    region_field = "organisation__region"

    q = django_filters.CharFilter(field_name="topic", lookup_expr="contains", label=_("Topic"))
    region = django_filters.ChoiceFilter(method="filter_region", label=_("Region"), choices=[])
    organisation = django_filters.NumberFilter(field_name="organisation_id",
                                               label=_("Organisation"))
    kind = django_filters.MultipleChoiceFilter(choices=MeetingKind.choices, label=_("Kind"))
    date_from = django_filters.DateFilter(field_name="date", lookup_expr="gte", label=_("From"))
    date_to = django_filters.DateFilter(field_name="date", lookup_expr="lte", label=_("To"))

    class Meta:
        model = Meeting
        fields = ["q", "region", "organisation", "kind", "date_from", "date_to"]


class HomeFilter(_RegionFilterMixin):
    q = django_filters.CharFilter(field_name="name", lookup_expr="contains", label=_("Search"))
    region = django_filters.ChoiceFilter(method="filter_region", label=_("Region"), choices=[])

    class Meta:
        model = PartyHome
        fields = ["q", "region"]


class RatingFilter(_RegionFilterMixin):
    region_field = "organisation__region"

    q = django_filters.CharFilter(method="filter_q", label=_("Branch name"))
    region = django_filters.ChoiceFilter(method="filter_region", label=_("Region"), choices=[])
    year = django_filters.NumberFilter(label=_("Year"))
    level = django_filters.ChoiceFilter(choices=RatingLevel.choices, label=_("Level"))

    class Meta:
        model = Rating
        fields = ["q", "region", "year", "level"]

    def filter_q(self, qs: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        value = value.strip()
        return qs.filter(organisation__name__contains=value) if value else qs


# --- compliance ----------------------------------------------------------------------------


def required_by_kind(period: Any, *, as_of: datetime.date) -> dict[str, dict[str, int]]:
    """{org kind: {meeting kind: meetings required in period}} from the requirement rows."""
    table: dict[str, dict[str, int]] = {}
    for req in MeetingRequirement.objects.filter(active=True):
        n = rules.required_count(req.times, req.per, period, as_of=as_of)
        if n:
            table.setdefault(req.org_kind, {})[req.meeting_kind] = n
    return table


def _held(kind: str, start: datetime.date, end: datetime.date) -> Any:
    meetings = (
        Meeting.objects.filter(organisation=OuterRef("pk"), kind=kind, date__gte=start,
                               date__lt=end)
        .order_by().values("organisation").annotate(n=Count("id")).values("n")
    )
    return Coalesce(Subquery(meetings, output_field=IntegerField()), Value(0))


def compliance_queryset(
    qs: QuerySet[Organisation], period: Any, *, as_of: datetime.date
) -> QuerySet[Organisation]:
    """Organisations of `qs` alive in the period and bound by some requirement, annotated
    with `required`, `held` (meetings towards the quota, at most the quota of each kind) and
    `behind` (the sum, over kinds, of meetings short), plus `held_<kind>`, `required_<kind>`
    and `behind_<kind>`."""
    table = required_by_kind(period, as_of=as_of)
    meeting_kinds = sorted({k for by_kind in table.values() for k in by_kind})
    qs = qs.filter(active_in(period.start, period.end), kind__in=list(table))
    if not meeting_kinds:
        return qs.annotate(required=Value(0), held=Value(0), behind=Value(0))
    annotations: dict[str, Any] = {}
    required_total: Any = Value(0)
    held_total: Any = Value(0)
    behind_total: Any = Value(0)
    for mk in meeting_kinds:
        whens = [When(kind=ok, then=Value(by_kind[mk])) for ok, by_kind in table.items()
                 if mk in by_kind]
        req = Case(*whens, default=Value(0), output_field=IntegerField())
        annotations[f"required_{mk}"] = req
        annotations[f"held_{mk}"] = _held(mk, period.start, period.end)
    qs = qs.annotate(**annotations)
    from django.db.models import F

    behind_parts = {}
    for mk in meeting_kinds:
        behind_parts[f"behind_{mk}"] = Greatest(F(f"required_{mk}") - F(f"held_{mk}"), Value(0))
        required_total = required_total + F(f"required_{mk}")
        # "Held" counts towards what is required: extra meetings of one kind, or meetings
        # of a kind not asked for, do not make up for another kind or exceed the quota.
        held_total = held_total + Least(F(f"held_{mk}"), F(f"required_{mk}"))
    qs = qs.annotate(**behind_parts)
    for mk in meeting_kinds:
        behind_total = behind_total + F(f"behind_{mk}")
    return qs.annotate(required=required_total, held=held_total, behind=behind_total)


def members_missing_all(
    orgs: QuerySet[Organisation], period: Any
) -> QuerySet[Member]:
    """Current members of `orgs` whose branch met in the period but who took part in none of
    its meetings (present or 送学上门)."""
    attended = MeetingAttendance.objects.filter(
        member=OuterRef("pk"), date__gte=period.start, date__lt=period.end, status__in=ATTENDED,
    )
    in_period = Meeting.objects.filter(date__gte=period.start, date__lt=period.end).order_by()
    met = Q(organisation_id__in=in_period.values("organisation_id")) | Q(
        organisation_id__in=in_period.filter(organisation__kind=OrgKind.GROUP)
        .values("organisation__parent_id"))
    return (
        Member.objects.filter(organisation__in=orgs.order_by().values("pk"),
                              status=MemberStatus.ACTIVE, since__lt=period.end)
        .filter(met).exclude(Exists(attended)).order_by()
    )


@dataclass
class Summary:
    branches: int
    behind: int
    required: int
    held: int
    shortfall: int
    members_missing: int

    @property
    def rate(self) -> float | None:
        return None if not self.required else min(self.held, self.required) / self.required


def compliance_summary(
    *, user: Any, period: Any, as_of: datetime.date, orgs: QuerySet[Organisation] | None = None
) -> Summary:
    base = orgs if orgs is not None else Organisation.objects.visible_to(user)
    rows = compliance_queryset(base, period, as_of=as_of)
    totals = rows.aggregate(
        branches=Count("id"), behind_n=Count("id", filter=Q(behind__gt=0)),
        required_n=Sum("required"), held_n=Sum("held"), shortfall=Sum("behind"),
    )
    missing = members_missing_all(rows, period).count()
    return Summary(
        branches=totals["branches"] or 0, behind=totals["behind_n"] or 0,
        required=totals["required_n"] or 0, held=totals["held_n"] or 0,
        shortfall=totals["shortfall"] or 0, members_missing=missing,
    )


def compliance_by_county(*, user: Any, period: Any, as_of: datetime.date) -> list[dict[str, Any]]:
    """One row per county (6-digit region prefix) in the user's scope, all GROUP BYs."""
    base = Organisation.objects.visible_to(user)
    rows = compliance_queryset(base, period, as_of=as_of)
    grouped = (
        rows.annotate(county=Substr("region_id", 1, 6)).order_by().values("county")
        .annotate(branches=Count("id"), behind_n=Count("id", filter=Q(behind__gt=0)),
                  required_n=Sum("required"), held_n=Sum("held"), shortfall=Sum("behind"))
        .order_by("county")
    )
    missing = dict(
        members_missing_all(rows, period)
        .annotate(county=Substr("organisation__region_id", 1, 6)).order_by()
        .values("county").annotate(n=Count("id")).values_list("county", "n")
    )
    names = dict(Region.objects.filter(level__in=["county", "city"]).values_list("code", "name"))
    result = []
    for row in grouped:  # one row per county (13), not per branch
        required = row["required_n"] or 0
        held = row["held_n"] or 0
        result.append({
            "county": row["county"], "name": names.get(row["county"], row["county"]),
            "branches": row["branches"], "behind": row["behind_n"], "required": required,
            "held": held, "shortfall": row["shortfall"] or 0,
            "members_missing": missing.get(row["county"], 0),
            "rate": None if not required else min(held, required) / required,
        })
    return result


def attendance_rate(qs: QuerySet[MeetingAttendance]) -> float | None:
    counts = qs.aggregate(total=Count("id"), took_part=Count("id", filter=Q(status__in=ATTENDED)))
    return None if not counts["total"] else counts["took_part"] / counts["total"]


def member_counts(orgs: QuerySet[Organisation]) -> dict[str, int]:
    return Member.objects.filter(organisation__in=orgs.values("pk")).aggregate(
        active=Count("id", filter=Q(status=MemberStatus.ACTIVE)),
        flowing=Count("id", filter=Q(status=MemberStatus.ACTIVE, is_flowing=True)),
    )


def transfers_of(member: Member) -> QuerySet[Transfer]:
    return member.transfers.select_related("from_organisation", "to_organisation").order_by(
        "date", "id")



# --- branch rules (Branch Work Regulations) ------------------------------------------------


def branch_rule_queryset(qs: QuerySet[Organisation], *, today: datetime.date
                         ) -> QuerySet[Organisation]:
    """Current branches and general branches of `qs` annotated with `full_members`,
    `seats` (current committee seats) and one 0/1 column per code of
    rules.BRANCH_WARNINGS, plus `problems` (their sum); the same thresholds as
    rules.branch_warnings, computed in the database for the list of branches to put right."""
    from hongxia.party.models import CommitteeSeat

    # A general branch counts the members of its branches too: two counts, each an index
    # seek per organisation (one OR of both would scan the members for every row). COUNT as
    # a plain function (not an aggregate): one row, no GROUP BY.
    active = Member.objects.filter(status=MemberStatus.ACTIVE).order_by()
    direct = active.filter(organisation=OuterRef("pk")).values(n=Func(F("id"), function="COUNT"))
    below = active.filter(organisation__parent=OuterRef("pk"),
                          organisation__kind__in=HOME_KINDS).values(
        n=Func(F("id"), function="COUNT"))
    seats = (
        CommitteeSeat.objects.filter(organisation=OuterRef("pk"), end_date__isnull=True)
        .order_by().values("organisation").annotate(n=Count("id")).values("n")
    )
    qs = qs.filter(kind__in=HOME_KINDS).filter(
        Q(end_date__isnull=True) | Q(end_date__gte=today)
    ).annotate(
        full_members=Coalesce(Subquery(direct, output_field=IntegerField()), Value(0))
        + Coalesce(Subquery(below, output_field=IntegerField()), Value(0)),
        seats=Coalesce(Subquery(seats, output_field=IntegerField()), Value(0)),
    )

    def flag(q: Q) -> Case:
        return Case(When(q, then=Value(1)), default=Value(0), output_field=IntegerField())

    conditions = {
        "too_few_members": Q(full_members__lt=rules.MIN_MEMBERS),
        "too_many_members": Q(full_members__gt=rules.MAX_MEMBERS, kind=OrgKind.BRANCH),
        "needs_committee": Q(full_members__gte=rules.COMMITTEE_FROM, seats=0),
        "committee_too_small": Q(full_members__gte=rules.COMMITTEE_FROM, seats__gt=0,
                                 seats__lt=rules.COMMITTEE_MIN),
        "committee_too_large": Q(seats__gt=rules.COMMITTEE_MAX),
        "term_expired": Q(term_ends__lt=today),
    }
    assert tuple(conditions) == rules.BRANCH_WARNINGS
    qs = qs.annotate(**{f"rule_{code}": flag(q) for code, q in conditions.items()})
    total: Any = Value(0)
    for code in conditions:
        total = total + F(f"rule_{code}")
    return qs.annotate(problems=total)


BRANCH_RULE_CHOICES = [
    ("too_few_members", _("Fewer than 3 full members")),
    ("too_many_members", _("More than 50 members")),
    ("needs_committee", _("7 or more members and no committee")),
    ("committee_too_small", _("Committee of fewer than 3")),
    ("committee_too_large", _("Committee of more than 7")),
    ("term_expired", _("Committee term has run out")),
]


class BranchRuleFilter(OrganisationFilter):
    rule = django_filters.ChoiceFilter(method="filter_rule", choices=BRANCH_RULE_CHOICES,
                                       label=_("Problem"))

    class Meta:
        model = Organisation
        fields = ["q", "region", "rule"]

    def filter_rule(self, qs: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        return qs.filter(**{f"rule_{value}": 1}) if value in rules.BRANCH_WARNINGS else qs


# --- transfer requests ---------------------------------------------------------------------


class TransferRequestFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("Search"))
    status = django_filters.ChoiceFilter(choices=RequestStatus.choices, label=_("Status"))
    direction = django_filters.ChoiceFilter(
        method="filter_direction", label=_("Direction"),
        choices=[("in", _("Into my area")), ("out", _("Out of my area"))])

    class Meta:
        model = TransferRequest
        fields = ["q", "status", "direction"]

    def filter_q(self, qs: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        """The member's name, pinyin, initials or last digits, as on the member list."""
        q = search_q(value)
        if q is None:
            return qs
        return qs.filter(member__person__in=Person.objects.filter(q).values("pk"))

    def filter_direction(self, qs: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        user = getattr(self.request, "user", None)
        theirs = Organisation.objects.visible_to(user).values("pk")
        if value == "in":
            return qs.filter(to_organisation__in=theirs)
        if value == "out":
            return qs.filter(from_organisation__in=theirs)
        return qs


class ParticipationFilter(django_filters.FilterSet):
    """Participants of temporary organisations: of one organisation, current or all."""

    q = django_filters.CharFilter(method="filter_q", label=_("Search"))
    organisation = django_filters.NumberFilter(field_name="organisation_id",
                                               label=_("Temporary organisation"))
    member = django_filters.NumberFilter(field_name="member_id", label=_("Member"))
    current = django_filters.BooleanFilter(field_name="end_date", lookup_expr="isnull",
                                           label=_("Current"))

    class Meta:
        model = Participation
        fields = ["q", "organisation", "member", "current"]

    def filter_q(self, qs: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        """The participant's name, pinyin, initials or last digits, as on the member list."""
        q = search_q(value)
        if q is None:
            return qs
        return qs.filter(member__person__in=Person.objects.filter(q).values("pk"))


def incoming_requests(*, user: Any) -> QuerySet[TransferRequest]:
    """Requests awaiting this user's answer: pending, into a branch in their scope."""
    return TransferRequest.objects.filter(
        status=RequestStatus.PENDING,
        to_organisation__in=Organisation.objects.visible_to(user).values("pk"),
    )


def full_member_count(org: Organisation) -> int:
    """Current full members of a branch; of a general branch, with its branches' members."""
    return Member.objects.filter(
        Q(organisation=org) | Q(organisation__parent=org, organisation__kind__in=HOME_KINDS),
        status=MemberStatus.ACTIVE).count()
