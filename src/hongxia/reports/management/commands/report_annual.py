"""`hongxia report annual --year Y [--region CODE] [--format json|xlsx|pdf] [--output FILE]`."""

from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from hongxia.core.models import Region
from hongxia.reports import exports, selectors


class Command(BaseCommand):
    help = "The annual work summary (年度工作综述) of a region as JSON, .xlsx or PDF."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--year", type=int, default=None,
                            help="calendar year (default: this year)")
        parser.add_argument("--region", default=None,
                            help="region code (default: the root of the region table)")
        parser.add_argument("--format", choices=["json", "xlsx", "pdf"], default="json")
        parser.add_argument("--output", default=None,
                            help="file to write (default: standard output; required for "
                            "xlsx and pdf when standard output is a terminal)")
        parser.add_argument("--fresh", action="store_true", help="ignore cached figures")

    def handle(self, *args: Any, **options: Any) -> None:
        year = options["year"] or timezone.localdate().year
        code = options["region"]
        if code:
            region = Region.objects.filter(code=code).first()
            if region is None:
                raise CommandError(f"没有这个区划代码 (no such region): {code}")
        else:
            roots = list(Region.objects.filter(parent__isnull=True)[:2])
            region = roots[0] if len(roots) == 1 else None
        summary = selectors.annual_summary(region=region, year=year, fresh=options["fresh"])
        fmt = options["format"]
        body: bytes
        if fmt == "json":
            body = (json.dumps(summary.as_json(), ensure_ascii=False, indent=2) + "\n").encode()
        elif fmt == "xlsx":
            body = exports.annual_xlsx(summary)
        else:
            body = exports.annual_pdf(summary)
        out = options["output"]
        if out and out != "-":
            with open(out, "wb") as fh:
                fh.write(body)
            self.stderr.write(f"{out}: {len(summary.figures)} indicators, {len(body)} bytes")
            return
        if fmt != "json" and sys.stdout.isatty():
            raise CommandError("--output FILE is needed for xlsx and pdf")
        if fmt == "json":
            self.stdout.write(body.decode(), ending="")
        else:
            sys.stdout.buffer.write(body)
