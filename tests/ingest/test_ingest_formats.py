"""The same roster, with every trap, reads the same from .xlsx, .xls and .ods, and as what the
file is whatever its name says; a file that cannot be read is refused in plain words."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest
from django.utils import translation

from hongxia.core import idcard
from hongxia.ingest import readers, services
from hongxia.people import services as people_services
from hongxia.people.models import Person
from tests.ingest.ingest_corpus import HEADERS as HEADERS_OF_CORPUS
from tests.ingest.ingest_corpus import (
    csv_bytes,
    person_row,
    write_html,
    write_ods,
    write_spreadsheet_ml,
    write_xls,
    write_xlsx,
)

# Synonyms rather than the first header words, and a column the importer does not know.
HEADERS = [
    "编号",
    "名字",
    "性别",
    "身份证号码",
    "出生日期",
    "类别",
    "原工作单位",
    "职务级别",
    "县市区",
    "家庭住址",
    "联系电话",
    "是否党员",
    "入党时间",
    "爱好",
]

BORN = datetime.date(1938, 5, 1)


def _full_width(text: str) -> str:
    return "".join(chr(ord(ch) + 0xFEE0) if ch.isdigit() else ch for ch in text)


def _traps() -> list[list[Any]]:
    def ident(seq: int, born: datetime.date = BORN, *, woman: bool = False) -> str:
        return idcard.make("431202", born, 2 * seq + (0 if woman else 1))

    return [
        # Dates as text with a dot, a real date cell, 年月 text, 8 digits as a number.
        [
            1,
            "张三丰",
            "男",
            ident(1),
            "1938.05",
            "退休",
            "怀化市教育局",
            "科员",
            "鹤城区",
            "迎丰路1号",
            "13900000001",
            "中共党员",
            "1960.7",
            "书法",
        ],
        [
            2,
            "李建国",
            "男",
            ident(2, datetime.date(1941, 10, 1)),
            datetime.date(1941, 10, 1),
            "离休",
            "怀化地区行署",
            "正处",
            "鹤城",
            "迎丰路2号",
            "13900000002",
            "群众",
            "",
            "",
        ],
        [
            3,
            "曾国华",
            "男",
            ident(3, datetime.date(1945, 3, 9)),
            "1945年3月",
            "退休",
            "  怀化 市 财政局 ",
            "科员",
            "431202",
            "迎丰路3号",
            "13900000003",
            "中共党员",
            19700701,
            "",
        ],
        # Full-width digits in the ID, the phone and the date.
        [
            4,
            "王秀英",
            "女",
            _full_width(ident(4, datetime.date(1950, 12, 1), woman=True)),
            "１９５０．１２",
            "退休",
            "鹤城区医院",
            "科员",
            "鹤城区",
            "迎丰路４号",
            _full_width("13900000004"),
            "群众",
            "",
            "",
        ],
        # An 18-digit ID that Excel turned into a number: refused, never rounded back.
        [
            5,
            "欧阳明",
            "男",
            431202193805010051.0,
            19380501,
            "退休",
            "市一中",
            "科员",
            "鹤城区",
            "迎丰路5号",
            "13900000005",
            "群众",
            "",
            "",
        ],
        # A bad date: reported with its row and column.
        [
            6,
            "龙凤英",
            "女",
            ident(6, datetime.date(1944, 1, 1), woman=True),
            "不详",
            "退休",
            "市一中",
            "科员",
            "鹤城区",
            "迎丰路6号",
            "13900000006",
            "群众",
            "",
            "",
        ],
    ]


def _outcome(clerk: Any, path: Path) -> tuple[Any, ...]:
    result = services.roster_import(actor=clerk, path=path)
    people = {
        p.name: (
            p.id_number,
            p.gender,
            p.birth_date,
            p.category,
            p.former_unit,
            p.rank,
            p.region_id,
            p.address,
            p.phone,
            p.political_status,
            p.party_joined,
        )
        for p in Person.objects.all()
    }
    problems = sorted((p.row, p.column, p.severity, p.message) for p in result.problems)
    counts = (
        result.header_row,
        result.rows,
        result.created,
        result.rejected,
        result.blank_rows,
        result.total_rows,
        tuple(result.unknown_columns),
    )
    Person.objects.all().delete()
    return counts, people, problems


def test_xls_and_ods_import_the_same_as_xlsx(clerk: Any, tmp_path: Path) -> None:
    rows = _traps()
    xlsx = _outcome(clerk, write_xlsx(tmp_path / "r.xlsx", rows, headers=HEADERS))
    xls = _outcome(clerk, write_xls(tmp_path / "r.xls", rows, headers=HEADERS))
    ods = _outcome(clerk, write_ods(tmp_path / "r.ods", rows, headers=HEADERS))
    counts, people, problems = xlsx
    # The traps came through as they should (so the comparison below is not of two failures).
    assert counts == (4, 6, 4, 2, 1, 1, ("爱好",))
    assert people["张三丰"][2] == BORN and people["张三丰"][10] == datetime.date(1960, 7, 1)
    assert people["李建国"][2] == datetime.date(1941, 10, 1) and people["李建国"][3] == "lixiu"
    assert people["曾国华"][4] == "怀化 市 财政局" and people["曾国华"][10] == datetime.date(
        1970, 7, 1
    )
    assert people["王秀英"][0] == idcard.make("431202", datetime.date(1950, 12, 1), 8)
    assert people["王秀英"][8] == "13900000004" and people["王秀英"][7] == "迎丰路4号"
    errors = {(row, column) for row, column, severity, _m in problems if severity == "error"}
    assert errors == {(9, "身份证号码"), (10, "出生日期")}
    assert xls == xlsx
    assert ods == xlsx


@pytest.mark.parametrize("write", [write_html, write_spreadsheet_ml])
def test_a_web_page_or_xml_spreadsheet_saved_as_xls_imports_the_same_as_xlsx(
    clerk: Any, tmp_path: Path, write: Any
) -> None:
    """Older systems export a roster as a web page (GB2312, every value text) or as an Excel
    2003 XML spreadsheet, under an .xls name; Excel opens both, so clerks send them as they
    came. They were refused with "save it as .xlsx", one county's file at a time."""
    rows = _traps()
    xlsx = _outcome(clerk, write_xlsx(tmp_path / "r.xlsx", rows, headers=HEADERS))
    other = _outcome(clerk, write(tmp_path / "r.xls", rows, headers=HEADERS))
    assert other == xlsx


def test_worker_processes_check_rows_exactly_as_one_process(
    clerk: Any, tmp_path: Path, settings: Any
) -> None:
    rows = _traps()
    for seq in (7, 8):  # no-ID twins in different batches: the second is held for a clerk
        rows.append(
            [
                seq,
                "龙秀英",
                "女",
                "",
                "1950.12",
                "退休",
                "鹤城区医院",
                "科员",
                "鹤城区",
                f"迎丰路{seq}号",
                f"1390000000{seq}",
                "群众",
                "",
                "",
            ]
        )
    path = write_xlsx(tmp_path / "r.xlsx", rows, headers=HEADERS)
    settings.HONGXIA_INGEST_POOL_MIN_ROWS = 0
    settings.HONGXIA_INGEST_WORKERS = 0
    alone = services.roster_import(actor=clerk, path=path, batch_size=2, dry_run=True)
    alone_outcome = _outcome(clerk, path)
    settings.HONGXIA_INGEST_WORKERS = 2
    pooled = services.roster_import(actor=clerk, path=path, batch_size=2, dry_run=True)
    pooled_outcome = _outcome(clerk, path)
    assert (alone.workers, pooled.workers) == (0, 2)
    assert (alone.created, alone.queued, alone.rejected) == (5, 1, 2)
    assert {**pooled.summary(), "workers": 0} == alone.summary()
    assert pooled.problems == alone.problems
    assert pooled_outcome == alone_outcome


def test_worker_processes_skip_the_rows_the_registry_already_holds(
    clerk: Any, tmp_path: Path, settings: Any, monkeypatch: Any
) -> None:
    rows = [
        [
            seq,
            name,
            "男",
            idcard.make("431202", BORN, 2 * seq + 1),
            "1938.05",
            "退休",
            "怀化市教育局",
            "科员",
            "鹤城区",
            f"迎丰路{seq}号",
            f"1390000000{seq}",
            "群众",
            "",
            "",
        ]
        for seq, name in enumerate(["王华", "李明", "赵文", "刘平", "陈东"], start=1)
    ]
    path = write_xlsx(tmp_path / "r.xlsx", rows, headers=HEADERS)
    settings.HONGXIA_INGEST_POOL_MIN_ROWS = 0
    settings.HONGXIA_INGEST_WORKERS = 1
    first = services.roster_import(actor=clerk, path=path, batch_size=2)
    assert (first.workers, first.created) == (1, 5)
    # Encrypted and keyed in the worker: read back as written, found as the registry finds.
    wang = Person.objects.get(name="王华")
    assert (wang.id_number, wang.phone) == (rows[0][3], "13900000001")
    keys = set(wang.search_keys.values_list("key", flat=True))
    assert keys == people_services.search_keys_for(wang) >= {"wanghua", "wh", "#0001"}
    convert = services._worker_check

    def refuse(chunk: list[tuple[int, list[Any], str]]) -> Any:
        raise AssertionError(f"rows {[number for number, *_ in chunk]} converted again")

    # The same file again: recognised by its cells before any row is sent to a worker.
    monkeypatch.setattr(services, "_worker_check", refuse)
    second = services.roster_import(actor=clerk, path=path, batch_size=2)
    assert (second.workers, second.unchanged, second.created, second.updated) == (1, 5, 0, 0)
    # A record changed since (its fingerprint is gone) is converted again, and put back.
    Person.objects.filter(name="赵文").update(address="人民路9号")
    monkeypatch.setattr(services, "_worker_check", convert)
    third = services.roster_import(actor=clerk, path=path, batch_size=2)
    assert (third.unchanged, third.updated) == (4, 1)
    assert Person.objects.get(name="赵文").address == "迎丰路3号"


# --- a file read as what it is, whatever its name says ------------------------------------


@pytest.mark.parametrize(
    ("write", "named"),
    [
        (write_xlsx, "r.xls"),  # an .xlsx renamed .xls: "Cfb error: Invalid OLE"
        (write_xlsx, "r.csv"),
        (write_xls, "r.xlsx"),  # an .xls renamed .xlsx: "invalid Zip archive"
        (write_ods, "r.xlsx"),
    ],
)
def test_a_workbook_under_another_name_is_read_as_what_it_is(
    clerk: Any, tmp_path: Path, write: Any, named: str
) -> None:
    rows = _traps()
    suffix = write.__name__.removeprefix("write_")
    proper = write(tmp_path / f"proper.{suffix}", rows, headers=HEADERS)
    expected = _outcome(clerk, proper)
    misnamed = tmp_path / named
    misnamed.write_bytes(proper.read_bytes())
    assert _outcome(clerk, misnamed) == expected
    assert expected[0][2] == 4, "people came in (so this is no comparison of two failures)"


def test_tab_separated_text_under_an_xls_name_is_read_as_csv(clerk: Any, tmp_path: Path) -> None:
    """Old systems export tab-separated GBK text as .xls."""
    rows = [person_row(1, name="张三丰"), person_row(2, name="李建国")]
    text = csv_bytes(rows, "gbk").decode("gbk").replace(",", "\t")
    path = tmp_path / "export.xls"
    path.write_bytes(text.encode("gbk"))
    result = services.roster_import(actor=clerk, path=path)
    assert (result.created, result.rejected, result.encoding) == (2, 0, "gbk"), result.problems
    assert sorted(Person.objects.values_list("name", flat=True)) == ["张三丰", "李建国"]


def _unreadable(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    """Files a clerk may bring that cannot be read, and what the refusal must call them."""
    rows = [person_row(1)]
    xlsx = write_xlsx(tmp_path / "whole.xlsx", rows).read_bytes()
    xls = write_xls(tmp_path / "whole.xls", rows).read_bytes()
    # An old system's session ran out, and the page it "exported" says so: no table at all.
    html = (
        '<html><head><meta charset="gbk"><title>错误</title></head><body>'
        "<p>会话已超时，请重新登录。</p></body></html>"
    )
    spreadsheet_ml = (  # cut short
        '<?xml version="1.0"?>\n<?mso-application progid="Excel.Sheet"?>\n'
        '<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"><Worksheet><Table><Row>'
    )
    files = {
        "cut.xlsx": (xlsx[: len(xlsx) // 2], "seems to be an Excel workbook (.xlsx)"),
        "cut.xls": (xls[:1024], "seems to be an Excel 97-2003 workbook (.xls)"),
        "page.xls": (html.encode("gbk"), "seems to be a web page (HTML)"),
        "page.xlsx": (html.encode("utf-8"), "seems to be a web page (HTML)"),
        "xml.xls": (spreadsheet_ml.encode("utf-8"), "seems to be an Excel 2003 XML spreadsheet"),
        "fake.xlsx": (b"not a zip\n", "is not a spreadsheet"),
        "empty.xlsx": (b"", "is not a spreadsheet"),
    }
    out = {}
    for name, (data, words) in files.items():
        (tmp_path / name).write_bytes(data)
        out[name] = (tmp_path / name, words)
    return out


def test_a_file_that_cannot_be_read_is_refused_saying_what_it_seems_to_be(
    clerk: Any, tmp_path: Path
) -> None:
    """It said "无法读取文件：invalid Zip archive: Could not find EOCD", or "Cfb error: Invalid
    OLE … not an office document?": the library's English, to Chinese clerks."""
    for name, (path, words) in _unreadable(tmp_path).items():
        with translation.override("en"), pytest.raises(readers.ReadError) as refused:
            services.roster_import(actor=clerk, path=path)
        message = str(refused.value)
        assert words in message, (name, message)
        assert "upload" in message or "right file" in message, (name, message)
        for library_words in ("EOCD", "Cfb", "OLE", "Zip", "calamine", "signature"):
            assert library_words not in message, (name, message)
    assert Person.objects.count() == 0


def test_a_failed_web_check_says_what_the_file_seems_to_be(clerk: Any, tmp_path: Path) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client

    from hongxia.ingest.models import ImportJob

    path, words = _unreadable(tmp_path)["page.xls"]
    client = Client()
    client.force_login(clerk)
    client.cookies["django_language"] = "en"
    client.post("/import/", {"file": SimpleUploadedFile("花名册.xls", path.read_bytes())})
    job = ImportJob.objects.get()
    assert job.status == "failed" and words in job.message
    assert words in client.get(f"/import/{job.pk}/").content.decode()


# --- a stray quotation mark in a CSV ---------------------------------------------------------


def _csv_with_a_stray_quote(tmp_path: Path, *, on_line: int) -> Path:
    names = ["张三丰", "李建国", "曾国华", "王秀英"]
    lines = csv_bytes([person_row(i, name=n) for i, n in enumerate(names, 1)], "utf-8").decode()
    rows = lines.split("\r\n")
    rows[on_line - 1] = '"' + rows[on_line - 1]  # as a clerk's slip leaves it: never closed
    path = tmp_path / "stray.csv"
    path.write_bytes("\r\n".join(rows).encode("utf-8"))
    return path


@pytest.mark.parametrize("line", [3, 5])  # a row in the middle, and the last one
def test_an_unclosed_quote_in_a_csv_refuses_the_file_naming_its_line(
    clerk: Any, tmp_path: Path, line: int
) -> None:
    """The people after the quote vanished into one cell of the row it opened, silently."""
    path = _csv_with_a_stray_quote(tmp_path, on_line=line)
    with translation.override("en"), pytest.raises(readers.ReadError) as refused:
        services.roster_import(actor=clerk, path=path)
    message = str(refused.value)
    assert f"Line {line} opens a quotation mark" in message and "never closed" in message
    assert Person.objects.count() == 0, "nothing imported, not even the rows above the quote"


def test_quoted_cells_over_several_lines_are_no_stray_quote(clerk: Any, tmp_path: Path) -> None:
    """Excel writes a cell with line breaks in quotes, and a quote in a cell doubled."""
    headers = [*HEADERS_OF_CORPUS, "备注"]
    rows = [
        [*person_row(1, name="张三丰"), "老党员\n耳背，\n住院, 出院"],
        [*person_row(2, name="李建国"), '称他"老李"'],
        [*person_row(3, name="曾国华"), "最后一行\n也有两行"],
    ]
    path = tmp_path / "multiline.csv"
    path.write_bytes(csv_bytes(rows, "utf-8", headers=headers))
    result = services.roster_import(actor=clerk, path=path)
    assert (result.created, result.rejected) == (3, 0), result.problems
    assert Person.objects.get(name="李建国").notes == '称他"老李"'
