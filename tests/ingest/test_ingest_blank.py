"""The blank roster (导入模板): a county fills it in and it imports without a problem."""

from __future__ import annotations

import datetime
import io
import re
from pathlib import Path
from typing import Any

import openpyxl
from django.test import Client
from django.urls import reverse

from hongxia.core import idcard
from hongxia.core.models import Region
from hongxia.ingest import blank, rules, services
from hongxia.people.models import Person


def _template(user: Any) -> openpyxl.Workbook:
    client = Client()
    client.force_login(user)
    response = client.get(reverse("ingest:template"))
    assert response.status_code == 200
    # Named in the user's language (the page and the API alike), with a plain fallback.
    assert response["Content-Disposition"] == (
        "attachment; filename=\"roster-template.xlsx\"; "
        "filename*=UTF-8''%E8%8A%B1%E5%90%8D%E5%86%8C%E5%AF%BC%E5%85%A5%E6%A8%A1%E6%9D%BF.xlsx"
    )
    return openpyxl.load_workbook(io.BytesIO(response.content))


def test_the_template_is_the_importers_columns_with_lists_and_text_columns(clerk: Any) -> None:
    book = _template(clerk)
    assert book.sheetnames == ["花名册", "填表说明", "选项"]
    assert book["选项"].sheet_state == "hidden"
    sheet = book["花名册"]
    headers = [c.value for c in sheet[1]]
    match = rules.map_header(headers)
    assert match.unknown == [] and [match.columns[i] for i in range(len(headers))] == blank.FIELDS
    # The columns Excel would damage are text.
    text = {
        i
        for d in sheet.column_dimensions.values()
        if d.number_format == "@"
        for i in range(d.min, d.max + 1)  # adjacent columns alike are one range
    }
    for fname in ("id_number", "phone", "landline", "birth_date", "survivor_of"):
        assert blank.FIELDS.index(fname) + 1 in text, fname
    assert blank.FIELDS.index("name") + 1 not in text
    # Fixed values offered as lists; the regions are the clerk's own county and its towns.
    rules_by_column = {
        str(v.sqref).split(":")[0].rstrip("0123456789"): v
        for v in sheet.data_validations.dataValidation
    }
    region_letter = openpyxl.utils.get_column_letter(blank.FIELDS.index("region") + 1)
    region_rule = rules_by_column[region_letter]
    assert region_rule.type == "list" and region_rule.errorStyle == "warning"
    letter, first, last = _range(region_rule.formula1)
    offered = [book["选项"][f"{letter}{r}"].value for r in range(first, last + 1)]
    towns = Region.objects.filter(code__startswith="431202", level="town").count()
    assert offered[0] == "鹤城区" and len(offered) == 1 + towns
    assert "沅陵县" not in offered
    gender_letter = openpyxl.utils.get_column_letter(blank.FIELDS.index("gender") + 1)
    letter, first, last = _range(rules_by_column[gender_letter].formula1)
    assert [book["选项"][f"{letter}{r}"].value for r in range(first, last + 1)] == ["男", "女"]
    # Every column says what it takes.
    id_letter = openpyxl.utils.get_column_letter(blank.FIELDS.index("id_number") + 1)
    assert "文本" in rules_by_column[id_letter].prompt


def _range(formula: str) -> tuple[str, int, int]:
    # ='选项'!$C$2:$C$3
    cells = formula.split("!")[1].replace("$", "").split(":")
    letter = cells[0].rstrip("0123456789")
    return letter, int(cells[0][len(letter):]), int(cells[1][len(letter):])


def test_a_filled_template_imports_without_a_problem(clerk: Any, tmp_path: Path) -> None:
    book = _template(clerk)
    sheet = book["花名册"]
    number = idcard.make("431202", datetime.date(1938, 10, 1), 11)
    values = {
        "name": "张三丰",
        "id_number": number,
        "birth_date": "1938.10",  # text: Excel would have made it 1938.1
        "category": "退休",
        "region": "鹤城区",
        "phone": "13907451234",
        "landline": "0745-2712345",
        "tags": "高龄、独居",
        "health_status": "一般",
    }
    for fname, value in values.items():
        sheet.cell(row=2, column=blank.FIELDS.index(fname) + 1, value=value)
    path = tmp_path / "filled.xlsx"
    book.save(path)
    result = services.roster_import(actor=clerk, path=path)
    assert result.created == 1
    assert [p.message for p in result.problems] == []  # not even "the book has other sheets"
    person = Person.objects.get()
    assert (person.id_number, person.landline, person.birth_date.month) == (
        number, "0745-2712345", 10)
    assert sorted(t.name for t in person.tags.all()) == ["独居", "高龄"]


def test_every_value_a_hint_names_imports() -> None:
    # The hint of 健康状况 once offered 良好, which the import refused.
    for fname in rules.CHOICE_FIELDS:
        hint = blank.HINTS.get(fname, "")
        # The short words of a hint are values (男, 离休, 慢性病); the long ones say when.
        words = [w for w in re.split(r"[，、；：\s]|或|如|可从列表中选择", hint) if w]
        for word in words:
            if len(word) <= 4 and word not in ("必填", "遗属填写"):
                assert rules.parse_choice(fname, word), (fname, word)


def test_the_template_needs_the_import_permission(leader: Any) -> None:
    client = Client()
    client.force_login(leader)
    assert client.get(reverse("ingest:template")).status_code == 403
