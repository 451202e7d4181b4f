"""Reads of the import app that more than one caller needs: the merge queue's comparison of a
held row with the registered person, for the page and the API; a job's problems summed up,
for its page and the command line; what a checked job would write."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from hongxia.core import crypto, masking
from hongxia.ingest import services
from hongxia.ingest.models import MergeCandidate
from hongxia.people import services as people_services
from hongxia.people.models import Person, Tag

# Shown whatever the row holds: what tells two people apart.
ALWAYS = ("name", "gender", "birth_date", "id_number", "region", "category")
MASKED = {"id_number": masking.mask_id, "phone": masking.mask_phone, "landline": masking.mask_phone}


@dataclass(frozen=True)
class Compared:
    """One field of a held row beside the registered person's. ``row`` is empty where the
    row's cell was: deciding "the same person, update the record" leaves that field alone."""

    field: str
    label: str
    row: str
    record: str
    # The row's value is less precise than the record's, and agrees with it (1985.03 and
    # 1985-03-17; 鹤城区 and a village of it): the merge keeps the record's, as an import does.
    agrees: bool = False

    @property
    def differs(self) -> bool:
        return bool(self.row) and self.row != self.record and not self.agrees

    def as_dict(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "label": self.label,
            "row": self.row,
            "record": self.record,
            "differs": self.differs,
        }


def _shown(fname: str, value: Any) -> str:
    """A value as the registry's pages show it; ID numbers and phones masked."""
    if value is None or value == "":
        return ""
    if fname in MASKED:
        return MASKED[fname](str(value))
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, datetime.date):
        return value.isoformat()
    choices = dict(getattr(Person._meta.get_field(fname), "flatchoices", ()))
    if choices:
        return str(choices.get(value, value))
    return str(value)


def _cadre(person: Person | None, user: Any) -> str:
    """A deceased cadre as the comparison shows them: name and masked ID, if ``user`` sees
    them."""
    prefix = user.scope_prefix  # "" sees every region, None none
    if person is None or prefix is None or not person.region_id.startswith(prefix):
        return ""
    return f"{person.name} {person.id_masked}".strip()


def candidate_comparison(candidate: MergeCandidate, user: Any) -> list[Compared]:
    """The held row beside the record, field by field, in the registry form's order: the
    fields that tell people apart, then every other field the row fills. The row's deceased
    cadre shows as ``user`` may see them (a number not registered in their area, masked)."""
    values = services.candidate_values(candidate, user)
    person = candidate.person
    compared = []
    for fname in people_services.EDITABLE_FIELDS:
        skip = fname not in ALWAYS and values.get(fname) in (None, "")
        if skip and fname != "survivor_of":
            continue
        label = str(getattr(Person._meta.get_field(fname), "verbose_name", fname))
        if fname == "survivor_of":
            number = candidate.data.get("survivor_of")
            if number:
                row = _cadre(values.get("survivor_of"), user) or str(
                    _("%(number)s, not registered in your region")
                    % {"number": masking.mask_id(crypto.decrypt(number))}
                )
                record = _cadre(person.survivor_of, user)
                compared.append(Compared(fname, label[:1].upper() + label[1:], row, record))
            continue
        row, agrees = _shown(fname, values.get(fname)), False
        given = (candidate.data.get("precision") or {}).get(fname)
        if given and values.get(fname):
            row = row[: 7 if given == "month" else 4]  # 1985-03, as the file gave it
            agrees = bool(getattr(person, fname)) and services._within(
                values[fname], getattr(person, fname), given
            )
        elif fname == "region":
            agrees = not candidate.data.get("region_given", True) or services._region_within(
                person.region_id, values["region"].code
            )
        compared.append(
            Compared(
                fname, label[:1].upper() + label[1:], row, _shown(fname, getattr(person, fname)),
                agrees,
            )
        )
    codes = candidate.data.get("tags")
    if codes:
        names = dict(Tag.objects.values_list("code", "name"))
        label = str(Person._meta.get_field("tags").verbose_name)
        compared.append(
            Compared(
                "tags",
                label[:1].upper() + label[1:],
                "、".join(sorted(names.get(c, c) for c in codes)),
                "、".join(sorted(t.name for t in person.tags.all())),
            )
        )
    return compared


def problem_groups(problems: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The problems by column and kind, the largest first, with the first rows of each: how a
    clerk sees at a glance that 312 rows lack a birth date. None for a short list."""
    if len(problems) <= 10:
        return []
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for p in problems:
        group = groups.setdefault(
            (p["column"], p["severity"]),
            {"column": p["column"], "severity": p["severity"], "count": 0, "rows": []},
        )
        group["count"] += 1
        if p["row"] and len(group["rows"]) < 5:
            group["rows"].append(p["row"])
    order = {"error": 0, "warning": 1}
    return sorted(groups.values(), key=lambda g: (order.get(g["severity"], 2), -g["count"]))


def rows_to_write(summary: dict[str, Any]) -> int:
    """How many rows a checked job would write if confirmed: the new, the changed, and those
    held as possible duplicates (they go into the merge queue). 0 when the check found none
    (no header row, every row refused, an empty sheet): then there is nothing to confirm."""
    return sum(int(summary.get(key) or 0) for key in ("created", "updated", "queued"))
