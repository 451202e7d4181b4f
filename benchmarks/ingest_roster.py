"""Roster import at city scale: a 56,000-row × 30-column .xlsx, beside (a) only reading it with
python-calamine and (b) django-import-export importing it into the same model.

    HONGXIA_DATA_DIR=/tmp/hx_bench /work/venv/bin/python benchmarks/ingest_roster.py
    HONGXIA_DATA_DIR=/tmp/hx_bench \
        HONGXIA_DATABASE_URL=postgres://postgres@127.0.0.1:5432/hx_bench \
        /work/venv/bin/python benchmarks/ingest_roster.py

Each measurement runs in its own process on a fresh, migrated database, so its peak memory
(ru_maxrss) is its own. django-import-export is run on a sample (--iex-sample rows, default
2,000) and its time extrapolated to the whole file; its file loading (tablib/openpyxl, the
reader it uses) is measured on the whole file.
"""

from __future__ import annotations

import argparse
import bisect
import datetime
import json
import os
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

HEADERS = [
    "序号",
    "姓名",
    "性别",
    "民族",
    "公民身份号码",
    "出生年月",
    "离退休类别",
    "原工作单位",
    "职级",
    "离退休时间",
    "参加工作时间",
    "政治面貌",
    "入党时间",
    "所属区划",
    "区划名称",
    "居住地址",
    "联系电话",
    "固定电话",
    "健康状况",
    "是否异地居住",
    "异地居住城市",
    "异地居住地址",
    "生存状态",
    "去世时间",
    "是否困难",
    "备注",
    "所在党支部",
    "档案编号",
    "社保编号",
    "填表人",
]
COUNTIES = [
    ("431202", "鹤城区"),
    ("431221", "中方县"),
    ("431222", "沅陵县"),
    ("431223", "辰溪县"),
    ("431224", "溆浦县"),
    ("431225", "会同县"),
    ("431226", "麻阳苗族自治县"),
    ("431227", "新晃侗族自治县"),
    ("431228", "芷江侗族自治县"),
    ("431229", "靖州苗族侗族自治县"),
    ("431230", "通道侗族自治县"),
    ("431281", "洪江市"),
]
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
    "余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯"
    "龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤舒滕粟蒲麻"
)
GIVEN = "建国华明英兰秀芳德志文军平红梅玉珍桂荣忠新春海生林云霞凤清福成光永胜利和民强伟东安"


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hongxia.settings")
    import django

    django.setup()


def generate(path: Path, rows: int, seed: int = 7) -> None:
    import xlsxwriter

    from hongxia.core import idcard

    rng = random.Random(seed)
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet("花名册")
    sheet.write(0, 0, "怀化市离退休干部花名册（2026年）")
    sheet.write(1, 0, "填报单位：怀化市委老干部局")
    sheet.write_row(3, 0, HEADERS)
    used: set[str] = set()
    for i in range(rows):
        code, county = COUNTIES[i % len(COUNTIES)]
        gender = rng.choice("男女")
        while True:
            birth = datetime.date(1925, 1, 1) + datetime.timedelta(days=rng.randrange(15000))
            seq = rng.randrange(500) * 2 + (1 if gender == "男" else 0)
            number = idcard.make(code, birth, seq)
            if number not in used:
                used.add(number)
                break
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
        lixiu = birth.year < 1932 and rng.random() < 0.3
        retired = (
            birth.replace(year=birth.year + 60)
            if birth.month != 2 or birth.day != 29
            else datetime.date(birth.year + 60, 3, 1)
        )
        row = [
            i + 1,
            name,
            gender,
            rng.choice(["汉族", "侗族", "苗族", "土家族", "瑶族"]),
            number,
            f"{birth:%Y.%m}",
            "离休" if lixiu else "退休",
            f"{county}教育局",
            rng.choice(["科员", "乡科级副职", "乡科级正职", "县处级副职", "办事员"]),
            f"{retired:%Y-%m-%d}",
            f"{birth.year + 20}年{rng.randint(1, 12)}月",
            rng.choice(["中共党员", "群众"]),
            "",
            code,
            county,
            f"{county}人民路{i % 300 + 1}号",
            f"1{rng.choice('358')}{rng.randrange(10**9):09d}",
            "",
            rng.choice(["健康", "一般"]),
            "否",
            "",
            "",
            "在世",
            "",
            "否",
            "",
            f"{county}第{i % 60 + 1}支部",
            f"DA{i:06d}",
            f"SB{i:08d}",
            "张干事",
        ]
        sheet.write_row(i + 4, 0, row)
    sheet.write_row(rows + 5, 0, ["合计", f"共{rows}人"])
    book.close()


def _fresh_db() -> None:
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    else:
        db = Path(connection.settings_dict["NAME"])
        connection.close()
        db.unlink(missing_ok=True)
    call_command("migrate", verbosity=0)


def _admin() -> object:
    from hongxia.core.models import User

    return User.objects.create(username="bench", role="city_admin", region_id="431200")


def phase_read(path: Path) -> dict[str, object]:
    from python_calamine import CalamineWorkbook

    start = time.perf_counter()
    book = CalamineWorkbook.from_path(str(path))
    n = sum(1 for _row in book.get_sheet_by_name(book.sheet_names[0]).iter_rows())
    return {"seconds": time.perf_counter() - start, "rows": n}


def write_page(path: Path, out: Path) -> dict[str, object]:
    """The roster at ``path`` as older systems export one: a GB2312 web page under an .xls
    name, every value the text Excel would show (ingest.markup reads it)."""
    import datetime
    import html

    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(path))
    rows = book.get_sheet_by_name(book.sheet_names[0]).to_python()

    def shown(value: object) -> str:
        if isinstance(value, datetime.date):
            return f"{value:%Y-%m-%d}"
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return html.escape(str(value)) if value != "" else "&nbsp;"

    with out.open("w", encoding="gb18030") as fh:
        fh.write(
            '<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">'
            "</head><body><table border=1>\n"
        )
        for row in rows:
            fh.write("<tr>" + "".join(f"<td>{shown(v)}</td>" for v in row) + "</tr>\n")
        fh.write("</table></body></html>\n")
    return {"rows": len(rows), "mb": out.stat().st_size / 1e6}


def phase_read_hongxia(path: Path) -> dict[str, object]:
    """Hongxia's own reader (ingest.readers), e.g. on a web page, which calamine cannot read."""
    from hongxia.ingest import readers

    start = time.perf_counter()
    n = sum(1 for _row in readers.open_table(path).rows())
    return {"seconds": time.perf_counter() - start, "rows": n}


def phase_import(path: Path, workers: int | None = None) -> dict[str, object]:
    _django()
    _fresh_db()
    user = _admin()
    from django.conf import settings

    from hongxia.ingest import services

    if workers is not None:
        settings.HONGXIA_INGEST_WORKERS = workers
    from hongxia.people.models import Person

    start = time.perf_counter()
    result = services.roster_import(actor=user, path=path)
    seconds = time.perf_counter() - start
    again = time.perf_counter()
    second = services.roster_import(actor=user, path=path)
    return {
        "seconds": seconds,
        "created": result.created,
        "rejected": result.rejected,
        "people": Person.objects.count(),
        "second_seconds": time.perf_counter() - again,
        "second_unchanged": second.unchanged,
        "workers": result.workers,
    }


FLOOR_TABLES = (
    "people_person",
    "people_searchkey",
    "core_auditlog",
    "ingest_rowfingerprint",
)


def phase_floor(path: Path) -> dict[str, object]:
    """What the database alone costs: the rows a first import of the file wrote (people,
    search keys, audit, fingerprints), inserted again into a freshly migrated database as the
    import writes them (executemany on SQLite, COPY on PostgreSQL, one transaction per
    ``services.BATCH_SIZE`` people, with the import's SQLite settings and its one version bump
    per batch), with no Python work but handing the rows to the driver."""
    _django()
    _fresh_db()
    user = _admin()
    from django.db import connection, transaction

    from hongxia.core import versions
    from hongxia.ingest import services

    services.roster_import(actor=user, path=path)
    qn = connection.ops.quote_name
    tables: dict[str, tuple[list[str], list[tuple[object, ...]]]] = {}
    with connection.cursor() as cur:
        for table in FLOOR_TABLES:
            cur.execute(f"SELECT * FROM {qn(table)}")  # noqa: S608
            columns = [c[0] for c in cur.description]
            tables[table] = (columns, cur.fetchall())
    _fresh_db()
    _admin()  # the same user again: the audit rows name it
    # Each batch: a slice of the people, and the other tables' rows of those people.
    columns, people = tables["people_person"]
    size = services.BATCH_SIZE
    bounds = [people[min(i + size, len(people)) - 1][0] for i in range(0, len(people), size)]
    parts: list[dict[str, list[tuple[object, ...]]]] = [{t: [] for t in tables} for _b in bounds]
    for table, (columns, rows) in tables.items():
        key = columns.index("id" if table == "people_person" else "person_id")
        for row in rows:
            owner = row[key]
            index = len(bounds) - 1 if owner is None else bisect.bisect_left(bounds, owner)
            parts[index][table].append(row)
    seconds: dict[str, float] = dict.fromkeys(FLOOR_TABLES, 0.0)
    start = time.perf_counter()
    for part in parts:
        with (
            services._sqlite_bulk_settings(),
            transaction.atomic(),
            versions.one_bump_for_inserts("people", "people_person"),
            connection.cursor() as cur,
        ):
            raw = cur.cursor
            for table, rows in part.items():
                if not rows:
                    continue
                cols = ", ".join(qn(c) for c in tables[table][0])
                began = time.perf_counter()
                if connection.vendor == "postgresql":
                    with raw.copy(f"COPY {qn(table)} ({cols}) FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row(row)
                else:
                    marks = ", ".join(["?"] * len(tables[table][0]))
                    raw.executemany(f"INSERT INTO {qn(table)} ({cols}) VALUES ({marks})", rows)  # noqa: S608
                seconds[table] += time.perf_counter() - began
    total = time.perf_counter() - start
    return {
        "seconds": total,
        "rows": {t: len(rows) for t, (_c, rows) in tables.items()},
        "tables": {t: round(s, 3) for t, s in seconds.items()},
    }


def phase_iex(path: Path, sample: int) -> dict[str, object]:
    _django()
    _fresh_db()
    user = _admin()
    import tablib
    from import_export import fields, resources

    from hongxia.core import crypto, idcard
    from hongxia.ingest import rules
    from hongxia.people import services as people_services
    from hongxia.people.models import Person

    columns = {
        "姓名": "name",
        "性别": "gender",
        "民族": "ethnicity",
        "公民身份号码": "id_number",
        "出生年月": "birth_date",
        "离退休类别": "category",
        "原工作单位": "former_unit",
        "职级": "rank",
        "政治面貌": "political_status",
        "所属区划": "region",
        "居住地址": "address",
        "联系电话": "phone",
        "健康状况": "health_status",
    }
    choice = {
        "性别": "gender",
        "民族": "ethnicity",
        "离退休类别": "category",
        "职级": "rank",
        "政治面貌": "political_status",
        "健康状况": "health_status",
    }

    class PersonResource(resources.ModelResource):
        id_hash = fields.Field(attribute="id_hash", column_name="id_hash")

        class Meta:
            model = Person
            import_id_fields = ("id_hash",)
            fields = ("id_hash", *columns.values())
            skip_unchanged = True

        def __init__(self) -> None:
            super().__init__()
            for header, attr in columns.items():
                self.fields[attr].column_name = header

        def before_import_row(self, row: object, **kwargs: object) -> None:
            for header, fname in choice.items():
                row[header] = rules.parse_choice(fname, row[header])  # type: ignore[index]
            number = idcard.parse(str(row["公民身份号码"])).number  # type: ignore[index]
            row["公民身份号码"] = number  # type: ignore[index]
            row["出生年月"] = idcard.parse(number).birth_date  # type: ignore[index]
            row["id_hash"] = crypto.lookup_hash(number)  # type: ignore[index]
            row["所属区划"] = str(row["所属区划"])  # type: ignore[index]

        def before_save_instance(self, instance: Person, row: object, **kwargs: object) -> None:
            people_services.apply_derived(instance)

        def after_save_instance(self, instance: Person, row: object, **kwargs: object) -> None:
            people_services.rebuild_search_keys(instance)

    start = time.perf_counter()
    with path.open("rb") as fh:
        full = tablib.Dataset().load(fh.read(), format="xlsx", headers=False)
    load_seconds = time.perf_counter() - start
    total = len(full) - 5
    data = tablib.Dataset(headers=[*full[3], "id_hash"])
    for row in full[4 : 4 + sample]:
        data.append([*row, ""])
    del full
    start = time.perf_counter()
    result = PersonResource().import_data(data, dry_run=False, raise_errors=True, user=user)
    import_seconds = time.perf_counter() - start
    return {
        "load_seconds": load_seconds,
        "sample": sample,
        "sample_seconds": import_seconds,
        "rows": total,
        "seconds": load_seconds + import_seconds * total / sample,
        "created": result.totals.get("new"),
        "people": Person.objects.count(),
    }


def _child(args: list[str]) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, __file__, *args],
        capture_output=True,
        text=True,
        check=False,
        env=os.environ.copy(),
    )
    if out.returncode:
        raise SystemExit(out.stderr[-4000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=56_000)
    parser.add_argument("--file", default="/tmp/hx_bench_roster.xlsx")
    parser.add_argument("--iex-sample", type=int, default=2_000)
    parser.add_argument(
        "--phase", choices=["read", "read-hongxia", "import", "iex", "floor", "page"]
    )
    parser.add_argument("--out", help="--phase page: where to write the web page")
    parser.add_argument(
        "--workers", type=int, help="processes checking rows in the import (default: settings)"
    )
    args = parser.parse_args()
    path = Path(args.file)
    if args.phase:
        if args.phase == "read":
            data = phase_read(path)
        elif args.phase == "read-hongxia":
            data = phase_read_hongxia(path)
        elif args.phase == "page":
            data = write_page(path, Path(args.out))
        elif args.phase == "import":
            data = phase_import(path, args.workers)
        elif args.phase == "floor":
            data = phase_floor(path)
        else:
            data = phase_iex(path, args.iex_sample)
        data["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        # The largest of the import's worker processes (they share the parent's pages at fork).
        data["worker_peak_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(json.dumps(data))
        return
    _django()
    from django.db import connection

    start = time.perf_counter()
    generate(path, args.rows)
    print(
        f"generated {args.rows} rows × {len(HEADERS)} columns in "
        f"{time.perf_counter() - start:.1f} s: {path} ({path.stat().st_size / 1e6:.1f} MB)"
    )
    read = _child(["--phase", "read", "--file", str(path)])
    workers = ["--workers", str(args.workers)] if args.workers is not None else []
    imp = _child(["--phase", "import", "--file", str(path), *workers])
    floor = _child(["--phase", "floor", "--file", str(path)])
    iex = _child(["--phase", "iex", "--file", str(path), "--iex-sample", str(args.iex_sample)])
    print(f"database: {connection.vendor}")
    print(f"(a) calamine read only      {read['seconds']:7.1f} s  peak {read['peak_mb']:6.0f} MB")
    print(
        f"hongxia import              {imp['seconds']:7.1f} s  peak {imp['peak_mb']:6.0f} MB  "
        f"created {imp['created']}, refused {imp['rejected']}; second run "
        f"{imp['second_seconds']:.1f} s, unchanged {imp['second_unchanged']}; "
        f"{imp['workers']} worker processes (each peak {imp['worker_peak_mb']:.0f} MB)"
    )
    print(
        f"database writes alone      {floor['seconds']:7.1f} s  (the rows the import wrote, "
        f"inserted again without the import: {floor['tables']})"
    )
    print(
        f"(b) django-import-export    {iex['seconds']:7.1f} s  peak {iex['peak_mb']:6.0f} MB  "
        f"(load {iex['load_seconds']:.1f} s on the whole file + {iex['sample']} rows in "
        f"{iex['sample_seconds']:.1f} s, extrapolated to {iex['rows']})"
    )
    print(f"import / read  = {imp['seconds'] / read['seconds']:.1f}× (goal ≤ 3×)")
    print(f"writes / read  = {floor['seconds'] / read['seconds']:.1f}× (the import's floor)")
    print(f"iex / import   = {iex['seconds'] / imp['seconds']:.1f}× (goal ≥ 5×)")


if __name__ == "__main__":
    main()
