"""Headless Chromium driven by Playwright: the browser named by $CHROMIUM, else Debian's.

Locally that is Debian's package (/usr/bin/chromium: test tools cannot download browsers here).
On GitHub's Ubuntu 24.04 runners `apt-get install chromium` gives a snap stub that does not run,
so CI installs Playwright's own Chromium and points $CHROMIUM at it:
`python tests/browser_support.py --playwright` prints where that one is.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--allow-file-access-from-files",
]
REQUIRE_ENV = "DECKBUILDER_REQUIRE_BROWSER"
CHROMIUM_ENV = "CHROMIUM"


def chromium_path() -> str:
    named = os.environ.get(CHROMIUM_ENV)
    if named:  # a browser asked for by name is that browser, or a failure: never another one
        if Path(named).is_file() and os.access(named, os.X_OK):
            return named
        missing(f"{CHROMIUM_ENV}={named} is not an executable file")
    for candidate in ("/usr/bin/chromium", shutil.which("chromium")):
        if candidate and Path(candidate).exists():
            return candidate
    missing("Chromium is not installed (apt-get install chromium, or set CHROMIUM to a Chromium binary)")
    raise AssertionError("unreachable")


def playwright_chromium() -> str:
    """Where `playwright install chromium` puts its browser (whether or not it is there yet)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        return str(playwright.chromium.executable_path)


def missing(reason: str) -> None:
    """Skip locally, but fail where the suite promises to run browser tests (CI sets the env)."""
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{reason}; {REQUIRE_ENV}=1 requires the browser tests to run")
    pytest.skip(reason)


if __name__ == "__main__":
    if sys.argv[1:] != ["--playwright"]:
        sys.exit("usage: python tests/browser_support.py --playwright")
    print(playwright_chromium())
