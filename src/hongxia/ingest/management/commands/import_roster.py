"""hongxia import roster FILE — bring a county's Excel or CSV roster into the registry."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation
from django.utils.translation import gettext as _

from hongxia.core import context
from hongxia.ingest import exports, readers, services
from hongxia.ingest import selectors as ingest_selectors
from hongxia.ingest.choices import Severity
from hongxia.ingest.management.commands._common import acting_user

# The exit status of an import that refused some rows and imported the rest.
PARTIAL = 3
# Above this many problems the command sums them up (-v 2 lists every one).
LISTED = 50


class Command(BaseCommand):
    help = (
        "Import a roster (.xlsx, .xls, .ods, .csv) into the registry. Exit status: 0 when every "
        "row came in, 3 when some rows were refused and the good ones imported (see the list, "
        "or --report), 1 when nothing was written."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        parser.add_argument("--user", help="act as this user (required)")
        parser.add_argument("--region", help="region code for rows without a region")
        parser.add_argument("--sheet", help="sheet name (default: the first)")
        parser.add_argument("--mapping", help="JSON file: {header text: field}")
        parser.add_argument("--dry-run", action="store_true", help="check only, write nothing")
        parser.add_argument(
            "--all-or-nothing", action="store_true", help="commit nothing if any row is refused"
        )
        parser.add_argument("--report", help="write the problem report (.xlsx) here")
        parser.add_argument("--no-progress", action="store_true")
        parser.add_argument(
            "--workers",
            type=int,
            help="processes that check rows while this one writes (default 0: none); "
            "1 takes about 15%% off a large new file on 2 cores, "
            "for about 100 MB more memory",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        translation.activate("zh-hans")
        user = acting_user(opts["user"])
        path = Path(opts["file"])
        if not path.exists():
            raise CommandError(_("There is no file %(path)s.") % {"path": path})
        try:
            mapping = services.load_mapping(opts["mapping"])
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        bar = None
        if not opts["no_progress"]:
            from tqdm import tqdm

            bar = tqdm(total=0, unit="行", desc=path.name, file=self.stderr._out)

        def progress(done: int, total: int) -> None:
            if bar is not None:
                bar.total = total
                bar.n = done
                bar.refresh()

        try:
            with context.acting_as(user, via="cli"):
                result = services.roster_import(
                    actor=user,
                    path=path,
                    region=opts["region"],
                    sheet=opts["sheet"],
                    mapping=mapping,
                    dry_run=opts["dry_run"],
                    all_or_nothing=opts["all_or_nothing"],
                    progress=progress,
                    workers=opts["workers"],
                )
        except readers.ReadError as exc:
            raise CommandError(str(exc)) from exc
        except PermissionDenied as exc:
            raise CommandError(
                _("%(user)s may not import into that region.") % {"user": user.username}
            ) from exc
        finally:
            if bar is not None:
                bar.close()
        marks = {"error": "错误", "warning": "警告"}
        if len(result.problems) > LISTED and opts["verbosity"] < 2:
            # A column wrong in every row gave a screen of thousands of lines: summed up by
            # column and kind, as the job's page does; the whole list is in the report.
            for g in ingest_selectors.problem_groups([p.as_dict() for p in result.problems]):
                rows = "、".join(str(r) for r in g["rows"]) + ("…" if g["count"] > 5 else "")
                self.stdout.write(
                    f"{g['column'] or '文件'} [{marks.get(g['severity'], '说明')}] "
                    f"{g['count']} 处，如第 {rows} 行"
                )
            self.stdout.write(
                f"共 {len(result.problems)} 个问题：逐条列出请加 -v 2，或用 --report 导出问题报告。"
            )
        else:
            for p in result.problems:
                where = f"第{p.row}行" if p.row else "文件"
                mark = marks.get(p.severity, "说明")
                self.stdout.write(f"{where} {p.column} [{mark}] {p.message}")
        s = result.summary()
        self.stdout.write(
            f"{s['rows']} 行：新增 {s['created']}，更新 {s['updated']}，未变 {s['unchanged']}，"
            f"拒绝 {s['rejected']}，待合并 {s['queued']}，跳过空行 {s['blank_rows']}、"
            f"合计及落款行 {s['total_rows']}、分组标题行 {s['heading_rows']}，"
            f"修复乱码 {s['repaired']}；编码 {s['encoding'] or '-'}"
            f"；{'已提交' if result.committed and not opts['dry_run'] else '未写入'}"
            + (f"；{result.workers} 个检查进程" if result.workers else "")
        )
        if opts["report"]:
            exports.problem_report(
                path,
                result.sheet or None,
                [p.as_dict() for p in result.problems],
                opts["report"],
                header_row=result.header_row,
            )
        errors = any(p.severity == Severity.ERROR for p in result.problems)
        if errors and opts["dry_run"]:
            raise CommandError(_("The check found errors (a dry run writes nothing)."))
        if errors and (opts["all_or_nothing"] or not result.committed):
            raise CommandError(_("Nothing was written."))
        if result.rejected:
            # A script that runs the import must not take a partial import for a whole one.
            self.stderr.write(
                _("%(n)d rows were refused; the good rows were imported.") % {"n": result.rejected}
            )
            raise SystemExit(PARTIAL)
