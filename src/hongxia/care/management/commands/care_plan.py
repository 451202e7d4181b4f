"""`hongxia manage care_plan [--date D] [--region CODE]`: create the visit tasks due that day."""

from __future__ import annotations

import datetime
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone


class Command(BaseCommand):
    help = "Create the visit tasks due on a day (default today); running it again adds nothing."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", type=datetime.date.fromisoformat, default=None)
        parser.add_argument("--region", default=None, help="a region code; default everywhere")

    def handle(self, *args: Any, **options: Any) -> None:
        from hongxia.care.services import tasks_plan_for_day

        day = options["date"] or timezone.localdate()
        started = time.monotonic()
        created = tasks_plan_for_day(actor=None, day=day, region=options["region"])
        for code, n in created.items():
            if n:
                self.stdout.write(f"{code}: {n}")
        self.stdout.write(
            f"{day.isoformat()}: {sum(created.values())} 项任务 (tasks) "
            f"in {time.monotonic() - started:.2f}s"
        )
