"""Roster export (.xlsx or .csv) of the registry or any filtered list, and the problem report.

The export's headers and values are ones the importer reads back, so an unmasked export
imported again reproduces the same records.
"""

from __future__ import annotations

import csv
import datetime
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any

import xlsxwriter
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import FileResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hongxia.core import audit
from hongxia.core.models import AuditLog, Region
from hongxia.ingest import readers, rules
from hongxia.people import choices_data
from hongxia.people.models import Person

# The export is a Chinese roster, the same in every UI language, so it always goes back in:
# each header is the first (canonical) header word the importer knows for that field.
ROSTER_FIELDS = [
    "name",
    "gender",
    "ethnicity",
    "id_number",
    "birth_date",
    "lunar_birthday",
    "category",
    "survivor_of_name",
    "survivor_of",
    "survivor_relation",
    "rank",
    "former_unit",
    "retirement_date",
    "revolution_date",
    "political_status",
    "party_joined",
    "region",
    "region_name",
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
    "tags",
    "notes",
]
ROSTER_COLUMNS: list[tuple[str, str]] = [(f, rules.FIELDS[f][0]) for f in ROSTER_FIELDS]
_ZH_LABELS: dict[str, dict[str, str]] = {
    "gender": {"M": "男", "F": "女"},
    "category": {"lixiu": "离休", "tuixiu": "退休", "survivor": "遗属"},
    "life_status": {"alive": "在世", "deceased": "已故"},
    "ethnicity": {c: zh for c, zh, _en in choices_data.ETHNICITIES},
    "rank": {c: zh for c, zh, _en, _w in choices_data.RANKS},
    "political_status": {c: zh for c, zh, _en in choices_data.POLITICAL_STATUSES},
    "health_status": {c: zh for c, zh, _en in choices_data.HEALTH_STATUSES},
    "survivor_relation": {c: zh for c, zh, _en in choices_data.RELATIONS},
}
SENSITIVE = {"id_number": "id_masked", "phone": "phone_masked", "landline": "landline_masked"}
FORMATS = ("xlsx", "csv")
ENCODINGS = {"utf-8": "utf-8-sig", "gbk": "gb18030"}


def headers() -> list[str]:
    return [str(label) for _key, label in ROSTER_COLUMNS]


def person_values(
    person: Person, *, unmasked: bool, region_names: dict[str, str], scope: str | None = ""
) -> list[Any]:
    """One person's row. ``scope``: the code prefix of the exporting user's area; a survivor's
    deceased cadre registered outside it is left out, as the user cannot see them."""
    row: list[Any] = []
    for key, _label in ROSTER_COLUMNS:
        if key in SENSITIVE and not unmasked:
            value: Any = getattr(person, SENSITIVE[key])
        elif key in ("survivor_of", "survivor_of_name"):
            # The deceased cadre (selected with the person): the import links by the ID.
            cadre = person.survivor_of
            if cadre is None or scope is None or not cadre.region_id.startswith(scope):
                value = ""
            elif key == "survivor_of_name":
                value = cadre.name
            else:
                value = cadre.id_number if unmasked else cadre.id_masked
        elif key == "region":
            value = person.region_id
        elif key == "region_name":
            value = region_names.get(person.region_id, "")
        elif key == "tags":  # prefetched; the Chinese names, as the roster is Chinese
            value = "、".join(sorted(t.name for t in person.tags.all()))
        elif key in _ZH_LABELS:
            code = getattr(person, key)
            value = _ZH_LABELS[key].get(code, code) if code else ""
        else:
            value = getattr(person, key)
        if isinstance(value, bool):
            value = "是" if value else "否"
        row.append(value)
    return row


def _rows(qs: QuerySet[Person], unmasked: bool, user: Any) -> Iterator[list[Any]]:
    names = dict(Region.objects.values_list("code", "name"))
    scope = getattr(user, "scope_prefix", None)
    qs = qs.select_related("survivor_of")
    if not unmasked:
        qs = qs.defer(
            "id_number", "phone", "landline", *(f"survivor_of__{f}" for f in SENSITIVE)
        )
    for person in qs.prefetch_related("tags").iterator(chunk_size=2000):
        yield person_values(person, unmasked=unmasked, region_names=names, scope=scope)


def write_xlsx(
    out: IO[bytes] | str,
    title: str,
    head: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    widths: dict[int, int] | None = None,
) -> int:
    """Rows to an .xlsx in constant memory; text cells stay text (an ID never becomes a float)."""
    book = xlsxwriter.Workbook(out, {"constant_memory": True, "in_memory": False})
    sheet = book.add_worksheet(title[:31])
    bold = book.add_format({"bold": True, "bg_color": "#F3E9E7"})
    text = book.add_format({"num_format": "@"})
    day = book.add_format({"num_format": "yyyy-mm-dd"})
    for col, header in enumerate(head):
        sheet.write_string(0, col, str(header), bold)
        sheet.set_column(col, col, (widths or {}).get(col, max(10, len(str(header)) * 2 + 2)))
    count = 0
    for r, row in enumerate(rows, start=1):
        count += 1
        for c, value in enumerate(row):
            if value is None or value == "":
                continue
            if isinstance(value, datetime.datetime):
                sheet.write_datetime(r, c, value.replace(tzinfo=None), day)
            elif isinstance(value, datetime.date):
                sheet.write_datetime(r, c, datetime.datetime.combine(value, datetime.time()), day)
            elif isinstance(value, str):
                sheet.write_string(r, c, value, text)
            else:
                sheet.write(r, c, value)
    sheet.freeze_panes(1, 0)
    book.close()
    return count


def csv_cell(value: Any) -> Any:
    """A value as a CSV cell: a date in ISO form, and text that Excel would take for a formula
    (=1+1, -3号楼, @单位, +86 139…) behind an apostrophe, which Excel shows as nothing and the
    CSV reader drops again. Only text: the export writes no numbers, and a number would need
    no escape."""
    if isinstance(value, datetime.date):
        return value.isoformat()
    if value is None:
        return ""
    if isinstance(value, str) and readers.looks_like_formula(value):
        return "'" + value
    return value


def write_csv(
    out: IO[bytes], head: Sequence[str], rows: Iterable[Sequence[Any]], *, encoding: str = "utf-8"
) -> int:
    """CSV for Excel: UTF-8 with a BOM, or GBK on request (written as GB18030, its superset,
    so a rare character outside GBK is kept rather than lost)."""
    codec = ENCODINGS[encoding]
    import codecs

    writer_stream = codecs.getwriter(codec)(out)
    writer = csv.writer(writer_stream)
    writer.writerow(head)
    count = 0
    for row in rows:
        count += 1
        writer.writerow([csv_cell(v) for v in row])
    writer_stream.flush()
    return count


def roster_export(
    *,
    user: Any,
    queryset: QuerySet[Person],
    out: IO[bytes],
    fmt: str = "xlsx",
    encoding: str = "utf-8",
    unmasked: bool = False,
    note: str = "",
) -> int:
    """Write the people of ``queryset`` (already narrowed to what ``user`` sees); audited."""
    if not user.has_perm("people.export_person"):
        raise PermissionDenied
    if unmasked and not user.has_perm("people.view_sensitive"):
        raise PermissionDenied
    if fmt not in FORMATS or encoding not in ENCODINGS:
        raise ValueError(f"format {fmt!r} / encoding {encoding!r}")
    qs = queryset.order_by("name_pinyin", "id")
    if fmt == "xlsx":
        count = write_xlsx(out, str(_("Registry")), headers(), _rows(qs, unmasked, user))
    else:
        count = write_csv(out, headers(), _rows(qs, unmasked, user), encoding=encoding)
    audit.record_event(
        AuditLog.Action.EXPORT,
        actor=user,
        note=(f"roster {fmt} {count} rows{' unmasked' if unmasked else ''} {note}").strip()[:200],
    )
    return count


# The fill of a cell a problem names, by the problem's severity.
MARKED = {"error": "#FFC7CE", "warning": "#FFEB9C"}


def problem_report(
    path: Path | str,
    sheet: str | None,
    problems: Iterable[dict[str, Any]],
    out: IO[bytes] | str,
    *,
    header_row: int = 0,
) -> int:
    """The original rows, at their original row numbers, plus a problem column at the end, so
    a clerk can fix the file and upload it again (the importer ignores that column).

    The rows are read again from the file, never kept in memory.
    """
    by_row: dict[int, list[str]] = {}
    by_column: dict[int, dict[str, str]] = {}  # row → problem's column header → its severity
    for p in problems:
        label = f"{p['column']}：{p['message']}" if p.get("column") else str(p["message"])
        by_row.setdefault(int(p["row"]), []).append(label)
        if p.get("column") and p.get("severity") in MARKED:
            cells_of_row = by_column.setdefault(int(p["row"]), {})
            if cells_of_row.get(p["column"]) != "error":  # an error outranks a warning
                cells_of_row[p["column"]] = p["severity"]
    table = readers.open_table(path, sheet=sheet)
    width = max((len(r) for r in _head_rows(table)), default=0)
    book = xlsxwriter.Workbook(out, {"constant_memory": True, "in_memory": False})
    ws = book.add_worksheet((table.sheet or str(_("Problems")))[:31])
    # Each cell a problem names is filled (errors red, warnings yellow), so a clerk finds it
    # without reading the problem column; the header stays in view while scrolling.
    formats: dict[tuple[str, str], Any] = {}
    for kind, spec in (("text", {"num_format": "@"}), ("day", {"num_format": "yyyy-mm-dd"}),
                       ("plain", {})):
        formats[kind, ""] = book.add_format(spec)
        for severity, colour in MARKED.items():
            formats[kind, severity] = book.add_format({**spec, "bg_color": colour})
    flag = book.add_format({"font_color": "#B00020", "text_wrap": True})
    ws.set_column(width, width, 60)
    if header_row:
        ws.freeze_panes(header_row, 0)
    column_at: dict[str, int] = {}
    count = 0
    for r, cells in enumerate(table.rows()):
        count += 1
        marked = by_column.get(r + 1, {})
        severity_at = {column_at[h]: sev for h, sev in marked.items() if h in column_at}
        for c, value in enumerate(cells):
            severity = severity_at.pop(c, "")
            if value is None or value == "":
                if severity:
                    ws.write_blank(r, c, None, formats["plain", severity])
                continue
            if isinstance(value, datetime.datetime):
                ws.write_datetime(r, c, value.replace(tzinfo=None), formats["day", severity])
            elif isinstance(value, datetime.date):
                day = datetime.datetime.combine(value, datetime.time())
                ws.write_datetime(r, c, day, formats["day", severity])
            elif isinstance(value, str):
                ws.write_string(r, c, value, formats["text", severity])
            else:
                ws.write(r, c, value, formats["plain", severity])
        for c, severity in severity_at.items():  # a cell past the row's last value
            ws.write_blank(r, c, None, formats["plain", severity])
        if r + 1 == header_row:
            column_at = {rules.fold(v): c for c, v in enumerate(cells) if rules.fold(v)}
            ws.write_string(r, width, str(_("Problems")), flag)
        elif by_row.get(r + 1):
            ws.write_string(r, width, "；".join(by_row[r + 1]), flag)
    book.close()
    return count


def _head_rows(table: readers.Table, limit: int = 200) -> Iterator[list[Any]]:
    for index, row in enumerate(table.rows()):
        if index >= limit:
            return
        yield list(row)


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def roster_response(
    *,
    user: Any,
    queryset: QuerySet[Person],
    fmt: str,
    encoding: str,
    unmasked: bool,
    note: str,
) -> FileResponse:
    """`roster_export` into a temporary file, answered as a download (page and API alike)."""
    tmp = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it
    roster_export(
        user=user,
        queryset=queryset,
        out=tmp,
        fmt=fmt,
        encoding=encoding,
        unmasked=unmasked,
        note=note,
    )
    tmp.seek(0)
    return FileResponse(
        tmp,
        as_attachment=True,
        filename=f"hongxia-roster-{timezone.localdate():%Y%m%d}.{fmt}",
        content_type=XLSX if fmt == "xlsx" else f"text/csv; charset={encoding}",
    )
