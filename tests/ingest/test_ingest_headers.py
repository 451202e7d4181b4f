"""Headers: found below titles and merged cells, synonyms mapped, a saved mapping for odd
sheets, unknown columns reported (never dropped silently)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hongxia.ingest import rules, services
from hongxia.people.models import Person
from tests.ingest.ingest_corpus import HEADERS, person_row, write_xlsx


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("姓名", "name"),
        ("名字", "name"),
        ("身份证号", "id_number"),
        ("公民身份号码", "id_number"),
        ("身份证号码", "id_number"),
        ("出生年月", "birth_date"),
        ("出生日期", "birth_date"),
        ("离退休类别", "category"),
        ("类别", "category"),
        ("原工作单位", "former_unit"),
        ("原单位", "former_unit"),
        ("职级", "rank"),
        ("级别", "rank"),
        ("居住地址", "address"),
        ("现住址", "address"),
        ("联系电话", "phone"),
        ("手机", "phone"),
        ("是否党员", "political_status"),
        ("政治面貌", "political_status"),
        ("所在党支部", "party_branch"),
        ("*姓 名", "name"),
        ("出生年月（格式：1938.05）", "birth_date"),
        ("身份证号码：", "id_number"),
        ("Ｎａｍｅ", "name"),
        # More of the counties' headers.
        ("出生时间", "birth_date"),
        ("公民身份证号", "id_number"),
        ("县（市、区）", "region"),
        ("乡镇（街道）", "region"),
        ("死亡日期", "death_date"),
        ("死亡时间", "death_date"),
        ("去世年月", "death_date"),
        ("是否健在", "life_status"),
        ("现居住地址", "address"),
        ("联系方式", "phone"),
        ("退休年月", "retirement_date"),
        ("入党年月", "party_joined"),
        ("是否中共党员", "political_status"),
    ],
)
def test_synonyms_map_to_fields(header: str, field: str) -> None:
    match = rules.map_header([header])
    assert match.columns == {0: field}


def test_header_found_below_title_rows() -> None:
    rows = [
        ["怀化市离退休干部花名册", "", ""],
        ["填报单位：鹤城区", "", ""],
        ["", "", ""],
        ["序号", "姓名", "性别"],
        [1, "张三丰", "男"],
    ]
    match = rules.find_header(rows)
    assert match is not None and match.row_index == 3
    assert match.columns == {0: "seq", 1: "name", 2: "gender"}


def test_unknown_and_duplicate_columns_are_listed() -> None:
    match = rules.map_header(["姓名", "爱好", "手机", "手机号码"])
    assert match.unknown == [(1, "爱好")]
    assert match.duplicates == [(3, "手机号码")]  # two mobiles: which is which is not known
    third = rules.map_header(["姓名", "手机", "联系电话", "电话"])
    assert third.duplicates == [(3, "电话")]
    # With a landline column, the mobile is the phone all the same; the other is reported.
    landline = rules.map_header(["姓名", "联系电话", "手机", "固定电话"])
    assert (landline.columns[2], landline.columns[3], landline.duplicates) == (
        "phone", "landline", [(1, "联系电话")])


def test_no_header_is_none() -> None:
    assert rules.find_header([["a", "b"], [1, 2]]) is None


@settings(deadline=None)
@given(
    st.lists(
        st.lists(st.one_of(st.text(max_size=8), st.integers(), st.floats(), st.none()), max_size=8),
        max_size=12,
    )
)
def test_find_header_never_crashes(rows: list[list[Any]]) -> None:
    match = rules.find_header(rows)
    if match is not None:
        assert "name" in match.columns.values()


@settings(deadline=None)
@given(st.permutations(HEADERS))
def test_any_column_order_maps_the_same_fields(headers: list[str]) -> None:
    match = rules.find_header([["标题"], headers])
    assert match is not None
    assert sorted(match.columns.values()) == sorted(rules.map_header(HEADERS).columns.values())


def test_xlsx_with_title_merged_cells_and_totals(clerk: Any, tmp_path: Path) -> None:
    rows = [person_row(1, name="张三丰"), ["", "", ""], person_row(2, name="李建国")]
    path = write_xlsx(tmp_path / "roster.xlsx", rows)
    result = services.roster_import(actor=clerk, path=path)
    assert result.header_row == 4
    assert result.created == 2
    assert result.blank_rows == 2  # the title's blank line is above the header; these are below
    assert result.total_rows == 1
    assert result.unknown_columns == []


def test_unknown_columns_are_reported_in_the_result(clerk: Any, tmp_path: Path) -> None:
    headers = [*HEADERS, "爱好"]
    rows = [[*person_row(1), "书法"]]
    path = write_xlsx(tmp_path / "extra.xlsx", rows, headers=headers)
    result = services.roster_import(actor=clerk, path=path)
    assert result.created == 1
    assert result.unknown_columns == ["爱好"]
    [warning] = [p for p in result.problems if p.severity == "warning"]
    assert (warning.row, warning.column) == (4, "爱好")
    assert warning.message == "无法识别的列“爱好”，未导入。请改列名，或在映射文件中指定。"


def test_saved_mapping_file_maps_unusual_headers(clerk: Any, tmp_path: Path) -> None:
    headers = [
        "No",
        "老同志",
        "性别",
        "民族",
        "证件",
        "生辰",
        "人员性质",
        "原单位",
        "级别",
        "所属区划",
        "现住址",
        "手机",
        "政治面貌",
    ]
    path = write_xlsx(tmp_path / "odd.xlsx", [person_row(1, name="欧阳明")], headers=headers)
    mapping_file = tmp_path / "mapping.json"
    mapping_file.write_text(
        json.dumps(
            {
                "老同志": "name",
                "证件": "id_number",
                "生辰": "birth_date",
                "人员性质": "category",
                "No": "ignore",
            },
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    without = services.roster_import(actor=clerk, path=path, dry_run=True)
    assert without.created == 0 and without.problems[0].row == 0  # no header found
    result = services.roster_import(
        actor=clerk, path=path, mapping=services.load_mapping(mapping_file)
    )
    assert result.created == 1, [p.message for p in result.problems]
    assert Person.objects.get().name == "欧阳明"


def test_mapping_file_with_unknown_field_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"姓名": "nickname"}', encoding="utf-8")
    with pytest.raises(ValueError, match="nickname"):
        services.load_mapping(bad)


def test_two_row_header_with_merged_cells(clerk: Any, tmp_path: Path) -> None:
    # Title, unit line, then a header of two rows: 联系方式 over 手机 and 固定电话, the other
    # headers merged down over both rows. The lower row was read as a refused person, and
    # the phones were lost under the unknown column 联系方式.
    import datetime

    import xlsxwriter

    from hongxia.core import idcard

    born = datetime.date(1938, 5, 17)
    path = tmp_path / "two-rows.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("花名册")
    sheet.merge_range(0, 0, 0, 7, "鹤城区离退休干部花名册")
    sheet.write(1, 0, "填报单位：鹤城区委老干部局")
    for col, text in enumerate(["序号", "姓名", "性别", "身份证号码", "出生年月", "离退休类别"]):
        sheet.merge_range(2, col, 3, col, text)
    sheet.merge_range(2, 6, 2, 7, "联系方式")
    sheet.write_row(3, 6, ["手机", "固定电话"])
    sheet.write_row(4, 0, [1, "张三丰", "男", idcard.make("431202", born, 11), "1938.05", "退休"])
    sheet.write_row(4, 6, ["13900000001", "0745-2712345"])
    sheet.write_row(5, 0, [2, "李建国", "男", idcard.make("431202", born, 13), "1938.05", "退休"])
    sheet.write_row(5, 6, ["13900000002"])
    sheet.write_row(6, 0, ["合计", "2人"])
    book.close()
    result = services.roster_import(actor=clerk, path=path)
    assert (result.header_row, result.rows, result.created, result.total_rows) == (4, 2, 2, 1)
    assert result.problems == [] and result.unknown_columns == []
    assert result.columns["手机"] == "phone" and result.columns["固定电话"] == "landline"
    person = Person.objects.get(name="张三丰")
    assert (person.phone, person.landline) == ("13900000001", "0745-2712345")


def test_a_row_with_a_name_below_the_header_is_a_person() -> None:
    rows = [["姓名", "性别", "手机"], ["张三丰", "男", "13900000001"]]
    match = rules.find_header(rows)
    assert match is not None and match.row_index == 0


def _book(path: Path, sheets: dict[str, list[list[Any]]]) -> Path:
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path))
    for name, rows in sheets.items():
        sheet = book.add_worksheet(name)
        for r, row in enumerate(rows):
            sheet.write_row(r, 0, row)
    book.close()
    return path


def test_the_other_sheets_of_a_workbook_are_named_not_left_behind(
    clerk: Any, tmp_path: Path
) -> None:
    import datetime

    from hongxia.core import idcard

    head = ["姓名", "身份证号码", "离退休类别"]
    number = idcard.make("431202", datetime.date(1941, 5, 17), 3)
    path = _book(
        tmp_path / "book.xlsx",
        {
            "退休干部": [
                head,
                ["赵一", idcard.make("431202", datetime.date(1941, 5, 17), 1), "退休"],
            ],
            "离休干部": [head, ["赵二", number, "离休"]],
            "Sheet3": [],
        },
    )
    first = services.roster_import(actor=clerk, path=path)
    assert first.created == 1
    [warning] = first.problems
    assert (warning.row, warning.column, warning.severity) == (0, "", "warning")
    assert warning.message == (
        "只导入了工作表“退休干部”；本工作簿还有其他工作表：离休干部。如需导入，请选择相应的工作表。"
    )
    chosen = services.roster_import(actor=clerk, path=path, sheet="离休干部")
    assert (chosen.created, chosen.problems) == (1, [])
    assert Person.objects.get(name="赵二").category == "lixiu"
    alone = _book(tmp_path / "alone.xlsx", {"花名册": [head, ["赵三", "", "退休"]], "Sheet2": []})
    quiet = services.roster_import(actor=clerk, path=alone, dry_run=True)
    assert [p for p in quiet.problems if p.row == 0] == []  # an empty Sheet2 is not worth a word


def test_command_line_sheet_and_mapping(clerk: Any, tmp_path: Path) -> None:
    import datetime
    import io

    from django.core.management import call_command

    from hongxia.core import idcard

    number = idcard.make("431202", datetime.date(1941, 5, 17), 3)
    path = _book(
        tmp_path / "book.xlsx",
        {
            "说明": [["请按格式填写"]],
            "离休干部": [["老同志", "证件", "人员性质"], ["赵二", number, "离休"]],
        },
    )
    mapping = tmp_path / "mapping.json"
    mapping.write_text('{"老同志": "name", "证件": "id_number", "人员性质": "category"}', "utf-8")
    out = io.StringIO()
    args = [str(path), "--user", clerk.username, "--no-progress", "--sheet", "离休干部"]
    call_command("import_roster", *args, "--mapping", str(mapping), "--dry-run", stdout=out)
    assert "新增 1" in out.getvalue() and "未写入" in out.getvalue()
    assert Person.objects.count() == 0
    call_command("import_roster", *args, "--mapping", str(mapping), stdout=out)
    assert Person.objects.get().id_number == number


def test_a_contact_phone_beside_a_mobile_is_kept_as_the_landline(
    clerk: Any, tmp_path: Path
) -> None:
    """联系电话 and 手机 both read as the phone: the second column was dropped with a warning,
    and with it every mobile number of the file."""
    headers = [*HEADERS[:-2], "联系电话", "手机", HEADERS[-1]]
    row = person_row(1)
    row = [*row[:-2], "0745-2712345", "13912345678", row[-1]]
    result = services.roster_import(
        actor=clerk, path=write_xlsx(tmp_path / "r.xlsx", [row], headers=headers)
    )
    assert result.created == 1 and not result.problems
    person = Person.objects.get()
    assert (person.phone, person.landline) == ("13912345678", "0745-2712345")


_ABOVE = st.one_of(
    st.sampled_from([*HEADERS, "基本信息", "联系方式", "区县：", "所属区划：", "填报日期："]),
    st.text(max_size=6),
    st.none(),
)


@settings(deadline=None, max_examples=300)
@given(above=st.lists(_ABOVE, max_size=16), holes=st.sets(st.integers(0, len(HEADERS) - 1)))
def test_a_row_above_the_header_names_only_the_columns_the_header_leaves_empty(
    above: list[Any], holes: set[int]
) -> None:
    """A header of two rows takes names from the upper row (公民身份号码 merged down beside
    基本信息 over 姓名), never over a name the header row gives, and never from a form label.
    (An upper row naming 姓名 is the header itself, joined with the row below: see
    test_a_group_below_that_names_a_field_again_is_a_second_column.)"""
    row = [None if i in holes and h != "姓名" else h for i, h in enumerate(HEADERS)]
    match = rules.find_header([above, row])
    if "name" in rules.map_header(above).columns.values():
        return
    if match is None or match.row_index != 1:
        return  # the lower row names too little
    alone = rules.map_header(row).columns
    for i, cell in enumerate(row):
        if cell is not None:
            assert match.columns.get(i) == alone.get(i)
    for i, field in match.columns.items():
        if i not in alone:  # taken from above
            assert i < len(above) and str(above[i]).strip()[-1:] not in "：:"
            assert rules.map_header([above[i]]).columns[0] == field


def test_a_name_merged_down_beside_groups_is_a_header_of_two_rows(
    clerk: Any, tmp_path: Path
) -> None:
    """姓名 merged down over two rows, beside groups (基本情况, 离退休信息) that the row below
    breaks into columns: neither row alone named enough, and no header was found."""
    import xlsxwriter

    path = tmp_path / "r.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    sheet.merge_range(0, 0, 1, 0, "姓名")
    sheet.merge_range(0, 1, 0, 3, "基本情况")
    sheet.merge_range(0, 4, 0, 5, "离退休信息")
    sheet.write_row(1, 1, ["性别", "公民身份号码", "出生年月", "离退休类别", "原单位"])
    person = person_row(1, name="张三丰")
    sheet.write_row(2, 0, [person[1], person[2], person[4], person[5], person[6], "市一中"])
    book.close()
    result = services.roster_import(actor=clerk, path=path)
    assert (result.header_row, result.created, result.rejected) == (2, 1, 0), result.problems
    assert Person.objects.get().former_unit == "市一中"


def test_a_header_of_three_rows(clerk: Any, tmp_path: Path) -> None:
    """基本信息 over 姓名, 性别 and 出生年月, 联系方式 over 手机 and 固定电话 a row lower, the rest
    merged down over all three: the 手机 line was read as a person, and landlines dropped."""
    import xlsxwriter

    path = tmp_path / "r.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    sheet.merge_range(0, 0, 2, 0, "序号")
    sheet.merge_range(0, 1, 0, 3, "基本信息")
    sheet.merge_range(0, 4, 2, 4, "公民身份号码")
    sheet.merge_range(0, 5, 2, 5, "离退休类别")
    sheet.merge_range(0, 6, 1, 7, "联系方式")
    for c, text in ((1, "姓名"), (2, "性别"), (3, "出生年月")):
        sheet.merge_range(1, c, 2, c, text)
    sheet.write_row(2, 6, ["手机", "固定电话"])
    person = person_row(1, name="张三丰")
    sheet.write_row(3, 0, [1, "张三丰", "男", person[5], person[4], "退休", "13900000001",
                           "0745-2222222"])
    book.close()
    result = services.roster_import(actor=clerk, path=path)
    assert (result.header_row, result.created, result.rejected) == (3, 1, 0), result.problems
    assert result.unknown_columns == []
    zhang = Person.objects.get()
    assert (zhang.phone, zhang.landline) == ("13900000001", "0745-2222222")


def test_a_group_below_that_names_a_field_again_is_a_second_column() -> None:
    """紧急联系人 over 姓名 and 电话 beside the person's own 姓名, merged down over both rows:
    the person's name is the upper row's; the contact's columns are reported, not imported.
    Taking the lower row's 姓名 first registered the contacts under the cadres' ID numbers,
    without a word."""
    top = ["序号", "姓名", "性别", "公民身份号码", "出生年月", "离退休类别", "紧急联系人", None]
    below = [None, None, None, None, None, None, "姓名", "电话"]
    match = rules.find_header([top, below])
    assert match is not None and match.row_index == 1
    assert match.columns[1] == "name" and 6 not in match.columns and 7 not in match.columns
    assert [i for i, _header in match.unknown] == [6, 7]
    # An upper row naming 姓名 over a column the header leaves empty gives no second name.
    lower = [None, "姓名", None, *HEADERS[3:]]
    match = rules.find_header([["姓名", "序号", "序号"], lower])
    assert match is not None and match.columns[1] == "name" and 0 not in match.columns


@pytest.mark.parametrize("group", ["紧急联系人", "配偶情况"])
def test_another_persons_group_names_none_of_the_retirees_columns(
    clerk: Any, tmp_path: Path, group: str
) -> None:
    """序号 and 姓名 merged down beside 基本情况 and 紧急联系人 (over 姓名 and 电话): the contact's
    name and phone were taken for the retiree's, and each contact was registered under the
    cadre's ID number, without a word."""
    import xlsxwriter

    path = tmp_path / "r.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    sheet.merge_range(0, 0, 1, 0, "序号")
    sheet.merge_range(0, 1, 1, 1, "姓名")
    sheet.merge_range(0, 2, 0, 5, "基本情况")
    sheet.merge_range(0, 6, 0, 7, group)
    sheet.write_row(1, 2, ["性别", "公民身份号码", "出生年月", "离退休类别", "姓名", "电话"])
    person = person_row(1, name="张三丰")
    sheet.write_row(2, 0, [1, "张三丰", "男", person[4], person[5], "退休", "王五", "13900000009"])
    book.close()
    result = services.roster_import(actor=clerk, path=path)
    assert (result.header_row, result.created, result.rejected) == (2, 1, 0), result.problems
    zhang = Person.objects.get()
    assert (zhang.name, zhang.id_number, zhang.phone) == ("张三丰", person[4], "")
    assert len(result.unknown_columns) == 2 and all(group in c for c in result.unknown_columns)


def test_a_deceased_cadres_group_names_the_survivors_link() -> None:
    """已故干部 over 姓名 and 身份证号, in a survivors' roster: the cadre's columns, not the
    survivor's own."""
    top = ["序号", "姓名", "性别", "公民身份号码", "离退休类别", "已故干部", None]
    below = [None, None, None, None, None, "姓名", "身份证号"]
    match = rules.find_header([top, below])
    assert match is not None and match.row_index == 1
    assert match.columns[1] == "name" and match.columns[3] == "id_number"
    assert (match.columns[5], match.columns[6]) == ("survivor_of_name", "survivor_of")
