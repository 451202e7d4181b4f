"""Browser tests drive Debian's chromium through Playwright (no browser download).

The set-up installs the `chromium` package when it is missing and we are root on Debian, as
CI is; elsewhere the tests are skipped with the reason, except under CI, where they fail.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
# Playwright's sync API runs an event loop in the test thread; Django would then refuse ORM
# calls from that thread. The tests make their rows before driving the browser.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def _install_chromium() -> None:
    if CHROMIUM.exists() or os.geteuid() != 0 or shutil.which("apt-get") is None:
        return
    import fcntl

    # The tests run in several worker processes (pytest-xdist): one installs, the others wait
    # for it, instead of failing on apt's own lock.
    with open("/tmp/hongxia-chromium-install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if CHROMIUM.exists():
            return
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(["apt-get", "update", "-qq"], env=env, check=False, capture_output=True)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "chromium"],
            env=env,
            check=False,
            capture_output=True,
        )


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    _install_chromium()
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail("chromium is missing and could not be installed")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield b
        b.close()


@pytest.fixture(autouse=True)
def _request_threads_close_their_connections() -> Iterator[None]:
    """The live server answers each request in a thread of its own; with the production
    setting (connections kept for 10 minutes) every such thread would leave a PostgreSQL
    session open, and the test database could not be dropped at the end of the run."""
    from django.db import DEFAULT_DB_ALIAS, connections

    db = connections.settings[DEFAULT_DB_ALIAS]
    saved = db["CONN_MAX_AGE"]
    db["CONN_MAX_AGE"] = 0
    yield
    db["CONN_MAX_AGE"] = saved
