"""The party seed: temporary organisations run alongside home branches (participants, not
members), and committees keep the Branch Work Regulations."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.db.models import Count, F, Q

from hongxia.party.choices import MemberStatus
from hongxia.party.models import (
    CommitteeSeat,
    MeetingAttendance,
    Member,
    Organisation,
    Participation,
)
from hongxia.party.seed import seed_app
from hongxia.people.seed import seed

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 1, 15)


def test_temporary_organisations_have_participants_whose_membership_stays_home(
        db: Any) -> None:
    seed(scale="small", seed=3, progress=False, today=TODAY)
    counts = seed_app(scale="small", seed=3, today=TODAY)
    temps = Organisation.objects.filter(kind="temporary")
    assert temps.count() == counts["temporary"] >= 1
    assert not Member.objects.filter(organisation__kind="temporary").exists()
    participations = Participation.objects.filter(organisation__kind="temporary")
    assert participations.count() == counts["participants"] > 0
    assert not participations.exclude(member__organisation__kind__in=["branch",
                                                                      "general_branch"]).exists()
    assert not participations.exclude(member__status=MemberStatus.ACTIVE).exists()
    # A temporary organisation's meetings are attended by its participants only.
    marks = MeetingAttendance.objects.filter(meeting__organisation__kind="temporary")
    assert marks.exists()
    taking_part = Q(member__participations__organisation=F("meeting__organisation"))
    assert not marks.exclude(taking_part).exists()
    # Committees: never more than 7 seats, and only in branches of 7 or more.
    too_big = (CommitteeSeat.objects.filter(end_date__isnull=True).values("organisation")
               .annotate(n=Count("id")).filter(n__gt=7))
    assert not too_big.exists()
    small = Organisation.objects.annotate(
        n=Count("members", filter=Q(members__status="active"))).filter(n__lt=7, kind="branch")
    assert not CommitteeSeat.objects.filter(organisation__in=small).exists()

