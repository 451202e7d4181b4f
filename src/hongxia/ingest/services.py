"""Roster import: every row checked like the registry form, written in batches, audited.

The flow of ``roster_import``: open the file, find the header, then per batch of rows turn
cells into field values (``rules``), let ``people.services.apply_derived`` and the model's field
checks judge the person exactly as the registry form does, look the batch's ID hashes up in one
query, and write — new people with raw multi-row inserts (executemany on SQLite, COPY on
PostgreSQL), changed people field by field through the ORM with an audit record each. A row
that an import already wrote, to a record nobody has changed since, is recognised by its
fingerprint and counted unchanged without those checks, or even without converting its cells
(``fingerprints``). Every
batch is one transaction, so a killed process leaves whole batches or nothing; with
``all_or_nothing`` the whole file is one transaction that is rolled back when any row is
refused. A dry run writes and rolls back batch by batch, so its progress is
committed (and seen by other workers) while it runs.
"""

from __future__ import annotations

import collections
import contextlib
import datetime
import functools
import gc
import json
import multiprocessing
import operator
import re
import threading
from collections.abc import Callable, Container, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, models, transaction
from django.db.models import Q
from django.db.models.base import ModelState
from django.utils import timezone
from django.utils.translation import gettext as _

from hongxia.core import audit, crypto, dbstats, idcard, masking, pinyin, regions, versions
from hongxia.core.models import AuditLog, Region
from hongxia.core.services import legacy_area_codes
from hongxia.ingest import fingerprints, readers, rules
from hongxia.ingest.choices import MergeStatus, Severity
from hongxia.ingest.fieldcheck import FieldChecker
from hongxia.ingest.models import ImportJob, MergeCandidate, RowFingerprint
from hongxia.people import services as people_services
from hongxia.people.choices import Category, LifeStatus
from hongxia.people.forms import PersonForm
from hongxia.people.models import Person, SearchKey, Tag

BATCH_SIZE = 2000
# Worker processes that convert and judge rows while the import writes
# (settings.HONGXIA_INGEST_WORKERS; 0: none), for files of at least
# settings.HONGXIA_INGEST_POOL_MIN_ROWS rows: below that, starting them costs more than it saves.
POOL_WORKERS = 0
POOL_MIN_ROWS = 5000
# SQLite, during an import only (_sqlite_bulk_settings): page cache, and WAL checkpoint interval.
SQLITE_CACHE_MB = 64
SQLITE_CHECKPOINT_PAGES = 10_000
# The garbage collector's first threshold during an import (CPython's default: 700). An import
# allocates millions of short-lived containers, nearly all freed by reference counting; at
# 700 the collector ran ~1,800 times over the 56,000-row roster (8-13% of the import).
GC_THRESHOLD = 50_000
DATE_FIELDS = ("birth_date", "retirement_date", "revolution_date", "party_joined", "death_date")
BOOL_FIELDS = ("lives_elsewhere", "hardship", "lunar_birthday")
TEXT_FIELDS = (
    "name",
    "former_unit",
    "address",
    "elsewhere_city",
    "elsewhere_address",
    "hardship_note",
    "notes",
    "phone",
    "landline",
)
# Numbers a masked export shows starred (138****5678): never stored as they are.
SENSITIVE_TEXT = ("phone", "landline")
# Cells a spreadsheet may hold as '4312… or ="0745…" to keep them text (and names, which never
# start with an apostrophe); in free text (notes, addresses) a leading apostrophe is the
# writer's own.
MARKED_AS_TEXT = frozenset(
    {"id_number", "survivor_of", "phone", "landline", "region", "name", *DATE_FIELDS}
)
# The values of a row held for a clerk that are stored encrypted, as on the person.
QUEUED_SECRETS = ("id_number", "phone", "landline", "survivor_of")
# Person fields an import may set; the derived columns follow from them in apply_derived.
PERSON_FIELDS = (
    "name",
    "id_number",
    "gender",
    "ethnicity",
    "birth_date",
    "lunar_birthday",
    "category",
    "survivor_relation",
    "rank",
    "former_unit",
    "retirement_date",
    "revolution_date",
    "political_status",
    "party_joined",
    "region",
    "address",
    "phone",
    "landline",
    "health_status",
    "lives_elsewhere",
    "elsewhere_city",
    "elsewhere_address",
    "life_status",
    "death_date",
    "hardship",
    "hardship_note",
    "notes",
)
# What a row can set of a person: the fields; its 精细分类 tags (a many-to-many link, not a
# column: compared and written apart, as a sorted tuple of codes); and, for a survivor, the
# deceased cadre's ID number (linked once the whole file is in: _Run.link_survivors).
ROW_FIELDS = (*PERSON_FIELDS, "tags", "survivor_of")
# Problem codes: an ID Excel cut (refused), and a good one that may be cut (a warning kept
# only when the file has the first).
CUT, MAYBE_CUT = "excel_float", "maybe_excel_float"
DERIVED = ("name_pinyin", "id_hash", "id_masked", "phone_hash", "phone_masked", "landline_masked")
_REGION_SUFFIXES = (
    "苗族侗族自治县",
    "侗族自治县",
    "苗族自治县",
    "土家族苗族自治县",
    "自治县",
    "街道办事处",
    "街道",
    "管理区",
    "县",
    "区",
    "市",
    "镇",
    "乡",
)


_REGION_SEPARATORS = re.compile(r"[\s,、/\\|·\-—]+")


# --- results ---------------------------------------------------------------------------------


@dataclass
class Problem:
    row: int  # the row number as Excel shows it; 0 for the file as a whole
    column: str
    message: str
    severity: str = Severity.ERROR
    value: str = ""
    code: str = ""  # what the importer needs to tell problems apart; not shown, not stored

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("code")
        return data


@dataclass
class ImportResult:
    filename: str = ""
    sheet: str = ""
    encoding: str = ""
    # The book's other sheets that hold a roster: the clerk may check one of them next.
    other_sheets: list[str] = field(default_factory=list)
    header_row: int = 0
    columns: dict[str, str] = field(default_factory=dict)  # header text → field
    unknown_columns: list[str] = field(default_factory=list)
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    queued: int = 0
    blank_rows: int = 0
    total_rows: int = 0
    heading_rows: int = 0  # 一、离休干部: the heading of a group of rows
    repaired: int = 0
    committed: bool = False
    workers: int = 0  # worker processes that checked the rows (0: this process alone)
    problems: list[Problem] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("problems")
        data["errors"] = sum(1 for p in self.problems if p.severity == Severity.ERROR)
        data["problems"] = len(self.problems)
        return data

    @property
    def error_rows(self) -> set[int]:
        return {p.row for p in self.problems if p.severity == Severity.ERROR and p.row}


class ImportAborted(Exception):
    """Raised inside the outer transaction to roll back a dry run or an all-or-nothing import."""


# --- regions ---------------------------------------------------------------------------------


class RegionResolver:
    """A region cell → region code, by code, name, short name, old name or pinyin, or a path
    of them (湖南省怀化市鹤城区城南街道). A person's region is a county or below, as on the
    registry form."""

    def __init__(self) -> None:
        self.codes: set[str] = set()
        self.levels: dict[str, str] = {}
        names: dict[str, set[str]] = {}

        def add(key: str, code: str) -> None:
            key = key.strip().lower().replace(" ", "")
            if key:
                names.setdefault(key, set()).add(code)

        rows = Region.objects.values_list("code", "name", "former_names", "name_pinyin", "level")
        for code, name, former, name_py, level in rows:
            self.codes.add(code)
            self.levels[code] = level
            if level == "community":
                continue  # thousands of village names repeat: only by code
            add(name, code)
            for old in re.split(r"[,，;；、\s]+", former or ""):
                add(old, code)
            add(name_py or pinyin.name_pinyin(name), code)
            short = self._short(name)
            if short != name and len(short) >= 2:
                add(short, code)
                add(pinyin.name_pinyin(short), code)
                if name.endswith("自治县"):
                    add(short + "县", code)  # 麻阳县 for 麻阳苗族自治县, as people say it
        self.names = names
        # Names a longer cell may start with: those of one province, city or county.
        self.prefixes = sorted(
            {n for n, codes in names.items() if len(codes) == 1 and len(n) >= 2}
            & {n for n, codes in names.items() if all(len(c) == 6 for c in codes)},
            key=len,
            reverse=True,
        )

    @staticmethod
    def _short(name: str) -> str:
        for suffix in _REGION_SUFFIXES:
            if name.endswith(suffix) and len(name) > len(suffix) + 1:
                return name[: -len(suffix)]
        return name

    def _checked(self, code: str, text: str) -> str:
        if self.levels.get(code) in ("province", "city"):
            raise rules.CellError("region_level", text)
        return code

    @functools.lru_cache(maxsize=4096)  # noqa: B019 - one resolver lives for one import
    def resolve(self, value: str) -> str:
        # 湖南省，怀化市，鹤城区 / 怀化市-鹤城区: the separators between the names go.
        text = _REGION_SEPARATORS.sub("", rules.fold(value))
        if not text:
            return ""
        if text.isdigit():
            code = text
            if code in self.codes:
                return self._checked(code, text)
            legacy = legacy_area_codes().get(code)
            if legacy and legacy in self.codes:
                return self._checked(legacy, text)
            raise rules.CellError("region", text)
        key = text.lower()
        within = ""  # the code prefix of the places named in front, 4312 for 怀化市
        for _round in range(4):
            codes = {c for c in self.names.get(key, ()) if c.startswith(within)}
            if codes:
                top = min(codes, key=len)
                if len(codes) > 1 and not all(c.startswith(regions.prefix_of(top)) for c in codes):
                    raise rules.CellError("region_ambiguous", text)
                # 沅陵 is 沅陵县 and the town 沅陵镇 in it: the county holds both.
                return self._checked(top, text)
            for prefix in self.prefixes:
                if key.startswith(prefix) and len(key) > len(prefix):
                    # "湖南省怀化市鹤城区": drop the names in front, look inside them.
                    key = key[len(prefix) :]
                    within = regions.prefix_of(next(iter(self.names[prefix])))
                    break
            else:
                break
        raise rules.CellError("region", text)


# --- cells → a person ------------------------------------------------------------------------


@dataclass
class RowData:
    number: int
    values: dict[str, Any]
    problems: list[Problem]
    raw: list[Any]
    person: Person | None = None  # set by RowChecker when the row passes every check
    # Set when the row converted without errors and has an ID number: the ID's lookup hash
    # and the row's fingerprint (ingest.fingerprints), to recognise it unchanged.
    id_hash: str = ""
    digest: str = ""
    pending: bool = False  # converted without errors, not judged by build_person yet
    # The fingerprint of the cells as read (ingest.fingerprints.CellsDigester), and whether
    # they have been converted yet: a row recognised by its cells never is.
    cells_digest: str = ""
    converted: bool = True
    id_info: idcard.IdInfo | None = None  # the ID number's cell, parsed
    # (ID hash, region) of the person whose fingerprint carries these cells, when they were
    # looked up before the row was sent to a worker (_checked_chunks).
    registered: tuple[str, str] | None = None
    # False when the row names no region and has the import's default: a registered person's
    # region then stays as it is (county rosters name no village).
    region_given: bool = True
    # The date fields the row gives to the month or the year only ("month", "year"); a
    # registered date within it is not changed (入党时间 1974.05 against 1974-05-29).
    precision: dict[str, str] = field(default_factory=dict)


def _cell_text(
    value: Any, row: int, column: str, problems: list[Problem], known: Container[str] = ()
) -> str:
    # Repair before folding: NFKC would turn some of the Latin-1 letters (º ¸ ¯) into others.
    raw = value.strip() if isinstance(value, str) else rules.fold_text(value)
    fixed, status = rules.repair_mojibake(raw, known)
    if status == "repaired":
        problems.append(
            Problem(
                row,
                column,
                _("Garbled text repaired: %(old)s → %(new)s") % {"old": raw, "new": fixed},
                Severity.INFO,
                raw,
            )
        )
    elif status == "uncertain":
        # Flagged, kept as written: a wrong "repair" would lose the text for good.
        problems.append(
            Problem(row, column, rules.CellError("mojibake", raw).message, Severity.WARNING, raw)
        )
    if "\ufffd" in fixed:
        # Bytes no decoding could read (a GBK character cut in half by an old system's
        # fixed-width field): what they said is lost, so the cell is flagged.
        problems.append(
            Problem(row, column, rules.CellError("undecodable", raw).message, Severity.WARNING, raw)
        )
    return rules.fold_text(fixed)


# Columns whose few distinct values repeat down the sheet (choices, dates, yes/no, regions):
# each distinct cell is converted once per import and remembered, up to this many per import.
MEMO_FIELDS = frozenset({*DATE_FIELDS, *BOOL_FIELDS, *rules.CHOICE_FIELDS, "region"})
MEMO_LIMIT = 200_000

CellResult = tuple[tuple[tuple[str, Any], ...], tuple[Problem, ...]]


def _lost_its_zero(raw: Any) -> bool:
    """A phone cell Excel held as a number, with the digits of a landline whose area code lost
    its 0 (7452712345 for 0745-2712345). A mobile starts with 1 and loses nothing."""
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        return False
    digits = f"{raw:.0f}" if isinstance(raw, float) else str(raw)
    return 9 <= len(digits) <= 11 and not (len(digits) == 11 and digits[0] == "1")


def _convert_cell(
    fname: str,
    raw: Any,
    header: str,
    resolver: RegionResolver,
    tags: rules.TagWords | None = None,
) -> CellResult:
    """One cell → the (field, value) pairs it sets and its problems (row 0: the caller sets
    the row number). Depends on nothing but its arguments, so it can be remembered.
    ``tags``: the registry's tag words → codes (tag_table)."""
    values: dict[str, Any] = {}
    problems: list[Problem] = []
    if isinstance(raw, str) and raw.strip() in rules.EXCEL_ERRORS:
        # A formula that failed (a VLOOKUP that found nothing): not a value, and not an empty
        # cell either, which would register a person without the ID it was meant to fetch.
        error = raw.strip()
        return (), (Problem(0, header, rules.CellError("excel_error", error).message, value=error),)
    if fname in MARKED_AS_TEXT:
        raw = rules.unquote(raw)
    try:
        if fname == "id_number":
            info = rules.parse_id_info(raw)
            values[fname], upgraded = (info.number, info.upgraded_from_15) if info else ("", False)
            if info:
                values["_id_info"] = info  # spares _birth_from_id and apply_derived a parse
            if info and not upgraded and rules.looks_cut_by_excel(info.number):
                problems.append(
                    Problem(
                        0,
                        header,
                        _(
                            "The ID number %(number)s ends in 000, as one cut by Excel does: "
                            "check it against the card."
                        )
                        % {"number": masking.mask_id(info.number)},
                        Severity.WARNING,
                        rules.fold(raw),
                        code=MAYBE_CUT,
                    )
                )
            if upgraded:
                problems.append(
                    Problem(
                        0,
                        header,
                        _("A 15-digit ID number was upgraded to 18 digits: %(number)s")
                        % {"number": masking.mask_id(values[fname])},
                        Severity.INFO,
                        rules.fold(raw),
                    )
                )
        elif fname in DATE_FIELDS:
            values[fname], precision = rules.parse_date_precision(raw)
            if isinstance(raw, datetime.date) and raw.day == 1:
                # A date cell shown as 1938.05 (format yyyy.mm) holds 1938-05-01: the reader
                # sees the value, not the format, so a first of the month may be a month.
                precision = "month"
            if precision != "day":
                values[f"_{fname}_precision"] = precision
        elif fname in BOOL_FIELDS:
            flag = rules.parse_lunar(raw) if fname == "lunar_birthday" else rules.parse_bool(raw)
            if flag is not None:
                values[fname] = flag
        elif fname in rules.CHOICE_FIELDS:
            text = _cell_text(raw, 0, header, problems, rules.choice_words(fname))
            code = rules.parse_choice(fname, text)
            if code:
                values[fname] = code
        elif fname == "region":
            values[fname] = resolver.resolve(_cell_text(raw, 0, header, problems))
        elif fname == "survivor_of":
            cadre = rules.parse_id_info(raw)
            if cadre:
                values[fname] = cadre.number
        elif fname == "tags":
            codes = rules.parse_tags(_cell_text(raw, 0, header, problems), tags or rules.NO_TAGS)
            if codes:  # an empty cell leaves the person's tags as they are
                values[fname] = codes
        elif fname == "name":
            values[fname] = rules.fold_name(_cell_text(raw, 0, header, problems))
        else:
            values[fname] = _cell_text(raw, 0, header, problems)
            if fname in SENSITIVE_TEXT and rules.MASK in values[fname]:
                raise rules.CellError("masked", values[fname])
            if fname in SENSITIVE_TEXT and _lost_its_zero(raw):
                problems.append(
                    Problem(
                        0,
                        header,
                        _(
                            "%(number)s was kept as a number, not text: a landline's leading 0 "
                            "(0%(number)s?) may be lost. Check it, and format the column as text."
                        )
                        % {"number": masking.mask_phone(values[fname])},
                        Severity.WARNING,
                        values[fname],
                    )
                )
    except idcard.IdNumberError as exc:
        # A number Excel held is shown as Excel shows it (4.31202E+17): its full digits are
        # rounding, not the ID, and must not pass for it in the report.
        shown = f"{raw:.6G}" if isinstance(raw, int | float) and abs(raw) >= 1e15 else raw
        problems.append(
            Problem(0, header, str(exc.message), value=rules.fold(shown), code=exc.code)
        )
    except rules.CellError as exc:
        problems.append(Problem(0, header, exc.message, value=rules.fold(raw)))
    return tuple(values.items()), tuple(problems)


def convert_row(
    number: int,
    cells: list[Any],
    columns: Mapping[int, str],
    headers: Mapping[int, str],
    resolver: RegionResolver,
    default_region: str,
    memo: dict[tuple[int, type, Any], CellResult] | None = None,
    tags: rules.TagWords | None = None,
) -> RowData:
    """Cells → field values; every cell that cannot be read becomes a problem of the row."""
    values: dict[str, Any] = {}
    problems: list[Problem] = []
    for index, fname in columns.items():
        if fname in rules.IGNORED_FIELDS or fname == "ignore":
            continue
        raw = cells[index] if index < len(cells) else None
        if memo is not None and fname in MEMO_FIELDS:
            key = (index, type(raw), raw)  # the type too: 1, 1.0 and True are equal keys
            converted = memo.get(key)
            if converted is None:
                converted = _convert_cell(fname, raw, headers[index], resolver, tags)
                if len(memo) < MEMO_LIMIT:
                    memo[key] = converted
        else:
            converted = _convert_cell(fname, raw, headers[index], resolver, tags)
        pairs, cell_problems = converted
        values.update(pairs)
        for p in cell_problems:
            problems.append(Problem(number, p.column, p.message, p.severity, p.value, p.code))
    region_given = bool(values.get("region"))
    if not region_given:
        region_header = next((headers[i] for i, f in columns.items() if f == "region"), "")
        if default_region:
            values["region"] = default_region
        # (A file without a region column, and none chosen, is refused as a whole.)
        elif not any(p.column == region_header for p in problems):
            problems.append(Problem(number, region_header, _("This field cannot be blank.")))
    precision: dict[str, str] = {}
    id_info = _birth_from_id(values, precision)
    return RowData(
        number,
        values,
        problems,
        cells,
        id_info=id_info,
        region_given=region_given,
        precision=precision,
    )


def _birth_from_id(
    values: dict[str, Any], precisions: dict[str, str] | None = None
) -> idcard.IdInfo | None:
    """出生年月 often gives only the month: when the ID's birth date falls in that month (or
    year), the ID's full date is the birth date; otherwise the mismatch is reported later.
    Takes the cells' by-products out of ``values`` (the dates given to the month or year only
    into ``precisions``); returns the parsed ID number, if any."""
    info: idcard.IdInfo | None = values.pop("_id_info", None)
    found = {}
    for key in [k for k in values if k.startswith("_")]:
        if key.endswith("_precision"):
            found[key[1 : -len("_precision")]] = values[key]
        values.pop(key)
    born = values.get("birth_date")
    precision = found.get("birth_date")
    if precision and born and info:
        from_id = info.birth_date
        if _within(born, from_id, precision):
            values["birth_date"] = from_id
            del found["birth_date"]
    if precisions is not None:
        precisions.update(found)
    return info


def _within(given: datetime.date, other: datetime.date, precision: str) -> bool:
    """Whether ``other`` falls within ``given``, a date known only to the month or year."""
    if precision == "year":
        return given.year == other.year
    if precision == "month":
        return (given.year, given.month) == (other.year, other.month)
    return given == other


_VALIDATE_EXCLUDE = ["id_hash", "survivor_of", "account", "region"]
# Text the registry form takes as typed, checked by its own fields (a phone of at most 20
# characters: two numbers in one cell are refused there, and so here).
TYPED_ON_THE_FORM = ("phone", "landline")


def _field_messages(exc: ValidationError) -> dict[str, list[str]]:
    """The model's field errors, with "cannot be blank" for an empty date (Django says
    "cannot be null", which means nothing to a clerk)."""
    if not hasattr(exc, "error_dict"):
        return {"": list(exc.messages)}
    return {
        fname: [
            str(_("This field cannot be blank.")) if err.code == "null" else message
            for err in errs
            for message in err.messages
        ]
        for fname, errs in exc.error_dict.items()
    }


def death_errors(person: Person, *, infer: bool) -> dict[str, list[str]]:
    """What the database's checks on a death (person_death_*) would refuse, as field errors,
    before a write that would fail on them. A date of death in a file that says nothing of
    the life status means the person is deceased (``infer``); one beside 在世 is refused."""
    errors: dict[str, list[str]] = {}
    if not person.death_date:
        return errors
    if person.life_status != LifeStatus.DECEASED:
        if infer:
            person.life_status = LifeStatus.DECEASED
        else:
            errors["life_status"] = [
                _("A date of death is given, but the life status is not deceased.")
            ]
    if person.birth_date and person.death_date < person.birth_date:
        errors["death_date"] = [_("The date of death is before the birth date.")]
    return errors


def build_person(
    data: RowData,
    headers_by_field: Mapping[str, str],
    template: Person | None = None,
    today: datetime.date | None = None,
    field_check: FieldChecker | None = None,
) -> Person | None:
    """A Person from the row's values, judged by apply_derived and the model's field checks
    (what person_create does, less the save); None when the row is refused."""
    values = {k: v for k, v in data.values.items() if k in PERSON_FIELDS}
    region = values.pop("region", None)
    if template is None:
        person = Person(**values)
    else:
        # What Person(**values) gives (Person has no mutable defaults and no init signals),
        # without running Model.__init__ over its 40 fields for every row.
        person = Person.__new__(Person)
        person.__dict__.update(template.__dict__)
        person._state = ModelState()
        person.__dict__.update(values)
    person.region_id = region
    if "tags" in data.values:
        person.__dict__[ROW_TAGS] = data.values["tags"]
    errors: dict[str, list[str]] = {}
    for fname in TYPED_ON_THE_FORM:
        try:
            PersonForm.base_fields[fname].clean(values.get(fname, ""))
        except ValidationError as exc:
            errors[fname] = list(exc.messages)
    try:
        people_services.apply_derived(person, today=today, id_info=data.id_info)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    # Every problem of the row at once, as the registry form shows them: the field checks run
    # even when the rules above refused something, and keep the rules' words for a field.
    try:
        if field_check is None:
            person.clean_fields(exclude=_VALIDATE_EXCLUDE)
        else:
            field_check.clean_fields(person)  # the same, prepared once per import
        if not errors:
            person.clean()
    except ValidationError as exc:
        for fname, messages in _field_messages(exc).items():
            errors.setdefault(fname, messages)
    if not person.category and "category" not in errors:
        errors["category"] = [_("This field cannot be blank.")]
    # (Also beside other problems: every problem of the row at once.)
    for fname, messages in death_errors(person, infer="life_status" not in data.values).items():
        errors.setdefault(fname, messages)
    for fname, messages in errors.items():
        column = headers_by_field.get(
            fname,
            str(getattr(Person._meta.get_field(fname), "verbose_name", fname))
            if fname in PERSON_FIELDS or fname in DERIVED
            else fname,
        )
        for message in messages:
            data.problems.append(Problem(data.number, column, str(message)))
    return None if errors else person


class RowChecker:
    """Cells → a checked Person (or the row's problems): everything a row needs that touches
    no database, so it can run in worker processes."""

    def __init__(
        self,
        *,
        columns: Mapping[int, str],
        headers: Mapping[int, str],
        header_of: Mapping[str, str],
        resolver: RegionResolver,
        default_region: str,
        regions_version: str = "",
    ) -> None:
        self.columns = columns
        self.headers = headers
        self.header_of = header_of
        self.resolver = resolver
        self.default_region = default_region
        self.memo: dict[tuple[int, type, Any], CellResult] = {}
        self.template = Person()  # a new person's defaults, copied for each row
        self.fields = _compared_fields(header_of)
        self.digest = fingerprints.Digester(self.fields)
        self.field_check = FieldChecker(Person, exclude=_VALIDATE_EXCLUDE)
        self.tags = tag_table() if "tags" in header_of else None
        read = {i: f for i, f in columns.items() if f not in rules.IGNORED_FIELDS and f != "ignore"}
        # Tag names convert through the tag table as region names through the regions: a
        # renamed or removed tag must not leave a row recognised by its cells.
        tables = (
            f"{regions_version}|{sorted(self.tags.codes.items())}"
            if self.tags
            else regions_version
        )
        self.cells_digest = fingerprints.CellsDigester(read, default_region, tables)

    def check(
        self,
        number: int,
        cells: list[Any],
        today: datetime.date | None = None,
        *,
        build: bool = True,
        convert: bool = True,
        cells_digest: str = "",
    ) -> RowData:
        """Convert the row, unless ``convert`` is false (then ``convert`` does it, if its cells
        are not recognised); judge it too unless ``build`` is false (then ``finish`` does, if
        its converted values are not recognised)."""
        cells_digest = cells_digest or self.cells_digest(cells)
        if not convert:
            return RowData(number, {}, [], cells, cells_digest=cells_digest, converted=False)
        data = convert_row(
            number,
            cells,
            self.columns,
            self.headers,
            self.resolver,
            self.default_region,
            self.memo,
            self.tags,
        )
        data.raw = []  # not needed past this point; not carried between processes
        data.cells_digest = cells_digest
        if not any(p.severity == Severity.ERROR for p in data.problems):
            id_number = data.values.get("id_number")
            if id_number:
                data.id_hash = crypto.lookup_hash(id_number)
                values = {k: v for k, v in data.values.items() if k in ROW_FIELDS}
                data.digest = self.digest(values)
            data.pending = True
            if build:
                self.finish(data, today)
        else:
            self._diagnose(data, today)
        return data

    def _diagnose(self, data: RowData, today: datetime.date | None) -> None:
        """The registry's checks on the cells of a refused row that did convert, so that the
        clerk sees every problem of the row at once, as the form shows them, not one per
        upload. A field whose cell did not convert is left out, with what follows from it
        (no ID number: "enter the birth date")."""
        failed = {p.column for p in data.problems if p.severity == Severity.ERROR}
        probe = RowData(data.number, dict(data.values), [], [], id_info=data.id_info)
        build_person(probe, self.header_of, self.template, today, self.field_check)
        without_id = (
            {_("Without an ID number, enter the gender."),
             _("Without an ID number, enter the birth date.")}
            if self.header_of.get("id_number") in failed
            else set()
        )
        data.problems.extend(
            p for p in probe.problems if p.column not in failed and p.message not in without_id
        )

    def convert(self, data: RowData) -> None:
        if not data.converted:
            converted = self.check(
                data.number, data.raw, build=False, cells_digest=data.cells_digest
            )
            data.__dict__.update(converted.__dict__)

    def finish(self, data: RowData, today: datetime.date | None = None) -> None:
        if data.pending:
            data.pending = False
            data.person = build_person(data, self.header_of, self.template, today, self.field_check)

    def check_chunk(
        self, chunk: list[tuple[int, list[Any]]], *, build: bool = True, convert: bool = True
    ) -> list[RowData]:
        # "Today" (for dates in the future) is read once per chunk, not once per row: reading
        # the local date was 7% of checking a row.
        today = timezone.localdate()
        return [
            self.check(number, cells, today, build=build, convert=convert)
            for number, cells in chunk
        ]


# The checker a forked worker process inherits from the import that started the pool.
_WORKER_CHECKER: RowChecker | None = None


def _worker_check(chunk: list[tuple[int, list[Any], str]]) -> list[RowData]:
    """(row number, cells, cells digest) → the rows converted and judged, in a worker."""
    assert _WORKER_CHECKER is not None
    today = timezone.localdate()
    return [_WORKER_CHECKER.check(n, cells, today, cells_digest=d) for n, cells, d in chunk]


def pool_size(rows: int, asked: int | None = None) -> int:
    """How many worker processes check rows (``asked``, else the setting): none for small
    files, and none away from the main thread (a web import runs in a thread of a server
    process, which must not fork)."""
    workers = asked if asked is not None else getattr(settings, "HONGXIA_INGEST_WORKERS", None)
    workers = int(POOL_WORKERS if workers is None else workers)
    least = int(getattr(settings, "HONGXIA_INGEST_POOL_MIN_ROWS", POOL_MIN_ROWS))
    if workers < 1 or rows < least or threading.current_thread() is not threading.main_thread():
        return 0
    if "fork" not in multiprocessing.get_all_start_methods():
        return 0
    return workers


Checked = Iterator[tuple[list[RowData], Any]]


@contextlib.contextmanager
def _checked_chunks(
    checker: RowChecker,
    chunks: Iterator[tuple[list[tuple[int, list[Any]]], Any]],
    workers: int,
    recognised: Callable[[set[str]], Mapping[str, tuple[str, str]]],
) -> Iterator[Checked]:
    """Each chunk of (row number, cells) checked, in file order, with its tag.

    Without workers, no row is converted here: the import converts and judges the rows its
    fingerprints do not recognise.

    With workers, the chunk's cells digests are looked up first (``recognised``: an import
    wrote those very cells to a person nobody has changed since). Those rows come back
    unconverted, with what the lookup found (``RowData.registered``); the others are
    converted and judged in forked processes (which inherit the settings, the region resolver
    and the language, and never touch the database) while this process writes the previous
    chunks. At most 2 chunks per worker are in flight, so the file is never held whole in
    memory, and a lookup is at most that far ahead of the writes.
    """
    if not workers:
        yield (
            (checker.check_chunk(chunk, build=False, convert=False), tag) for chunk, tag in chunks
        )
        return
    global _WORKER_CHECKER
    _WORKER_CHECKER = checker
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:

            def submit(chunk: list[tuple[int, list[Any]]]) -> Callable[[], list[RowData]]:
                digests = [checker.cells_digest(cells) for _n, cells in chunk]
                known = recognised(set(digests))
                pairs = zip(chunk, digests, strict=True)
                todo = [(n, cells, d) for (n, cells), d in pairs if d not in known]
                future = pool.apply_async(_worker_check, (todo,)) if todo else None

                def rows() -> list[RowData]:
                    checked = iter(future.get() if future is not None else ())
                    return [
                        RowData(
                            n, {}, [], cells, cells_digest=d, converted=False, registered=known[d]
                        )
                        if d in known
                        else next(checked)
                        for (n, cells), d in zip(chunk, digests, strict=True)
                    ]

                return rows

            def ordered() -> Checked:
                pending: collections.deque[tuple[Callable[[], list[RowData]], Any]]
                pending = collections.deque()
                for chunk, tag in chunks:
                    pending.append((submit(chunk), tag))
                    if len(pending) >= 2 * workers:
                        rows, done_tag = pending.popleft()
                        yield rows(), done_tag
                while pending:
                    rows, done_tag = pending.popleft()
                    yield rows(), done_tag

            yield ordered()
    finally:
        _WORKER_CHECKER = None


# --- fast writes -----------------------------------------------------------------------------


_gc_lock = threading.Lock()
_gc_holders = 0
_gc_saved: tuple[int, int, int] | None = None


@contextlib.contextmanager
def _fewer_collections() -> Iterator[None]:
    """For the length of an import, the cyclic garbage collector runs only after GC_THRESHOLD
    net new containers instead of 700; it costs the import ~15 MB more at its peak. The
    threshold is the process's: imports running at once in one server process raise it once
    and the last one out puts it back."""
    global _gc_holders, _gc_saved
    with _gc_lock:
        if _gc_holders == 0:
            _gc_saved = gc.get_threshold()
            gc.set_threshold(max(GC_THRESHOLD, _gc_saved[0]), *_gc_saved[1:])
        _gc_holders += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_holders -= 1
            if _gc_holders == 0 and _gc_saved is not None:
                gc.set_threshold(*_gc_saved)
                _gc_saved = None


@contextlib.contextmanager
def _sqlite_bulk_settings() -> Iterator[None]:
    """SQLite, for the length of one import, on its connection only: a page cache that holds
    the indexes being filled (settings.HONGXIA_INGEST_SQLITE_CACHE_MB), and WAL checkpoints
    every HONGXIA_INGEST_SQLITE_CHECKPOINT_PAGES pages instead of SQLite's 1,000 (4 MB).
    Measured on the 56,000-row roster: a second less CPU, and fewer checkpoints (each one
    syncs the database file) for a 120 MB database."""
    if connection.vendor != "sqlite":
        yield
        return
    cache_mb = int(getattr(settings, "HONGXIA_INGEST_SQLITE_CACHE_MB", SQLITE_CACHE_MB))
    pages = int(
        getattr(settings, "HONGXIA_INGEST_SQLITE_CHECKPOINT_PAGES", SQLITE_CHECKPOINT_PAGES)
    )
    with connection.cursor() as cur:
        cur.execute("PRAGMA cache_size")
        old_cache = int(cur.fetchone()[0])
        cur.execute("PRAGMA wal_autocheckpoint")
        old_checkpoint = int(cur.fetchone()[0])
        cur.execute(f"PRAGMA cache_size = {-1024 * cache_mb}")
        cur.execute(f"PRAGMA wal_autocheckpoint = {pages}")
    try:
        yield
    finally:
        with connection.cursor() as cur:
            cur.execute(f"PRAGMA cache_size = {old_cache}")
            cur.execute(f"PRAGMA wal_autocheckpoint = {old_checkpoint}")


def _constant(value: Any, _ignored: Any) -> Any:
    return value


def _iso(value: Any) -> Any:
    return value.isoformat() if value is not None else None


def _db_value(field: Any, value: Any) -> Any:
    return field.get_db_prep_save(value, connection)


_PLAIN_FIELDS = (
    models.CharField,
    models.SlugField,
    models.BooleanField,
    models.BigAutoField,
    models.AutoField,
    models.IntegerField,
    models.BigIntegerField,
    models.PositiveIntegerField,
    models.PositiveSmallIntegerField,
    models.GenericIPAddressField,
    models.ForeignKey,
    models.OneToOneField,
)


class _Inserter:
    """Multi-row inserts of new people, their search keys and their audit records."""

    def __init__(self) -> None:
        connection.ensure_connection()
        self.vendor = connection.vendor
        self.fields = list(Person._meta.concrete_fields)
        self.columns = [str(f.column) for f in self.fields]
        self.audit_fields = [f for f in AuditLog._meta.concrete_fields if not f.primary_key]

    def _ids(self, count: int) -> list[int]:
        table = Person._meta.db_table
        with connection.cursor() as cur:
            if self.vendor == "postgresql":
                cur.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                    [table, count],
                )
                return [row[0] for row in cur.fetchall()]
            cur.execute(f"SELECT MAX(id) FROM {connection.ops.quote_name(table)}")  # noqa: S608
            start = (cur.fetchone()[0] or 0) + 1
        return list(range(start, start + count))

    def _converters(self, fields: list[Any], now: Any) -> list[Callable[[Any], Any] | None]:
        """Per column, how a Python value becomes a driver value: None means as it is."""
        now_db = (
            fields[0]
            .model._meta.get_field("created_at" if fields[0].model is Person else "at")
            .get_db_prep_save(now, connection)
        )
        sqlite = self.vendor != "postgresql"
        out: list[Callable[[Any], Any] | None] = []
        for f in fields:
            if type(f) in _PLAIN_FIELDS:
                out.append(None)
            elif isinstance(f, models.DateTimeField):
                out.append(functools.partial(_constant, now_db))  # this batch's time
            elif isinstance(f, models.DateField) and sqlite:
                out.append(_iso)
            elif isinstance(f, models.DateField):
                out.append(None)
            else:
                out.append(functools.partial(_db_value, f))
        return out

    @staticmethod
    def _tuples(
        objs: list[Any], fields: list[Any], converters: list[Callable[[Any], Any] | None]
    ) -> list[tuple[Any, ...]]:
        # All the values of a row in one attrgetter call; then only the columns that need it
        # converted (dates, timestamps, the encrypted ones): 5 of 39 for a person.
        values = operator.attrgetter(*[f.attname for f in fields])
        convert = [(i, c) for i, c in enumerate(converters) if c is not None]
        rows = []
        for o in objs:
            row = list(values(o))
            for i, c in convert:
                row[i] = c(row[i])
            rows.append(tuple(row))
        return rows

    def insert(self, people: list[Person], actor: Any, note: str) -> None:
        if not people:
            return
        now = timezone.now()
        pks = self._ids(len(people))
        for person, pk in zip(people, pks, strict=True):
            person.pk = pk
        with versions.one_bump_for_inserts("people", Person._meta.db_table):
            self._write(
                Person._meta.db_table,
                self.columns,
                self._tuples(people, self.fields, self._converters(self.fields, now)),
            )
        keys = [
            (pk, key, p.name_pinyin)
            for p, pk in zip(people, pks, strict=True)
            for key in sorted(people_services.search_keys_for(p))
        ]
        self._write(SearchKey._meta.db_table, ["person_id", "key", "name_pinyin"], keys)
        # One audit row per new person, "import" by the acting user, written in bulk too.
        template = AuditLog(
            at=now,
            action=AuditLog.Action.IMPORT,
            model=Person._meta.label,
            changes={"created": True},
            note=note[:200],
            **audit._actor_fields(actor),
        )
        base = {
            f.attname: f.get_db_prep_save(getattr(template, f.attname), connection)
            for f in self.audit_fields
        }
        base["at"] = AuditLog._meta.get_field("at").get_db_prep_save(now, connection)
        rows = []
        for p in people:
            base.update(
                object_pk=str(p.pk), object_repr=str(p)[:200], person_id=p.pk, region_id=p.region_id
            )
            rows.append(tuple(base[f.attname] for f in self.audit_fields))
        self._write(AuditLog._meta.db_table, [str(f.column) for f in self.audit_fields], rows)

    def write_tags(self, rows: list[tuple[int, int]]) -> None:
        """(person pk, tag pk) of new people."""
        self._write(Person.tags.through._meta.db_table, ["person_id", "tag_id"], rows)

    def write_fingerprints(self, rows: list[tuple[int, str, str]]) -> None:
        """(person pk, digest, cells digest) of new people."""
        self._write(RowFingerprint._meta.db_table, ["person_id", "digest", "cells"], rows)

    def _write(self, table: str, cols: list[str], rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        qn = connection.ops.quote_name
        columns = ", ".join(qn(c) for c in cols)
        with connection.cursor() as cur:
            raw = cur.cursor if hasattr(cur, "cursor") else cur
            if self.vendor == "postgresql":
                with raw.copy(f"COPY {qn(table)} ({columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(cols))
                # Names come from the models; values are parameters.
                cur.executemany(f"INSERT INTO {qn(table)} ({columns}) VALUES ({marks})", rows)  # noqa: S608


# --- the import ------------------------------------------------------------------------------


def load_mapping(path: Path | str | None) -> dict[str, str]:
    """A saved mapping file: JSON {"header text": "field"} (or {"columns": {...}})."""
    if not path:
        return {}
    try:
        text = Path(path).read_bytes().decode("utf-8-sig")
    except FileNotFoundError as exc:
        raise ValueError(_("There is no mapping file %(path)s.") % {"path": path}) from exc
    except OSError as exc:
        raise ValueError(
            _("The mapping file %(path)s cannot be opened.") % {"path": path}
        ) from exc
    except UnicodeDecodeError as exc:
        raise ValueError(_("The mapping file must be UTF-8 text.")) from exc
    return parse_mapping(text)


def parse_mapping(text: str) -> dict[str, str]:
    """The text of a mapping file → {header text: field}; ValueError says what is wrong."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        # (json's own words are English: the place is what a clerk needs.)
        raise ValueError(
            _(
                "The mapping file is not valid JSON at line %(line)d, character %(column)d: "
                'look at the quotation marks, colons and commas there. It reads like '
                '{"姓名": "name", "身份证": "id_number"}.'
            )
            % {"line": exc.lineno, "column": exc.colno}
        ) from exc
    if isinstance(data, dict) and isinstance(data.get("columns"), dict):
        data = data["columns"]
    if not isinstance(data, dict):
        raise ValueError(_('A mapping file holds one JSON object: {"header": "field"}.'))
    unknown = [str(v) for v in data.values() if v not in rules.FIELDS and v != "ignore"]
    if unknown:
        raise ValueError(
            _("Unknown fields in the mapping: %(fields)s. Known: %(known)s, ignore.")
            % {"fields": "、".join(unknown), "known": ", ".join(rules.FIELDS)}
        )
    return {str(k): str(v) for k, v in data.items()}


def _scope_ok(actor: Any, region_code: str) -> bool:
    prefix = getattr(actor, "scope_prefix", None)
    if prefix is None:
        return False
    return region_code.startswith(prefix)


def _in(column: str, values: set[str]) -> tuple[str, list[Any]]:
    """``column`` among ``values``: one array parameter on PostgreSQL (a list of 2,000
    parameters cost it 40 ms a batch to plan), a list of parameters on SQLite."""
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)", [list(values)]
    return f"{column} IN ({', '.join(['%s'] * len(values))})", list(values)


def _compared_fields(header_of: Mapping[str, str]) -> list[str]:
    """The fields an existing record is compared on: those the file carries, and region."""
    fields = [f for f in header_of if f in ROW_FIELDS]
    if "region" not in fields:
        fields.append("region")
    return fields


_EMPTY = (None, "")


def _changes(data: RowData, person: Person, existing: Person, fields: list[str]) -> list[str]:
    """The fields the row changes on a registered record: those whose value differs, less
    an empty cell (it leaves the registered value alone: county files often lack what a clerk
    has since entered on the person's page; a field is cleared on that page), the import's
    default region for a row that names none, a region the registered one lies within (a
    county roster names no village), and a date the row gives only to the month or year that
    the registered one falls within."""
    changed = []
    for fname in _same(person, existing, fields):
        if data.values.get(fname) in _EMPTY:
            continue
        if fname == "region" and (
            not data.region_given or _region_within(existing.region_id, person.region_id)
        ):
            continue
        given = data.precision.get(fname)
        if given and getattr(existing, fname) and _within(
            getattr(person, fname), getattr(existing, fname), given
        ):
            continue
        changed.append(fname)
    return changed


def _born_alike(row: RowData, person: Person, other: Person) -> bool:
    """Whether a registered person's birth date may be the row's: the same day, or within
    the month or year the row gives; a registered 1st of the month (or 1 January) may itself
    have been a month (or year) alone."""
    if person.birth_date == other.birth_date:
        return True
    if not person.birth_date or not other.birth_date:
        return False
    given = row.precision.get("birth_date")
    if given and _within(person.birth_date, other.birth_date, given):
        return True
    registered = other.birth_date
    if (registered.month, registered.day) == (1, 1):
        return _within(registered, person.birth_date, "year")
    if registered.day == 1:
        return _within(registered, person.birth_date, "month")
    return False


def _region_within(registered: str, given: str) -> bool:
    """Whether the registered region lies within the (larger) one a row gives."""
    return registered != given and registered.startswith(regions.prefix_of(given))


def _placed_alike(row: RowData, person: Person, other: Person) -> bool:
    """The same region, or one within the other (a county roster names no village)."""
    a, b = person.region_id or "", other.region_id or ""
    return a == b or a.startswith(regions.prefix_of(b)) or b.startswith(regions.prefix_of(a))


def tag_table() -> rules.TagWords:
    """Each tag's name, English name and code, folded and in lower case → its code; and the
    names of the tags in use, for a problem to list. A tag no longer in use is still read (an
    export carries it), not offered."""
    codes: dict[str, str] = {}
    names = []
    for code, name, name_en, active in Tag.objects.values_list(
        "code", "name", "name_en", "active"
    ):
        for word in (code, name, name_en):
            if word:
                codes[rules.fold(word).lower().replace(" ", "")] = code
        if active:
            names.append(name)
    return rules.TagWords(codes, tuple(sorted(names)))


# Where build_person keeps a row's tag codes on its Person.
ROW_TAGS = "_row_tags"


def _tag_codes(person: Person) -> tuple[str, ...]:
    """A row's tags (build_person; none for an empty cell), or a registered person's
    (prefetched)."""
    if ROW_TAGS in person.__dict__:
        return person.__dict__[ROW_TAGS]
    if person.pk is None:
        return ()
    return tuple(sorted(t.code for t in person.tags.all()))


def _same(person: Person, existing: Person, fields: list[str]) -> list[str]:
    """The fields (of those the file carries) whose value differs from the registered one."""
    changed = []
    for fname in fields:
        if fname == "survivor_of":
            continue  # linked after the whole file (_Run.link_survivors)
        if fname == "tags":
            if _tag_codes(person) != _tag_codes(existing):
                changed.append(fname)
            continue
        attname = "region_id" if fname == "region" else fname
        if getattr(person, attname) != getattr(existing, attname):
            changed.append(fname)
    return changed


class _Run:
    def __init__(
        self,
        *,
        actor: Any,
        result: ImportResult,
        note: str,
        job: ImportJob | None,
        dry_run: bool,
        checker: RowChecker,
    ) -> None:
        self.actor = actor
        self.checker = checker
        self.use_fingerprints = fingerprints.installed(connection)
        self.result = result
        self.note = note
        self.job = job
        self.dry_run = dry_run
        self.inserter = _Inserter()
        self.seen_ids: dict[str, int] = {}
        # Rows without an ID registered by this file: (name, birth date, region) → (row, pk).
        # A later row with the same three is a likely duplicate within the file.
        self.seen_no_id: dict[tuple[str, Any, str], tuple[int, int | None]] = {}
        self.tag_ids = dict(Tag.objects.values_list("code", "id")) if checker.tags else {}
        # Survivors to link to their deceased cadre once the file is in (the cadre may come
        # later in it): (the person's pk, the cadre's ID number, the row, how the row was
        # counted: created, updated or unchanged). In a dry run the pks are of rows undone.
        self.links: list[tuple[int, str, RowData, str]] = []
        # ID hash → (category, life status) of the records this import leaves in the
        # registry (new, or brought to their row): in a dry run, the cadres a survivor may
        # name besides those registered, as the import would leave them.
        self.written_ids: dict[str, tuple[str, str]] = {}
        self.region_names: dict[str, str] = {}  # code → name, for the problems
        # The importer's region prefix, once: the property works it out on every call, and
        # every row of the file asks (0.4 s of an unchanged 56,000-row file).
        self.scope_prefix: str | None = getattr(actor, "scope_prefix", None)

    def in_scope(self, region_code: str) -> bool:
        return self.scope_prefix is not None and region_code.startswith(self.scope_prefix)

    def registered_cells(self, digests: set[str]) -> dict[str, tuple[str, str]]:
        """Cells digest → (ID hash, region) of the person whose fingerprint carries it."""
        if not self.use_fingerprints or not digests:
            return {}
        qn = connection.ops.quote_name
        where, params = _in("f.cells", digests)
        sql = (
            f"SELECT f.cells, p.id_hash, p.region_id FROM {qn(RowFingerprint._meta.db_table)} f "  # noqa: S608
            f"JOIN {qn(Person._meta.db_table)} p ON p.id = f.person_id WHERE {where}"
        )
        with connection.cursor() as cur:
            cur.execute(sql, params)
            return {cells: (id_hash, region) for cells, id_hash, region in cur.fetchall()}

    @staticmethod
    def _registered(hashes: set[str]) -> dict[str, str | None]:
        """ID hash → the fingerprint of the person registered with it (None: none), for
        those of ``hashes`` that are registered; one query, no record decrypted."""
        if not hashes:
            return {}
        qn = connection.ops.quote_name
        where, params = _in("p.id_hash", hashes)
        sql = (
            f"SELECT p.id_hash, f.digest FROM {qn(Person._meta.db_table)} p "  # noqa: S608
            f"LEFT JOIN {qn(RowFingerprint._meta.db_table)} f ON f.person_id = p.id "
            f"WHERE {where}"
        )
        with connection.cursor() as cur:
            cur.execute(sql, params)
            return dict(cur.fetchall())

    def batch(self, rows: list[RowData], header_of: Mapping[str, str]) -> None:
        result = self.result
        today = timezone.localdate()
        # Rows whose cells are those an import last wrote, with nothing to report, to a person
        # whose record nobody has changed since: unchanged, not even converted. (ID hash,
        # region) of that person, by row number.
        by_cells = self.registered_cells(
            {d.cells_digest for d in rows if not d.converted and d.registered is None}
        )
        known: dict[int, tuple[str, str]] = {}
        for d in rows:
            if d.registered is not None:
                known[d.number] = d.registered  # looked up before the chunk went to a worker
            elif not d.converted and d.cells_digest in by_cells:
                known[d.number] = by_cells[d.cells_digest]
            else:
                self.checker.convert(d)
        looked_up = {d.id_hash for d in rows if d.id_hash and d.number not in known}
        registered = self._registered(looked_up)
        # Rows whose fingerprint is still on the person with their ID: the record is as an
        # import with these very values left it, so the row is unchanged.
        for d in rows:
            if self.use_fingerprints and d.digest and registered.get(d.id_hash) == d.digest:
                known[d.number] = (d.id_hash, str(d.values.get("region") or ""))
        ready: list[tuple[RowData, Person]] = []
        for data in rows:
            person: Person | None = None
            if data.number in known:
                id_hash, region_id = known[data.number]
            else:
                self.checker.finish(data, today)
                person = data.person
                if person is None:
                    # Refused by RowChecker (its problems say why); and the region too, if
                    # it is another county's: every problem of the row at once.
                    region_id = str(data.values.get("region") or "")
                    if region_id and not self.in_scope(region_id):
                        data.problems.append(self._out_of_scope(data, region_id, header_of))
                    continue
                region_id, id_hash = person.region_id, person.id_hash or ""
            if not self.in_scope(region_id):
                data.problems.append(self._out_of_scope(data, region_id, header_of))
                continue
            if id_hash:
                first = self.seen_ids.get(id_hash)
                if first is not None:
                    data.problems.append(
                        Problem(
                            data.number,
                            header_of.get("id_number", ""),
                            _("This ID number appears twice in the file (first in row %(row)d).")
                            % {"row": first},
                        )
                    )
                    continue
                self.seen_ids[id_hash] = data.number
            if person is None:  # recognised by its fingerprint
                result.unchanged += 1
                continue
            ready.append((data, person))

        # Only the registered ones: an ID hash looked up above and not found is not registered.
        hashes = [
            p.id_hash
            for _d, p in ready
            if p.id_hash and (p.id_hash in registered or p.id_hash not in looked_up)
        ]
        with_tags = "tags" in self.checker.fields
        registry = Person.objects.prefetch_related("tags") if with_tags else Person.objects
        existing = {p.id_hash: p for p in registry.filter(id_hash__in=hashes)} if hashes else {}
        no_id = [p for _d, p in ready if not p.id_hash]
        # A row whose ID is not registered may be a person registered without one, from an
        # older roster: looked for among those only.
        unregistered = [p for _d, p in ready if p.id_hash and p.id_hash not in existing]
        # Registered people of the same name, whose birth date and region may be the row's
        # (_born_alike, _placed_alike): a roster gives 出生年月 to the month, a county's
        # names no village.
        by_name: dict[str, list[Person]] = {}
        if no_id or unregistered:
            q = Q(pk__in=[])
            if no_id:
                q |= Q(name__in={p.name for p in no_id})
            if unregistered:
                q |= Q(id_hash__isnull=True, name__in={p.name for p in unregistered})
            for other in registry.filter(q):
                by_name.setdefault(other.name, []).append(other)

        def lookalikes(data: RowData, person: Person, *, without_id: bool) -> list[Person]:
            return [
                other
                for other in by_name.get(person.name, ())
                if (not without_id or not other.id_hash)
                and _born_alike(data, person, other)
                and _placed_alike(data, person, other)
                and self.in_scope(other.region_id)  # a city-level record is not a county's
            ]

        fields = self.checker.fields

        new: list[Person] = []
        # The records that now equal their row, to remember after the writes.
        remember: list[tuple[Person, RowData]] = []
        firsts: dict[tuple[str, Any, str], Person] = {}
        held: list[tuple[RowData, Person, tuple[str, Any, str]]] = []
        for data, person in ready:
            key = (person.name, person.birth_date, person.region_id)
            if person.id_hash and person.id_hash in existing:
                record = existing[person.id_hash]
                updated = result.updated
                if self._update(data, person, record, fields, header_of):
                    self.written_ids[person.id_hash] = (record.category, record.life_status)
                    if data.values.get("survivor_of"):
                        # Remembered once linked (link_survivors): a batch committed before
                        # the file's end must not pass for done on the next import.
                        counted = "updated" if result.updated > updated else "unchanged"
                        self.links.append((record.pk, data.values["survivor_of"], data, counted))
                    elif data.digest:
                        remember.append((record, data))
            elif key in self.seen_no_id or key in firsts:
                held.append((data, person, key))  # queued once the first row has its record
            elif person.id_hash and (alike := lookalikes(data, person, without_id=True)):
                match = alike[0]
                self._queue(
                    data,
                    person,
                    match.pk,
                    _(
                        "Possibly the same person as %(name)s (record %(pk)d), registered "
                        "without an ID number: the same name, and a birth date and region that "
                        "agree. Held for a clerk to decide in possible duplicates."
                    )
                    % {"name": match.name, "pk": match.pk},
                )
            elif not person.id_hash and (matches := lookalikes(data, person, without_id=False)):
                same = next((m for m in matches if not _changes(data, person, m, fields)), None)
                if same is not None:
                    result.unchanged += 1
                    if data.values.get("survivor_of"):
                        self.links.append((same.pk, data.values["survivor_of"], data, "unchanged"))
                else:
                    match = matches[0]
                    self._queue(
                        data,
                        person,
                        match.pk,
                        _(
                            "Possibly the same person as %(name)s (record %(pk)d): the same "
                            "name, and a birth date and region that agree. Held for a clerk to "
                            "decide in possible duplicates."
                        )
                        % {"name": match.name, "pk": match.pk},
                    )
            else:
                if not person.id_hash:
                    firsts[key] = person
                    self.seen_no_id[key] = (data.number, None)
                new.append(person)
                if person.id_hash:
                    self.written_ids[person.id_hash] = (person.category, person.life_status)
                if data.digest and not data.values.get("survivor_of"):
                    remember.append((person, data))
        self.inserter.insert(new, self.actor, self.note)
        inserted = {id(p) for p in new}
        for data, person in ready:
            if id(person) in inserted and data.values.get("survivor_of"):
                self.links.append((person.pk, data.values["survivor_of"], data, "created"))
        self.inserter.write_tags(
            [(p.pk, self.tag_ids[c]) for p in new for c in p.__dict__.get(ROW_TAGS, ())]
        )
        result.created += len(new)
        if self.use_fingerprints:
            self._remember(remember, created={p.pk for p in new})
        for key, person in firsts.items():
            self.seen_no_id[key] = (self.seen_no_id[key][0], person.pk)
        for data, person, key in held:
            row, pk = self.seen_no_id[key]
            self._queue(
                data,
                person,
                pk,
                _(
                    "Possibly the same person as row %(row)d of this file (same name, birth "
                    "date and region): held for a clerk to decide."
                )
                % {"row": row},
            )

    def link_survivors(self, header_of: Mapping[str, str]) -> None:
        """Link each survivor to the deceased cadre their row names by ID number, now that
        the whole file is in (a cadre may stand below their survivors). The cadre must be
        registered within the importing user's region; a row whose cadre is not is kept,
        unlinked, with a warning, and is converted again by the next import."""
        if not self.links:
            return
        column = header_of.get("survivor_of", "")
        hashes = {crypto.lookup_hash(number) for _pk, number, _d, _c in self.links}
        found: dict[str, tuple[int, str, str]] = {
            h: (pk, category, status)
            for h, pk, category, status in Person.objects.visible_to(self.actor)  # type: ignore[attr-defined]
            .filter(id_hash__in=hashes)
            .values_list("id_hash", "pk", "category", "life_status")
        }
        if self.dry_run:
            # The check wrote nothing that lasts: a cadre the import would register or bring
            # to their row, anywhere in the file, counts as the file leaves them (pk 0: not
            # known yet).
            for h, (category, status) in self.written_ids.items():
                if h in hashes:
                    found[h] = (found[h][0] if h in found else 0, category, status)
        linked: dict[int, int] = {}
        unlinked: list[int] = []
        # A link stored before the rule was kept (the import never removes one): a row that
        # asks for it again is told the link stands, not that it was left out.
        stored = dict(
            Person.objects.filter(pk__in=[pk for pk, *_ in self.links], survivor_of__isnull=False)
            .values_list("pk", "survivor_of_id")
        )
        for pk, number, data, _counted in self.links:
            cadre_hash = crypto.lookup_hash(number)
            masked = masking.mask_id(number)
            cadre = found.get(cadre_hash)
            kept = cadre is not None and bool(cadre[0]) and stored.get(pk) == cadre[0]
            if cadre is None:
                message = _(
                    "No one with the ID number %(number)s is registered in your region: "
                    "the survivor is imported without a link to that cadre."
                ) % {"number": masked}
            elif cadre_hash == data.id_hash:
                message = _("A person cannot be their own survivor.")
            elif cadre[1] == Category.SURVIVOR and kept:
                message = _(
                    "%(number)s is registered as a survivor, not as a cadre, yet the registry "
                    "links this survivor to them, as it did before such links were checked. "
                    "The import leaves the link as it is: correct it on the survivor's page."
                ) % {"number": masked}
            elif cadre[1] == Category.SURVIVOR:
                message = _(
                    "%(number)s is registered as a survivor, not as a cadre: the survivor is "
                    "imported without a link to them."
                ) % {"number": masked}
            elif cadre[2] != LifeStatus.DECEASED and kept:
                message = _(
                    "%(number)s is not recorded as deceased, yet the registry links this "
                    "survivor to them, as it did before such links were checked. The import "
                    "leaves the link as it is: record the death, or correct the link on the "
                    "survivor's page."
                ) % {"number": masked}
            elif cadre[2] != LifeStatus.DECEASED:
                message = _(
                    "%(number)s is not recorded as deceased: the survivor is imported without "
                    "a link to them. Record the death, then import the file again."
                ) % {"number": masked}
            else:
                linked[pk] = cadre[0]
                continue
            self.result.problems.append(
                Problem(data.number, column, str(message), Severity.WARNING, number)
            )
            unlinked.append(pk)
        counted = {pk: c for pk, _n, _d, c in self.links}
        people = Person.objects.filter(pk__in=linked).only(
            "pk", "name", "region_id", "survivor_of_id"
        )
        for person in people.iterator(chunk_size=2000):
            if person.survivor_of_id == linked[person.pk]:
                continue
            if counted[person.pk] == "unchanged":
                self.result.unchanged -= 1
                self.result.updated += 1
            if self.dry_run:
                continue  # counted as the import would; nothing written
            before = {"survivor_of": person.survivor_of_id}
            person.survivor_of_id = linked[person.pk]
            person.save(update_fields=["survivor_of", "updated_at"])
            audit.record_change(
                person,
                AuditLog.Action.IMPORT,
                before=before,
                after={"survivor_of": person.survivor_of_id},
                actor=self.actor,
                note=self.note,
            )
        if self.dry_run or not self.use_fingerprints:
            return
        # The rows now linked as they ask are remembered (after the saves above, whose
        # trigger forgets a changed record's fingerprint); the others are looked at again.
        done = [(Person(pk=pk), d) for pk, _n, d, _c in self.links if pk in linked and d.digest]
        self._remember(done, created=set())
        if unlinked:
            RowFingerprint.objects.filter(person_id__in=unlinked).delete()

    def _out_of_scope(self, data: RowData, code: str, header_of: Mapping[str, str]) -> Problem:
        """The row's region is not the importer's: said by its name, as the cell gave it."""
        name = self.region_names.get(code)
        if name is None:
            name = Region.objects.filter(code=code).values_list("name", flat=True).first() or ""
            self.region_names[code] = name
        return Problem(
            data.number,
            header_of.get("region", ""),
            _("The region %(region)s is outside your own region: row refused.")
            % {"region": f"{name}（{code}）" if name else code},
        )

    def _remember(self, pairs: list[tuple[Person, RowData]], created: set[int]) -> None:
        """Store the fingerprints of records that now equal their row: new people in bulk,
        others in place of the one they had (the trigger forgot it if the record changed).
        The cells are remembered only for a row whose conversion had nothing to report:
        a row recognised by its cells is not converted, so it could not report it again."""
        rows = [(p.pk, d.digest, "" if d.problems else d.cells_digest) for p, d in pairs]
        self.inserter.write_fingerprints([r for r in rows if r[0] in created])
        others = [
            RowFingerprint(person_id=pk, digest=digest, cells=cells)
            for pk, digest, cells in rows
            if pk not in created
        ]
        if others:
            RowFingerprint.objects.bulk_create(
                others,
                update_conflicts=True,
                unique_fields=["person"],
                update_fields=["digest", "cells"],
            )

    def _update(
        self,
        data: RowData,
        person: Person,
        existing: Person,
        fields: list[str],
        header_of: Mapping[str, str],
    ) -> bool:
        """Bring the record to the row; False when it may not be touched."""
        if not self.in_scope(existing.region_id):
            # Say no more: the registered person may be in another county.
            data.problems.append(
                Problem(
                    data.number,
                    header_of.get("id_number", ""),
                    _("This ID number is already registered."),
                )
            )
            return False
        changed = _changes(data, person, existing, fields)
        if not changed:
            self.result.unchanged += 1
            return True
        tagged = "tags" in fields  # the file has the column: the audit shows the tags
        before = audit.snapshot(existing, {"tags": list(_tag_codes(existing))} if tagged else {})
        status, category = existing.life_status, existing.category
        for fname in changed:
            if fname != "tags":
                attname = "region_id" if fname == "region" else fname
                setattr(existing, attname, getattr(person, attname))
        refused = death_errors(existing, infer="life_status" not in fields)
        if not refused:
            refused = people_services.cadre_change_errors(existing, before=(category, status))
        if not refused:
            try:
                people_services.apply_derived(existing)
            except ValidationError as exc:
                # The registered record breaks a rule the row does not touch (a date of joining
                # the revolution before the birth date, stored before the rule): this row is
                # refused, saying which, and the file goes on.
                refused = exc.message_dict
        if refused:
            for fname, messages in refused.items():
                column = header_of.get(fname, "")
                if not column and fname in ("life_status", "death_date"):
                    column = header_of.get("birth_date", "")  # (as the death's checks say)
                elif not column:
                    # A field the file lacks: the registered value is at fault, by its name.
                    column = str(getattr(Person._meta.get_field(fname), "verbose_name", fname))
                data.problems.extend(Problem(data.number, column, m) for m in messages)
            existing.refresh_from_db()
            return False
        if existing.life_status != status:
            changed.append("life_status")  # a date of death in a file without the status
        attnames = ["region_id" if f == "region" else f for f in changed if f != "tags"]
        existing.save(
            update_fields=sorted(
                {*attnames, *DERIVED, "id_number", "phone", "landline", "updated_at"}
            )
        )
        if "tags" in changed:
            codes = _tag_codes(person)
            existing.tags.set([self.tag_ids[c] for c in codes])
            existing.__dict__[ROW_TAGS] = codes
        people_services.rebuild_search_keys(existing)
        audit.record_change(
            existing,
            AuditLog.Action.IMPORT,
            before=before,
            after=audit.snapshot(existing, {"tags": list(_tag_codes(existing))} if tagged else {}),
            actor=self.actor,
            note=self.note,
        )
        self.result.updated += 1
        return True

    def _queue(self, data: RowData, person: Person, match_pk: int | None, message: str) -> None:
        """Hold the row for a clerk: a merge candidate against the matching record (not in a
        dry run, which writes nothing that lasts), and a warning in the report."""
        if match_pk is not None:
            values = {
                k: (v.isoformat() if isinstance(v, datetime.date) else v)
                for k, v in data.values.items()
            }
            # The row once, by a digest of its values: the numbers are kept encrypted, as on
            # the person (a ciphertext differs each time, so it cannot say "the same row").
            digest = fingerprints.Digester(sorted(values))(values)
            decided = set(
                MergeCandidate.objects.filter(person_id=match_pk, data__row=digest)
                .values_list("status", flat=True)
            )
            if decided & {MergeStatus.DISMISSED, MergeStatus.MERGED}:
                # A clerk has said this row is the registered person: not asked again.
                data.problems.append(
                    Problem(
                        data.number,
                        self.checker.header_of.get("name", ""),
                        _("Decided before in possible duplicates: the same person. Skipped."),
                        Severity.INFO,
                    )
                )
                self.result.unchanged += 1
                return
            if not self.dry_run and MergeStatus.PENDING not in decided:
                for fname in QUEUED_SECRETS:
                    if values.get(fname):
                        values[fname] = crypto.encrypt(values[fname])
                MergeCandidate.objects.create(
                    region_id=person.region_id,
                    job=self.job,
                    person_id=match_pk,
                    name=person.name,
                    row_number=data.number,
                    # How much of the row to trust on a merge (merge_decide), as _changes does.
                    data={
                        **values,
                        "row": digest,
                        "region_given": data.region_given,
                        "precision": data.precision,
                    },
                )
        # Named by the name's column: a likeness is of name, birth date and region.
        column = self.checker.header_of.get("name", "")
        data.problems.append(Problem(data.number, column, message, Severity.WARNING))
        self.result.queued += 1


# An import that writes this many people refreshes the planner's statistics afterwards.
ANALYZE_AFTER_ROWS = 5_000


def roster_import(
    *,
    actor: Any,
    path: Path | str,
    region: str | None = None,
    sheet: str | None = None,
    mapping: Mapping[str, str] | None = None,
    dry_run: bool = False,
    all_or_nothing: bool = False,
    job: ImportJob | None = None,
    progress: Callable[[int, int], None] | None = None,
    batch_size: int = BATCH_SIZE,
    workers: int | None = None,
) -> ImportResult:
    """Import one roster file as ``actor``; returns counts and every problem found.

    ``workers``: processes that convert and judge rows while this one writes (None: as
    settings.HONGXIA_INGEST_WORKERS says); see ``pool_size``."""
    if not actor.has_perm("people.add_person") or not actor.has_perm("people.change_person"):
        raise PermissionDenied
    path = Path(path)
    result = ImportResult(filename=path.name)
    table = readers.open_table(path, sheet=sheet)
    result.sheet, result.encoding = table.sheet, table.encoding
    # The book's other rosters: offered to check next (a book of three: 离休, 退休, 遗属),
    # and, when no sheet was chosen, said in a warning.
    others = readers.sheets_with_cells(
        table, lambda head: rules.find_header(head, mapping) is not None
    )
    result.other_sheets = others
    if others and sheet is None:
        # Counties keep 离休 and 退休 on two sheets of one book: the second must not be
        # left behind without a word. (A sheet with no roster's header, such as a sheet of
        # instructions, is not worth one.)
        result.problems.append(
            Problem(
                0,
                "",
                _(
                    "Only the sheet %(sheet)s is imported; the workbook has other sheets: "
                    "%(others)s. Choose a sheet to import another one."
                )
                % {"sheet": table.sheet, "others": "、".join(others)},
                Severity.WARNING,
            )
        )
    if region and not _scope_ok(actor, region):
        raise PermissionDenied
    default_region = region or ""
    own = str(getattr(actor, "region_id", None) or "")
    if not default_region and len(own) >= 6 and not own.endswith("00"):
        default_region = own  # a county clerk's rows without a region are their county's

    rows = table.rows()
    head: list[list[Any]] = []
    for cells in rows:
        head.append(list(cells))
        if len(head) >= rules.HEADER_SCAN_ROWS:
            break
    match = rules.find_header(head, mapping)
    if match is None:
        result.problems.append(
            Problem(
                0,
                "",
                _(
                    "No header row found: the first rows must include a 姓名 column and at least "
                    "one more known column (or give a mapping file)."
                ),
            )
        )
        return result
    result.header_row = match.row_index + 1
    headers = {i: rules.fold(match.cells[i]) for i in match.columns}
    headers[-1] = ""
    result.columns = {headers[i]: f for i, f in match.columns.items()}
    header_of = {f: headers[i] for i, f in match.columns.items()}
    for _index, old, new in match.repaired:
        result.problems.append(
            Problem(
                result.header_row,
                new,
                _("Garbled text repaired: %(old)s → %(new)s") % {"old": old, "new": new},
                Severity.INFO,
                old,
            )
        )
    for _index, text in match.unknown:
        result.unknown_columns.append(text)
        result.problems.append(
            Problem(
                result.header_row,
                text,
                _("Unknown column %(column)s: not imported. Rename it or map it in a mapping file.")
                % {"column": text},
                Severity.WARNING,
            )
        )
    for _index, text in match.duplicates:
        result.problems.append(
            Problem(
                result.header_row,
                text,
                _("Second column for the same field: %(column)s is not imported.")
                % {"column": text},
                Severity.WARNING,
            )
        )
    if "survivor_of_name" in header_of and "survivor_of" not in header_of:
        result.problems.append(
            Problem(
                result.header_row,
                header_of["survivor_of_name"],
                _(
                    "A survivor is linked to the deceased cadre by ID number: add a column "
                    "已故干部身份证号. The names in this column are not used."
                ),
                Severity.WARNING,
            )
        )
    # A roster grouped under headings (一、离休干部 … 二、退休干部 …) with no category column:
    # each row takes its group's category, in a column of the headings' own.
    if "category" not in header_of and any(
        rules.section_category(rules.section_heading(cells))
        for cells in head[match.row_index + 1 :]
    ):
        index = max(len(match.cells), max(match.columns, default=-1) + 1)
        label = str(
            _("%(column)s (from the group headings)") % {"column": rules.FIELDS["category"][0]}
        )
        match.columns[index] = "category"
        headers[index] = label
        result.columns[label] = "category"
        header_of["category"] = label
    for fname in ("name", "category"):
        if fname not in header_of:
            result.problems.append(
                Problem(
                    result.header_row,
                    "",
                    _("The required column %(column)s is missing.")
                    % {"column": rules.FIELDS[fname][0]},
                )
            )
            return result

    if "region" not in header_of and not default_region:
        # Said once for the file, not once for each of its rows.
        result.problems.append(
            Problem(0, "", _("No region: add a region column or choose the region to import into."))
        )
        return result
    resolver = RegionResolver()
    if default_region:
        try:
            resolver.resolve(default_region)
        except rules.CellError as exc:
            result.problems.append(Problem(0, "", exc.message))
            return result
    total = table.height
    note = f"import job {job.pk}: {path.name}" if job else f"import {path.name}"

    def read_rows() -> Iterator[tuple[int, list[Any]]]:
        number = 0
        for number, cells in enumerate(head, start=1):
            if number > result.header_row:
                yield number, cells
        for number, cells in enumerate(rows, start=len(head) + 1):
            yield number, list(cells)

    # A template's rows numbered down the sheet (序号 1..100) and never filled in are blank:
    # only the columns that say something of a person count.
    numbering = {i for i, f in match.columns.items() if f in ("seq", "report")}

    def data_rows() -> Iterator[tuple[int, list[Any]]]:
        """The rows below the header, each cell of a merged range over several rows (原单位
        merged down over the people of one unit) holding the range's value, as it shows."""
        merged: dict[int, list[tuple[int, int]]] = {}
        for first, last, column in table.merged_down():
            if first >= result.header_row and column >= 0:  # below the header
                merged.setdefault(first + 1, []).append((last + 1, column))
        if not merged:
            yield from read_rows()
            return

        def no_person(cells: list[Any]) -> bool:
            """A line a range runs past that stays as it is: blank (or numbered only), a group
            heading (二、退休干部, which would no longer be one), a totals line."""
            return (
                rules.is_blank_row(cells)
                or (bool(numbering) and rules.is_blank_row(
                    [c for i, c in enumerate(cells) if i not in numbering]
                ))
                or rules.section_heading(cells) is not None
                or rules.is_total_row(cells)
            )

        open_ranges: list[tuple[int, int, Any]] = []  # (last row, column, value)
        for number, cells in read_rows():
            for last, column in merged.pop(number, ()):
                value = cells[column] if column < len(cells) else None
                open_ranges.append((last, column, value))
            open_ranges = [r for r in open_ranges if r[0] >= number]
            if open_ranges and no_person(cells):
                yield number, cells
                continue
            for _last, column, value in open_ranges:
                if column >= len(cells):
                    cells.extend([None] * (column + 1 - len(cells)))
                if cells[column] is None or cells[column] == "":
                    cells[column] = value
            yield number, cells

    checker = RowChecker(
        columns=match.columns,
        headers=headers,
        header_of=header_of,
        resolver=resolver,
        default_region=default_region,
        regions_version=versions.current(["regions"]),
    )
    workers = pool_size(total, workers)
    result.workers = workers
    run = _Run(actor=actor, result=result, note=note, job=job, dry_run=dry_run, checker=checker)

    def chunks() -> Iterator[tuple[list[tuple[int, list[Any]]], int]]:
        """Batches of the rows to check, each with how many rows of the file it reaches."""
        chunk: list[tuple[int, list[Any]]] = []
        seen = 0
        category_at = next(i for i, f in match.columns.items() if f == "category")
        group: str | None = None  # the category of the group heading above, if it names one
        for number, cells in data_rows():
            seen += 1
            if rules.is_blank_row(cells):
                result.blank_rows += 1
                continue
            if rules.is_total_row(cells):
                result.total_rows += 1
                continue
            heading = rules.section_heading(cells)
            if heading is not None:
                result.heading_rows += 1
                group = rules.section_category(heading)
                continue
            if numbering and rules.is_blank_row(
                [c for i, c in enumerate(cells) if i not in numbering]
            ):
                result.blank_rows += 1  # (before the group's category is filled in)
                continue
            if group and (category_at >= len(cells) or rules.is_blank_row([cells[category_at]])):
                cells = [*cells, *[None] * (category_at + 1 - len(cells))]
                cells[category_at] = group
            result.rows += 1
            chunk.append((number, cells))
            if len(chunk) >= batch_size:
                yield chunk, seen
                chunk = []
        yield chunk, seen

    def process() -> None:
        with (
            _fewer_collections(),
            _sqlite_bulk_settings(),
            _checked_chunks(checker, chunks(), workers, run.registered_cells) as checked,
        ):
            for batch, seen in checked:
                flush(batch, seen)
        with transaction.atomic():
            run.link_survivors(header_of)

    def flush(batch: list[RowData], seen: int) -> None:
        if batch:
            with transaction.atomic():
                run.batch(batch, header_of)
                if dry_run:
                    # A check writes each batch as the import would, then undoes it; what
                    # later batches need of earlier ones (IDs and no-ID rows seen) is kept
                    # in memory, so the figures are those of the real import.
                    transaction.set_rollback(True)
            for data in batch:
                result.problems.extend(data.problems)
        if progress:
            progress(seen + result.header_row, total)

    if dry_run:
        process()  # each batch rolled back; progress is reported (and seen) between batches
        result.committed = False
    elif all_or_nothing:
        # One transaction for the whole file, rolled back unless every row is good.
        try:
            with transaction.atomic():
                process()
                _count(result)
                if result.rejected:
                    raise ImportAborted
        except ImportAborted:
            result.committed = False
        else:
            result.committed = True
    else:
        process()  # each batch commits on its own
        result.committed = True
    _count(result)
    if result.committed and not dry_run:
        audit.record_event(
            AuditLog.Action.IMPORT,
            actor=actor,
            region_id=default_region or None,
            note=f"{note}: {result.created} new, {result.updated} changed, "
            f"{result.rejected} refused"[:200],
        )
        if result.created + result.updated >= ANALYZE_AFTER_ROWS:
            # Planner statistics for what was just written (core.dbstats): without them the
            # next import's lookups by ID scan the whole people table on PostgreSQL, whose
            # autovacuum analyses only later, and SQLite's planner guesses.
            dbstats.analyze(Person, SearchKey)
    return result


def _count(result: ImportResult) -> None:
    if not any(p.code == CUT for p in result.problems):
        # A good number ends in 000 about once in 1,100 people. Where no other ID of the file
        # shows Excel's cut, the warning would be noise on a county's every import.
        result.problems = [p for p in result.problems if p.code != MAYBE_CUT]
    result.rejected = len(result.error_rows - {result.header_row})
    result.repaired = sum(
        1 for p in result.problems if p.severity == Severity.INFO and p.value and "→" in p.message
    )
    result.problems.sort(key=lambda p: (p.row, p.column))


# --- the merge queue -------------------------------------------------------------------------


def candidate_values(candidate: MergeCandidate, actor: Any = None) -> dict[str, Any]:
    """The queued row as the registry's services take it: numbers decrypted, dates parsed,
    the region a Region, the deceased cadre a Person (if registered, within ``actor``'s
    region); only the fields a clerk may edit."""
    data = dict(candidate.data)
    for fname in QUEUED_SECRETS:
        if data.get(fname):
            data[fname] = crypto.decrypt(data[fname])  # (ingest 0004 encrypted the old ones)
    for fname in DATE_FIELDS:
        if data.get(fname):
            data[fname] = datetime.date.fromisoformat(data[fname])
    cadre_number = data.pop("survivor_of", None)
    if cadre_number:
        people = Person.objects.visible_to(actor) if actor else Person.objects  # type: ignore[attr-defined]
        cadre = people.filter(id_hash=crypto.lookup_hash(cadre_number)).first()
        if cadre is not None:
            data["survivor_of"] = cadre
    values = {k: v for k, v in data.items() if k in people_services.EDITABLE_FIELDS}
    values["region"] = Region.objects.get(code=data.get("region") or candidate.region_id)
    return values


@transaction.atomic
def merge_decide(*, actor: Any, candidate: MergeCandidate, decision: str) -> MergeCandidate:
    """A clerk's decision on a likely duplicate: register the row as a new person; or, the
    same person, bring the registered record up to the row (its ID number, a new phone); or
    drop the row. Nothing is ever merged without this decision."""
    from hongxia.core.scope import is_visible

    if not actor.has_perm("people.change_person") or not is_visible(candidate, actor):
        raise PermissionDenied
    locked = MergeCandidate.objects.select_for_update().get(pk=candidate.pk)
    if locked.status != MergeStatus.PENDING:
        raise ValidationError({"decision": [_("This row has already been decided.")]})
    before = audit.snapshot(locked)
    warnings = []  # what the clerk should know after deciding
    if decision in (MergeStatus.SEPARATE, MergeStatus.MERGED):
        # The row as the registry takes it; its 精细分类, if it gave any (None: the record's
        # stay as they are). A dropped row needs neither.
        values = candidate_values(locked, actor)
        codes = locked.data.get("tags")
        tags = list(Tag.objects.filter(code__in=codes)) if codes else None
        if locked.data.get("survivor_of") and "survivor_of" not in values:
            warnings.append(
                _(
                    "The row's deceased cadre is not registered in your region: the survivor "
                    "is not linked to them."
                )
            )
        elif "survivor_of" in values:
            # As the import would: a cadre not recorded as deceased (or a survivor) is not
            # linked, and the clerk is told why; the rest of the row still counts.
            probe = Person(
                pk=locked.person_id if decision == MergeStatus.MERGED else None,
                survivor_of=values["survivor_of"],
            )
            for message in people_services.survivor_link_errors(probe).get("survivor_of", []):
                values.pop("survivor_of", None)
                warnings.append(
                    _("%(problem)s The survivor is not linked to them.") % {"problem": message}
                )
    if decision == MergeStatus.SEPARATE:
        people_services.person_create(actor=actor, data=values, tags=tags)
    elif decision == MergeStatus.MERGED:
        # As an import of the row would: a cell with a value changes its field, an empty one
        # leaves the record's alone. The registry's checks apply (an ID that does not match
        # the birth date, or that is someone else's, is refused and nothing changes).
        filled = {k: v for k, v in values.items() if v not in _EMPTY}
        record = locked.person
        if not locked.data.get("region_given", True) or _region_within(
            record.region_id, filled["region"].code
        ):
            filled.pop("region")  # the import's default, or the county of her village
        for fname, given in (locked.data.get("precision") or {}).items():
            registered = getattr(record, fname, None)
            if fname in filled and registered and _within(filled[fname], registered, given):
                del filled[fname]  # 1974.05 keeps the registered 1974-05-29
        people_services.person_update(actor=actor, person=record, data=filled, tags=tags)
    elif decision != MergeStatus.DISMISSED:
        raise ValidationError({"decision": [_("Choose what to do with this row.")]})
    locked.status = decision
    locked.resolved_by = actor
    locked.resolved_at = timezone.now()
    locked.save(update_fields=["status", "resolved_by", "resolved_at"])
    audit.record_change(
        locked, AuditLog.Action.UPDATE, before=before, after=audit.snapshot(locked), actor=actor
    )
    locked.warnings = warnings  # type: ignore[attr-defined]
    return locked
