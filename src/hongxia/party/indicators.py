"""Party-building indicators: each computed by one aggregate in the database for a region
prefix and a period, with the rows behind it."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from hongxia.party import rules, selectors
from hongxia.party.choices import ATTENDED, OrgKind, RatingLevel
from hongxia.party.models import (
    Meeting,
    MeetingAttendance,
    Member,
    Organisation,
    Participation,
    PartyHome,
    Rating,
)
from hongxia.reports.registry import Indicator, Period, region_q, register


def _orgs(prefix: str, period: Period) -> QuerySet[Organisation]:
    """Organisations alive at the period's end."""
    return Organisation.objects.filter(region_q("region", prefix)).filter(
        Q(start_date__lt=period.end), Q(end_date__isnull=True) | Q(end_date__gte=period.end))


def _orgs_of(kind: str) -> Any:
    return lambda prefix, period: _orgs(prefix, period).filter(kind=kind)


def _members(prefix: str, period: Period) -> QuerySet[Member]:
    """Members at the period's end, counted in their branch's region."""
    return Member.objects.filter(region_q("organisation__region", prefix)).filter(
        Q(end_date__isnull=True) | Q(end_date__gte=period.end),
        person__party_joined__lt=period.end,
    )


def _participants(prefix: str, period: Period) -> QuerySet[Member]:
    """Members taking part in a temporary organisation at the period's end, counted in the
    temporary organisation's region (their membership is counted at home, in `_members`)."""
    taking_part = Participation.objects.filter(
        region_q("organisation__region", prefix), start_date__lt=period.end,
    ).filter(Q(end_date__isnull=True) | Q(end_date__gte=period.end))
    return Member.objects.filter(pk__in=taking_part.values("member_id"))


def _flowing(prefix: str, period: Period) -> QuerySet[Member]:
    return _members(prefix, period).filter(is_flowing=True)


def _ratings(level: str) -> Any:
    def rows(prefix: str, period: Period) -> QuerySet[Rating]:
        years = range(period.start.year, (period.end - datetime.timedelta(days=1)).year + 1)
        return Rating.objects.filter(region_q("organisation__region", prefix), level=level,
                                     year__in=list(years))
    return rows


def _homes(prefix: str, period: Period) -> QuerySet[PartyHome]:
    return PartyHome.objects.filter(region_q("region", prefix)).filter(
        Q(opened_on__isnull=True) | Q(opened_on__lt=period.end))


def _home_branches(prefix: str, period: Period) -> QuerySet[Organisation]:
    return Organisation.objects.filter(homes__in=_homes(prefix, period)).distinct()


def _home_communities_count(prefix: str, period: Period) -> int:
    through = PartyHome.communities.through
    return (through.objects.filter(partyhome__in=_homes(prefix, period))
            .values("region_id").distinct().count())


def _meetings(prefix: str, period: Period) -> QuerySet[Meeting]:
    return Meeting.objects.filter(region_q("organisation__region", prefix),
                                  date__gte=period.start, date__lt=period.end)


def _as_of(period: Period) -> datetime.date:
    return min(period.end - datetime.timedelta(days=1), timezone.localdate())


def _compliance(prefix: str, period: Period) -> QuerySet[Organisation]:
    base = Organisation.objects.filter(region_q("region", prefix))
    return selectors.compliance_queryset(base, period, as_of=_as_of(period))


def _compliance_sum(key: str) -> Any:
    def value(prefix: str, period: Period) -> int:
        return _compliance(prefix, period).aggregate(n=Sum(key))["n"] or 0
    return value


def _behind(prefix: str, period: Period) -> QuerySet[Organisation]:
    return _compliance(prefix, period).filter(behind__gt=0)  # type: ignore[misc]


def _attendance(prefix: str, period: Period) -> QuerySet[MeetingAttendance]:
    return MeetingAttendance.objects.filter(
        region_q("meeting__organisation__region", prefix),
        meeting__date__gte=period.start, meeting__date__lt=period.end)


def _attendance_rate(prefix: str, period: Period) -> Decimal:
    counts = _attendance(prefix, period).aggregate(
        total=Count("id"), took_part=Count("id", filter=Q(status__in=ATTENDED)))
    if not counts["total"]:
        return Decimal("0.0")
    return (Decimal(100 * counts["took_part"]) / counts["total"]).quantize(Decimal("0.1"))


def _medal(prefix: str, period: Period) -> QuerySet[Member]:
    """Members whose fifty years complete within the period."""
    last = period.end - datetime.timedelta(days=1)
    latest = rules.joined_on_or_before_for_medal(last)
    earliest_excluded = rules.joined_on_or_before_for_medal(
        period.start - datetime.timedelta(days=1))
    return _members(prefix, period).filter(person__party_joined__gt=earliest_excluded,
                                           person__party_joined__lte=latest)


def _count(rows: Any) -> Any:
    return lambda prefix, period: rows(prefix, period).count()


_ORDER = 10
for _kind, _zh in ((OrgKind.COMMITTEE, "党委"), (OrgKind.GENERAL_BRANCH, "党总支"),
                   (OrgKind.BRANCH, "党支部"), (OrgKind.GROUP, "党小组"),
                   (OrgKind.TEMPORARY, "临时党组织")):
    register(Indicator(
        key=f"party_orgs_{_kind}", label_zh=f"{_zh}数", label_en=f"Organisations: {_kind}",
        unit="个", line="party", value=_count(_orgs_of(_kind)), rows=_orgs_of(_kind),
        order=_ORDER,
    ))
    _ORDER += 1

register(Indicator(key="party_members", label_zh="党员数", label_en="Party members", unit="人",
                   line="party", value=_count(_members), rows=_members, order=20))
register(Indicator(key="party_temporary_participants", label_zh="临时党组织成员数",
                   label_en="Participants of temporary organisations", unit="人",
                   line="party", value=_count(_participants), rows=_participants, order=23))
register(Indicator(key="party_flowing_members", label_zh="流动党员数",
                   label_en="Flowing party members", unit="人", line="party",
                   value=_count(_flowing), rows=_flowing, order=21))
register(Indicator(key="party_medal_eligible", label_zh="党龄满50年党员（期内）",
                   label_en="Members completing fifty years", unit="人", line="party",
                   value=_count(_medal), rows=_medal, kind="flow", order=22))
register(Indicator(key="party_demo_provincial", label_zh="省级示范离退休干部党支部",
                   label_en="Provincial demonstration branches", unit="个", line="party",
                   value=_count(_ratings(RatingLevel.PROVINCIAL)),
                   rows=_ratings(RatingLevel.PROVINCIAL), kind="flow", order=30))
register(Indicator(key="party_demo_municipal", label_zh="市级示范离退休干部党支部",
                   label_en="Municipal demonstration branches", unit="个", line="party",
                   value=_count(_ratings(RatingLevel.MUNICIPAL)),
                   rows=_ratings(RatingLevel.MUNICIPAL), kind="flow", order=31))
register(Indicator(key="party_homes", label_zh="美在金秋老党员之家",
                   label_en="Party members' homes", unit="个", line="party",
                   value=_count(_homes), rows=_homes, order=40))
register(Indicator(key="party_home_branches", label_zh="老党员之家覆盖支部",
                   label_en="Branches covered by homes", unit="个", line="party",
                   value=_count(_home_branches), rows=_home_branches, order=41))
register(Indicator(key="party_home_communities", label_zh="老党员之家覆盖社区",
                   label_en="Communities covered by homes", unit="个", line="party",
                   value=_home_communities_count, order=42))
register(Indicator(key="party_meetings", label_zh="组织生活次数", label_en="Meetings held",
                   unit="次", line="party", value=_count(_meetings), rows=_meetings,
                   kind="flow", order=50))
register(Indicator(key="party_meetings_required", label_zh="应开组织生活次数",
                   label_en="Meetings required", unit="次", line="party",
                   value=_compliance_sum("required"), kind="flow", order=51))
register(Indicator(key="party_meetings_held_required", label_zh="已开规定组织生活次数",
                   label_en="Required meetings held", unit="次", line="party",
                   value=_compliance_sum("held"), kind="flow", order=52))
register(Indicator(key="party_branches_behind", label_zh="组织生活未达标党组织",
                   label_en="Organisations behind on meetings", unit="个", line="party",
                   value=_count(_behind), rows=_behind, kind="flow", order=53))
register(Indicator(key="party_attendance_rate", label_zh="党员参会率",
                   label_en="Attendance rate", unit="%", line="party", value=_attendance_rate,
                   rows=_attendance, kind="flow", order=54))
