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
from typing import Any

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


def anki_mathjax_page(path: Path, body: str, css: str = "", base: Path | None = None) -> Path:
    """A page that typesets `body` with MathJax configured as Anki's reviewer configures it."""
    from deckbuilder.config import load_config
    from deckbuilder.preview.site import find_mathjax

    root = Path(__file__).resolve().parent.parent
    mathjax = find_mathjax(load_config(root), None)
    if mathjax is None:
        missing("MathJax is not installed (npm install)")
        raise AssertionError("unreachable")
    config_js = (root / "src/deckbuilder/assets/mathjax-config.js").read_text(encoding="utf-8")
    head = f'<base href="{base.as_uri()}/">' if base is not None else ""
    path.write_text(
        f'<!doctype html><html><head><meta charset="utf-8">{head}<style>{css}</style><script>{config_js}</script>'
        f'<script src="{(mathjax / "tex-chtml-full.js").as_uri()}"></script></head>'
        f'<body class="card nightMode">{body}</body></html>',
        encoding="utf-8",
    )
    return path


def evaluate_typeset(page: Path, script: str, before: str = "") -> Any:
    """Open `page` in Chromium, wait for MathJax, run `before` then return what `script` returns."""
    executable = chromium_path()
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            tab = browser.new_page()
            tab.goto(page.as_uri())
            tab.wait_for_function("document.documentElement.dataset.mathjax === 'ready'", timeout=120_000)
            if before:
                tab.evaluate(before)
            return tab.evaluate(script)
        finally:
            browser.close()
