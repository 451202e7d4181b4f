"""Rows of party building for tests (through the models; the services are tested apart)."""

from __future__ import annotations

import datetime
import itertools
from typing import Any

from tests.factories import PersonFactory

from hongxia.party.models import Meeting, MeetingAttendance, Member, Organisation

_seq = itertools.count(1)


def make_branch(region: str, name: str, *, kind: str = "branch", parent: Any = None,
                secretary_user: Any = None, start: datetime.date | None = None,
                end: datetime.date | None = None) -> Organisation:
    if kind == "temporary" and end is None:
        end = datetime.date(2030, 12, 31)
    return Organisation.objects.create(
        name=name, kind=kind, parent=parent, region_id=region, basis="community",
        start_date=start or datetime.date(2015, 1, 1), end_date=end,
        secretary_user=secretary_user,
    )


def make_member(org: Organisation, *, name: str | None = None,
                joined: datetime.date = datetime.date(1975, 7, 1), **extra: Any) -> Member:
    birth = datetime.date(min(joined.year - 25, 1960), 3, 15) + datetime.timedelta(
        days=next(_seq) % 300)
    person = PersonFactory(region_id=org.region_id[:6], political_status="cpc_member",
                           party_joined=joined, birth_date=birth,
                           **({"name": name} if name else {}))
    return Member.objects.create(person=person, organisation=org,
                                 since=datetime.date(2016, 1, 1), **extra)


def make_meeting(org: Organisation, kind: str, date: datetime.date, *, topic: str = "",
                 attendance: dict[Member, str] | None = None) -> Meeting:
    meeting = Meeting.objects.create(organisation=org, kind=kind, date=date,
                                     topic=topic or f"议题{next(_seq)}")
    for member, status in (attendance or {}).items():
        MeetingAttendance.objects.create(meeting=meeting, member=member, status=status,
                                         date=date)
    return meeting
