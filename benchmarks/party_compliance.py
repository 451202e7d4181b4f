"""Benchmark: the city compliance overview (/party/compliance/) at city scale.

Seeds a fresh data directory (registry, then party) unless it already holds data, then renders
the page for a city administrator through Django's test client and reports the median of the
repeated requests (the first, cold request is reported apart).

    HONGXIA_DATA_DIR=/tmp/hx_bench_party /work/venv/bin/python benchmarks/party_compliance.py

Options: --repeat N (default 15), --period 2026Q4|2026-11|2026, --today YYYY-MM-DD.
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import sys
import time


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--period", default="")
    parser.add_argument("--today", default="2026-11-29")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hongxia.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    from hongxia.core.auth import ROLE_PERMISSIONS
    from hongxia.core.models import User
    from hongxia.party.models import Organisation
    from hongxia.party.seed import seed_app
    from hongxia.people.models import Person
    from hongxia.people.seed import seed

    today = datetime.date.fromisoformat(args.today)
    call_command("migrate", verbosity=0)
    if not Person.objects.exists():
        t = time.monotonic()
        seed(scale="city", seed=1, progress=False, today=today)
        print(f"registry seed: {time.monotonic() - t:.1f} s", file=sys.stderr)
    if not Organisation.objects.exists():
        t = time.monotonic()
        result = seed_app(scale="city", seed=1, today=today, progress=False)
        print(f"party seed: {time.monotonic() - t:.1f} s {result}", file=sys.stderr)
    # Until the role table carries the party permissions, give them to the city role here.
    ROLE_PERMISSIONS["city_admin"] = set(ROLE_PERMISSIONS.get("city_admin", set())) | {
        "party.view_meeting", "party.view_organisation", "party.export_party",
        "party.change_meetingrequirement"}
    user, _ = User.objects.get_or_create(username="bench_city",
                                         defaults={"role": "city_admin", "region_id": "431200"})
    setup_test_environment()
    client = Client()
    client.force_login(user)
    url = "/party/compliance/" + (f"?period={args.period}" if args.period else "")
    times = []
    for i in range(args.repeat + 1):
        with CaptureQueriesContext(connection) as queries:
            t = time.perf_counter()
            response = client.get(url)
            elapsed = time.perf_counter() - t
        assert response.status_code == 200, response.status_code
        if i == 0:
            first, n_queries = elapsed, len(queries)
        else:
            times.append(elapsed)
    counties = response.context["counties"]
    total = response.context["total"]
    print(f"database: {connection.vendor}; url: {url}; organisations: {total['branches']}, "
          f"behind: {total['behind']}, held/required: {total['held']}/{total['required']}, "
          f"members who missed every meeting: {total['members_missing']}, "
          f"counties: {len(counties)}")
    print(f"first request {first * 1000:.0f} ms; median of {len(times)} "
          f"{statistics.median(times) * 1000:.0f} ms (min {min(times) * 1000:.0f}, "
          f"max {max(times) * 1000:.0f}); {n_queries} queries")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
