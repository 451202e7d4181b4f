"""Writes of the foundation: regions and user accounts."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from hongxia.core import pinyin, regions

DATA_DIR = Path(__file__).resolve().parent / "data"
DEFAULT_REGIONS = DATA_DIR / "regions_431200.csv"


def _read_region_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    errors = []
    for line, row in enumerate(rows, start=2):
        code = (row.get("code") or "").strip()
        if not code.isdigit() or len(code) not in (6, 9, 12):
            errors.append(f"第{line}行：区划代码“{code}”应为6、9或12位数字")
        if not (row.get("name") or "").strip():
            errors.append(f"第{line}行：缺少名称")
    if errors:
        raise ValidationError(errors)
    return rows


def regions_load(path: Path | str = DEFAULT_REGIONS, *, model: Any = None) -> int:
    """Load (insert or update) a region tree from CSV `code,name,parent_code[,level]
    [,former_names]`. Former names (黔阳县, or 市直 where a city's own units' retirees are
    registered) are other names a roster may use for the region, separated by 、.

    Takes the model class so that the data migration can pass its historical model.
    Parents are created before children, whatever the order of the file.
    """
    if model is None:
        from hongxia.core.models import Region as model
    rows = _read_region_rows(Path(path))
    rows.sort(key=lambda r: (len(r["code"].strip()), r["code"].strip()))
    codes = {r["code"].strip() for r in rows} | set(model.objects.values_list("code", flat=True))
    objects = []
    for row in rows:
        code = row["code"].strip()
        parent = (row.get("parent_code") or "").strip() or None
        if parent and parent not in codes:
            raise ValidationError(f"区划“{code}”的上级“{parent}”不存在")
        level = (row.get("level") or "").strip() or regions.level_of(code)
        objects.append(
            model(
                code=code,
                name=row["name"].strip(),
                parent_id=parent,
                level=level,
                prefix=code if level == "community" else regions.prefix_of(code),
                name_pinyin=pinyin.name_pinyin(row["name"].strip()),
                former_names=(row.get("former_names") or "").strip(),
            )
        )
    existing = set(model.objects.values_list("code", flat=True))
    fields = ["name", "parent", "level", "prefix", "name_pinyin"]
    if rows and "former_names" in rows[0]:
        # A file without the column leaves the names an administrator gave alone.
        fields.append("former_names")
    with transaction.atomic():
        # Foreign keys are checked at commit on both databases, so order does not matter.
        model.objects.bulk_create([o for o in objects if o.code not in existing], batch_size=500)
        model.objects.bulk_update(
            [o for o in objects if o.code in existing], fields, batch_size=500
        )
    return len(rows)


def legacy_area_codes() -> dict[str, str]:
    """Pre-1997 ID area codes (4330xx) → today's county: never a reason to reject an ID."""
    with (DATA_DIR / "legacy_area_codes.csv").open(encoding="utf-8") as fh:
        return {r["legacy_code"]: r["current_code"] for r in csv.DictReader(fh)}


def county_for_area_code(code: str, known: Iterable[str]) -> str | None:
    """The current county for an ID's area code, through the legacy map where needed."""
    known = set(known)
    if code in known:
        return code
    return legacy_area_codes().get(code)
