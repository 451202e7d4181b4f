"""Planning one day of visit tasks at city (56,000) or province (1,000,000) scale, beside one
set-based SQL statement that counts the same due people.

    # once: a seeded registry (city scale) in its own database
    HONGXIA_DATA_DIR=/tmp/hx_care HONGXIA_DATABASE_URL=postgres://postgres@127.0.0.1:5432/hx_care \
        /work/venv/bin/hongxia seed --scale city
    # then
    HONGXIA_DATA_DIR=/tmp/hx_care HONGXIA_DATABASE_URL=postgres://postgres@127.0.0.1:5432/hx_care \
        /work/venv/bin/python benchmarks/care_plan.py --date 2026-10-08
    # province scale: --inflate N copies every person N-1 more times (ids, no ID numbers) first
    ... --inflate 18 (into a copy of the database, never the one you keep)

The day 2026-10-08 opens the 重阳 window (10 days before 2026-10-18) inside the second half-year
and the year: festival, periodic (离休 twice a year by the paired leader, others yearly) and
birthday rules all fire. The tasks of the day are deleted first, so each run plans from empty.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hongxia.settings")
    import django

    django.setup()


def inflate(times: int) -> int:
    """Copy every person `times - 1` more times with fresh ids (no ID number or search keys)."""
    from django.db import connection

    from hongxia.people.models import Person

    cols = [f.column for f in Person._meta.concrete_fields if f.column != "id"]
    plain = ", ".join(connection.ops.quote_name(c) for c in cols)
    picked = ", ".join(
        "NULL" if c == "id_hash" else f"p.{connection.ops.quote_name(c)}" for c in cols
    )
    with connection.cursor() as cur:
        # Column names come from the model, not from input.
        statement = f"INSERT INTO people_person ({plain}) SELECT {picked} "
        cur.execute(statement + "FROM people_person p, generate_series(1, %s) g", [times - 1])
        cur.execute("ANALYZE people_person")
    return Person.objects.count()


def baseline_sql(day: datetime.date) -> tuple[str, list[object]]:
    """One statement: the number of (rule, person) pairs due on `day`, from the same coverage
    filters the planner uses (milestone birthdays by their exact birth dates), without writing
    anything."""
    from django.db.models import Value

    from hongxia.care import rules, services
    from hongxia.care.models import VisitRule

    parts, params = [], []
    for rule in VisitRule.objects.filter(active=True, trigger="birthday"):
        # The exact birth dates come from the same pure rules as the planner (Python, per date,
        # timed apart as "birthday_dates_s"); the people are counted in this statement.
        for qs, _chunk in services.birthday_people(rule, day, ""):
            sql, p = qs.annotate(one=Value(1)).values("one").order_by().query.sql_with_params()
            parts.append(sql)
            params.extend(p)
    for rule in VisitRule.objects.filter(active=True).exclude(trigger__in=["event", "birthday"]):
        if rule.trigger == "festival":
            occ = rules.festival_occasion(
                rule.festival, day, days_before=rule.days_before, days_after=rule.days_after
            )
        elif rule.trigger == "solar_date":
            occ = rules.fixed_date_occasion(
                rule.month or 1,
                rule.day or 1,
                day,
                days_before=rule.days_before,
                days_after=rule.days_after,
            )
        else:
            occ = rules.periodic_occasion(rule.times_per_year or 1, day)
        if occ is None:
            continue
        qs = (
            services._people_base("")
            .filter(services.coverage_q(rule, day))
            .annotate(one=Value(1))
            .values("one")
            .order_by()
        )
        sql, p = qs.query.sql_with_params()
        parts.append(sql)
        params.extend(p)
    statement = "SELECT count(*) FROM (" + " UNION ALL ".join(parts) + ") t"  # noqa: S608
    return statement, params


def read_costs(day: datetime.date, repeat: int) -> dict[str, float]:
    """What reading the planned tasks costs (medians, seconds): the everyone-rules' tasks are
    derived from campaigns when read (`care.TaskRow`), so the reads carry what planning no
    longer writes. As the city (or province) administrator sees them, and as one county."""
    from django.db.models import Count, Q
    from django.db.models.functions import Substr

    try:  # the campaigns' view; before it, stored tasks were all there was
        from hongxia.care.models import TaskRow
    except ImportError:
        from hongxia.care.models import VisitTask as TaskRow
    from hongxia.people.models import Person

    county = "431202"
    someone = Person.objects.filter(life_status="alive").order_by("id").values_list("id")[1000][0]
    city = TaskRow.objects.filter(status="open")
    one = city.filter(region_id__gte=county, region_id__lt="431203")

    from types import SimpleNamespace

    from hongxia.care import selectors
    from hongxia.core.pagination import paginate

    def first_page(qs: Any, scope: str) -> None:
        """The task list's first page (50 rows, the count capped at 10,000), as the page
        reads it; before campaigns, the plain keyset page."""
        qs = qs.select_related("person", "rule")
        if hasattr(selectors, "task_page"):
            user = SimpleNamespace(scope_prefix=scope, role="city_admin")
            selectors.task_page(qs, user=user, cursor=None, page_size=50)
        else:
            paginate(qs, ordering=["due", "id"], cursor=None, page_size=50)

    def by_county(_qs: Any) -> None:
        list(
            _qs.annotate(county=Substr("region_id", 1, 6))
            .values("county")
            .annotate(n=Count("id"), late=Count("id", filter=Q(due__lt=day)))
            .order_by()
        )

    timings: dict[str, list[float]] = {}
    cases = {
        "list_first_page_all": (lambda qs: first_page(qs, ""), city),
        "list_first_page_county": (lambda qs: first_page(qs, county), one),
        "count_all": (lambda qs: qs.count(), city),
        "count_county": (lambda qs: qs.count(), one),
        "per_region_counts_all": (by_county, city),
        "one_person": (lambda qs: list(qs.filter(person_id=someone)), city),
    }
    for name, (fn, qs) in cases.items():
        for _ in range(repeat):
            t = time.perf_counter()
            fn(qs)
            timings.setdefault(name, []).append(time.perf_counter() - t)
    return {k: round(statistics.median(v), 3) for k, v in timings.items()}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--date", type=datetime.date.fromisoformat, default=datetime.date(2026, 10, 8)
    )
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--inflate", type=int, default=0)
    args = parser.parse_args()
    _setup()
    from django.db import connection

    from hongxia.care.models import VisitTask

    try:
        from hongxia.care.models import VisitCampaign
    except ImportError:  # before campaigns (comparing with an earlier tree)
        VisitCampaign = VisitTask
    from hongxia.care.services import tasks_plan_for_day
    from hongxia.people.models import Person

    if args.inflate > 1:
        t = time.perf_counter()
        print(f"inflated to {inflate(args.inflate)} people in {time.perf_counter() - t:.1f}s")
    people = Person.objects.count()
    t = time.perf_counter()
    sql, params = baseline_sql(args.date)
    prep = time.perf_counter() - t
    base, plan, again, created = [], [], [], 0
    for _ in range(args.repeat):
        with connection.cursor() as cur:
            t = time.perf_counter()
            cur.execute(sql, params)
            expected = cur.fetchone()[0]
            base.append(time.perf_counter() - t)
        VisitTask.objects.all().delete()
        VisitCampaign.objects.all().delete()
        t = time.perf_counter()
        result = tasks_plan_for_day(actor=None, day=args.date)
        plan.append(time.perf_counter() - t)
        created = sum(result.values())
        t = time.perf_counter()
        assert sum(tasks_plan_for_day(actor=None, day=args.date).values()) == 0
        again.append(time.perf_counter() - t)
    birthdays = result.get("birthday", 0)
    reads = read_costs(args.date, args.repeat)
    out = {
        "vendor": connection.vendor,
        "people": people,
        "date": args.date.isoformat(),
        "tasks_created": created,
        "of_which_birthdays": birthdays,
        "baseline_count": expected,
        "plan_s": round(statistics.median(plan), 3),
        "replan_noop_s": round(statistics.median(again), 3),
        "baseline_sql_s": round(statistics.median(base), 3),
        "birthday_dates_s": round(prep, 3),
        "ratio": round(statistics.median(plan) / max(statistics.median(base), 1e-6), 2),
        "by_rule": result,
        "reads_s": reads,
    }
    print(json.dumps(out, ensure_ascii=False, indent=1))
    # The planner creates exactly the due (rule, person) pairs the statement counts.
    assert created == expected, (created, birthdays, expected)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
