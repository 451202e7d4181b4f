"""One row of each party model in a county, for the scope walk (merged by
tests/scope_factories.py). Every organisation made here carries the marker in its name, so a
leak shows on list pages and in exports."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from django.core.files.base import ContentFile
from tests.party.party_factories import make_branch, make_meeting, make_member

from hongxia.party.models import (
    CommitteeSeat,
    Meeting,
    MeetingAttachment,
    MeetingAttendance,
    Member,
    Organisation,
    Participation,
    PartyHome,
    Rating,
    Reorganisation,
    Transfer,
    TransferRequest,
)


def _org(region: str, marker: str) -> Organisation:
    return make_branch(region, marker)


def _member(region: str, marker: str) -> Member:
    return make_member(_org(region, marker), name=marker)


def _seat(region: str, marker: str) -> CommitteeSeat:
    member = _member(region, marker)
    return CommitteeSeat.objects.create(organisation=member.organisation, person=member.person,
                                        role="secretary", start_date=datetime.date(2024, 1, 1))


def _reorg(region: str, marker: str) -> Reorganisation:
    return Reorganisation.objects.create(kind="move", date=datetime.date(2025, 1, 1),
                                         organisation=_org(region, marker), note=marker)


def _transfer(region: str, marker: str) -> Transfer:
    member = _member(region, marker)
    to = _org(region, marker)
    transfer = Transfer.objects.create(member=member, from_organisation=member.organisation,
                                       to_organisation=to, date=datetime.date(2025, 3, 1),
                                       reason=marker)
    member.organisation = to
    member.save()
    return transfer


def _rating(region: str, marker: str) -> Rating:
    return Rating.objects.create(organisation=_org(region, marker), year=2025,
                                 level="municipal", note=marker)


def _home(region: str, marker: str) -> PartyHome:
    home = PartyHome.objects.create(name=marker, region_id=region, address=marker)
    home.branches.add(_org(region, marker))
    return home


def _meeting(region: str, marker: str) -> Meeting:
    return make_meeting(_org(region, marker), "committee_meeting", datetime.date(2026, 1, 10),
                        topic=marker)


def _attachment(region: str, marker: str) -> MeetingAttachment:
    return MeetingAttachment.objects.create(
        meeting=_meeting(region, marker), name=marker,
        file=ContentFile(b"minutes", name="minutes.txt"))


def _attendance(region: str, marker: str) -> MeetingAttendance:
    member = _member(region, marker)
    meeting = make_meeting(member.organisation, "committee_meeting",
                           datetime.date(2026, 1, 10), topic=marker)
    return MeetingAttendance.objects.create(meeting=meeting, member=member, status="present",
                                            date=meeting.date)


def _participation(region: str, marker: str) -> Participation:
    member = _member(region, marker)
    temp = make_branch(region, marker, kind="temporary")
    return Participation.objects.create(organisation=temp, member=member,
                                        start_date=datetime.date(2025, 1, 1), note=marker)


def _transfer_request(region: str, marker: str) -> TransferRequest:
    member = _member(region, marker)
    return TransferRequest.objects.create(member=member, from_organisation=member.organisation,
                                          to_organisation=_org(region, marker),
                                          date=datetime.date(2026, 1, 5), reason=marker)


SCOPE_FACTORIES: dict[type[Any], Callable[[str, str], Any]] = {
    Organisation: _org,
    CommitteeSeat: _seat,
    Reorganisation: _reorg,
    Member: _member,
    Transfer: _transfer,
    Rating: _rating,
    PartyHome: _home,
    Meeting: _meeting,
    MeetingAttachment: _attachment,
    MeetingAttendance: _attendance,
    Participation: _participation,
    TransferRequest: _transfer_request,
}
