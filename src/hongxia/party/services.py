"""Every write of party building: keyword-only, `actor` required, atomic, validated, audited.

Scope is re-checked here too: an actor may only write rows they can see (a branch secretary
only their own branch), so the pages and the API cannot be used to reach past it.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hongxia.core import audit, masking
from hongxia.core.models import AuditLog
from hongxia.core.scope import is_visible
from hongxia.party.choices import (
    BRANCH_KINDS,
    EndReason,
    MemberStatus,
    OrgKind,
    ReorgKind,
)
from hongxia.party.models import (
    CommitteeSeat,
    Meeting,
    MeetingAttendance,
    MeetingRequirement,
    Member,
    Organisation,
    PartyHome,
    Rating,
    Reorganisation,
    Transfer,
)

ORG_FIELDS = ("name", "kind", "parent", "region", "basis", "basis_note", "founded_on",
              "start_date", "end_date", "secretary", "secretary_user", "term_ends", "notes")
MEETING_FIELDS = ("organisation", "kind", "date", "place", "topic", "speaker", "minutes")
HOME_FIELDS = ("name", "address", "region", "opened_on")


def _require(actor: Any, perm: str, *objs: Any) -> None:
    if not actor.has_perm(perm) or not all(is_visible(o, actor) for o in objs if o is not None):
        raise PermissionDenied


def _check_still_visible(obj: Any, actor: Any) -> None:
    """Re-check after write: refuse (and roll back) a row the actor could no longer see."""
    if not is_visible(obj, actor):
        raise ValidationError({"region": [_("You may only keep records in your own area.")]})


def _clean(obj: Any, exclude: Iterable[str] = ()) -> None:
    try:
        obj.full_clean(exclude=list(exclude), validate_unique=False)
    except ValidationError as exc:
        raise ValidationError(exc.message_dict) from exc


# --- organisations -------------------------------------------------------------------------


def _validate_org(org: Organisation) -> None:
    errors: dict[str, list[str]] = {}
    if org.kind == OrgKind.TEMPORARY and org.end_date is None:
        errors["end_date"] = [_("A temporary organisation needs an end date.")]
    if org.parent_id is not None and org.pk is not None:
        node: Organisation | None = org.parent
        while node is not None:
            if node.pk == org.pk:
                errors["parent"] = [_("An organisation cannot sit under itself.")]
                break
            node = node.parent
    if org.kind == OrgKind.GROUP and (org.parent is None or org.parent.kind not in BRANCH_KINDS):
        errors["parent"] = [_("A party group belongs to a branch.")]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def organisation_save(
    *, actor: Any, data: dict[str, Any], organisation: Organisation | None = None
) -> Organisation:
    creating = organisation is None
    if creating:
        _require(actor, "party.add_organisation", data.get("parent"))
        org = Organisation()
        before: dict[str, Any] = {}
    else:
        assert organisation is not None
        _require(actor, "party.change_organisation", organisation)
        org = Organisation.objects.select_for_update().get(pk=organisation.pk)
        before = audit.snapshot(org)
    for key in ORG_FIELDS:
        if key in data:
            setattr(org, key, data[key])
    _validate_org(org)
    _clean(org)
    org.save()
    _check_still_visible(org, actor)
    audit.record_save(org, created=creating, before=before, actor=actor)
    return org


@transaction.atomic
def organisation_reorganise(
    *, actor: Any, organisation: Organisation, kind: str, date: datetime.date,
    new_parent: Organisation | None = None, into: Organisation | None = None, note: str = "",
) -> Reorganisation:
    """Move an organisation under a new parent, merge it into another (its members transfer
    and it ends), record a split (members are then transferred one by one), or dissolve it.
    Nothing is deleted: the old organisation keeps its meetings, ratings and history."""
    _require(actor, "party.change_organisation", organisation, new_parent, into)
    org = Organisation.objects.select_for_update().get(pk=organisation.pk)
    before = audit.snapshot(org)
    old_parent = org.parent
    if kind == ReorgKind.MOVE:
        if new_parent is None:
            raise ValidationError({"new_parent": [_("Choose the new parent organisation.")]})
        org.parent = new_parent
        _validate_org(org)
    elif kind == ReorgKind.MERGE:
        if into is None or into.pk == org.pk:
            raise ValidationError({"into": [_("Choose the organisation to merge into.")]})
        for member in Member.objects.filter(organisation=org, status=MemberStatus.ACTIVE):
            _transfer(actor=actor, member=member, to=into, date=date,
                      reason=_("Merged into %(name)s") % {"name": into.name})
        org.end_date = date
    elif kind == ReorgKind.DISSOLVE:
        if Member.objects.filter(organisation=org, status=MemberStatus.ACTIVE).exists():
            raise ValidationError({"kind": [_("Transfer the members before dissolving.")]})
        org.end_date = date
    elif kind != ReorgKind.SPLIT:
        raise ValidationError({"kind": [_("Unknown change.")]})
    if org.end_date is not None and org.end_date < org.start_date:
        raise ValidationError({"date": [_("The date is before the organisation began.")]})
    org.save()
    change = Reorganisation.objects.create(
        kind=kind, date=date, organisation=org, old_parent=old_parent,
        new_parent=new_parent if kind == ReorgKind.MOVE else None, into=into, note=note,
    )
    audit.record_change(org, AuditLog.Action.UPDATE, before=before, after=audit.snapshot(org),
                        actor=actor, note=f"{kind} {date.isoformat()}")
    audit.record_change(change, AuditLog.Action.CREATE, after=audit.snapshot(change), actor=actor)
    return change


@transaction.atomic
def committee_seat_add(
    *, actor: Any, organisation: Organisation, person: Any, role: str,
    start_date: datetime.date, end_date: datetime.date | None = None,
) -> CommitteeSeat:
    _require(actor, "party.change_organisation", organisation)
    seat = CommitteeSeat(organisation=organisation, person=person, role=role,
                         start_date=start_date, end_date=end_date)
    _clean(seat)
    seat.save()
    audit.record_change(seat, AuditLog.Action.CREATE, after=audit.snapshot(seat), actor=actor)
    return seat


# --- members -------------------------------------------------------------------------------


@transaction.atomic
def member_create(
    *, actor: Any, person: Any, organisation: Organisation, since: datetime.date,
    group: Organisation | None = None,
) -> Member:
    """Enter a registry party member (Person.political_status 'cpc_member') into a branch."""
    _require(actor, "party.add_member", organisation)
    errors: dict[str, list[str]] = {}
    if not person.is_party_member:
        errors["person"] = [_("The registry does not record this person as a party member.")]
    if person.life_status == "deceased":
        errors["person"] = [_("This person is recorded as deceased.")]
    if Member.objects.filter(person=person).exists():
        errors["person"] = [_("This person already has a party record.")]
    if organisation.kind not in BRANCH_KINDS:
        errors["organisation"] = [_("Members belong to a branch, general branch or temporary "
                                    "organisation.")]
    if group is not None and group.parent_id != organisation.pk:
        errors["group"] = [_("The party group must belong to the branch.")]
    if errors:
        raise ValidationError(errors)
    member = Member(person=person, organisation=organisation, group=group, since=since)
    _clean(member, exclude=["person", "organisation", "group"])
    member.save()
    audit.record_change(member, AuditLog.Action.CREATE, after=audit.snapshot(member), actor=actor)
    return member


@transaction.atomic
def member_set_flowing(
    *, actor: Any, member: Member, is_flowing: bool, place: str = "",
    since: datetime.date | None = None, contact: str = "", has_activity_card: bool = False,
    group: Organisation | None = None,
) -> Member:
    """流动党员: where a member living away is, and how to reach them."""
    _require(actor, "party.change_member", member)
    locked = Member.objects.select_for_update().get(pk=member.pk)
    before = audit.snapshot(locked)
    if is_flowing and not place.strip():
        raise ValidationError({"flowing_place": [_("Say where the member lives now.")]})
    if group is not None and group.parent_id != locked.organisation_id:
        raise ValidationError({"group": [_("The party group must belong to the branch.")]})
    locked.group = group
    locked.is_flowing = is_flowing
    locked.flowing_place = place.strip() if is_flowing else ""
    locked.flowing_since = since if is_flowing else None
    phone = masking.normalize_phone(contact) if is_flowing else ""
    locked.flowing_contact = phone
    locked.flowing_contact_masked = masking.mask_phone(phone)
    locked.has_activity_card = has_activity_card and is_flowing
    locked.save()
    audit.record_change(locked, AuditLog.Action.UPDATE, before=before,
                        after=audit.snapshot(locked), actor=actor)
    return locked


def _transfer(*, actor: Any, member: Member, to: Organisation, date: datetime.date,
              reason: str) -> Transfer:
    locked = Member.objects.select_for_update().get(pk=member.pk)
    if locked.status != MemberStatus.ACTIVE:
        raise ValidationError({"member": [_("This membership has ended.")]})
    if to.pk == locked.organisation_id:
        raise ValidationError({"to_organisation": [_("The member is already in this branch.")]})
    if to.kind not in BRANCH_KINDS:
        raise ValidationError({"to_organisation": [_("Choose a branch.")]})
    if date < locked.since:
        raise ValidationError({"date": [_("The date is before the member joined this branch.")]})
    if to.end_date is not None and to.end_date < date:
        raise ValidationError({"to_organisation": [_("That organisation has ended.")]})
    before = audit.snapshot(locked)
    transfer = Transfer.objects.create(member=locked, from_organisation_id=locked.organisation_id,
                                       to_organisation=to, date=date, reason=reason,
                                       recorded_by=actor)
    locked.organisation = to
    locked.group = None
    locked.since = date
    locked.save(update_fields=["organisation", "group", "since", "updated_at"])
    audit.record_change(locked, AuditLog.Action.UPDATE, before=before,
                        after=audit.snapshot(locked), actor=actor, note=reason)
    audit.record_change(transfer, AuditLog.Action.CREATE, after=audit.snapshot(transfer),
                        actor=actor)
    return transfer


@transaction.atomic
def member_transfer(
    *, actor: Any, member: Member, to_organisation: Organisation, date: datetime.date,
    reason: str = "",
) -> Transfer:
    """组织关系转接: the member moves; the Transfer row keeps the history."""
    _require(actor, "party.add_transfer", member, to_organisation)
    if date > timezone.localdate():
        raise ValidationError({"date": [_("The date is in the future.")]})
    return _transfer(actor=actor, member=member, to=to_organisation, date=date, reason=reason)


def _end(*, actor: Any, member: Member, date: datetime.date, reason: str) -> Member:
    locked = Member.objects.select_for_update().get(pk=member.pk)
    if locked.status == MemberStatus.ENDED:
        return locked
    before = audit.snapshot(locked)
    locked.status = MemberStatus.ENDED
    locked.end_date = date
    locked.end_reason = reason
    locked.save(update_fields=["status", "end_date", "end_reason", "updated_at"])
    audit.record_change(locked, AuditLog.Action.UPDATE, before=before,
                        after=audit.snapshot(locked), actor=actor)
    return locked


@transaction.atomic
def member_end(*, actor: Any, member: Member, date: datetime.date, reason: str) -> Member:
    _require(actor, "party.change_member", member)
    if reason not in EndReason.values:
        raise ValidationError({"reason": [_("Choose a reason.")]})
    if date < member.since:
        raise ValidationError({"date": [_("The date is before the member joined this branch.")]})
    return _end(actor=actor, member=member, date=date, reason=reason)


@transaction.atomic
def membership_end_on_death(*, actor: Any, person: Any, date: datetime.date) -> Member | None:
    """Called by people.services.person_record_death inside its transaction: the death ends
    the membership in the same action. The death was authorised there (people.record_death),
    so no party permission is asked; a person with no party record is left alone."""
    member = Member.objects.filter(person=person).first()
    if member is None:
        return None
    return _end(actor=actor, member=member, date=date, reason=EndReason.DEATH)


# --- ratings, homes, requirements ----------------------------------------------------------


@transaction.atomic
def rating_add(*, actor: Any, organisation: Organisation, year: int, level: str,
               note: str = "") -> Rating:
    _require(actor, "party.add_rating", organisation)
    if Rating.objects.filter(organisation=organisation, year=year, level=level).exists():
        raise ValidationError({"year": [_("This rating is already recorded for that year.")]})
    rating = Rating(organisation=organisation, year=year, level=level, note=note)
    _clean(rating)
    rating.save()
    audit.record_change(rating, AuditLog.Action.CREATE, after=audit.snapshot(rating), actor=actor)
    return rating


@transaction.atomic
def home_save(*, actor: Any, data: dict[str, Any], branches: Iterable[Organisation],
              communities: Iterable[Any], home: PartyHome | None = None) -> PartyHome:
    creating = home is None
    if creating:
        _require(actor, "party.add_partyhome")
        obj = PartyHome()
        before: dict[str, Any] = {}
    else:
        assert home is not None
        _require(actor, "party.change_partyhome", home)
        obj = PartyHome.objects.select_for_update().get(pk=home.pk)
        before = audit.snapshot(obj, {"branches": [b.pk for b in obj.branches.all()],
                                      "communities": [c.pk for c in obj.communities.all()]})
    for key in HOME_FIELDS:
        if key in data:
            setattr(obj, key, data[key])
    branches = list(branches)
    if not all(is_visible(b, actor) for b in branches):
        raise PermissionDenied
    _clean(obj)
    obj.save()
    _check_still_visible(obj, actor)
    obj.branches.set(branches)
    communities = list(communities)
    obj.communities.set(communities)
    after = audit.snapshot(obj, {"branches": [b.pk for b in branches],
                                 "communities": [c.pk for c in communities]})
    audit.record_save(obj, created=creating, before=before, after=after, actor=actor)
    return obj


@transaction.atomic
def requirement_update(*, actor: Any, requirement: MeetingRequirement, times: int, per: str,
                       active: bool) -> MeetingRequirement:
    """Relax or tighten a required frequency (e.g. for frail retiree branches)."""
    if not actor.has_perm("party.change_meetingrequirement"):
        raise PermissionDenied
    locked = MeetingRequirement.objects.select_for_update().get(pk=requirement.pk)
    before = audit.snapshot(locked)
    locked.times, locked.per, locked.active = times, per, active
    _clean(locked)
    locked.save()
    audit.record_change(locked, AuditLog.Action.UPDATE, before=before,
                        after=audit.snapshot(locked), actor=actor)
    return locked


# --- meetings ------------------------------------------------------------------------------


@transaction.atomic
def meeting_record(
    *, actor: Any, data: dict[str, Any], attendance: Iterable[tuple[Member, str, str]],
    attachments: Iterable[Any] = (),
) -> Meeting:
    """One meeting with its attendance (member, status, reason) and files. Members must be in
    the meeting's branch (or one of its groups) on the day."""
    from hongxia.party.choices import Attendance as Status
    from hongxia.party.models import MeetingAttachment

    org = data.get("organisation")
    _require(actor, "party.add_meeting", org)
    meeting = Meeting(recorded_by=actor, **{k: v for k, v in data.items() if k in MEETING_FIELDS})
    _clean(meeting, exclude=["recorded_by"])
    errors: dict[str, list[str]] = {}
    if meeting.date > timezone.localdate():
        errors["date"] = [_("The date is in the future.")]
    if org is not None and org.kind == OrgKind.COMMITTEE:
        errors["organisation"] = [_("Record meetings of a branch, group or temporary "
                                    "organisation.")]
    rows = []
    seen: set[int] = set()
    branch_id = org.parent_id if org is not None and org.kind == OrgKind.GROUP else getattr(
        org, "pk", None)
    for member, status, reason in attendance:
        if member.pk in seen:
            continue
        seen.add(member.pk)
        if member.organisation_id != branch_id or member.status != MemberStatus.ACTIVE:
            errors.setdefault("attendance", []).append(
                _("%(name)s is not a current member of this branch.") % {"name": member.person}
            )
            continue
        if status not in Status.values:
            errors.setdefault("attendance", []).append(_("Unknown attendance."))
            continue
        if status == Status.ABSENT and not reason.strip():
            errors.setdefault("attendance", []).append(
                _("Give the reason %(name)s was absent.") % {"name": member.person}
            )
        rows.append(MeetingAttendance(member=member, status=status, reason=reason.strip(),
                                      date=meeting.date))
    if errors:
        raise ValidationError(errors)
    meeting.save()
    for row in rows:
        row.meeting = meeting
    MeetingAttendance.objects.bulk_create(rows)
    for upload in attachments:
        MeetingAttachment.objects.create(meeting=meeting, file=upload, name=upload.name[:200])
    audit.record_change(
        meeting, AuditLog.Action.CREATE, actor=actor,
        after=audit.snapshot(meeting, {"attendance": {str(r.member.pk): r.status for r in rows}}),
    )
    return meeting
