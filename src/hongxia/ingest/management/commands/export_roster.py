"""hongxia export roster FILE — the registry (or one region of it) to .xlsx or .csv."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.http import QueryDict
from django.utils import translation
from django.utils.translation import gettext as _

from hongxia.ingest import exports
from hongxia.ingest.management.commands._common import acting_user
from hongxia.people.selectors import PersonFilter, people_visible


class Command(BaseCommand):
    help = "Export the registry (masked unless --unmasked) to .xlsx or .csv."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        parser.add_argument("--user", help="act as this user (required)")
        parser.add_argument("--region", help="region code: only this region and below")
        parser.add_argument("--format", choices=exports.FORMATS)
        parser.add_argument("--encoding", choices=sorted(exports.ENCODINGS), default="utf-8")
        parser.add_argument(
            "--unmasked",
            action="store_true",
            help="full ID numbers and phones (needs people.view_sensitive)",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        translation.activate("zh-hans")
        user = acting_user(opts["user"])
        path = Path(opts["file"])
        fmt = opts["format"] or path.suffix.lower().lstrip(".")
        if fmt not in exports.FORMATS:
            raise CommandError(_("Name the file .xlsx or .csv, or give --format."))
        params = QueryDict(mutable=True)
        if opts["region"]:
            params["region"] = opts["region"]

        class _Request:
            pass

        request = _Request()
        request.user = user  # type: ignore[attr-defined]
        f = PersonFilter(params, queryset=people_visible(user=user), request=request)
        if not f.is_valid():
            errors = " ".join(m for messages in f.errors.values() for m in messages)
            raise CommandError(f"--region {opts['region']}: {errors}")
        try:
            with path.open("wb") as out:
                count = exports.roster_export(
                    user=user,
                    queryset=f.qs,
                    out=out,
                    fmt=fmt,
                    encoding=opts["encoding"],
                    unmasked=opts["unmasked"],
                    note=f"cli {path.name}",
                )
        except PermissionDenied as exc:
            path.unlink(missing_ok=True)
            if opts["unmasked"]:
                message = _("%(user)s may not export ID numbers and phones unmasked.")
            else:
                message = _("%(user)s may not export the registry.")
            raise CommandError(message % {"user": user.username}) from exc
        self.stdout.write(f"{count} 人 → {path}")
