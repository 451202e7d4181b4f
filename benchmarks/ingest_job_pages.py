"""The import pages when a file was wrong in every row: the list of imports, the progress poll
of a running import and the API's job list, with ten jobs of 56,000 problems each.

    HONGXIA_DATA_DIR=/tmp/hx_jobs /work/venv/bin/python benchmarks/ingest_job_pages.py

A city roster (benchmarks/ingest_roster.py's, seed 7) with 性别 未知 in every row is checked
once as a web upload (inline), its job copied to ten, and each page requested --repeat times by
a city administrator through Django's test client. Medians, and each response's size.
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))


def bad_roster(path: Path, rows: int) -> None:
    """The benchmark roster as a CSV, with a gender no one has in every row."""
    import ingest_roster
    import python_calamine

    with tempfile.TemporaryDirectory() as tmp:
        xlsx = Path(tmp) / "roster.xlsx"
        ingest_roster.generate(xlsx, rows)
        table = python_calamine.CalamineWorkbook.from_path(str(xlsx)).get_sheet_by_index(0)
        cells = table.to_python()
    header_at = next(i for i, r in enumerate(cells) if "姓名" in r)
    gender = cells[header_at].index("性别")
    with path.open("w", newline="", encoding="utf-8-sig") as out:
        writer = csv.writer(out)
        writer.writerow(cells[header_at])
        for row in cells[header_at + 1 :]:
            row = ["" if c is None else c for c in row]
            if row[1]:
                row[gender] = "未知"
            writer.writerow(row)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=56_000)
    parser.add_argument("--jobs", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hongxia.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command
    from django.test import Client

    from hongxia.core.models import User
    from hongxia.ingest import jobs
    from hongxia.ingest.models import ImportJob

    call_command("migrate", verbosity=0)
    settings.HONGXIA_INGEST_INLINE = True
    admin, _ = User.objects.get_or_create(
        username="bench_admin", defaults={"role": "city_admin", "region_id": "431200"}
    )
    if not ImportJob.objects.exists():
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "bad.csv"
            bad_roster(path, args.rows)
            upload = SimpleUploadedFile("bad.csv", path.read_bytes())
        jobs.job_create(actor=admin, upload=upload)
    job = ImportJob.objects.order_by("id").first()
    assert job is not None
    while ImportJob.objects.count() < args.jobs:
        copy = ImportJob.objects.get(pk=job.pk)
        copy.pk = None
        copy.save()
    print(f"{ImportJob.objects.count()} jobs of {len(job.problems):,} problems each")
    # The first job as it is while its confirmed import runs: the page polls its progress.
    ImportJob.objects.filter(pk=job.pk).update(status="running", processed=20_000)
    client = Client()
    client.force_login(admin)
    try:
        for url in ("/import/", f"/import/{job.pk}/?partial=1", "/api/import/jobs"):
            times = []
            for _ in range(args.repeat):
                start = time.perf_counter()
                response = client.get(url)
                times.append(time.perf_counter() - start)
            assert response.status_code == 200, (url, response.status_code)
            print(
                f"{url:28} {statistics.median(times):7.3f} s median of {args.repeat}, "
                f"{len(response.content):>12,} bytes"
            )
    finally:
        ImportJob.objects.filter(pk=job.pk).update(status="previewed")


if __name__ == "__main__":
    main()
