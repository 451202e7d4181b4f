"""The import itself: idempotent upsert by ID, audited changes, merge queue, region scope,
all-or-nothing, dry runs, whole batches only, and the command line."""

from __future__ import annotations

import datetime
import gc
import io
from pathlib import Path
from typing import Any
from unittest import mock

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils.translation import gettext

from hongxia.core import crypto, idcard, masking
from hongxia.core.models import AuditLog, Region
from hongxia.ingest import exports, services
from hongxia.ingest.models import MergeCandidate
from hongxia.people.models import Person, SearchKey
from tests.factories import PersonFactory
from tests.ingest.ingest_corpus import HEADERS, csv_bytes, person_row, write_xlsx

COL = {h: i for i, h in enumerate(HEADERS)}


def _rows(n: int = 3) -> list[list[Any]]:
    names = ["张三丰", "李建国", "曾国华", "王秀英", "覃玉兰", "杨志德", "龙凤英"]
    return [
        person_row(
            i,
            name=names[(i - 1) % len(names)],
            birth=datetime.date(1940, 1, 1) + datetime.timedelta(days=40 * i),
        )
        for i in range(1, n + 1)
    ]


def _errors(result: services.ImportResult) -> list[tuple[int, str, str]]:
    return [(p.row, p.column, p.message) for p in result.problems if p.severity == "error"]


def test_second_import_of_the_same_file_changes_nothing(clerk: Any, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "r.xlsx", _rows(3))
    first = services.roster_import(actor=clerk, path=path)
    assert (first.created, first.rows, first.rejected) == (3, 3, 0)
    person = Person.objects.get(name="张三丰")
    assert person.id_hash and person.name_pinyin == "zhangsanfeng"
    assert SearchKey.objects.filter(person=person, key="zsf", name_pinyin="zhangsanfeng").exists()
    stamp = {p.pk: p.updated_at for p in Person.objects.all()}
    changes = AuditLog.objects.exclude(note__contains="new,").count()
    second = services.roster_import(actor=clerk, path=path)
    assert (second.created, second.updated, second.unchanged) == (0, 0, 3)
    assert {p.pk: p.updated_at for p in Person.objects.all()} == stamp
    assert AuditLog.objects.exclude(note__contains="new,").count() == changes


def test_created_people_are_audited_as_an_import_by_the_user(clerk: Any, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "r.xlsx", _rows(2))
    services.roster_import(actor=clerk, path=path)
    person = Person.objects.get(name="张三丰")
    log = AuditLog.objects.get(person_id=person.pk)
    assert (log.action, log.actor_id, log.region_id) == ("import", clerk.pk, "431202")


def test_a_changed_row_updates_only_its_changed_field(clerk: Any, tmp_path: Path) -> None:
    rows = _rows(2)
    services.roster_import(actor=clerk, path=write_xlsx(tmp_path / "a.xlsx", rows))
    rows[0][COL["现住址"]] = "鹤城区红星路8号"
    result = services.roster_import(actor=clerk, path=write_xlsx(tmp_path / "b.xlsx", rows))
    assert (result.updated, result.unchanged) == (1, 1)
    person = Person.objects.get(name="张三丰")
    assert person.address == "鹤城区红星路8号"
    log = AuditLog.objects.filter(person_id=person.pk).latest("id")
    assert log.action == "import" and log.actor_id == clerk.pk
    assert set(log.changes) == {"address"}


def test_an_empty_cell_leaves_the_registered_value_alone(clerk: Any, tmp_path: Path) -> None:
    """A county's file often lacks what a clerk has entered since: importing it again must not
    wipe the phone, address, unit or party status out of the registry."""
    rows = _rows(2)
    services.roster_import(actor=clerk, path=write_xlsx(tmp_path / "a.xlsx", rows))
    before = Person.objects.get(name="张三丰")
    assert before.phone and before.address and before.former_unit and before.political_status
    for header in ("手机", "现住址", "原单位", "政治面貌"):
        rows[0][COL[header]] = None
    rows[0][COL["级别"]] = ""
    rows[1][COL["现住址"]] = "鹤城区红星路8号"  # a filled cell still changes its field
    result = services.roster_import(actor=clerk, path=write_xlsx(tmp_path / "b.xlsx", rows))
    assert (result.updated, result.unchanged, result.rejected) == (1, 1, 0)
    after = Person.objects.get(pk=before.pk)
    kept = ("phone", "address", "former_unit", "political_status", "rank")
    assert [getattr(after, f) for f in kept] == [getattr(before, f) for f in kept]
    assert Person.objects.get(name="李建国").address == "鹤城区红星路8号"


def test_gender_and_birth_date_are_checked_against_the_id(clerk: Any, tmp_path: Path) -> None:
    rows = _rows(2)
    rows[0][COL["性别"]] = "女"  # the ID says male
    rows[1][COL["出生年月"]] = "1950.01"
    result = services.roster_import(actor=clerk, path=write_xlsx(tmp_path / "r.xlsx", rows))
    assert result.created == 0 and result.rejected == 2
    errors = _errors(result)
    assert [(r, c) for r, c, _m in errors] == [(5, "性别"), (6, "出生年月")]
    # The registry form's own message (people.services), in the active language (Chinese).
    assert errors[0][2] == gettext("The gender does not match the ID number.")


def test_excel_float_id_is_flagged_with_row_and_column(clerk: Any, tmp_path: Path) -> None:
    rows = _rows(2)
    rows[1][COL["公民身份号码"]] = float(rows[1][COL["公民身份号码"]])
    result = services.roster_import(actor=clerk, path=write_xlsx(tmp_path / "r.xlsx", rows))
    assert result.created == 1
    assert _errors(result) == [
        (
            6,
            "公民身份号码",
            "该身份证号似已被电子表格改写为数字（4.31202E+17），请将该列设为文本格式后重新输入完整号码。",
        )
    ]
    # The cell as Excel shows it: not 431202193805120000, digits that pass for an ID.
    [problem] = [p for p in result.problems if p.row == 6]
    assert problem.value == "4.31202E+17"


def test_fifteen_digit_id_is_stored_upgraded(clerk: Any, tmp_path: Path) -> None:
    rows = _rows(1)
    rows[0][COL["公民身份号码"]] = "431202400210123"
    rows[0][COL["出生年月"]] = "1940.02.10"
    result = services.roster_import(actor=clerk, path=write_xlsx(tmp_path / "r.xlsx", rows))
    assert result.created == 1, _errors(result)
    number = idcard.parse("431202400210123").number
    assert Person.objects.get().id_number == number
    assert [(p.row, p.column, p.message) for p in result.problems if p.severity == "info"] == [
        (5, "公民身份号码", f"15位身份证号码已升级为18位：{masking.mask_id(number)}")
    ]


@pytest.mark.parametrize(
    "cell", ["鹤城区", "431202", "怀化市鹤城区", "湖南省怀化市鹤城区", "hechengqu", "鹤城"]
)
def test_region_resolved_by_name_code_path_and_pinyin(
    cell: str, city_admin: Any, tmp_path: Path
) -> None:
    rows = _rows(1)
    rows[0][COL["所属区划"]] = cell
    result = services.roster_import(actor=city_admin, path=write_xlsx(tmp_path / "r.xlsx", rows))
    assert result.created == 1, _errors(result)
    assert Person.objects.get().region_id == "431202"


def test_old_region_names_resolve(city_admin: Any, tmp_path: Path) -> None:
    rows = _rows(1)
    rows[0][COL["所属区划"]] = "黔阳县"
    rows[0][COL["公民身份号码"]] = idcard.make("433021", datetime.date(1940, 2, 10), 11)
    rows[0][COL["出生年月"]] = "1940.02.10"
    result = services.roster_import(actor=city_admin, path=write_xlsx(tmp_path / "r.xlsx", rows))
    assert result.created == 1, _errors(result)
    assert Person.objects.get().region_id == "431281"


@pytest.mark.parametrize(
    ("cell", "code"), [("市直", "431202"), ("怀化市直", "431202"), ("洪江管理区", "431271")]
)
def test_the_names_rosters_use_for_a_region_are_data(
    cell: str, code: str, city_admin: Any, tmp_path: Path
) -> None:
    """市直 (the city's own units) means 鹤城区 in Huaihua, not in another city: such names are
    the region's, in the region table an administrator edits, not in the importer's code."""
    rows = _rows(1)
    rows[0][COL["所属区划"]] = cell
    result = services.roster_import(actor=city_admin, path=write_xlsx(tmp_path / "r.xlsx", rows))
    assert result.created == 1, _errors(result)
    assert Person.objects.get().region_id == code


def test_a_name_an_administrator_gives_a_region_resolves(city_admin: Any, tmp_path: Path) -> None:
    rows = _rows(2)
    rows[0][COL["所属区划"]] = rows[1][COL["所属区划"]] = "辰州"  # 沅陵's old name
    rows[1][COL["姓名"]] = "李建国"
    path = write_xlsx(tmp_path / "r.xlsx", rows)
    refused = services.roster_import(actor=city_admin, path=path, dry_run=True)
    assert _errors(refused) == [(r, "所属区划", "无法识别的区划“辰州”。") for r in (5, 6)]
    Region.objects.filter(code="431222").update(former_names="辰州、沅陵县城")
    result = services.roster_import(actor=city_admin, path=path)
    assert result.created == 2, _errors(result)
    assert set(Person.objects.values_list("region_id", flat=True)) == {"431222"}


def test_rows_outside_the_users_region_are_refused(clerk: Any, tmp_path: Path) -> None:
    rows = _rows(2)
    rows[1][COL["所属区划"]] = "沅陵县"
    result = services.roster_import(actor=clerk, path=write_xlsx(tmp_path / "r.xlsx", rows))
    assert result.created == 1
    assert _errors(result) == [
        (6, "所属区划", "区划“沅陵县（431222）”不在您的管辖范围内，该行不予导入。")
    ]


def test_unknown_region_is_reported(clerk: Any, tmp_path: Path) -> None:
    rows = _rows(1)
    rows[0][COL["所属区划"]] = "火星县"
    result = services.roster_import(actor=clerk, path=write_xlsx(tmp_path / "r.xlsx", rows))
    assert _errors(result) == [(5, "所属区划", "无法识别的区划“火星县”。")]


def test_same_id_twice_in_one_file(clerk: Any, tmp_path: Path) -> None:
    rows = _rows(2)
    rows[1] = list(rows[0])
    result = services.roster_import(actor=clerk, path=write_xlsx(tmp_path / "r.xlsx", rows))
    assert result.created == 1
    assert _errors(result) == [(6, "公民身份号码", "该身份证号码在文件中重复出现（首次在第5行）。")]


def test_id_registered_in_another_county_is_not_leaked(clerk: Any, tmp_path: Path) -> None:
    other = PersonFactory(region_id="431222", name="外县人", birth_date=datetime.date(1941, 3, 3))
    rows = _rows(1)
    rows[0][COL["公民身份号码"]] = other.id_number
    rows[0][COL["出生年月"]] = "1941.03.03"
    result = services.roster_import(actor=clerk, path=write_xlsx(tmp_path / "r.xlsx", rows))
    assert result.created == 0
    assert Person.objects.get(pk=other.pk).region_id == "431222"
    assert "431222" not in str(result.problems)


def test_likely_duplicate_without_id_goes_to_the_merge_queue(clerk: Any, tmp_path: Path) -> None:
    existing = PersonFactory(
        region_id="431202", name="王秀英", gender="F", birth_date=datetime.date(1938, 5, 1)
    )
    row = person_row(1, name="王秀英", gender="女", id_number="")
    row[COL["现住址"]] = "另一个地址"
    path = write_xlsx(tmp_path / "r.xlsx", [row])
    result = services.roster_import(actor=clerk, path=path)
    assert (result.created, result.queued) == (0, 1)
    candidate = MergeCandidate.objects.get()
    assert candidate.person == existing and candidate.row_number == 5
    again = services.roster_import(actor=clerk, path=path)
    assert again.queued == 1 and MergeCandidate.objects.count() == 1
    assert Person.objects.count() == 1
    services.merge_decide(actor=clerk, candidate=candidate, decision="separate")
    assert Person.objects.filter(name="王秀英").count() == 2


def test_a_row_a_clerk_called_the_same_person_is_not_asked_again(clerk: Any,
                                                                  tmp_path: Path) -> None:
    """A dismissed row came back to the merge queue with every import of the same file."""
    existing = PersonFactory(
        region_id="431202", name="王秀英", gender="F", birth_date=datetime.date(1938, 5, 1)
    )
    row = person_row(1, name="王秀英", gender="女", id_number="")
    row[COL["现住址"]] = "另一个地址"
    path = write_xlsx(tmp_path / "r.xlsx", [row])
    services.roster_import(actor=clerk, path=path)
    services.merge_decide(actor=clerk, candidate=MergeCandidate.objects.get(),
                          decision="dismissed")
    for dry_run in (True, False):  # the check says what the import will do
        again = services.roster_import(actor=clerk, path=path, dry_run=dry_run)
        assert (again.queued, again.unchanged, again.created) == (0, 1, 0)
        assert [p.message for p in again.problems] == ["已在待合并中判定为同一人：跳过。"]
    assert list(MergeCandidate.objects.values_list("status", flat=True)) == ["dismissed"]
    assert Person.objects.get().pk == existing.pk
    row[COL["现住址"]] = "第三个地址"  # a changed row is a new question
    changed = services.roster_import(actor=clerk, path=write_xlsx(tmp_path / "s.xlsx", [row]))
    assert changed.queued == 1 and MergeCandidate.objects.count() == 2


def test_rows_without_id_are_idempotent_too(clerk: Any, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "r.xlsx", [person_row(1, name="龙凤英", id_number="")])
    assert services.roster_import(actor=clerk, path=path).created == 1
    second = services.roster_import(actor=clerk, path=path)
    assert (second.created, second.unchanged, second.queued) == (0, 1, 0)


def test_all_or_nothing_commits_nothing_when_one_row_is_bad(clerk: Any, tmp_path: Path) -> None:
    rows = _rows(4)
    rows[2][COL["离退休类别"]] = "临时工"
    path = write_xlsx(tmp_path / "r.xlsx", rows)
    result = services.roster_import(actor=clerk, path=path, all_or_nothing=True, batch_size=2)
    assert not result.committed and result.rejected == 1
    assert Person.objects.count() == 0
    assert services.roster_import(actor=clerk, path=path, batch_size=2).created == 3


def test_dry_run_writes_nothing_but_counts(clerk: Any, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "r.xlsx", _rows(3))
    result = services.roster_import(actor=clerk, path=path, dry_run=True)
    assert result.created == 3 and not result.committed
    assert Person.objects.count() == 0 and SearchKey.objects.count() == 0


def test_a_crash_never_leaves_half_a_batch(clerk: Any, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "r.xlsx", _rows(5))
    real = services._Inserter._write
    calls = {"keys": 0}

    def crashing(self: Any, table: str, cols: list[str], rows: list[Any]) -> None:
        real(self, table, cols, rows)
        if table == SearchKey._meta.db_table:
            calls["keys"] += 1
            if calls["keys"] == 2:
                raise KeyboardInterrupt  # killed after the people of batch 2 were inserted

    with (
        mock.patch.object(services._Inserter, "_write", crashing),
        pytest.raises(KeyboardInterrupt),
    ):
        services.roster_import(actor=clerk, path=path, batch_size=2)
    assert Person.objects.count() == 2  # batch 1 whole, batch 2 not at all
    assert all(p.search_keys.exists() for p in Person.objects.all())
    result = services.roster_import(actor=clerk, path=path, batch_size=2)
    assert (result.created, result.unchanged) == (3, 2)


def test_every_rejected_row_is_in_the_report(clerk: Any, tmp_path: Path) -> None:
    rows = _rows(4)
    rows[0][COL["出生年月"]] = "不详"
    rows[3][COL["离退休类别"]] = ""
    path = write_xlsx(tmp_path / "r.xlsx", rows)
    result = services.roster_import(actor=clerk, path=path)
    assert result.error_rows == {5, 8}
    out = io.BytesIO()
    exports.problem_report(
        path,
        result.sheet,
        [p.as_dict() for p in result.problems],
        out,
        header_row=result.header_row,
    )
    sheet = openpyxl.load_workbook(io.BytesIO(out.getvalue())).active
    width = len(HEADERS)
    assert sheet.cell(4, width + 1).value == "问题"
    assert "出生年月" in sheet.cell(5, width + 1).value
    assert sheet.cell(6, width + 1).value is None
    assert sheet.cell(5, 2).value == "张三丰"  # the original row, as it was
    # The cells the problems name are filled red, the empty one too; the others are not.
    fill = {(r, c): sheet.cell(r, c).fill.fgColor.rgb for r in (5, 6, 8)
            for c in (COL["出生年月"] + 1, COL["离退休类别"] + 1, COL["姓名"] + 1)}
    red = {k for k, v in fill.items() if v == "FFFFC7CE"}
    assert red == {(5, COL["出生年月"] + 1), (8, COL["离退休类别"] + 1)}, fill
    assert sheet.freeze_panes == "A5", "the header stays in view"
    # The report goes back in as a roster: the problem column is ignored, the fixed rows load.
    reimport = services.roster_import(actor=clerk, path=_save(out, tmp_path / "fix.xlsx"))
    assert reimport.unknown_columns == []


def _save(buf: io.BytesIO, path: Path) -> Path:
    path.write_bytes(buf.getvalue())
    return path


def test_command_line_import_with_progress_and_report(clerk: Any, tmp_path: Path) -> None:
    rows = _rows(3)
    rows[1][COL["性别"]] = "未知"
    path = tmp_path / "r.csv"
    path.write_bytes(csv_bytes(rows, "gbk"))
    out, err = io.StringIO(), io.StringIO()
    report = tmp_path / "report.xlsx"
    with pytest.raises(SystemExit) as partial:  # one row refused: exit status 3
        call_command(
            "import_roster",
            str(path),
            "--user",
            clerk.username,
            "--report",
            str(report),
            stdout=out,
            stderr=err,
        )
    assert partial.value.code == 3
    assert "新增 2" in out.getvalue() and "第3行 性别" in out.getvalue()
    assert "编码 gbk" in out.getvalue()
    assert report.exists()
    assert Person.objects.count() == 2


def test_command_line_workers_check_the_rows_in_a_worker_process(
    clerk: Any, tmp_path: Path, settings: Any
) -> None:
    rows = _rows(3)
    rows[1][COL["性别"]] = "未知"
    path = tmp_path / "r.csv"
    path.write_bytes(csv_bytes(rows, "utf-8-sig"))
    settings.HONGXIA_INGEST_POOL_MIN_ROWS = 0
    out = io.StringIO()
    with pytest.raises(SystemExit):  # one row refused: exit status 3
        call_command(
            "import_roster", str(path), "--user", clerk.username, "--workers", "1", stdout=out
        )
    # The same report as one process gives (test_command_line_import_with_progress_and_report).
    assert "新增 2" in out.getvalue() and "第3行 性别" in out.getvalue()
    assert "1 个检查进程" in out.getvalue()
    assert Person.objects.count() == 2


def test_an_import_puts_the_garbage_collector_back(clerk: Any, tmp_path: Path) -> None:
    # The threshold is the whole process's: a server must not keep an import's setting.
    path = tmp_path / "r.csv"
    path.write_bytes(csv_bytes(_rows(3), "utf-8-sig"))
    before = gc.get_threshold()
    during: list[int] = []
    result = services.roster_import(
        actor=clerk, path=path, progress=lambda _done, _total: during.append(gc.get_threshold()[0])
    )
    assert result.created == 3
    assert during and min(during) >= services.GC_THRESHOLD
    assert gc.get_threshold() == before
    # Two at once (web imports run in threads of one process): the last one out puts it back.
    with services._fewer_collections():
        with services._fewer_collections():
            pass
        assert gc.get_threshold()[0] >= services.GC_THRESHOLD
    assert gc.get_threshold() == before


def test_command_line_all_or_nothing_fails_loudly(clerk: Any, tmp_path: Path) -> None:
    rows = _rows(2)
    rows[1][COL["性别"]] = "未知"
    path = tmp_path / "r.csv"
    path.write_bytes(csv_bytes(rows, "utf-8-sig"))
    with pytest.raises(CommandError):
        call_command(
            "import_roster",
            str(path),
            "--user",
            clerk.username,
            "--all-or-nothing",
            "--no-progress",
            stdout=io.StringIO(),
        )
    assert Person.objects.count() == 0


def test_command_line_partial_import_exits_3(clerk: Any, tmp_path: Path) -> None:
    """A script must not take an import that refused rows for a whole one; the good rows are
    in all the same."""
    rows = _rows(2)
    rows[1][COL["性别"]] = "未知"
    path = tmp_path / "r.csv"
    path.write_bytes(csv_bytes(rows, "utf-8-sig"))
    err = io.StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("import_roster", str(path), "--user", clerk.username, "--no-progress",
                     stdout=io.StringIO(), stderr=err)
    assert exited.value.code == 3
    assert "1 行被拒绝，无误的行已导入。" in err.getvalue()
    assert Person.objects.count() == 1
    call_command("import_roster", str(write_xlsx(tmp_path / "ok.xlsx", _rows(1))), "--user",
                 clerk.username, "--no-progress", stdout=io.StringIO())  # all good: exits 0


def test_command_line_sums_up_many_problems(clerk: Any, tmp_path: Path) -> None:
    """A column wrong in every row printed a line a row: thousands of lines for a county's
    file. Over 50 problems the command sums them up by column and kind; -v 2 lists them."""
    rows = _rows(60)
    for row in rows:
        row[COL["性别"]] = "未知"
    rows[0][COL["离退休类别"]] = "临时工"
    path = tmp_path / "r.csv"
    path.write_bytes(csv_bytes(rows, "utf-8-sig"))
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_roster", str(path), "--user", clerk.username, "--no-progress",
                     "--dry-run", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[:3] == [
        "性别 [错误] 60 处，如第 2、3、4、5、6… 行",
        "离退休类别 [错误] 1 处，如第 2 行",
        "共 61 个问题：逐条列出请加 -v 2，或用 --report 导出问题报告。",
    ]
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_roster", str(path), "--user", clerk.username, "--no-progress",
                     "--dry-run", "-v", "2", stdout=out)
    assert sum("[错误]" in line for line in out.getvalue().splitlines()) == 61


def test_command_needs_a_user(tmp_path: Path, db: Any) -> None:
    with pytest.raises(CommandError):
        call_command("import_roster", str(tmp_path / "x.csv"))


def _twins(n: int) -> list[list[Any]]:
    """n rows without an ID: the same name, birth date and region, each with its own address."""
    rows = []
    for i in range(1, n + 1):
        row = person_row(i, name="王秀英", gender="女", id_number="")
        row[COL["现住址"]] = f"鹤城区迎丰路{i}号"
        rows.append(row)
    return rows


def test_duplicates_without_id_inside_one_file_go_to_the_merge_queue(
    clerk: Any, tmp_path: Path
) -> None:
    # Three rows alike; the third falls in the next batch, so the file is checked as a whole.
    path = write_xlsx(tmp_path / "r.xlsx", _twins(3))
    result = services.roster_import(actor=clerk, path=path, batch_size=2)
    assert (result.created, result.queued, result.rejected) == (1, 2, 0)
    first = Person.objects.get()
    assert first.address == "鹤城区迎丰路1号"
    candidates = MergeCandidate.objects.order_by("row_number")
    assert [(c.row_number, c.person_id) for c in candidates] == [(6, first.pk), (7, first.pk)]
    assert candidates[0].data["address"] == "鹤城区迎丰路2号"
    warnings = [(p.row, p.message) for p in result.problems if p.severity == "warning"]
    expected = (
        "可能与本文件第5行是同一人（姓名、出生日期、区划相同）。交由工作人员在“待合并”中决定。"
    )
    assert warnings == [(6, expected), (7, expected)]
    # Nothing merged: a clerk's "separate" registers the row as a person of its own.
    services.merge_decide(actor=clerk, candidate=candidates[0], decision="separate")
    assert Person.objects.filter(name="王秀英").count() == 2


def test_in_file_duplicates_are_idempotent_and_shown_in_the_preview(
    clerk: Any, tmp_path: Path
) -> None:
    path = write_xlsx(tmp_path / "r.xlsx", _twins(2))
    preview = services.roster_import(actor=clerk, path=path, dry_run=True)
    assert (preview.created, preview.queued, preview.committed) == (1, 1, False)
    assert Person.objects.count() == 0 and MergeCandidate.objects.count() == 0
    assert [p.row for p in preview.problems if "本文件第5行" in p.message] == [6]
    services.roster_import(actor=clerk, path=path)
    again = services.roster_import(actor=clerk, path=path)
    assert (again.created, again.unchanged, again.queued) == (0, 1, 1)
    assert Person.objects.count() == 1 and MergeCandidate.objects.count() == 1


def test_in_file_duplicate_is_in_the_problem_report(clerk: Any, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "r.xlsx", _twins(2))
    result = services.roster_import(actor=clerk, path=path)
    out = tmp_path / "report.xlsx"
    exports.problem_report(
        path, result.sheet, [p.as_dict() for p in result.problems], str(out), header_row=4
    )
    sheet = openpyxl.load_workbook(out).active
    problem_column = [sheet.cell(r, sheet.max_column).value for r in (5, 6)]
    assert problem_column[0] in (None, "")
    assert "本文件第5行" in problem_column[1]


@pytest.mark.parametrize("command", ["import_roster", "export_roster"])
def test_command_help_prints(command: str) -> None:
    # `hongxia import roster --help` crashed: argparse read the "%" of "15%" as a format.
    from django.core.management import load_command_class

    parser = load_command_class("hongxia.ingest", command).create_parser("hongxia", command)
    assert "--user" in parser.format_help()


def test_dates_typed_as_numbers_come_in_as_written(clerk: Any, tmp_path: Path) -> None:
    # 199805 typed into a number cell was read as the Excel serial 199805 (the year 2447), and
    # 98.05 as the serial 98 (1900-04-07): both stored without a word.
    rows = [[*person_row(1, name="张三丰"), 199805], [*person_row(2, name="李建国"), "98.05"]]
    path = write_xlsx(tmp_path / "r.xlsx", rows, headers=[*HEADERS, "退休时间"])
    result = services.roster_import(actor=clerk, path=path)
    assert result.created == 1
    assert Person.objects.get(name="张三丰").retirement_date == datetime.date(1998, 5, 1)
    assert _errors(result) == [
        (6, "退休时间", "日期“98.05”的年份只有两位，请写完整的四位年份，例如 1938.05。")
    ]


DEATH_HEADERS = [*HEADERS, "去世时间", "生存状态"]


def test_a_date_of_death_without_a_status_means_deceased(clerk: Any, tmp_path: Path) -> None:
    # A date of death beside no life status broke the database's check: the import crashed.
    rows = [[*person_row(1, name="张三丰"), "2020.01.05"], [*person_row(2, name="李建国"), ""]]
    path = write_xlsx(tmp_path / "r.xlsx", rows, headers=[*HEADERS, "去世时间"])
    result = services.roster_import(actor=clerk, path=path)
    assert (result.created, result.rejected) == (2, 0), _errors(result)
    dead = Person.objects.get(name="张三丰")
    assert (dead.life_status, dead.death_date) == ("deceased", datetime.date(2020, 1, 5))
    assert Person.objects.get(name="李建国").life_status == "alive"


def test_a_date_of_death_beside_alive_or_before_birth_is_refused(
    clerk: Any, tmp_path: Path
) -> None:
    rows = [
        [*person_row(1, name="张三丰"), "2020.01", "在世"],
        [*person_row(2, name="李建国"), "1930.01", "已故"],
        [*person_row(3, name="曾国华"), "2020.01", "已故"],
    ]
    path = write_xlsx(tmp_path / "r.xlsx", rows, headers=DEATH_HEADERS)
    result = services.roster_import(actor=clerk, path=path)
    assert (result.created, result.rejected) == (1, 2)
    assert _errors(result) == [
        (5, "生存状态", "填写了去世时间，但生存状态不是“已故”。"),
        (6, "去世时间", "去世日期不能早于出生日期。"),
    ]


def test_an_update_keeps_the_death_rules(clerk: Any, tmp_path: Path) -> None:
    # A registered death, then a file that says 在世 without the date (and one that gives a
    # date without the status): a write that broke the database's check crashed the import.
    rows = [[*person_row(1, name="张三丰"), "2020.01.05", "已故"]]
    services.roster_import(
        actor=clerk, path=write_xlsx(tmp_path / "a.xlsx", rows, headers=DEATH_HEADERS)
    )
    alive = [[*person_row(1, name="张三丰"), "在世"]]
    path = write_xlsx(tmp_path / "c.xlsx", alive, headers=[*HEADERS, "生存状态"])
    result = services.roster_import(actor=clerk, path=path)
    assert (result.updated, result.rejected) == (0, 1)
    assert _errors(result) == [(5, "生存状态", "填写了去世时间，但生存状态不是“已故”。")]
    person = Person.objects.get(name="张三丰")
    assert (person.life_status, person.death_date) == ("deceased", datetime.date(2020, 1, 5))
    other = PersonFactory(region_id="431202", name="李建国", birth_date=datetime.date(1940, 1, 1))
    row = person_row(2, name="李建国", birth=other.birth_date, id_number=other.id_number)
    row[COL["性别"]] = "男" if other.gender == "M" else "女"
    path = write_xlsx(tmp_path / "d.xlsx", [[*row, "2021.03.04"]], headers=[*HEADERS, "去世时间"])
    result = services.roster_import(actor=clerk, path=path)
    assert result.updated == 1, _errors(result)
    other.refresh_from_db()
    assert (other.life_status, other.death_date) == ("deceased", datetime.date(2021, 3, 4))
    log = AuditLog.objects.filter(person_id=other.pk).latest("id")
    assert {"life_status", "death_date"} <= set(log.changes)


def test_apostrophes_and_excel_text_formulas_are_taken_off(clerk: Any, tmp_path: Path) -> None:
    # An apostrophe typed to keep a number as text, or an old system's ="..." (made for
    # Excel), came in as part of the value: the ID and the date were refused, the phone
    # and the name stored with it.
    rows = _rows(2)
    number = rows[0][COL["公民身份号码"]]
    rows[0][COL["公民身份号码"]] = "'" + number
    rows[0][COL["出生年月"]] = "'" + rows[0][COL["出生年月"]]
    rows[0][COL["手机"]] = "'13900000001"
    rows[1][COL["公民身份号码"]] = '="' + rows[1][COL["公民身份号码"]] + '"'
    rows[1][COL["姓名"]] = "'李建国"
    path = tmp_path / "r.csv"
    path.write_bytes(csv_bytes(rows, "gbk"))
    result = services.roster_import(actor=clerk, path=path)
    assert (result.created, result.rejected) == (2, 0), _errors(result)
    first = Person.objects.get(name="张三丰")
    assert (first.id_number, first.phone) == (number, "13900000001")
    assert Person.objects.filter(name="李建国").exists()


def test_a_name_padded_with_a_space_is_stored_without(clerk: Any, tmp_path: Path) -> None:
    rows = _rows(1)
    rows[0][COL["姓名"]] = "张　三"
    result = services.roster_import(actor=clerk, path=write_xlsx(tmp_path / "r.xlsx", rows))
    assert result.created == 1
    assert Person.objects.get().name == "张三"


def test_the_lines_that_sign_the_roster_off_are_skipped_and_counted(
    clerk: Any, tmp_path: Path
) -> None:
    rows = [*_rows(2), [], ["填表人：王五", "", "审核人：赵六"], ["填报日期：2024年1月5日"]]
    result = services.roster_import(actor=clerk, path=write_xlsx(tmp_path / "r.xlsx", rows))
    assert (result.created, result.rejected, result.total_rows) == (2, 0, 3)
    assert _errors(result) == []


def test_a_character_cut_in_half_is_flagged_not_lost_silently(clerk: Any, tmp_path: Path) -> None:
    # An old system cut a GBK field at a byte width: half a character is no text in any
    # encoding, and came in as "�" without a word.
    rows = _rows(2)
    rows[1][COL["原单位"]] = "市一中"
    data = csv_bytes(rows, "gbk").replace("市一中".encode("gbk"), "市一中".encode("gbk")[:-1])
    path = tmp_path / "r.csv"
    path.write_bytes(data)
    result = services.roster_import(actor=clerk, path=path)
    assert (result.created, result.encoding) == (2, "gb18030")
    [warning] = [p for p in result.problems if p.severity == "warning"]
    assert (warning.row, warning.column) == (3, "原单位")
    assert warning.message == (
        "“市一\ufffd”中有按文件的编码无法识别的字节（显示为 \ufffd），已按原样保留，请核对。"
    )


def test_usual_words_for_gender_category_party_and_life(clerk: Any, tmp_path: Path) -> None:
    rows = [[*row, alive] for row, alive in zip(_rows(2), ["是", "否"], strict=True)]
    rows[0][COL["性别"]], rows[0][COL["离退休类别"]] = "男性", "退休人员"
    rows[0][COL["政治面貌"]], rows[1][COL["政治面貌"]] = "√", "非党员"
    path = write_xlsx(tmp_path / "r.xlsx", rows, headers=[*HEADERS, "是否在世"])
    result = services.roster_import(actor=clerk, path=path)
    assert (result.created, result.rejected) == (2, 0), _errors(result)
    first, second = Person.objects.get(name="张三丰"), Person.objects.get(name="李建国")
    assert (first.gender, first.category, first.political_status) == ("M", "tuixiu", "cpc_member")
    assert (first.life_status, second.life_status) == ("alive", "deceased")
    assert second.political_status == "masses"


@pytest.mark.parametrize(
    ("cell", "code"),
    [
        ("麻阳县", "431226"),  # 麻阳苗族自治县, as people say it
        ("芷江县", "431228"),
        ("沅陵", "431222"),  # 沅陵县, and the town 沅陵镇 inside it
        ("中方", "431221"),
        ("鹤城区城南街道", "431202007"),
        ("湖南省怀化市鹤城区城南街道", "431202007"),
        ("湖南省，怀化市，鹤城区", "431202"),  # separators between the names
        ("怀化市/沅陵县", "431222"),
        ("怀化市 - 鹤城区", "431202"),
    ],
)
def test_region_by_the_names_people_write(
    cell: str, code: str, city_admin: Any, tmp_path: Path
) -> None:
    rows = _rows(1)
    rows[0][COL["所属区划"]] = cell
    result = services.roster_import(actor=city_admin, path=write_xlsx(tmp_path / "r.xlsx", rows))
    assert result.created == 1, _errors(result)
    assert Person.objects.get().region_id == code


def test_a_city_is_no_persons_region(city_admin: Any, tmp_path: Path) -> None:
    # The registry form offers counties and below; the import put people on the city itself.
    rows = _rows(2)
    rows[0][COL["所属区划"]] = "怀化市"
    rows[1][COL["所属区划"]] = ""
    path = write_xlsx(tmp_path / "r.xlsx", rows)
    result = services.roster_import(actor=city_admin, path=path)
    assert _errors(result) == [
        (5, "所属区划", "“怀化市”是市或省：人员的区划应填写到县市区或乡镇街道。"),
        (6, "所属区划", "此项不能为空。"),
    ]
    as_default = services.roster_import(actor=city_admin, path=path, region="431200")
    assert _errors(as_default) == [
        (0, "", "“431200”是市或省：人员的区划应填写到县市区或乡镇街道。")
    ]
    assert Person.objects.count() == 0
    from hongxia.ingest.forms import UploadForm

    offered = dict(UploadForm(user=city_admin).fields["region"].choices)
    assert "431202" in offered and "431200" not in offered


def test_an_unknown_region_to_import_into_is_reported(city_admin: Any, tmp_path: Path) -> None:
    # Within the user's scope but no region at all: the insert failed on the foreign key.
    rows = _rows(1)
    rows[0][COL["所属区划"]] = ""
    path = write_xlsx(tmp_path / "r.xlsx", rows)
    result = services.roster_import(actor=city_admin, path=path, region="431299")
    assert _errors(result) == [(0, "", "无法识别的区划“431299”。")]
    assert Person.objects.count() == 0


def test_each_problem_of_a_row_once_in_words_a_clerk_reads(clerk: Any, tmp_path: Path) -> None:
    # No ID and no birth date said "这个值不能为 null" (Django's words for a database NULL),
    # then "此项不能为空。"; now it says what to do;
    # an empty category was reported twice; two phones in one cell went in, where the
    # registry form refuses more than 20 characters.
    rows = _rows(2)
    rows[0][COL["公民身份号码"]] = ""
    rows[0][COL["出生年月"]] = ""
    rows[0][COL["离退休类别"]] = ""
    rows[1][COL["手机"]] = "13900000003，13900000004"
    result = services.roster_import(actor=clerk, path=write_xlsx(tmp_path / "r.xlsx", rows))
    assert result.created == 0
    assert _errors(result) == [
        (5, "出生年月", "没有身份证号时，请填写出生日期。"),
        (5, "离退休类别", "此项不能为空。"),
        (6, "手机", "一个电话栏放不下（23 个字符，最多 20 个）：此处只填一个号码，另一个请填在"
                   "另一个电话栏或此人的联系人中。"),
    ]


def test_a_missing_required_column_is_named_in_chinese(clerk: Any, tmp_path: Path) -> None:
    headers = [h for h in HEADERS if h != "离退休类别"]
    rows = [[v for h, v in zip(HEADERS, row, strict=True) if h != "离退休类别"] for row in _rows(1)]
    result = services.roster_import(
        actor=clerk, path=write_xlsx(tmp_path / "r.xlsx", rows, headers=headers)
    )
    assert _errors(result) == [(4, "", "缺少必需的列：离退休类别。")]


def test_the_commands_say_what_is_wrong_in_chinese(clerk: Any, tmp_path: Path) -> None:
    rows = _rows(2)
    rows[1][COL["性别"]] = "未知"
    path = tmp_path / "r.csv"
    path.write_bytes(csv_bytes(rows, "utf-8-sig"))
    broken = tmp_path / "broken.json"
    broken.write_text('{"姓名": "name",', encoding="utf-8")
    unknown = tmp_path / "unknown.json"
    unknown.write_text('{"姓名": "nickname"}', encoding="utf-8")
    quiet = {"stdout": io.StringIO(), "stderr": io.StringIO()}

    def refused(*args: str) -> str:
        with pytest.raises(CommandError) as err:
            call_command(*args, **quiet)
        return str(err.value)

    user = ["--user", clerk.username, "--no-progress"]
    assert refused("import_roster", str(path)) == (
        "须用 --user 用户名 指定操作人：导入和导出都以某个用户的身份进行。"
    )
    assert refused("import_roster", str(path), "--user", "nobody") == "没有名为“nobody”的有效用户。"
    assert refused("import_roster", str(tmp_path / "x.csv"), *user).startswith("文件“")
    assert refused("import_roster", str(path), *user, "--mapping", str(broken)).startswith(
        "列映射文件不是有效的 JSON：第1行"
    )
    missing = tmp_path / "none.json"
    assert refused("import_roster", str(path), *user, "--mapping", str(missing)) == (
        f"列映射文件“{missing}”不存在。"  # not "[Errno 2] No such file or directory"
    )
    assert refused("import_roster", str(path), *user, "--mapping", str(unknown)).startswith(
        "列映射中有未知字段：nickname。"
    )
    assert refused("import_roster", str(path), *user, "--dry-run") == (
        "检查发现错误（试运行，未写入任何数据）。"
    )
    assert refused("import_roster", str(path), *user, "--all-or-nothing") == "未写入任何数据。"
    assert Person.objects.count() == 0
    out = str(tmp_path / "out.pdf")
    assert refused("export_roster", out, "--user", clerk.username) == (
        "请将文件命名为 .xlsx 或 .csv，或用 --format 指定格式。"
    )
    assert refused("export_roster", out + ".csv", "--user", clerk.username, "--unmasked") == (
        "clerk_hc 无权导出未脱敏的身份证号和电话。"
    )


def test_an_id_that_may_have_been_cut_by_excel_is_flagged(clerk: Any, tmp_path: Path) -> None:
    # A real number can end in 000 (so it is not refused), but so does one in eleven of the
    # IDs Excel cut to 15 digits that still pass the check. In a file where Excel cut
    # another ID, the clerk is asked to look.
    rows = _rows(2)
    rows[0][COL["公民身份号码"]] = "431202193801012000"
    rows[0][COL["出生年月"]] = "1938.01"
    rows[0][COL["性别"]] = "女"
    cut = rows[1][COL["公民身份号码"]][:15] + "000"
    assert not idcard.is_valid(cut)
    rows[1][COL["公民身份号码"]] = cut
    path = tmp_path / "r.csv"
    path.write_bytes(csv_bytes(rows, "utf-8-sig"))
    result = services.roster_import(actor=clerk, path=path)
    assert result.created == 1
    assert _errors(result) == [
        (
            3,
            "公民身份号码",
            f"该身份证号似已被电子表格改写为数字（{masking.mask_id(cut)}），"
            "请将该列设为文本格式后重新输入完整号码。",
        )
    ]
    [warning] = [p for p in result.problems if p.severity == "warning"]
    assert (warning.row, warning.column) == (2, "公民身份号码")
    assert warning.message == (
        "身份证号 4312**********2000 以 000 结尾，与被 Excel 截断的号码一样：请与身份证核对。"
    )


def test_an_id_ending_in_000_is_not_doubted_where_excel_cut_nothing(
    clerk: Any, tmp_path: Path
) -> None:
    # About one good number in 1,100 ends in 000: a county's every import would carry a few
    # such warnings, with nothing wrong.
    rows = _rows(2)
    rows[0][COL["公民身份号码"]] = "431202193801012000"
    rows[0][COL["出生年月"]] = "1938.01"
    rows[0][COL["性别"]] = "女"
    path = tmp_path / "r.csv"
    path.write_bytes(csv_bytes(rows, "utf-8-sig"))
    result = services.roster_import(actor=clerk, path=path)
    assert result.created == 2
    assert [p for p in result.problems if p.severity != "info"] == []
    assert Person.objects.filter(id_hash=crypto.lookup_hash("431202193801012000")).exists()


def test_a_masked_export_imported_again_changes_nothing(city_admin: Any, tmp_path: Path) -> None:
    # IDs and phones come out starred; the starred phone of a person without an ID would
    # have been stored as a number.
    kept = PersonFactory(region_id="431202", name="张三丰", phone="13900000001")
    PersonFactory(region_id="431202", name="王秀英", id_number="", phone="13900000002")
    path = tmp_path / "masked.csv"
    with path.open("wb") as out:
        exports.roster_export(user=city_admin, queryset=Person.objects.all(), out=out, fmt="csv")
    Person.objects.filter(name="王秀英").delete()
    result = services.roster_import(actor=city_admin, path=path)
    assert (result.created, result.updated, result.rejected) == (0, 0, 2)
    masked = "是脱敏后的号码（来自脱敏导出）：请填写完整号码，或删除这一列。"
    assert {(column, message.split("”")[-1]) for _r, column, message in _errors(result)} == {
        ("身份证号", masked),
        ("联系电话", masked),
    }
    kept.refresh_from_db()
    assert kept.phone == "13900000001" and Person.objects.count() == 1


def test_a_date_cell_shown_as_a_month_agrees_with_the_id(clerk: Any, tmp_path: Path) -> None:
    # 出生年月 as a date cell formatted yyyy.mm holds the first of the month: it was refused
    # as "does not match the ID" for everybody not born on the 1st.
    born = datetime.date(1938, 5, 17)
    rows = _rows(2)
    rows[0][COL["公民身份号码"]] = idcard.make("431202", born, 11)
    rows[0][COL["出生年月"]] = datetime.date(1938, 5, 1)
    rows[1][COL["出生年月"]] = datetime.date(1938, 6, 1)  # another month: still refused
    result = services.roster_import(actor=clerk, path=write_xlsx(tmp_path / "r.xlsx", rows))
    assert result.created == 1
    assert Person.objects.get(name="张三丰").birth_date == born
    assert [(r, c) for r, c, _m in _errors(result)] == [(6, "出生年月")]


def test_numbered_rows_never_filled_in_are_blank(clerk: Any, tmp_path: Path) -> None:
    # A template numbered 1..N down 序号: each unfilled row was a refused person ("姓名
    # 此项不能为空"), and an all-or-nothing import of a good roster failed.
    rows = [*_rows(2), *[[seq] for seq in range(3, 8)]]
    path = write_xlsx(tmp_path / "r.xlsx", rows)
    result = services.roster_import(actor=clerk, path=path, all_or_nothing=True)
    assert (result.created, result.rejected, result.blank_rows) == (2, 0, 6)
    assert result.committed and _errors(result) == []


def test_numbered_rows_under_a_group_heading_are_blank(clerk: Any, tmp_path: Path) -> None:
    # The heading's category was filled into the numbered, empty rows below it first: each
    # was then a person with a category and nothing else, refused three times over.
    headers = [h for h in HEADERS if h != "离退休类别"]
    keep = [i for i, h in enumerate(HEADERS) if h != "离退休类别"]
    rows = [*[[row[i] for i in keep] for row in _rows(1)], [2], [3]]
    sheet = _grouped(rows, headers, {0: "二、退休干部"})
    result = services.roster_import(
        actor=clerk, path=write_xlsx(tmp_path / "r.xlsx", sheet, headers=headers),
        all_or_nothing=True,
    )
    assert (result.created, result.rejected, result.blank_rows) == (1, 0, 3), _errors(result)


def test_a_cell_merged_down_over_several_people_is_each_ones(clerk: Any, tmp_path: Path) -> None:
    # 原单位 merged down over the three people of one unit: the reader gives its value to
    # the first row only, and the other two came in without a unit.
    import xlsxwriter

    rows = _rows(4)
    path = tmp_path / "merged.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("花名册")
    sheet.merge_range(0, 0, 0, len(HEADERS) - 1, "怀化市离退休干部花名册")
    sheet.write_row(2, 0, HEADERS)
    for r, row in enumerate(rows, start=3):
        for c, value in enumerate(row):
            if c != COL["原单位"]:
                sheet.write(r, c, value)
    sheet.merge_range(3, COL["原单位"], 5, COL["原单位"], "怀化市财政局")
    sheet.write(6, COL["原单位"], "鹤城区医院")
    book.close()
    result = services.roster_import(actor=clerk, path=path)
    assert (result.created, result.rejected) == (4, 0), _errors(result)
    units = dict(Person.objects.values_list("name", "former_unit"))
    assert units == {
        "张三丰": "怀化市财政局",
        "李建国": "怀化市财政局",
        "曾国华": "怀化市财政局",
        "王秀英": "鹤城区医院",
    }


def test_a_row_with_an_id_like_a_person_registered_without_one_is_held(
    clerk: Any, tmp_path: Path
) -> None:
    # An older roster registered her without an ID; the new one has it. The ID finds nobody,
    # so the row was registered again: the same person twice.
    earlier = PersonFactory(
        region_id="431202",
        name="王秀英",
        gender="F",
        birth_date=datetime.date(1938, 5, 1),
        id_number="",
    )
    assert earlier.id_hash is None
    row = person_row(1, name="王秀英", gender="女")
    number = row[COL["公民身份号码"]]
    path = write_xlsx(tmp_path / "r.xlsx", [row])
    result = services.roster_import(actor=clerk, path=path)
    assert (result.created, result.queued, result.rejected) == (0, 1, 0)
    [warning] = [p for p in result.problems if p.severity == "warning"]
    assert warning.column == "姓名"  # every problem names its row and column
    assert warning.row == 5 and warning.message == (
        f"可能与已登记的王秀英（记录 {earlier.pk}，未登记身份证号）是同一人：姓名相同，出生日期和"
        "区划相符。交由工作人员在“待合并”中决定。"
    )
    candidate = MergeCandidate.objects.get()
    assert candidate.person_id == earlier.pk
    assert number not in str(candidate.data)  # kept encrypted, as on the person
    assert services.roster_import(actor=clerk, path=path).queued == 1
    assert MergeCandidate.objects.count() == 1 and Person.objects.count() == 1
    services.merge_decide(actor=clerk, candidate=candidate, decision="separate")
    assert Person.objects.get(id_hash__isnull=False).id_number == number


def test_in_one_file_a_row_with_an_id_like_an_earlier_row_without_is_held(
    clerk: Any, tmp_path: Path
) -> None:
    rows = [
        person_row(1, name="王秀英", gender="女", id_number=""),
        person_row(2, name="王秀英", gender="女"),
    ]
    result = services.roster_import(actor=clerk, path=write_xlsx(tmp_path / "r.xlsx", rows))
    assert (result.created, result.queued) == (1, 1)
    assert [p.row for p in result.problems if "本文件第5行" in p.message] == [6]


def test_no_region_column_and_none_chosen_is_said_once(city_admin: Any, tmp_path: Path) -> None:
    headers = [h for h in HEADERS if h != "所属区划"]
    rows = [[v for h, v in zip(HEADERS, row, strict=True) if h != "所属区划"] for row in _rows(3)]
    path = write_xlsx(tmp_path / "r.xlsx", rows, headers=headers)
    result = services.roster_import(actor=city_admin, path=path)
    assert _errors(result) == [(0, "", "缺少区划：请增加区划列，或选择导入到的区划。")]
    assert services.roster_import(actor=city_admin, path=path, region="431202").created == 3


@pytest.mark.parametrize(
    "cell",
    [
        "139-0000-0001",
        "139 0000 0001",
        "+86 139 0000 0001",
        "86-13900000001",
        "１３９００００００01",
    ],
)
def test_a_mobile_written_with_separators_is_stored_as_its_digits(
    cell: str, clerk: Any, tmp_path: Path
) -> None:
    rows = _rows(1)
    rows[0][COL["手机"]] = cell
    result = services.roster_import(actor=clerk, path=write_xlsx(tmp_path / "r.xlsx", rows))
    assert result.created == 1, _errors(result)
    person = Person.objects.get()
    assert (person.phone, person.phone_masked) == ("13900000001", "139****0001")


def _grouped(rows: list[list[Any]], headers: list[str], headings: dict[int, str]) -> list[Any]:
    """The rows, with a one-cell heading row before row i for each i in `headings`."""
    out: list[Any] = []
    for i, row in enumerate(rows):
        if i in headings:
            out.append([headings[i]] + [None] * (len(headers) - 1))
        out.append(row)
    return out


def test_a_roster_grouped_under_category_headings_takes_each_groups_category(
    clerk: Any, tmp_path: Path
) -> None:
    """Many county rosters have no 离退休类别 column: the people stand under 一、离休干部 and
    二、退休干部. The import refused the whole file (a required column missing) and would have
    taken each heading for a person."""
    headers = [h for h in HEADERS if h != "离退休类别"]
    keep = [i for i, h in enumerate(HEADERS) if h != "离退休类别"]
    rows = [[row[i] for i in keep] for row in _rows(3)]
    sheet = _grouped(rows, headers, {0: "一、离休干部（共1人）", 1: "（二）退休干部"})
    result = services.roster_import(
        actor=clerk, path=write_xlsx(tmp_path / "r.xlsx", sheet, headers=headers)
    )
    assert (result.created, result.rejected, result.heading_rows) == (3, 0, 2), _errors(result)
    assert dict(Person.objects.values_list("name", "category")) == {
        "张三丰": "lixiu", "李建国": "tuixiu", "曾国华": "tuixiu"}
    assert result.columns["离退休类别（取自分组标题）"] == "category"


def test_group_headings_fill_only_empty_category_cells(clerk: Any, tmp_path: Path) -> None:
    rows = _rows(3)
    rows[0][COL["离退休类别"]] = ""
    rows[1][COL["离退休类别"]] = "离休"  # the row's own word stands
    rows[2][COL["离退休类别"]] = ""
    # The second heading names no category: the rows under it keep their own, or none.
    sheet = _grouped(rows, HEADERS, {0: "一、退休干部", 2: "二、鹤城区"})
    result = services.roster_import(actor=clerk, path=write_xlsx(tmp_path / "r.xlsx", sheet))
    assert result.heading_rows == 2
    assert dict(Person.objects.values_list("name", "category")) == {
        "张三丰": "tuixiu", "李建国": "lixiu"}
    assert _errors(result) == [(9, "离退休类别", "此项不能为空。")]


def test_a_person_with_only_a_name_is_no_heading() -> None:
    from hongxia.ingest import rules

    assert rules.section_heading(["张三丰", None, ""]) is None
    assert rules.section_heading(["一、离休干部", "男"]) is None  # two cells: a person's row
    assert rules.section_heading([None, "遗属（12人）"]) == "遗属"


def _held_with_an_id(clerk: Any, tmp_path: Path, **row: Any) -> tuple[Person, Path, str]:
    """王秀英, registered by an older roster without an ID, and a new roster's row with it,
    held in 待合并."""
    earlier = PersonFactory(region_id="431202", name="王秀英", gender="F",
                            birth_date=datetime.date(1938, 5, 1), id_number="", phone="")
    cells = person_row(1, name="王秀英", gender="女", phone="13912345678", **row)
    path = write_xlsx(tmp_path / "r.xlsx", [cells])
    assert services.roster_import(actor=clerk, path=path).queued == 1
    return earlier, path, cells[COL["公民身份号码"]]


def test_a_clerk_brings_the_record_up_to_the_row_with_its_id(clerk: Any, tmp_path: Path) -> None:
    """The third decision in 待合并: the same person, so the record takes the row's ID number
    and its other filled cells. Dropping the row lost the ID, the most useful thing in it."""
    earlier, path, number = _held_with_an_id(clerk, tmp_path)
    candidate = MergeCandidate.objects.get()
    services.merge_decide(actor=clerk, candidate=candidate, decision="merged")
    person = Person.objects.get()
    assert person.pk == earlier.pk and person.id_number == number and person.id_hash
    assert person.phone == "13912345678"
    assert MergeCandidate.objects.get().status == "merged"
    log = AuditLog.objects.filter(model="people.Person", object_pk=str(person.pk),
                                  action="update").latest("id")
    assert log.actor_id == clerk.pk and {"id_number", "phone"} <= set(log.changes)
    again = services.roster_import(actor=clerk, path=path)  # now found by its ID
    assert (again.queued, again.unchanged, again.created) == (0, 1, 0)
    assert Person.objects.filter(name="王秀英").count() == 1


def test_an_id_registered_since_is_refused_on_merging(clerk: Any, tmp_path: Path) -> None:
    """Between the import and the decision someone was registered with the row's ID: the
    registry's own check refuses the merge, nothing changes, and the row stays waiting."""
    _earlier, _path, number = _held_with_an_id(clerk, tmp_path)
    PersonFactory(region_id="431202", name="王秀英", gender="F",
                  birth_date=datetime.date(1938, 5, 1), id_number=number)
    candidate = MergeCandidate.objects.get()
    with pytest.raises(ValidationError) as refused:
        services.merge_decide(actor=clerk, candidate=candidate, decision="merged")
    assert "id_number" in refused.value.message_dict
    assert Person.objects.filter(id_hash__isnull=True).count() == 1
    assert MergeCandidate.objects.get().status == "pending"


def test_the_merge_queue_page_offers_the_update(clerk: Any, tmp_path: Path) -> None:
    _held_with_an_id(clerk, tmp_path)
    client = Client()
    client.force_login(clerk)
    candidate = MergeCandidate.objects.get()
    # The list leads to the comparison; the decision is made there, not blind from the list.
    listed = client.get("/import/duplicates/").content.decode()
    assert "同一人：用此行更新记录" not in listed and "对照并处理" in listed
    page = client.get(f"/import/duplicates/{candidate.pk}/").content.decode()
    assert "同一人：用此行更新记录" in page
    response = client.post(f"/import/duplicates/{candidate.pk}/decide/", {"decision": "merged"},
                           follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "王秀英：是同一人，已用此行更新记录。"
    ]
    assert Person.objects.get().id_hash


def test_a_held_row_is_shown_beside_the_record(clerk: Any, tmp_path: Path) -> None:
    """To decide, a clerk compares the row with the registered person, field by field: before,
    the queue showed only the two names and a row number to look up in the file."""
    earlier, _path, number = _held_with_an_id(clerk, tmp_path)
    Person.objects.filter(pk=earlier.pk).update(former_unit="怀化市林业局")
    client = Client()
    client.force_login(clerk)
    candidate = MergeCandidate.objects.get()
    listed = client.get("/import/duplicates/").content.decode()
    assert f'href="/import/duplicates/{candidate.pk}/"' in listed
    response = client.get(f"/import/duplicates/{candidate.pk}/")
    rows = {c.field: c for c in response.context["compared"]}
    assert (rows["name"].row, rows["name"].record) == ("王秀英", "王秀英")
    assert not rows["name"].differs
    assert rows["former_unit"].differs
    assert (rows["former_unit"].row, rows["former_unit"].record) == ("怀化市教育局", "怀化市林业局")
    # The numbers are masked on the page, the record's empty ID beside the row's.
    assert (rows["id_number"].row, rows["id_number"].record) == (masking.mask_id(number), "")
    assert rows["phone"].row == "139****5678"
    assert (rows["gender"].row, rows["region"].row) == ("女", "鹤城区")
    page = response.content.decode()
    assert number not in page and "13912345678" not in page
    assert page.count("不同</span>") == sum(c.differs for c in rows.values()) > 1
    assert "同一人：用此行更新记录" in page


def test_a_survivors_roster_brings_the_relation_the_lunar_birthday_and_hardship(
    clerk: Any, tmp_path: Path
) -> None:
    """遗属 rosters say whose survivor a person is and keep the birthday by the calendar the
    family keeps; before, these columns were reported as unknown and left out."""
    headers = [*HEADERS, "与已故干部关系", "农历生日", "困难情况"]
    rows = [
        [*person_row(1, name="李桂兰", gender="女", category="遗属"), "妻子", "农历", "独居"],
        [*person_row(2, name="王秀英", gender="女", category="遗属"), "长女", "公历", ""],
        [*person_row(3, name="曾国华", category="遗属"), "堂兄", "藏历", ""],
    ]
    path = write_xlsx(tmp_path / "遗属.xlsx", rows, headers=headers)
    result = services.roster_import(actor=clerk, path=path)
    assert result.unknown_columns == []
    assert _errors(result) == [
        (7, "与已故干部关系", "无法识别的值“堂兄”。"),
        (7, "农历生日", "请填“农历”或“公历”（或“是”“否”），而不是“藏历”。"),
    ]
    people = {p.name: p for p in Person.objects.all()}
    assert set(people) == {"李桂兰", "王秀英"}
    assert (people["李桂兰"].survivor_relation, people["李桂兰"].lunar_birthday) == ("spouse", True)
    assert people["李桂兰"].hardship_note == "独居"
    wang = people["王秀英"]
    assert (wang.survivor_relation, wang.lunar_birthday) == ("daughter", False)


def test_tags_come_in_by_name_english_name_or_code(clerk: Any, tmp_path: Path) -> None:
    """精细分类 (高龄、独居, ...) targets the care services. A roster's column of them was an
    unknown column, left out."""
    headers = [*HEADERS, "精细分类"]
    rows = [
        [*person_row(1, name="张三丰"), "高龄、独居"],
        [*person_row(2, name="李建国"), "Living alone, aged80"],
        [*person_row(3, name="曾国华"), "特困 五保户"],
        [*person_row(4, name="王秀英", gender="女"), ""],
    ]
    path = write_xlsx(tmp_path / "r.xlsx", rows, headers=headers)
    result = services.roster_import(actor=clerk, path=path)
    assert result.unknown_columns == []
    [(row, column, message)] = _errors(result)
    assert (row, column) == (7, "精细分类")
    assert message == (
        "无法识别的精细分类“五保户”。信息库中的分类有：半失能、失能、孤寡、特困、独居、空巢、重病、"
        "长期未参加活动、随子女居住、高龄。"
    )
    tags = {p.name: sorted(t.code for t in p.tags.all()) for p in Person.objects.all()}
    assert tags == {
        "张三丰": ["aged80", "living_alone"],
        "李建国": ["aged80", "living_alone"],
        "王秀英": [],
    }

    # Again, with other tags: only the tags change, audited; an empty cell leaves them.
    rows[0][-1] = "高龄、空巢"
    rows[1][-1] = ""
    again = services.roster_import(
        actor=clerk, path=write_xlsx(tmp_path / "r2.xlsx", rows, headers=headers)
    )
    assert (again.updated, again.unchanged, again.rejected) == (1, 2, 1), _errors(again)
    zhang = Person.objects.get(name="张三丰")
    assert sorted(t.code for t in zhang.tags.all()) == ["aged80", "empty_nest"]
    assert sorted(t.code for t in Person.objects.get(name="李建国").tags.all()) == [
        "aged80", "living_alone"]
    log = AuditLog.objects.filter(object_pk=str(zhang.pk), action="import").latest("id")
    assert log.changes == {"tags": [["aged80", "living_alone"], ["aged80", "empty_nest"]]}
    # And again as it is now: nothing changes.
    third = services.roster_import(
        actor=clerk, path=write_xlsx(tmp_path / "r3.xlsx", rows, headers=headers)
    )
    assert (third.updated, third.unchanged) == (0, 3)


def test_a_held_rows_tags_go_with_the_decision(clerk: Any, tmp_path: Path) -> None:
    earlier = PersonFactory(region_id="431202", name="王秀英", gender="F",
                            birth_date=datetime.date(1938, 5, 1), id_number="", phone="")
    headers = [*HEADERS, "精细分类"]
    path = write_xlsx(tmp_path / "r.xlsx", [[*person_row(1, name="王秀英", gender="女"), "独居"]],
                      headers=headers)
    assert services.roster_import(actor=clerk, path=path).queued == 1
    candidate = MergeCandidate.objects.get()
    client = Client()
    client.force_login(clerk)
    page = client.get(f"/import/duplicates/{candidate.pk}/")
    rows = {c.field: c for c in page.context["compared"]}
    assert (rows["tags"].row, rows["tags"].record, rows["tags"].differs) == ("独居", "", True)
    services.merge_decide(actor=clerk, candidate=candidate, decision="merged")
    assert [t.code for t in Person.objects.get(pk=earlier.pk).tags.all()] == ["living_alone"]


def _survivors_file(tmp_path: Path, name: str, rows: list[list[Any]]) -> Path:
    """The rows with their 已故干部身份证号 and 与已故干部关系, and a 死亡日期 (empty unless
    the row gives one: see _dead)."""
    headers = [*HEADERS, "已故干部身份证号", "与已故干部关系", "死亡日期"]
    rows = [row if len(row) == len(headers) else [*row, ""] for row in rows]
    return write_xlsx(tmp_path / name, rows, headers=headers)


def _dead(row: list[Any]) -> list[Any]:
    """A cadre's row in a survivors file: no cadre of their own, and a date of death."""
    return [*row, "", "", "2020.03.01"]


DEAD = {"life_status": "deceased", "death_date": datetime.date(2020, 3, 1)}


def test_survivors_are_linked_to_their_cadre_by_id_number(
    clerk: Any, other_clerk: Any, tmp_path: Path
) -> None:
    """遗属 rosters name the deceased cadre. The link went neither out nor in: an export of
    the demo registry imported into an empty one lost 1,083 of them."""
    cadre = person_row(1, name="张三丰")
    far = PersonFactory(region_id="431222", name="外县干部")  # registered, in another county
    absent = idcard.make("431202", datetime.date(1931, 3, 3), 17)
    rows = [
        # The survivor above the cadre: linked once the whole file is in.
        [*person_row(2, name="李桂兰", gender="女", category="遗属"), cadre[COL["公民身份号码"]],
         "妻子"],
        _dead(cadre),
        [*person_row(3, name="王秀英", gender="女", category="遗属"), far.id_number, "长女"],
        [*person_row(4, name="覃玉兰", gender="女", category="遗属"), absent, "配偶"],
    ]
    path = _survivors_file(tmp_path, "遗属.xlsx", rows)
    check = services.roster_import(actor=clerk, path=path, dry_run=True)
    expected = [
        (row, "已故干部身份证号",
         f"信息库中您的管辖范围内没有身份证号为 {masking.mask_id(number)} 的人员：该遗属照常导入，"
         "但未与此人关联。")  # masked: the job's page is seen by the county's other clerks
        for row, number in ((7, far.id_number), (8, absent))
    ]
    assert [(p.row, p.column, p.message) for p in check.problems if p.severity == "warning"] == (
        expected)
    assert Person.objects.count() == 1

    result = services.roster_import(actor=clerk, path=path)
    assert result.created == 4
    assert [(p.row, p.column, p.message) for p in result.problems if p.severity == "warning"] == (
        expected)
    links = dict(Person.objects.values_list("name", "survivor_of__name"))
    assert links["李桂兰"] == "张三丰" and links["王秀英"] is None and links["覃玉兰"] is None

    # The cadre is registered since: the same file again links the survivor, audited.
    PersonFactory(region_id="431202", name="黄大山", id_number=absent,
                  birth_date=datetime.date(1931, 3, 3), gender="M", **DEAD)
    again = services.roster_import(actor=clerk, path=path)
    assert (again.updated, again.unchanged) == (1, 3)
    tan = Person.objects.get(name="覃玉兰")
    assert tan.survivor_of.name == "黄大山"
    log = AuditLog.objects.filter(object_pk=str(tan.pk), action="import").latest("id")
    assert log.changes == {"survivor_of": [None, tan.survivor_of_id]}


def test_a_cadres_name_alone_is_said_not_to_link(clerk: Any, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "r.xlsx", [[*person_row(1, category="遗属"), "张三丰"]],
                      headers=[*HEADERS, "已故干部姓名"])
    result = services.roster_import(actor=clerk, path=path)
    assert result.created == 1 and result.unknown_columns == []
    assert [(p.column, p.message) for p in result.problems if p.severity == "warning"] == [
        ("已故干部姓名",
         "遗属按已故干部的身份证号关联：请增加“已故干部身份证号”一列。本列中的姓名不会被使用。")
    ]


def test_a_held_survivors_cadre_is_kept_encrypted_and_linked_on_the_decision(
    clerk: Any, tmp_path: Path
) -> None:
    cadre = PersonFactory(region_id="431202", name="张三丰", **DEAD)
    earlier = PersonFactory(region_id="431202", name="王秀英", gender="F", category="survivor",
                            birth_date=datetime.date(1938, 5, 1), id_number="", phone="")
    row = [*person_row(1, name="王秀英", gender="女", category="遗属"), cadre.id_number, "配偶"]
    assert services.roster_import(
        actor=clerk, path=_survivors_file(tmp_path, "r.xlsx", [row])
    ).queued == 1
    candidate = MergeCandidate.objects.get()
    assert cadre.id_number not in str(candidate.data)  # an ID number: encrypted as the others
    services.merge_decide(actor=clerk, candidate=candidate, decision="merged")
    earlier.refresh_from_db()
    assert (earlier.survivor_of_id, earlier.survivor_relation) == (cadre.pk, "spouse")


def test_a_removed_tag_is_not_taken_for_unchanged(clerk: Any, tmp_path: Path) -> None:
    """A row recognised by its cells is not converted again; its tag names convert through
    the tag table, so a change there must make the cells count as new."""
    from hongxia.people.models import Tag

    headers = [*HEADERS, "精细分类"]
    path = write_xlsx(tmp_path / "r.xlsx", [[*person_row(1), "独居"]], headers=headers)
    assert services.roster_import(actor=clerk, path=path).created == 1
    Tag.objects.filter(code="living_alone").delete()
    again = services.roster_import(actor=clerk, path=path)
    assert again.unchanged == 0
    assert [e[1:] for e in _errors(again)] == [
        ("精细分类",
         "无法识别的精细分类“独居”。信息库中的分类有：半失能、失能、孤寡、特困、空巢、重病、"
         "长期未参加活动、随子女居住、高龄。")
    ]


def _links() -> dict[str, str | None]:
    return dict(Person.objects.values_list("name", "survivor_of__name"))


def test_an_import_stopped_midway_links_its_survivors_when_run_again(
    clerk: Any, tmp_path: Path
) -> None:
    """Survivors are linked when the whole file is in. An import stopped after its first
    batch had committed them, remembered as done: run again, it passed them over, unlinked,
    without a word."""
    from unittest import mock

    cadre = person_row(1, name="张三丰")
    rows = [
        _dead(cadre),
        [*person_row(2, name="李桂兰", gender="女", category="遗属"), cadre[COL["公民身份号码"]],
         "妻子"],
        [*person_row(3, name="王秀英", gender="女"), "", ""],
        [*person_row(4, name="曾国华"), "", ""],
    ]
    path = _survivors_file(tmp_path, "s.xlsx", rows)
    real_batch = services._Run.batch
    calls: list[int] = []

    def killed_in_the_second_batch(self: Any, batch: Any, header_of: Any) -> None:
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("the server process ended")
        real_batch(self, batch, header_of)

    with mock.patch.object(services._Run, "batch", killed_in_the_second_batch), \
            pytest.raises(RuntimeError):
        services.roster_import(actor=clerk, path=path, batch_size=2)
    assert _links() == {"张三丰": None, "李桂兰": None}
    again = services.roster_import(actor=clerk, path=path, batch_size=2)
    assert (again.created, again.updated, again.unchanged) == (2, 1, 1)
    assert _links()["李桂兰"] == "张三丰"
    third = services.roster_import(actor=clerk, path=path, batch_size=2)
    assert (third.updated, third.unchanged) == (0, 4)


def test_a_survivor_without_an_id_is_linked_once_the_cadre_is_registered(
    clerk: Any, tmp_path: Path
) -> None:
    absent = idcard.make("431202", datetime.date(1931, 3, 3), 17)
    row = [*person_row(2, name="李桂兰", gender="女", category="遗属", id_number=""), absent,
           "妻子"]
    row[COL["出生年月"]] = "1940.02.03"
    path = _survivors_file(tmp_path, "s.xlsx", [row])
    first = services.roster_import(actor=clerk, path=path)
    assert first.created == 1 and [p.severity for p in first.problems] == ["warning"]
    PersonFactory(region_id="431202", name="黄大山", id_number=absent,
                  birth_date=datetime.date(1931, 3, 3), gender="M", **DEAD)
    check = services.roster_import(actor=clerk, path=path, dry_run=True)
    again = services.roster_import(actor=clerk, path=path)
    assert (check.updated, check.unchanged) == (again.updated, again.unchanged) == (1, 0)
    assert _links()["李桂兰"] == "黄大山"


def test_the_check_and_the_import_agree_on_a_cadre_refused_in_the_file(
    clerk: Any, tmp_path: Path
) -> None:
    """The cadre's row is in the file but refused (the ID is registered in another county):
    the check said nothing, the import that the survivor could not be linked."""
    far = PersonFactory(region_id="431222", name="外县干部", birth_date=datetime.date(1930, 1, 1))
    cadre = person_row(1, name="外县干部", birth=far.birth_date, id_number=far.id_number,
                       gender="男" if far.gender == "M" else "女")
    rows = [
        _dead(cadre),
        [*person_row(2, name="李桂兰", gender="女", category="遗属"), far.id_number, "妻子"],
    ]
    path = _survivors_file(tmp_path, "s.xlsx", rows)

    def said(result: services.ImportResult) -> list[tuple[int, str]]:
        return [(p.row, p.severity) for p in result.problems]

    check = services.roster_import(actor=clerk, path=path, dry_run=True)
    result = services.roster_import(actor=clerk, path=path)
    assert said(check) == said(result) == [(5, "error"), (6, "warning")]


def test_a_held_survivors_cadre_shows_and_an_unseen_one_is_said_not_linked(
    clerk: Any, tmp_path: Path
) -> None:
    cadre = PersonFactory(region_id="431202", name="张三丰", **DEAD)
    far = PersonFactory(region_id="431222", name="外县干部")
    for name in ("王秀英", "李桂兰"):  # registered without an ID: their rows are held
        PersonFactory(region_id="431202", name=name, gender="F", category="survivor",
                      birth_date=datetime.date(1938, 5, 1), id_number="", phone="")
    rows = [
        [*person_row(1, name="王秀英", gender="女", category="遗属"), cadre.id_number, "配偶"],
        [*person_row(2, name="李桂兰", gender="女", category="遗属"), far.id_number, "配偶"],
    ]
    rows[1][COL["出生年月"]] = "1938.05"
    assert services.roster_import(
        actor=clerk, path=_survivors_file(tmp_path, "r.xlsx", rows)
    ).queued == 2
    client = Client()
    client.force_login(clerk)
    held = {c.name: c for c in MergeCandidate.objects.all()}
    near_rows = {c.field: c for c in client.get(
        f"/import/duplicates/{held['王秀英'].pk}/").context["compared"]}
    assert near_rows["survivor_of"].row == f"张三丰 {cadre.id_masked}"
    assert near_rows["survivor_of"].differs
    far_rows = {c.field: c for c in client.get(
        f"/import/duplicates/{held['李桂兰'].pk}/").context["compared"]}
    assert far_rows["survivor_of"].row == f"{far.id_masked}，未在您的管辖范围内登记"
    assert "外县干部" not in str(far_rows)
    response = client.post(f"/import/duplicates/{held['李桂兰'].pk}/decide/",
                           {"decision": "merged"}, follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "李桂兰：是同一人，已用此行更新记录。",
        "该行的已故干部未在您的管辖范围内登记：该遗属未与其关联。",
    ]
    assert Person.objects.get(name="李桂兰").survivor_of is None


def test_a_survivor_is_linked_only_to_a_deceased_cadre(clerk: Any, tmp_path: Path) -> None:
    """A survivor's row naming a living cadre, or another survivor, is imported unlinked and
    said so, in the check as in the import; a cadre whose death the same file gives, below
    the survivor, is linked."""
    living = PersonFactory(region_id="431202", name="在世干部")
    widow = PersonFactory(region_id="431202", name="老遗属", category="survivor", gender="F",
                          birth_date=datetime.date(1935, 1, 1))
    cadre = person_row(1, name="张三丰")
    rows = [
        [*person_row(2, name="李桂兰", gender="女", category="遗属"), living.id_number, "妻子"],
        [*person_row(3, name="王秀英", gender="女", category="遗属"), widow.id_number, "长女"],
        [*person_row(4, name="覃玉兰", gender="女", category="遗属"),
         cadre[COL["公民身份号码"]], "配偶"],
        _dead(cadre),
    ]
    path = _survivors_file(tmp_path, "遗属.xlsx", rows)
    expected = [
        (5, "已故干部身份证号",
         f"身份证号为 {living.id_masked} 的人员尚未登记去世：该遗属照常导入，但未与此人关联。"
         "请先登记去世，再重新导入本文件。"),
        (6, "已故干部身份证号",
         f"身份证号为 {widow.id_masked} 的人员登记为遗属而非干部：该遗属照常导入，但未与此人"
         "关联。"),
    ]

    def said(result: services.ImportResult) -> list[tuple[int, str, str]]:
        return [(p.row, p.column, p.message) for p in result.problems]

    assert said(services.roster_import(actor=clerk, path=path, dry_run=True)) == expected
    result = services.roster_import(actor=clerk, path=path)
    assert result.created == 4 and said(result) == expected
    assert _links() | {"在世干部": None} == {
        "在世干部": None, "老遗属": None, "李桂兰": None, "王秀英": None, "覃玉兰": "张三丰",
        "张三丰": None,
    }


def test_a_link_stored_before_the_rule_is_said_to_stand(clerk: Any, tmp_path: Path) -> None:
    """A survivor linked, before links were checked, to a living cadre or to a survivor, and
    imported again: the import never removes a link, so "imported without a link" was untrue.
    The clerk is told the link stands and where to correct it."""
    living = PersonFactory(region_id="431202", name="在世干部")
    widow = PersonFactory(region_id="431202", name="老遗属", category="survivor", gender="F",
                          birth_date=datetime.date(1935, 1, 1))
    rows = [
        [*person_row(2, name="李桂兰", gender="女", category="遗属"), living.id_number, "妻子"],
        [*person_row(3, name="王秀英", gender="女", category="遗属"), widow.id_number, "长女"],
    ]
    path = _survivors_file(tmp_path, "遗属.xlsx", rows)
    assert services.roster_import(actor=clerk, path=path).created == 2
    Person.objects.filter(name="李桂兰").update(survivor_of=living)  # as stored before the rule
    Person.objects.filter(name="王秀英").update(survivor_of=widow)
    again = services.roster_import(actor=clerk, path=path)
    assert [(p.row, p.message) for p in again.problems] == [
        (5, f"身份证号为 {living.id_masked} 的人员尚未登记去世，但登记库中该遗属一直与此人关联"
            "（这类关联以前未作检查）。导入不改动该关联：请登记去世，或在该遗属的页面上更正关联。"),
        (6, f"身份证号为 {widow.id_masked} 的人员登记为遗属而非干部，但登记库中该遗属一直与此人"
            "关联（这类关联以前未作检查）。导入不改动该关联：请在该遗属的页面上更正关联。"),
    ]
    assert _links()["李桂兰"] == "在世干部" and _links()["王秀英"] == "老遗属"


def test_a_held_survivor_is_decided_without_a_link_to_a_living_cadre(
    clerk: Any, tmp_path: Path
) -> None:
    living = PersonFactory(region_id="431202", name="在世干部")
    PersonFactory(region_id="431202", name="王秀英", gender="F", category="survivor",
                  birth_date=datetime.date(1938, 5, 1), id_number="", phone="")
    row = [*person_row(1, name="王秀英", gender="女", category="遗属"), living.id_number, "配偶"]
    path = _survivors_file(tmp_path, "r.xlsx", [row])
    assert services.roster_import(actor=clerk, path=path).queued == 1
    decided = services.merge_decide(
        actor=clerk, candidate=MergeCandidate.objects.get(), decision="merged"
    )
    assert [str(w) for w in decided.warnings] == [
        "在世干部尚未登记去世。请先在其信息页登记去世。该遗属未与其关联。"
    ]
    held = Person.objects.get(name="王秀英")
    assert held.survivor_of is None and held.id_number == row[COL["公民身份号码"]]


def test_a_tag_no_longer_in_use_is_read_not_offered(clerk: Any, tmp_path: Path) -> None:
    from hongxia.people.models import Tag

    Tag.objects.filter(code="inactive").update(active=False)  # 长期未参加活动
    headers = [*HEADERS, "精细分类"]
    rows = [[*person_row(1), "长期未参加活动"], [*person_row(2, name="李建国"), "五保户"]]
    result = services.roster_import(
        actor=clerk, path=write_xlsx(tmp_path / "r.xlsx", rows, headers=headers)
    )
    assert result.created == 1  # an export carries the tags a person has, in use or not
    [(_row, _column, message)] = _errors(result)
    assert "长期未参加活动" not in message and "高龄" in message


def test_a_cadre_shows_to_whoever_sees_their_region() -> None:
    from types import SimpleNamespace

    from hongxia.ingest import selectors

    cadre = Person(name="张三丰", region_id="431222", id_masked="4312**********1234")
    seen = "张三丰 4312**********1234"
    assert selectors._cadre(cadre, SimpleNamespace(scope_prefix="")) == seen  # every region
    assert selectors._cadre(cadre, SimpleNamespace(scope_prefix="4312")) == seen
    assert selectors._cadre(cadre, SimpleNamespace(scope_prefix="431202")) == ""
    assert selectors._cadre(cadre, SimpleNamespace(scope_prefix=None)) == ""  # no region


def test_a_file_without_a_region_leaves_a_registered_persons_region(
    clerk: Any, city_admin: Any, tmp_path: Path
) -> None:
    """County rosters name no village. The import's default region (the clerk's county, or
    --region) is for rows that name none: it moved every registered person of the file up to
    the county, and a city administrator's --region moved people between counties."""
    village = PersonFactory(region_id="431202001001", name="张三丰",
                            birth_date=datetime.date(1938, 5, 1), gender="M")
    far = PersonFactory(region_id="431222", name="外县干部",
                        birth_date=datetime.date(1940, 2, 3), gender="F")
    headers = [h for h in HEADERS if h != "所属区划"]
    at = HEADERS.index("所属区划")

    def row(person: Person, seq: int) -> list[Any]:
        cells = person_row(seq, name=person.name, birth=person.birth_date,
                           gender="男" if person.gender == "M" else "女",
                           id_number=person.id_number)
        cells[COL["现住址"]] = "迎丰路2号"
        return cells[:at] + cells[at + 1:]

    path = write_xlsx(tmp_path / "r.xlsx", [row(village, 1)], headers=headers)
    result = services.roster_import(actor=clerk, path=path)
    assert (result.updated, result.rejected) == (1, 0)
    village.refresh_from_db()
    assert (village.region_id, village.address) == ("431202001001", "迎丰路2号")
    log = AuditLog.objects.filter(object_pk=str(village.pk), action="import").latest("id")
    assert "region" not in log.changes

    moved = services.roster_import(
        actor=city_admin, path=write_xlsx(tmp_path / "f.xlsx", [row(far, 1)], headers=headers),
        region="431202",
    )
    assert moved.updated == 1
    far.refresh_from_db()
    assert far.region_id == "431222"

    # A row that names the county: she still lives in its village.
    cells = person_row(1, name=village.name, birth=village.birth_date, id_number=village.id_number)
    cells[COL["现住址"]] = "迎丰路2号"
    services.roster_import(actor=clerk, path=write_xlsx(tmp_path / "c.xlsx", [cells]))
    village.refresh_from_db()
    assert village.region_id == "431202001001"
    # A row that names another place moves her.
    cells[COL["所属区划"]] = "城北街道"
    services.roster_import(actor=clerk, path=write_xlsx(tmp_path / "m.xlsx", [cells]))
    village.refresh_from_db()
    assert village.region_id == "431202002"


def test_a_date_given_to_the_month_keeps_the_registered_day(clerk: Any, tmp_path: Path) -> None:
    """入党时间 1974.05 in the file, 1974-05-29 in the registry: the day a clerk entered was
    lost to the 1st on every import of a month-only roster."""
    person = PersonFactory(region_id="431202", name="张三丰", birth_date=datetime.date(1938, 5, 1),
                           gender="M", political_status="cpc_member",
                           party_joined=datetime.date(1974, 5, 29))
    headers = [*HEADERS, "入党时间"]

    def imported(joined: str) -> dict[str, Any]:
        cells = [*person_row(1, id_number=person.id_number), joined]
        services.roster_import(
            actor=clerk, path=write_xlsx(tmp_path / f"{joined}.xlsx", [cells], headers=headers)
        )
        person.refresh_from_db()
        log = AuditLog.objects.filter(object_pk=str(person.pk), action="import").latest("id")
        return log.changes

    assert "party_joined" not in imported("1974.05")  # (the unit, address … did change)
    assert person.party_joined == datetime.date(1974, 5, 29)
    assert imported("1974.06")["party_joined"] == ["1974-05-29", "1974-06-01"]
    assert person.party_joined == datetime.date(1974, 6, 1)


def test_a_lookalike_is_found_across_region_levels_and_month_dates(
    clerk: Any, tmp_path: Path
) -> None:
    """Likely duplicates were matched on the exact region and birth date: a county roster's
    row (出生年月 1961.11, region 鹤城区) never matched the same person registered in her
    village born 1961-11-28, and she was registered twice."""
    village = PersonFactory(region_id="431202001001", name="白晓芳", gender="F",
                            birth_date=datetime.date(1961, 11, 28), id_number="")
    month_only = PersonFactory(region_id="431202", name="月份甲", gender="M",
                               birth_date=datetime.date(1938, 5, 1), id_number="")
    no_id = person_row(1, name="白晓芳", gender="女", id_number="")
    no_id[COL["出生年月"]] = "1961.11"
    with_id = person_row(2, name="月份甲", birth=datetime.date(1938, 5, 17))
    other = person_row(3, name="白晓芳", gender="女", id_number="")
    other[COL["出生年月"]] = "1961.12"  # another month: another person
    path = write_xlsx(tmp_path / "r.xlsx", [no_id, with_id, other])
    result = services.roster_import(actor=clerk, path=path)
    assert (result.created, result.queued) == (1, 2)
    held = {c.row_number: c for c in MergeCandidate.objects.all()}
    assert {n: c.person_id for n, c in held.items()} == {5: village.pk, 6: month_only.pk}
    assert Person.objects.filter(name="白晓芳").count() == 2  # and the 1961.12 one is new

    # The comparison says so: the month as the file wrote it, and neither marked different.
    from hongxia.ingest import selectors

    compared = {c.field: c for c in selectors.candidate_comparison(held[5], clerk)}
    assert (compared["birth_date"].row, compared["birth_date"].record) == ("1961-11", "1961-11-28")
    assert not compared["birth_date"].differs and not compared["region"].differs
    assert compared["phone"].differs  # (the factory gave her another phone)
    # Merged by a clerk: the row's unit and ID come in; her village and day of birth stay.
    services.merge_decide(actor=clerk, candidate=held[5], decision="merged")
    village.refresh_from_db()
    assert (village.region_id, village.birth_date) == ("431202001001", datetime.date(1961, 11, 28))
    assert village.former_unit == "怀化市教育局"
    services.merge_decide(actor=clerk, candidate=held[6], decision="merged")
    month_only.refresh_from_db()
    assert month_only.id_number == with_id[COL["公民身份号码"]]
    assert month_only.birth_date == datetime.date(1938, 5, 17)  # the ID's day


def test_a_merge_keeps_the_village_of_a_row_that_names_none(clerk: Any, tmp_path: Path) -> None:
    earlier = PersonFactory(region_id="431202001001", name="王秀英", gender="F",
                            birth_date=datetime.date(1938, 5, 1), id_number="")
    headers = [h for h in HEADERS if h != "所属区划"]
    at = HEADERS.index("所属区划")
    cells = person_row(1, name="王秀英", gender="女")
    path = write_xlsx(tmp_path / "r.xlsx", [cells[:at] + cells[at + 1:]], headers=headers)
    assert services.roster_import(actor=clerk, path=path).queued == 1
    services.merge_decide(actor=clerk, candidate=MergeCandidate.objects.get(), decision="merged")
    earlier.refresh_from_db()
    assert earlier.region_id == "431202001001" and earlier.id_hash


def test_nul_padding_from_an_old_system_is_not_stored(clerk: Any, tmp_path: Path) -> None:
    row = person_row(1, name="张\x00三")
    row[COL["现住址"]] = "迎丰路1号\x00\x00\x00"
    path = tmp_path / "r.csv"
    path.write_bytes(csv_bytes([row], "gbk"))
    result = services.roster_import(actor=clerk, path=path)
    assert (result.created, result.rejected) == (1, 0)
    assert Person.objects.values_list("name", "address").get() == ("张三", "迎丰路1号")


def test_a_refused_row_shows_every_problem_at_once(clerk: Any, tmp_path: Path) -> None:
    """The check listed one problem of a row: the clerk fixed 离退休类别 and uploaded again to
    learn that the birth date, the gender, the phone and the region were wrong too."""
    row = person_row(1, name="张三丰", region="沅陵县")
    row[COL["离退休类别"]] = "火星"
    row[COL["出生年月"]] = "1940.01"  # the ID says 1938.05
    row[COL["性别"]] = "女"  # the ID says male
    row[COL["手机"]] = "不详"
    result = services.roster_import(
        actor=clerk, path=write_xlsx(tmp_path / "r.xlsx", [row]), dry_run=True
    )
    assert sorted(column for _row, column, _message in _errors(result)) == [
        "出生年月", "性别", "所属区划", "手机", "离退休类别"
    ]


def test_a_refused_id_does_not_ask_for_what_the_id_would_give(clerk: Any, tmp_path: Path) -> None:
    headers = [h for h in HEADERS if h not in ("性别", "出生年月")]
    row = [c for h, c in zip(HEADERS, person_row(1), strict=True) if h in headers]
    row[headers.index("公民身份号码")] = "431202193805011233"  # a wrong check digit
    result = services.roster_import(
        actor=clerk, path=write_xlsx(tmp_path / "r.xlsx", [row], headers=headers), dry_run=True
    )
    assert [column for _row, column, _message in _errors(result)] == ["公民身份号码"]



def test_a_record_stored_before_a_rule_refuses_its_row_not_the_file(
    clerk: Any, tmp_path: Path
) -> None:
    """A 参加革命时间 before the birth date, stored before the registry refused it: a row that
    changed anything else on that person stopped the whole import with a traceback."""
    old = PersonFactory(region_id="431202", name="陈福德", birth_date=datetime.date(1938, 5, 1),
                        gender="M")
    Person.objects.filter(pk=old.pk).update(revolution_date=datetime.date(1930, 1, 1))
    rows = [person_row(1, name="陈福德", id_number=old.id_number), person_row(2, name="李建国")]
    result = services.roster_import(actor=clerk, path=write_xlsx(tmp_path / "r.xlsx", rows))
    assert (result.created, result.rejected) == (1, 1)
    # (Named by the field: the file has no such column; the registered value is at fault.)
    assert _errors(result) == [(5, "参加革命工作时间", "参加革命时间不能早于出生日期。")]


def test_a_cadre_with_survivors_stays_a_deceased_cadre(clerk: Any, tmp_path: Path) -> None:
    cadre = PersonFactory(region_id="431202", name="张三丰", gender="M",
                          birth_date=datetime.date(1938, 5, 1), **DEAD)
    PersonFactory(region_id="431202", name="李桂兰", category="survivor", survivor_of=cadre)
    row = person_row(1, id_number=cadre.id_number)
    row[COL["离退休类别"]] = "遗属"  # the cadre's own row, made a survivor by mistake
    result = services.roster_import(actor=clerk, path=write_xlsx(tmp_path / "r.xlsx", [row]))
    assert result.rejected == 1
    assert [m for _r, _c, m in _errors(result)] == [
        "有 1 名遗属关联到此人（作为已故干部），请先更正这些遗属的关联。"
    ]
    cadre.refresh_from_db()
    assert (cadre.category, cadre.life_status) == ("tuixiu", "deceased")
