"""Registry list page under gunicorn on loopback, beside a bare Django view, in one run.

    HONGXIA_DATA_DIR=/tmp/bench-city python benchmarks/registry_list.py          # SQLite
    HONGXIA_DATABASE_URL=postgres://postgres@127.0.0.1:5432/hx_province \\
        python benchmarks/registry_list.py                                         # PostgreSQL

The database must be seeded first (`hongxia seed --scale city|province`). Needs `wrk` (Debian
package) for throughput. Prints a Markdown table for BENCHMARKS.md.
"""

from __future__ import annotations

import http.client
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PORT = int(os.environ.get("BENCH_PORT", "8765"))
WORKERS = os.environ.get("BENCH_WORKERS", "2")
URLS = {
    "bare view": "/bare/",
    "registry, one filter": "/people/?category=tuixiu",
    "registry, pinyin search": "/people/?q=zhang",
    "registry, initials + filter": "/people/?q=wj&category=tuixiu",
    "registry, last 4 digits": "/people/?q=1234",
}


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = f"{HERE}{os.pathsep}{env.get('PYTHONPATH', '')}"
    env["DJANGO_SETTINGS_MODULE"] = "bench_settings"
    return env


def _session_cookie() -> str:
    code = (
        "import django; django.setup();"
        "from django.test import Client; from hongxia.core.models import User;"
        "u, _ = User.objects.get_or_create(username='bench_admin', defaults={'role': 'city_admin',"
        " 'region_id': '431200'});"
        "c = Client(); c.force_login(u); print(c.cookies['sessionid'].value)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=_env(), capture_output=True, text=True, check=True
    )
    return out.stdout.strip().splitlines()[-1]


def _cold(path: str, i: int) -> str:
    """The same page under a query parameter no filter reads: a new page-cache key each time,
    so the page is built from the database as on its first view."""
    return f"{path}{'&' if '?' in path else '?'}cold={i}"


def _latencies(path: str, cookie: str, n: int, cold: bool = False) -> list[float]:
    conn = http.client.HTTPConnection("127.0.0.1", PORT)
    headers = {"Cookie": f"sessionid={cookie}"}
    times = []
    for i in range(n):
        t = time.perf_counter()
        conn.request("GET", _cold(path, time.time_ns() + i) if cold else path, headers=headers)
        resp = conn.getresponse()
        resp.read()
        times.append((time.perf_counter() - t) * 1000)
        assert resp.status == 200, (path, resp.status)
    conn.close()
    return times


COLD_LUA = """
counter = 0
request = function()
  counter = counter + 1
  local sep = string.find(PATH, "?", 1, true) and "&" or "?"
  local tag = tostring(counter) .. "-" .. tostring(math.random(1e9))
  return wrk.format(nil, PATH .. sep .. "cold=" .. tag)
end
"""


def _throughput(path: str, cookie: str, seconds: int, cold: bool = False) -> float:
    script: list[str] = []
    if cold:
        lua = Path(os.environ.get("TMPDIR", "/tmp")) / "hongxia_cold.lua"
        lua.write_text(f'PATH = "{path}"\n' + COLD_LUA)
        script = ["-s", str(lua)]
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            "-c8",
            f"-d{seconds}s",
            *script,
            "-H",
            f"Cookie: sessionid={cookie}",
            f"http://127.0.0.1:{PORT}{path}",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    assert not non2xx, out
    return float(match.group(1)) if match else 0.0


def main() -> None:
    n = int(os.environ.get("BENCH_N", "200"))
    seconds = int(os.environ.get("BENCH_SECONDS", "10"))
    cookie = _session_cookie()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "hongxia.wsgi:application",
            "--bind",
            f"127.0.0.1:{PORT}",
            "--workers",
            WORKERS,
            "--worker-class",
            "sync",
            "--log-level",
            "warning",
            "--env",
            "DJANGO_SETTINGS_MODULE=bench_settings",
        ],
        env=_env(),
    )
    try:
        for _ in range(100):
            try:
                http.client.HTTPConnection("127.0.0.1", PORT, timeout=1).request("GET", "/bare/")
                break
            except OSError:
                time.sleep(0.2)
        rows = []
        for label, path in URLS.items():
            _latencies(path, cookie, 20)  # warm the workers (and, for "repeat", the page cache)
            for view, cold in (("first view", True), ("repeat view", False)):
                if path == "/bare/" and cold:
                    continue
                lat = sorted(_latencies(path, cookie, n, cold=cold))
                p50 = statistics.median(lat)
                p95 = lat[int(len(lat) * 0.95) - 1]
                rps = _throughput(path, cookie, seconds, cold=cold)
                rows.append((label, view if path != "/bare/" else "", path, p50, p95, rps))
        bare_rps = rows[0][5]
        db = "PostgreSQL" if os.environ.get("HONGXIA_DATABASE_URL") else "SQLite"
        print(
            f"\n{db}, {WORKERS} sync gunicorn workers, {n} sequential requests for latency, "
            f"wrk -t2 -c8 -d{seconds}s for throughput. First view: a new page-cache key on "
            "every request (built from the database); repeat view: the same URL again.\n"
        )
        print("| page | view | path | p50 ms | p95 ms | req/s | vs bare |")
        print("| --- | --- | --- | ---: | ---: | ---: | ---: |")
        for label, view, path, p50, p95, rps in rows:
            print(
                f"| {label} | {view} | `{path}` | {p50:.1f} | {p95:.1f} | {rps:.0f} "
                f"| {rps / bare_rps:.2f} |"
            )
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
