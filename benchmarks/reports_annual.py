"""Benchmark: the annual summary (年度工作综述) of a region, cold and cached.

    HONGXIA_DATA_DIR=/tmp/hx_bench_city python benchmarks/reports_annual.py --scale city
    HONGXIA_DATABASE_URL=postgres://postgres@127.0.0.1:5432/hx_bench_prov \\
        HONGXIA_DATA_DIR=/tmp/hx_bench_prov python benchmarks/reports_annual.py --scale province

Migrates, seeds an empty registry at the given scale (`hongxia seed`'s own function), then
times `selectors.annual_summary` for the region: "cold" with the cache cleared (every
indicator for the year and the previous year, in the database), "cached" after one run.
Prints medians and the slowest indicators. Results go in BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", default="city")
    parser.add_argument("--region", default="431200")
    parser.add_argument("--year", type=int, default=None)
    parser.add_argument("--cold", type=int, default=3, help="cold runs")
    parser.add_argument("--cached", type=int, default=50, help="cached runs")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hongxia.settings")
    import django

    django.setup()
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from hongxia.core.models import Region
    from hongxia.people.models import Person
    from hongxia.people.seed import seed
    from hongxia.reports import registry, selectors
    from hongxia.reports.registry import Period

    call_command("migrate", interactive=False, verbosity=0)
    if not Person.objects.exists():
        started = time.perf_counter()
        seed(scale=args.scale, progress=False)
        print(f"seeded {args.scale} in {time.perf_counter() - started:.1f} s")
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
    people = Person.objects.count()
    region = Region.objects.get(code=args.region)
    year = args.year or timezone.localdate().year
    print(f"{connection.vendor}: {people:,} people; region {region.code} {region.name}; "
          f"year {year}; {len(registry.all_indicators())} indicators")

    cold = []
    for _ in range(args.cold):
        cache.clear()
        t = time.perf_counter()
        summary = selectors.annual_summary(region=region, year=year)
        cold.append(time.perf_counter() - t)
    cached = []
    for _ in range(args.cached):
        t = time.perf_counter()
        selectors.annual_summary(region=region, year=year)
        cached.append(time.perf_counter() - t)
    print(f"annual summary cold:   median {statistics.median(cold) * 1000:8.1f} ms "
          f"(runs {', '.join(f'{c * 1000:.0f}' for c in cold)})")
    print(f"annual summary cached: median {statistics.median(cached) * 1000:8.2f} ms "
          f"(max {max(cached) * 1000:.2f})")

    # The dashboard (数据驾驶舱) of the same region, rendered: trends, counties, summary.
    from django.contrib.messages.storage.fallback import FallbackStorage
    from django.test import RequestFactory

    from hongxia.core.models import User
    from hongxia.reports.views import DashboardView

    admin = User(username="bench", role="city_admin", region=region, is_superuser=True)
    admin.is_active = True

    def dashboard() -> float:
        request = RequestFactory().get("/reports/", {"year": year})
        request.user = admin
        request.session = {}  # type: ignore[assignment]
        request._messages = FallbackStorage(request)  # type: ignore[attr-defined]
        t = time.perf_counter()
        DashboardView.as_view()(request).render()
        return time.perf_counter() - t

    cold_d = []
    for _i in range(args.cold):
        cache.clear()
        cold_d.append(dashboard())
    warm_d = [dashboard() for _i in range(10)]
    print(f"dashboard cold:        median {statistics.median(cold_d) * 1000:8.1f} ms")
    print(f"dashboard cached:      median {statistics.median(warm_d) * 1000:8.1f} ms")

    period = Period.year(year)
    timings = []
    for ind in registry.all_indicators():
        t = time.perf_counter()
        ind.value(region.prefix, period)
        timings.append((time.perf_counter() - t, ind.key))
    timings.sort(reverse=True)
    slowest = ", ".join(f"{k} {s * 1000:.0f} ms" for s, k in timings[:5])
    print(f"slowest, computed one by one: {slowest}")
    value = {f.key: f.value for f in summary.figures}
    print(f"cadres {value.get('people.cadres')}, deaths {value.get('people.deaths')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
