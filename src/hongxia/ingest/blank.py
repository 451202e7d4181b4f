"""The blank roster (导入模板): an .xlsx a county fills in and imports without a problem.

Its columns are the importer's own (those of the roster export, less the export's columns for
the reader), so nothing is unknown. The columns Excel would damage are kept as text: an
18-digit ID typed into a number cell becomes 4.31202E+17, a landline loses its leading 0, and
1938.10 becomes the number 1938.1. The columns with a fixed set of values offer it as a list,
and every column says what it takes when a cell is selected. A second sheet says how to fill
it in. The regions offered are those of the user's own area.
"""

from __future__ import annotations

from typing import IO, Any
from urllib.parse import quote

import xlsxwriter
from django.utils.translation import gettext as _
from xlsxwriter.utility import xl_col_to_name

from hongxia.ingest import exports, rules, services
from hongxia.people import choices_data
from hongxia.people import selectors as people_selectors
from hongxia.people.models import Tag

FIELDS = [f for f in exports.ROSTER_FIELDS if f not in rules.IGNORED_FIELDS]
TEXT = {"id_number", "phone", "landline", "survivor_of", *services.DATE_FIELDS}
ROWS = 5000  # rows with the lists and the text format
DATE = "如 1938.05、1938-05-01 或 1938年5月"
HINTS = {
    "name": "必填。一人一行，不要合并单元格",
    "gender": "男 或 女；有身份证号时可不填",
    "ethnicity": "可从列表中选择，如 汉族、侗族、苗族",
    "id_number": "18 位身份证号。本列为文本格式，请勿改为数字",
    "birth_date": "有身份证号时可不填；" + DATE,
    "lunar_birthday": "过农历生日填 农历，否则填 公历 或不填",
    "category": "必填：离休、退休 或 遗属",
    "survivor_of": "遗属填写：已故干部的身份证号，用于关联",
    "survivor_relation": "遗属填写：如 配偶、儿子、女儿",
    "rank": "可从列表中选择，如 科员、乡科级正职",
    "former_unit": "原工作单位全称",
    "retirement_date": DATE,
    "revolution_date": "离休干部填写；" + DATE,
    "political_status": "可从列表中选择，如 中共党员、群众",
    "party_joined": "党员填写；" + DATE,
    "region": "所属县市区或乡镇（街道），可从列表中选择",
    "address": "现居住地址",
    "phone": "手机号码。本列为文本格式",
    "landline": "如 0745-2712345。本列为文本格式，区号的 0 不会丢失",
    "health_status": "健康、一般、慢性病、重病 或 失能",
    "lives_elsewhere": "是 或 否",
    "elsewhere_city": "异地居住的填写，如 长沙市",
    "elsewhere_address": "异地居住的填写",
    "life_status": "在世 或 已故；已故的请填写去世时间",
    "death_date": DATE,
    "hardship": "是 或 否",
    "hardship_note": "困难的填写困难情况",
    "tags": "可填多个，用顿号分隔",
    "notes": "其他需要说明的情况",
}
GUIDE = [
    "填表说明",
    "",
    "1. 请在“花名册”工作表中填写，一人一行，第一行的列名不要修改。",
    "2. 不要合并单元格，不要插入合计行；多余的空行不影响导入。",
    "3. 身份证号、电话和日期各列已设为文本格式：请直接输入，不要改成数字或日期格式。",
    "4. 日期可写作 1938.05、1938-05-01 或 1938年5月；只知道年月的写到月即可。",
    "5. 有下拉列表的列可从列表中选择，也可输入常用写法（如 男性、退休人员）。",
    "6. 有身份证号的人员，性别和出生日期可以不填，系统从身份证号读出并核对。",
    "7. 遗属请填写已故干部的身份证号和与已故干部的关系。",
    "8. 导入前系统会先检查：所有问题按行列出，确认之前不会写入任何数据。",
    "9. 同一文件再次导入不会重复登记：按身份证号更新有变化的内容，空白单元格不改动已有内容。",
]


def _choices(rows: list[tuple[Any, ...]]) -> list[str]:
    return [str(r[1]) for r in rows]


def _lists(user: Any) -> dict[str, list[str]]:
    """The values a column offers, Chinese as the roster is."""
    places = list(
        people_selectors.region_choices(user=user)
        .exclude(level="city")
        .select_related("parent")
        .order_by("code")
    )
    seen: dict[str, int] = {}
    for place in places:
        seen[place.name] = seen.get(place.name, 0) + 1
    # A town's name alone where it is the only one of that name; else with its county's.
    regions = [
        p.name if seen[p.name] == 1 or p.parent is None else p.parent.name + p.name
        for p in places
    ]
    return {
        "gender": ["男", "女"],
        "ethnicity": _choices(choices_data.ETHNICITIES),
        "category": ["离休", "退休", "遗属"],
        "lunar_birthday": ["农历", "公历"],
        "survivor_relation": _choices(choices_data.RELATIONS),
        "rank": _choices(choices_data.RANKS),
        "political_status": _choices(choices_data.POLITICAL_STATUSES),
        "region": regions,
        "health_status": _choices(choices_data.HEALTH_STATUSES),
        "lives_elsewhere": ["是", "否"],
        "life_status": ["在世", "已故"],
        "hardship": ["是", "否"],
    }


def write(user: Any, out: IO[bytes]) -> None:
    """The blank roster for ``user`` (the regions of their own area) into ``out``."""
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False})
    sheet = book.add_worksheet("花名册")
    guide = book.add_worksheet("填表说明")
    options = book.add_worksheet("选项")
    bold = book.add_format({"bold": True, "bg_color": "#F3E9E7", "border": 1, "font_size": 12})
    text = book.add_format({"num_format": "@"})
    lists = _lists(user)
    headers = dict(exports.ROSTER_COLUMNS)
    tag_names = "、".join(Tag.objects.filter(active=True).values_list("name", flat=True))
    option_col = 0
    for col, fname in enumerate(FIELDS):
        header = headers[fname]
        sheet.write_string(0, col, header, bold)
        sheet.set_column(col, col, max(10, len(header) * 2 + 4), text if fname in TEXT else None)
        hint = HINTS.get(fname, "")
        if fname == "tags" and tag_names:
            hint = f"{hint}：{tag_names}"
        validation: dict[str, Any] = {"validate": "any"}
        values = lists.get(fname)
        if values:
            # The values on the hidden sheet (a list typed into the rule holds 255 characters
            # at most); a value off the list is allowed after a warning, as the importer also
            # takes the usual variants.
            options.write_string(0, option_col, header)
            options.write_column(1, option_col, values)
            letter = xl_col_to_name(option_col)
            validation = {
                "validate": "list",
                "source": f"='选项'!${letter}$2:${letter}${len(values) + 1}",
                "error_type": "warning",
                "error_title": header,
                "error_message": "不在列表中。仍要使用这个值吗？",
            }
            option_col += 1
        if hint:
            validation.update({"input_title": header[:32], "input_message": hint[:255]})
        sheet.data_validation(1, col, ROWS, col, validation)
    sheet.freeze_panes(1, 1)
    options.hide()
    guide.set_column(0, 0, 100)
    title = book.add_format({"bold": True, "font_size": 14})
    line = book.add_format({"font_size": 12, "text_wrap": True})
    for row, words in enumerate(GUIDE):
        guide.write_string(row, 0, words, title if row == 0 else line)
    sheet.activate()
    book.close()


def disposition() -> str:
    """The download's header: the file named in the user's language (花名册导入模板.xlsx),
    with a plain name for clients that cannot read the other."""
    name = quote(str(_("roster template")) + ".xlsx")
    return f"attachment; filename=\"roster-template.xlsx\"; filename*=UTF-8''{name}"
