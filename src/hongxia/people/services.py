"""Every write to the registry: validated, in one transaction, audited."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hongxia.core import audit, crypto, idcard, masking, pinyin
from hongxia.core.models import AuditLog
from hongxia.core.scope import is_visible
from hongxia.people.choices import Category, EventKind, LifeStatus
from hongxia.people.models import Contact, LifeEvent, Person, SearchKey, Tag

# Fields a caller may set through person_create / person_update.
EDITABLE_FIELDS = (
    "name",
    "gender",
    "ethnicity",
    "id_number",
    "birth_date",
    "lunar_birthday",
    "category",
    "survivor_of",
    "survivor_relation",
    "rank",
    "former_unit",
    "retirement_date",
    "revolution_date",
    "political_status",
    "party_joined",
    "region",
    "address",
    "lives_elsewhere",
    "elsewhere_city",
    "elsewhere_address",
    "phone",
    "landline",
    "health_status",
    "hardship",
    "hardship_note",
    "notes",
)


def apply_derived(
    person: Person,
    *,
    today: datetime.date | None = None,
    id_info: idcard.IdInfo | None = None,
) -> None:
    """Normalise the ID, check it against birth date and gender, and fill the derived columns
    (hashes, masks, pinyin). Raises ValidationError keyed by field.

    ``id_info`` is what ``idcard.parse`` already gave for the person's ID number (an import
    parses each cell once): used when it is of that very number."""
    errors: dict[str, list[str]] = {}
    today = today or timezone.localdate()
    person.name = (person.name or "").strip()
    if person.id_number:
        try:
            if (
                id_info is not None
                and id_info.number == person.id_number
                and id_info.birth_date <= today
            ):
                info = id_info
            else:
                info = idcard.parse(person.id_number, today=today)
        except idcard.IdNumberError as exc:
            errors.setdefault("id_number", []).append(str(exc))
        else:
            person.id_number = info.number
            if person.birth_date is None:
                person.birth_date = info.birth_date
            elif person.birth_date != info.birth_date:
                errors.setdefault("birth_date", []).append(
                    _("The birth date does not match the ID number (%(date)s).")
                    % {"date": info.birth_date.isoformat()}
                )
            if not person.gender:
                person.gender = info.gender
            elif person.gender != info.gender:
                errors.setdefault("gender", []).append(
                    _("The gender does not match the ID number.")
                )
    else:
        # Without an ID number nothing else can supply them.
        if not person.gender:
            errors.setdefault("gender", []).append(
                _("Without an ID number, enter the gender.")
            )
        if person.birth_date is None:
            errors.setdefault("birth_date", []).append(
                _("Without an ID number, enter the birth date.")
            )
    if person.birth_date and person.birth_date > today:
        errors.setdefault("birth_date", []).append(_("The birth date is in the future."))
    if person.birth_date and person.birth_date < idcard.EARLIEST_BIRTH:
        errors.setdefault("birth_date", []).append(_("The birth date is before 1880."))
    if person.death_date and person.death_date > today:
        errors.setdefault("death_date", []).append(_("The date of death is in the future."))
    if person.party_joined and person.birth_date and person.party_joined <= person.birth_date:
        errors.setdefault("party_joined", []).append(
            _("The party joining date is before the birth date.")
        )
    if person.revolution_date and person.birth_date and person.revolution_date <= person.birth_date:
        errors.setdefault("revolution_date", []).append(
            _("The date of joining the revolution is before the birth date.")
        )
    if person.retirement_date and person.birth_date and person.retirement_date <= person.birth_date:
        errors.setdefault("retirement_date", []).append(
            _("The retirement date is before the birth date.")
        )
    for field in ("phone", "landline"):
        problem = masking.phone_problem(getattr(person, field))
        if problem:
            errors.setdefault(field, []).append(problem)
    if errors:
        raise ValidationError(errors)

    person.id_hash = crypto.lookup_hash(person.id_number) or None
    person.id_masked = masking.mask_id(person.id_number) if person.id_number else ""
    person.phone = masking.normalize_phone(person.phone)
    person.landline = masking.normalize_phone(person.landline)
    person.phone_hash = crypto.lookup_hash(person.phone)
    person.phone_masked = masking.mask_phone(person.phone)
    person.landline_masked = masking.mask_phone(person.landline)
    person.name_pinyin = pinyin.name_pinyin(person.name)[:128]


def survivor_link_errors(person: Person) -> dict[str, list[str]]:
    """What is wrong with the person's link to a deceased cadre (survivor_of): a survivor
    belongs to a cadre whose death is recorded, never to themselves or to another survivor.
    Only the link is judged; the person's own category may be 遗属 or, for a cadre widowed
    by another cadre, 离休 or 退休."""
    if not person.survivor_of_id:
        return {}
    if person.pk and person.survivor_of_id == person.pk:
        return {"survivor_of": [_("A person cannot be their own survivor.")]}
    cadre = person.survivor_of
    if cadre is None:
        return {}
    if cadre.category == Category.SURVIVOR:
        message = _(
            "%(name)s is registered as a survivor. Link the survivor to the deceased cadre."
        )
    elif cadre.life_status != LifeStatus.DECEASED:
        message = _(
            "%(name)s is not recorded as deceased. Record the death on their page first."
        )
    else:
        return {}
    return {"survivor_of": [message % {"name": cadre.name}]}


def cadre_change_errors(person: Person, *, before: tuple[str, str]) -> dict[str, list[str]]:
    """A cadre whose survivors are linked to them stays a deceased cadre: made a survivor, or
    alive again, their survivors would hang on someone they cannot be the survivors of.
    ``before``: the person's (category, life status) as stored."""
    category, status = before
    becomes_survivor = category != Category.SURVIVOR and person.category == Category.SURVIVOR
    comes_alive = status == LifeStatus.DECEASED and person.life_status != LifeStatus.DECEASED
    if not (becomes_survivor or comes_alive) or not person.pk:
        return {}
    count = Person.objects.filter(survivor_of=person.pk).count()
    if not count:
        return {}
    field = "category" if becomes_survivor else "life_status"
    return {
        field: [
            _(
                "%(count)d survivors are linked to this person as their deceased cadre: "
                "correct their links first."
            )
            % {"count": count}
        ]
    }


def search_keys_for(person: Person, contacts: Iterable[Contact] = ()) -> set[str]:
    keys = {k[:64] for k in pinyin.name_search_keys(person.name)}
    if len(person.id_number or "") >= 4:
        keys.add("#" + person.id_number[-4:])  # with its X: people read the card as printed
    for number in (person.phone, person.landline):
        digits = masking.tail(number or "", 4)
        if len(digits) == 4:
            keys.add("#" + digits)
    return keys


def rebuild_search_keys(person: Person) -> None:
    wanted = search_keys_for(person)
    have = set(SearchKey.objects.filter(person=person).values_list("key", flat=True))
    SearchKey.objects.filter(person=person, key__in=have - wanted).delete()
    SearchKey.objects.filter(person=person).exclude(name_pinyin=person.name_pinyin).update(
        name_pinyin=person.name_pinyin
    )
    SearchKey.objects.bulk_create(
        [SearchKey(person=person, key=k, name_pinyin=person.name_pinyin) for k in wanted - have]
    )


def _check_survivor_link(person: Person) -> None:
    errors = survivor_link_errors(person)
    if errors:
        raise ValidationError(errors)


def _save_checked(person: Person, *, actor: Any) -> None:
    """full_clean, save, and turn a duplicate ID into a field error, not a 500."""
    try:
        person.full_clean(exclude=["id_hash"], validate_unique=False)
    except ValidationError as exc:
        raise ValidationError(exc.message_dict) from exc
    if person.id_hash:
        dupes = Person.objects.filter(id_hash=person.id_hash).exclude(pk=person.pk)
        if dupes.exists():
            # Say no more than that: the other record may be outside the actor's region.
            raise ValidationError({"id_number": [_("This ID number is already registered.")]})
    try:
        with transaction.atomic():
            person.save()
    except IntegrityError as exc:
        # Two clerks registering the same ID at once: the unique constraint decides.
        raise ValidationError({"id_number": [_("This ID number is already registered.")]}) from exc


def _check_can_write(actor: Any, person: Person, perm: str) -> None:
    if not actor.has_perm(perm):
        raise PermissionDenied
    if not is_visible(person, actor):
        # Re-check after write: a clerk may not move a person outside their own region.
        raise ValidationError({"region": [_("You may only keep people in your own region.")]})


def _set_tags(person: Person, tags: Iterable[Tag] | None) -> list[str] | None:
    if tags is None:
        return None
    person.tags.set(list(tags))
    return sorted(t.code for t in person.tags.all())


@transaction.atomic
def person_create(*, actor: Any, data: dict[str, Any], tags: Iterable[Tag] | None = None) -> Person:
    person = Person(**{k: v for k, v in data.items() if k in EDITABLE_FIELDS})
    apply_derived(person)
    _check_survivor_link(person)
    _save_checked(person, actor=actor)
    _check_can_write(actor, person, "people.add_person")
    tag_codes = _set_tags(person, tags)
    rebuild_search_keys(person)
    audit.record_change(
        person,
        AuditLog.Action.CREATE,
        before={},
        after=audit.snapshot(person, {"tags": tag_codes or []}),
        actor=actor,
    )
    return person


@transaction.atomic
def person_update(
    *, actor: Any, person: Person, data: dict[str, Any], tags: Iterable[Tag] | None = None
) -> Person:
    if not is_visible(person, actor):
        raise PermissionDenied
    locked = Person.objects.select_for_update().get(pk=person.pk)
    before = audit.snapshot(locked, {"tags": sorted(t.code for t in locked.tags.all())})
    linked_to = locked.survivor_of_id
    was = (locked.category, locked.life_status)
    for key, value in data.items():
        if key in EDITABLE_FIELDS:
            setattr(locked, key, value)
    apply_derived(locked)
    if locked.survivor_of_id != linked_to:
        # A link is judged when it is made: one stored before this rule, or a cadre whose
        # death record was since corrected, does not stop an edit of the survivor's phone.
        _check_survivor_link(locked)
    refused = cadre_change_errors(locked, before=was)
    if refused:
        raise ValidationError(refused)
    _save_checked(locked, actor=actor)
    _check_can_write(actor, locked, "people.change_person")
    tag_codes = _set_tags(locked, tags)
    rebuild_search_keys(locked)
    after = audit.snapshot(locked, {"tags": tag_codes if tag_codes is not None else before["tags"]})
    audit.record_change(locked, AuditLog.Action.UPDATE, before=before, after=after, actor=actor)
    return locked


@transaction.atomic
def person_record_death(
    *, actor: Any, person: Person, date: datetime.date, note: str = ""
) -> Person:
    """One action: the status changes, a life event keeps the history, survivors stay."""
    if not actor.has_perm("people.record_death") or not is_visible(person, actor):
        raise PermissionDenied
    locked = Person.objects.select_for_update().get(pk=person.pk)
    if locked.life_status == LifeStatus.DECEASED:
        raise ValidationError({"date": [_("This person is already recorded as deceased.")]})
    if date > timezone.localdate():
        raise ValidationError({"date": [_("The date of death is in the future.")]})
    if date < locked.birth_date:
        raise ValidationError({"date": [_("The date of death is before the birth date.")]})
    before = audit.snapshot(locked)
    locked.life_status = LifeStatus.DECEASED
    locked.death_date = date
    locked.save(update_fields=["life_status", "death_date", "updated_at"])
    event = LifeEvent.objects.create(
        person=locked, kind=EventKind.DEATH, date=date, note=note, recorded_by=actor
    )
    _on_life_event(actor=actor, event=event)
    audit.record_change(
        locked,
        AuditLog.Action.UPDATE,
        before=before,
        after=audit.snapshot(locked),
        actor=actor,
        note=note,
    )
    audit.record_change(event, AuditLog.Action.CREATE, after=audit.snapshot(event), actor=actor)
    return locked


def _on_life_event(*, actor: Any, event: LifeEvent) -> None:
    """What other lines of work do when a life event is recorded, in the same transaction:
    a death ends the party membership; care rules fire at once for the event."""
    from hongxia.care.services import tasks_on_life_event

    if event.kind == EventKind.DEATH:
        from hongxia.party.services import membership_end_on_death

        membership_end_on_death(actor=actor, person=event.person, date=event.date)
    tasks_on_life_event(actor=actor, event=event)


@transaction.atomic
def life_event_record(
    *, actor: Any, person: Person, kind: str, date: datetime.date, note: str = ""
) -> LifeEvent:
    if kind == EventKind.DEATH:
        person_record_death(actor=actor, person=person, date=date, note=note)
        return person.events.filter(kind=EventKind.DEATH).latest("id")
    if not actor.has_perm("people.change_person") or not is_visible(person, actor):
        raise PermissionDenied
    if date > timezone.localdate():
        raise ValidationError({"date": [_("The date is in the future.")]})
    event = LifeEvent.objects.create(
        person=person, kind=kind, date=date, note=note, recorded_by=actor
    )
    _on_life_event(actor=actor, event=event)
    audit.record_change(event, AuditLog.Action.CREATE, after=audit.snapshot(event), actor=actor)
    return event


@transaction.atomic
def contact_save(
    *, actor: Any, person: Person, contact: Contact | None, data: dict[str, Any]
) -> Contact:
    if not actor.has_perm("people.change_person") or not is_visible(person, actor):
        raise PermissionDenied
    creating = contact is None
    obj = contact or Contact(person=person)
    before = {} if creating else audit.snapshot(obj)
    for key in ("name", "relation", "phone", "is_emergency", "address"):
        if key in data:
            setattr(obj, key, data[key])
    problem = masking.phone_problem(obj.phone)
    if problem:
        raise ValidationError({"phone": [problem]})
    obj.phone = masking.normalize_phone(obj.phone)
    obj.phone_masked = masking.mask_phone(obj.phone)
    obj.full_clean(exclude=["person"])
    obj.save()
    audit.record_save(obj, created=creating, before=before, actor=actor)
    return obj


@transaction.atomic
def contact_delete(*, actor: Any, contact: Contact) -> None:
    if not actor.has_perm("people.change_person") or not is_visible(contact, actor):
        raise PermissionDenied
    audit.record_change(
        contact, AuditLog.Action.DELETE, before=audit.snapshot(contact), actor=actor
    )
    contact.delete()


def reveal(*, actor: Any, person: Person, field: str) -> str:
    """The unmasked value of a sensitive field, logged; only for those allowed to see it."""
    own = actor.has_perm("people.view_own_sensitive") and person.account_id == actor.pk
    if not (actor.has_perm("people.view_sensitive") or own) or not is_visible(person, actor):
        raise PermissionDenied
    if field not in {"id_number", "phone", "landline"}:
        raise ValueError(field)
    audit.record_event(AuditLog.Action.VIEW_SENSITIVE, actor=actor, obj=person, note=field)
    return str(getattr(person, field))


@transaction.atomic
def tag_save(*, actor: Any, tag: Tag | None, data: dict[str, Any]) -> Tag:
    """Add a classification tag or change one (name, English name, in use); never deleted,
    since people keep the tags they were given."""
    if not actor.has_perm("people.manage_tags"):
        raise PermissionDenied
    creating = tag is None
    obj = tag or Tag()
    before = {} if creating else audit.snapshot(obj)
    for key in ("code", "name", "name_en", "active"):
        if key in data and not (key == "code" and not creating):
            setattr(obj, key, data[key])
    obj.full_clean()
    obj.save()
    audit.record_save(obj, created=creating, before=before, actor=actor)
    return obj
