"""Every write of party building: keyword-only, `actor` required, atomic, validated, audited.

Scope is re-checked here too: an actor may only write rows they can see (a branch secretary
only their own branch), so the pages and the API cannot be used to reach past it.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from hongxia.core import audit, masking, regions
from hongxia.core.models import AuditLog
from hongxia.core.scope import is_visible
from hongxia.party import rules
from hongxia.party.choices import (
    BRANCH_KINDS,
    HOME_KINDS,
    Attendance,
    CommitteeRole,
    EndReason,
    MemberStatus,
    OrgKind,
    ReorgKind,
    RequestStatus,
)
from hongxia.party.models import (
    CommitteeSeat,
    Meeting,
    MeetingAttachment,
    MeetingAttendance,
    MeetingRequirement,
    Member,
    Organisation,
    Participation,
    PartyHome,
    Rating,
    Reorganisation,
    Transfer,
    TransferRequest,
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
        if org.kind == OrgKind.TEMPORARY or into.kind not in HOME_KINDS:
            raise ValidationError({"into": [_("Only a branch merges, and only into a branch; "
                                              "a temporary organisation is dissolved.")]})
        for member in Member.objects.filter(organisation=org, status=MemberStatus.ACTIVE):
            _transfer(actor=actor, member=member, to=into, date=date,
                      reason=_("Merged into %(name)s") % {"name": into.name})
        org.end_date = date
    elif kind == ReorgKind.DISSOLVE:
        if Member.objects.filter(organisation=org, status=MemberStatus.ACTIVE).exists():
            raise ValidationError({"kind": [_("Transfer the members before dissolving.")]})
        org.end_date = date
        # A temporary organisation is dissolved with its task: its participants simply stop
        # taking part; their membership stays with their home branches.
        for participation in Participation.objects.filter(organisation=org,
                                                          end_date__isnull=True):
            _participation_end(actor=actor, participation=participation,
                               date=max(date, participation.start_date))
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
    org = Organisation.objects.select_for_update().get(pk=organisation.pk)
    seat = CommitteeSeat(organisation=org, person=person, role=role,
                         start_date=start_date, end_date=end_date)
    _clean(seat)
    _check_seat(org, seat)
    seat.save()
    audit.record_change(seat, AuditLog.Action.CREATE, after=audit.snapshot(seat), actor=actor)
    return seat


def _check_seat(org: Organisation, seat: CommitteeSeat) -> None:
    """The Branch Work Regulations' absolute rules for a committee, checked when a seat is
    set up (states that drift later, such as a branch shrinking, are warnings instead)."""
    errors: dict[str, list[str]] = {}
    if seat.end_date is not None and seat.end_date < seat.start_date:
        errors["end_date"] = [_("The seat ends before it begins.")]
    current = CommitteeSeat.objects.filter(organisation=org, end_date__isnull=True)
    if seat.end_date is None and current.filter(person=seat.person).exists():
        errors["person"] = [_("This person already holds a seat on the committee.")]
    if org.kind in HOME_KINDS and seat.end_date is None:
        # A current seat needs a current member (of a general branch: of it or its
        # branches); a past seat may be recorded for someone who has left since.
        member = Member.objects.filter(
            Q(organisation=org) | Q(organisation__parent=org, organisation__kind__in=HOME_KINDS),
            person=seat.person, status=MemberStatus.ACTIVE).exists()
        if not member:
            errors["person"] = [_("A committee member must be a current member of the "
                                  "branch.")]
    elif org.kind == OrgKind.TEMPORARY:
        taking_part = Participation.objects.filter(
            organisation=org, member__person=seat.person, end_date__isnull=True).exists()
        if not taking_part:
            errors["person"] = [_("A leader of a temporary organisation must be one of its "
                                  "participants.")]
    if org.kind in HOME_KINDS and seat.end_date is None:
        if seat.role == CommitteeRole.SECRETARY and current.filter(
                role=CommitteeRole.SECRETARY).exists():
            errors["role"] = [_("The branch already has a secretary; end that seat first.")]
        if current.count() + 1 > rules.COMMITTEE_MAX:
            errors["role"] = [_("A branch committee has at most %(n)d members.")
                              % {"n": rules.COMMITTEE_MAX}]
        full = Member.objects.filter(organisation=org, status=MemberStatus.ACTIVE).count()
        if (org.kind == OrgKind.BRANCH and full < rules.COMMITTEE_FROM
                and seat.role not in rules.SMALL_BRANCH_ROLES):
            errors["role"] = [_("A branch with fewer than %(n)d full members elects no "
                                "committee: only a secretary (and, if needed, a deputy).")
                              % {"n": rules.COMMITTEE_FROM}]
    if org.kind in HOME_KINDS and seat.end_date is not None:
        limit = rules.anniversary(seat.start_date, rules.term_years(org.basis))
        if seat.end_date > limit:
            errors["end_date"] = [_("A committee's term is %(n)d years: the seat must end "
                                    "by %(date)s.")
                                  % {"n": rules.term_years(org.basis),
                                     "date": limit.isoformat()}]
    if errors:
        raise ValidationError(errors)


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
    if organisation.kind == OrgKind.TEMPORARY:
        errors["organisation"] = [_("A temporary organisation has participants, not members: "
                                    "enter the member in their home branch, then add them to "
                                    "the temporary organisation.")]
    elif organisation.kind not in HOME_KINDS:
        errors["organisation"] = [_("Members belong to a branch or general branch.")]
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
    if to.kind not in HOME_KINDS:
        raise ValidationError({"to_organisation": [_("Choose a branch (a temporary organisation "
                                                     "takes participants, not transfers).")]})
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
    _end_participations_left_behind(actor=actor, member=locked, branch=to, date=date)
    return transfer


def _end_participations_left_behind(*, actor: Any, member: Member, branch: Organisation,
                                    date: datetime.date) -> None:
    """A member whose branch moves out of a temporary organisation's region stops taking
    part in it on the transfer date. A temporary organisation serves a task in its own area
    (DOMAIN.md: dissolved with its task); its clerks could no longer see the member, and the
    member would be counted by two counties. A move within its region (a county-wide
    organisation, a branch change inside the county) keeps the participation."""
    open_rows = Participation.objects.filter(member=member, end_date__isnull=True)
    for participation in open_rows.select_related("organisation"):
        if branch.region_id.startswith(regions.prefix_of(participation.organisation.region_id)):
            continue
        _participation_end(actor=actor, participation=participation,
                           date=max(date, participation.start_date),
                           note=_("Transferred to %(name)s") % {"name": branch.name})


@transaction.atomic
def member_transfer(
    *, actor: Any, member: Member, to_organisation: Organisation, date: datetime.date,
    reason: str = "",
) -> Transfer:
    """组织关系转接: the member moves; the Transfer row keeps the history."""
    _require(actor, "party.add_transfer", member, to_organisation)
    if date > timezone.localdate():
        raise ValidationError({"date": [_("The date is in the future.")]})
    _refuse_if_request_pending(member)
    return _transfer(actor=actor, member=member, to=to_organisation, date=date, reason=reason)


def _refuse_if_request_pending(member: Member) -> None:
    if TransferRequest.objects.filter(member=member, status=RequestStatus.PENDING).exists():
        raise ValidationError({"to_organisation": [
            _("A transfer of this member to another county is awaiting an answer.")]})


# --- transfers to another county -----------------------------------------------------------


def transfer_targets(*, actor: Any, query: str, limit: int = 20) -> QuerySet[Organisation]:
    """Current branches anywhere, by name or place, for choosing where to send a member.

    The one read of party organisations beyond the actor's scope, on purpose: the sending
    clerk must find a branch in another county. It gives names, kinds and regions of
    branches only (never their members), asks for two or more characters, and returns a
    short list; it is for actors who may record transfers."""
    if not actor.has_perm("party.add_transfer"):
        raise PermissionDenied
    query = query.strip()
    if len(query) < 2:
        return Organisation.objects.none()
    return (
        Organisation.objects.filter(kind__in=HOME_KINDS, end_date__isnull=True)
        .filter(Q(name__contains=query) | Q(basis_note__contains=query))
        .only("id", "name", "kind", "region_id", "basis_note")
        .order_by("region_id", "name", "id")[:limit]
    )


@transaction.atomic
def transfer_request_send(
    *, actor: Any, member: Member, to_organisation: Organisation, date: datetime.date,
    reason: str = "",
) -> TransferRequest:
    """Ask another county to take a member into one of its branches. Nothing moves yet."""
    _require(actor, "party.add_transfer", member)
    locked = Member.objects.select_for_update().get(pk=member.pk)
    errors: dict[str, list[str]] = {}
    if locked.status != MemberStatus.ACTIVE:
        errors["member"] = [_("This membership has ended.")]
    if to_organisation.kind not in HOME_KINDS or to_organisation.end_date is not None:
        errors["to_organisation"] = [_("Choose a current branch.")]
    elif to_organisation.pk == locked.organisation_id:
        errors["to_organisation"] = [_("The member is already in this branch.")]
    elif is_visible(to_organisation, actor):
        errors["to_organisation"] = [_("This branch is in your own area: record the transfer "
                                       "directly.")]
    if date > timezone.localdate():
        errors["date"] = [_("The date is in the future.")]
    elif date < locked.since:
        errors["date"] = [_("The date is before the member joined this branch.")]
    if TransferRequest.objects.filter(member=locked, status=RequestStatus.PENDING).exists():
        errors["to_organisation"] = [
            _("A transfer of this member to another county is awaiting an answer.")]
    if errors:
        raise ValidationError(errors)
    request = TransferRequest.objects.create(
        member=locked, from_organisation_id=locked.organisation_id,
        to_organisation=to_organisation, date=date, reason=reason.strip(), requested_by=actor,
    )
    audit.record_change(request, AuditLog.Action.CREATE, after=audit.snapshot(request),
                        actor=actor)
    return request


def _lock_pending(request: TransferRequest) -> TransferRequest:
    locked = TransferRequest.objects.select_for_update().get(pk=request.pk)
    if locked.status != RequestStatus.PENDING:
        raise ValidationError({"status": [_("This request has already been answered.")]})
    return locked


def _decide(locked: TransferRequest, *, actor: Any, status: str, note: str,
            transfer: Transfer | None = None) -> TransferRequest:
    before = audit.snapshot(locked)
    locked.status = status
    locked.decided_by = actor
    locked.decided_on = timezone.localdate()
    locked.decision_note = note.strip()
    locked.transfer = transfer
    locked.save()
    audit.record_change(locked, AuditLog.Action.UPDATE, before=before,
                        after=audit.snapshot(locked), actor=actor, note=status)
    return locked


def _require_receiving(actor: Any, request: TransferRequest) -> None:
    if not actor.has_perm("party.add_transfer") or not is_visible(request.to_organisation,
                                                                    actor):
        raise PermissionDenied


@transaction.atomic
def transfer_request_accept(*, actor: Any, request: TransferRequest,
                            note: str = "") -> TransferRequest:
    """The receiving county takes the member in: the member (and the counts) move today."""
    _require_receiving(actor, request)
    locked = _lock_pending(request)
    target = Organisation.objects.get(pk=locked.to_organisation_id)
    if target.end_date is not None:
        raise ValidationError({"to_organisation": [_("That organisation has ended.")]})
    transfer = _transfer(actor=actor, member=locked.member, to=target,
                         date=max(timezone.localdate(), locked.member.since),
                         reason=locked.reason or _("Transfer from another county"))
    return _decide(locked, actor=actor, status=RequestStatus.ACCEPTED, note=note,
                   transfer=transfer)


@transaction.atomic
def transfer_request_decline(*, actor: Any, request: TransferRequest,
                             note: str) -> TransferRequest:
    _require_receiving(actor, request)
    if not note.strip():
        raise ValidationError({"note": [_("Say why the transfer is declined.")]})
    locked = _lock_pending(request)
    return _decide(locked, actor=actor, status=RequestStatus.DECLINED, note=note)


@transaction.atomic
def transfer_request_withdraw(*, actor: Any, request: TransferRequest,
                              note: str = "") -> TransferRequest:
    """The sending county takes its request back before it is answered."""
    _require(actor, "party.add_transfer", request.from_organisation)
    locked = _lock_pending(request)
    return _decide(locked, actor=actor, status=RequestStatus.WITHDRAWN, note=note)


# --- participants of temporary organisations -----------------------------------------------


@transaction.atomic
def participant_add(*, actor: Any, organisation: Organisation, member: Member,
                    start_date: datetime.date, note: str = "") -> Participation:
    """A member takes part in a temporary organisation; their membership stays at home."""
    _require(actor, "party.change_organisation", organisation, member)
    errors: dict[str, list[str]] = {}
    if organisation.kind != OrgKind.TEMPORARY:
        errors["member"] = [_("Only a temporary organisation has participants.")]
    if member.status != MemberStatus.ACTIVE:
        errors["member"] = [_("This membership has ended.")]
    if Participation.objects.filter(organisation=organisation, member=member,
                                    end_date__isnull=True).exists():
        errors["member"] = [_("This member already takes part.")]
    if start_date < organisation.start_date or (
            organisation.end_date is not None and start_date > organisation.end_date):
        errors["start_date"] = [_("The date is outside the organisation's period.")]
    if errors:
        raise ValidationError(errors)
    participation = Participation.objects.create(organisation=organisation, member=member,
                                                 start_date=start_date, note=note.strip())
    audit.record_change(participation, AuditLog.Action.CREATE,
                        after=audit.snapshot(participation), actor=actor)
    return participation


def _participation_end(*, actor: Any, participation: Participation,
                       date: datetime.date, note: str = "") -> Participation:
    locked = Participation.objects.select_for_update().get(pk=participation.pk)
    if locked.end_date is not None:
        return locked
    if date < locked.start_date:
        raise ValidationError({"date": [_("The date is before the member began taking "
                                          "part.")]})
    before = audit.snapshot(locked)
    locked.end_date = date
    locked.save(update_fields=["end_date"])
    audit.record_change(locked, AuditLog.Action.UPDATE, before=before,
                        after=audit.snapshot(locked), actor=actor, note=note)
    return locked


@transaction.atomic
def participant_end(*, actor: Any, participation: Participation,
                    date: datetime.date) -> Participation:
    _require(actor, "party.change_organisation", participation.organisation)
    return _participation_end(actor=actor, participation=participation, date=date)


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
    for participation in Participation.objects.filter(member=locked, end_date__isnull=True):
        _participation_end(actor=actor, participation=participation,
                           date=max(date, participation.start_date))
    for request in TransferRequest.objects.filter(member=locked, status=RequestStatus.PENDING):
        _decide(request, actor=actor, status=RequestStatus.WITHDRAWN,
                note=_("The membership has ended."))
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


def eligible_members(org: Organisation | None, on: datetime.date | None = None
                     ) -> QuerySet[Member]:
    """Who may be marked at a meeting of `org`: the current members of a branch (a group's
    branch), or the participants of a temporary organisation (on the day, if given)."""
    if org is None:
        return Member.objects.none()
    active = Member.objects.filter(status=MemberStatus.ACTIVE)
    if org.kind == OrgKind.TEMPORARY:
        taking_part = Participation.objects.filter(organisation=org)
        if on is not None:
            taking_part = taking_part.filter(Q(end_date__isnull=True) | Q(end_date__gte=on),
                                             start_date__lte=on)
        else:
            taking_part = taking_part.filter(end_date__isnull=True)
        return active.filter(pk__in=taking_part.values("member_id"))
    branch_id = org.parent_id if org.kind == OrgKind.GROUP else org.pk
    return active.filter(organisation_id=branch_id)


def _attendance_rows(
    org: Organisation | None, date: datetime.date,
    attendance: Iterable[tuple[Member, str, str]], *, already: set[int] = frozenset(),  # type: ignore[assignment]
) -> tuple[list[MeetingAttendance], set[int], dict[str, list[str]]]:
    """Validated attendance rows; `already` are members marked before (kept even if they have
    left since). Returns (rows to keep, members given an empty status, errors)."""
    allowed = set(eligible_members(org, date).values_list("pk", flat=True)) | set(already)
    rows: list[MeetingAttendance] = []
    cleared: set[int] = set()
    errors: dict[str, list[str]] = {}
    seen: set[int] = set()
    for member, status, reason in attendance:
        if member.pk in seen:
            continue
        seen.add(member.pk)
        if not status:
            cleared.add(member.pk)
            continue
        if member.pk not in allowed:
            errors.setdefault("attendance", []).append(
                _("%(name)s is not a current member of this branch.") % {"name": member.person}
            )
            continue
        if status not in Attendance.values:
            errors.setdefault("attendance", []).append(_("Unknown attendance."))
            continue
        if status == Attendance.ABSENT and not reason.strip():
            errors.setdefault("attendance", []).append(
                _("Give the reason %(name)s was absent.") % {"name": member.person}
            )
        rows.append(MeetingAttendance(member=member, status=status, reason=reason.strip(),
                                      date=date))
    return rows, cleared, errors


def _meeting_errors(meeting: Meeting) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if meeting.date > timezone.localdate():
        errors["date"] = [_("The date is in the future.")]
    org = meeting.organisation
    if org.kind == OrgKind.COMMITTEE:
        errors["organisation"] = [_("Record meetings of a branch, group or temporary "
                                    "organisation.")]
    elif meeting.date < org.start_date or (org.end_date is not None
                                           and meeting.date > org.end_date):
        errors["date"] = [_("The organisation did not exist on that date.")]
    return errors


def _meeting_snapshot(meeting: Meeting) -> dict[str, Any]:
    marks = dict(meeting.attendance.values_list("member_id", "status"))
    return audit.snapshot(meeting, {"attendance": {str(k): v for k, v in sorted(marks.items())}})


@transaction.atomic
def meeting_record(
    *, actor: Any, data: dict[str, Any], attendance: Iterable[tuple[Member, str, str]],
    attachments: Iterable[Any] = (),
) -> Meeting:
    """One meeting with its attendance (member, status, reason) and files. Members must be in
    the meeting's branch (or one of its groups), or take part in the temporary organisation."""
    org = data.get("organisation")
    _require(actor, "party.add_meeting", org)
    meeting = Meeting(recorded_by=actor, **{k: v for k, v in data.items() if k in MEETING_FIELDS})
    _clean(meeting, exclude=["recorded_by"])
    errors = _meeting_errors(meeting)
    rows, _cleared, att_errors = _attendance_rows(org, meeting.date, attendance)
    errors.update(att_errors)
    uploads = list(attachments)
    for upload in uploads:
        problem = _upload_problem(upload)
        if problem:
            errors.setdefault("attachment", []).append(problem)
    if errors:
        raise ValidationError(errors)
    meeting.save()
    for row in rows:
        row.meeting = meeting
    MeetingAttendance.objects.bulk_create(rows)
    audit.record_change(meeting, AuditLog.Action.CREATE, actor=actor,
                        after=_meeting_snapshot(meeting))
    for upload in uploads:
        _attachment_save(actor=actor, meeting=meeting, upload=upload)
    return meeting


@transaction.atomic
def meeting_update(
    *, actor: Any, meeting: Meeting, data: dict[str, Any],
    attendance: Iterable[tuple[Member, str, str]],
) -> Meeting:
    """Correct a meeting: its details and the attendance marks. The organisation stays (its
    members are who the marks are about); a new date is copied to every mark; a member given
    no mark loses theirs; members marked before stay markable even if they have left since."""
    _require(actor, "party.change_meeting", meeting)
    locked = Meeting.objects.select_for_update().select_related("organisation").get(
        pk=meeting.pk)
    before = _meeting_snapshot(locked)
    for key in MEETING_FIELDS:
        if key in data and key != "organisation":
            setattr(locked, key, data[key])
    _clean(locked, exclude=["recorded_by"])
    errors = _meeting_errors(locked)
    marked = set(locked.attendance.values_list("member_id", flat=True))
    rows, cleared, att_errors = _attendance_rows(locked.organisation, locked.date, attendance,
                                                 already=marked)
    errors.update(att_errors)
    if errors:
        raise ValidationError(errors)
    locked.save()
    existing = {a.member_id: a for a in locked.attendance.all()}
    for row in rows:
        old = existing.get(row.member.pk)
        if old is None:
            row.meeting = locked
            row.save()
        else:
            old.status, old.reason, old.date = row.status, row.reason, locked.date
            old.save(update_fields=["status", "reason", "date"])
    locked.attendance.filter(member_id__in=cleared).delete()
    locked.attendance.exclude(date=locked.date).update(date=locked.date)
    audit.record_change(locked, AuditLog.Action.UPDATE, before=before,
                        after=_meeting_snapshot(locked), actor=actor)
    return locked


@transaction.atomic
def meeting_delete(*, actor: Any, meeting: Meeting) -> None:
    """Delete a meeting recorded in error, with its attendance and files; the audit row keeps
    what it said."""
    _require(actor, "party.delete_meeting", meeting)
    locked = Meeting.objects.select_for_update().get(pk=meeting.pk)
    before = _meeting_snapshot(locked)
    files = [a.file.name for a in locked.attachments.all()]
    audit.record_change(locked, AuditLog.Action.DELETE, before=before, actor=actor)
    locked.delete()
    _delete_files_on_commit(files)


# --- meeting attachments -------------------------------------------------------------------

# What a file of each accepted type begins with, where the type has a fixed signature: a file
# named .pdf that is not a PDF is refused (a renamed executable, a broken scan).
_SIGNATURES = {
    ".pdf": (b"%PDF",),
    ".png": (b"\x89PNG",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".docx": (b"PK",),
    ".xlsx": (b"PK",),
    ".doc": (b"\xd0\xcf\x11\xe0",),
    ".xls": (b"\xd0\xcf\x11\xe0",),
}


def _upload_problem(upload: Any) -> str | None:
    """Why an uploaded file cannot be kept, in the user's language; None when it can."""
    import os

    name = os.path.basename(getattr(upload, "name", "") or "")
    ext = os.path.splitext(name)[1].lower()
    allowed = settings.HONGXIA_ATTACHMENT_TYPES
    if ext not in allowed:
        return _("%(name)s: this kind of file is not accepted (accepted: %(types)s).") % {
            "name": name, "types": " ".join(allowed)}
    size = getattr(upload, "size", 0) or 0
    if size == 0:
        return _("%(name)s is empty.") % {"name": name}
    limit = settings.HONGXIA_ATTACHMENT_MAX_BYTES
    if size > limit:
        return _("%(name)s is too large: at most %(mb)d MB.") % {
            "name": name, "mb": limit // (1024 * 1024)}
    signatures = _SIGNATURES.get(ext)
    if signatures:
        upload.seek(0)
        head = upload.read(8)
        upload.seek(0)
        if not any(head.startswith(sig) for sig in signatures):
            return _("%(name)s is not the kind of file its name says.") % {"name": name}
    return None


def _attachment_save(*, actor: Any, meeting: Meeting, upload: Any) -> MeetingAttachment:
    import os

    name = os.path.basename(upload.name)[:200]
    attachment = MeetingAttachment(meeting=meeting, name=name, size=upload.size,
                                   uploaded_by=actor)
    # The file is written before the row; if the row cannot be saved the file goes with it.
    # (Django has no rollback hook: a later failure in the same transaction would leave the
    # file without a row, which takes disk space but shows nothing to anyone.)
    attachment.file.save(name, upload, save=False)
    try:
        attachment.save()
    except Exception:
        attachment.file.delete(save=False)
        raise
    audit.record_change(attachment, AuditLog.Action.CREATE, actor=actor,
                        after=audit.snapshot(attachment, {"file": attachment.file.name}),
                        note=f"meeting {meeting.pk}")
    return attachment


@transaction.atomic
def attachment_add(*, actor: Any, meeting: Meeting, upload: Any) -> MeetingAttachment:
    """Keep a file with a meeting (photos, sign-in sheet, minutes), under MEDIA_ROOT; it is
    served only through the scoped download view."""
    _require(actor, "party.add_meetingattachment", meeting)
    problem = _upload_problem(upload)
    if problem:
        raise ValidationError({"file": [problem]})
    return _attachment_save(actor=actor, meeting=meeting, upload=upload)


@transaction.atomic
def attachment_delete(*, actor: Any, attachment: MeetingAttachment) -> None:
    _require(actor, "party.delete_meetingattachment", attachment)
    locked = MeetingAttachment.objects.select_for_update().get(pk=attachment.pk)
    audit.record_change(locked, AuditLog.Action.DELETE,
                        before=audit.snapshot(locked, {"file": locked.file.name}),
                        actor=actor, note=f"meeting {locked.meeting_id}")
    name = locked.file.name
    locked.delete()
    _delete_files_on_commit([name])


def attachment_open(*, actor: Any, attachment: MeetingAttachment, via: str) -> Any:
    """The file of an attachment, opened for reading, and the audit row saying who took it
    (minutes and sign-in sheets name members: every download is logged, like an unmasked
    view). `via` says where: "page" or "api". A missing file raises FileNotFoundError."""
    _require(actor, "party.view_meeting", attachment)
    handle = attachment.file.open("rb")
    region = (Meeting.objects.filter(pk=attachment.meeting_id)
              .values_list("organisation__region_id", flat=True).first())
    audit.record_event(AuditLog.Action.VIEW_SENSITIVE, actor=actor, obj=attachment,
                       region_id=region,
                       note=f"download ({via}), meeting {attachment.meeting_id}")
    return handle


def _storage() -> Any:
    return MeetingAttachment._meta.get_field("file").storage  # type: ignore[attr-defined]


def _delete_files_on_commit(names: list[str]) -> None:
    """Files go only once the rows are gone for good (a rolled-back delete keeps them)."""

    def remove() -> None:
        for name in names:
            if name:
                _storage().delete(name)

    transaction.on_commit(remove)
