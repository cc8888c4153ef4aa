#!/usr/bin/env python3
"""Fuzz the parser and renderer for a number of minutes (hypothesis with a long budget).

    .venv/bin/python scripts/fuzz.py --minutes 10

Prints how many inputs ran and any crash with its input; exit 1 on a crash.
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deckbuilder.parse import decode
from test_properties import markdownish, render_all


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    args = parser.parse_args()
    deadline = time.monotonic() + args.minutes * 60
    runs = 0
    rounds = 0
    inputs = st.one_of(
        markdownish, st.text(max_size=400), st.binary(max_size=400).map(lambda b: decode(b, "f.md")[0] or "")
    )

    @settings(max_examples=2000, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(inputs)
    def one(text: str) -> None:
        nonlocal runs
        runs += 1
        render_all(text)

    started = time.monotonic()
    while time.monotonic() < deadline:
        rounds += 1
        try:
            one()
        except Exception:  # a crash: report it with hypothesis's minimal example
            traceback.print_exc()
            print(f"CRASH after {runs} inputs in {time.monotonic() - started:.0f} s")
            return 1
    print(f"no crash: {runs} inputs in {rounds} rounds, {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
