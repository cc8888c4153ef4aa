#!/usr/bin/env python3
"""Fuzz the parser and renderer for a number of minutes (hypothesis with a long budget).

    .venv/bin/python scripts/fuzz.py --minutes 10 [--bound 5]

Inputs are Markdown-like text, random text and bytes, and pathological shapes (long runs and
repetitions of the characters Markdown's patterns backtrack on, deep nesting, long cards) as a
contributor could write them. Prints how many inputs ran, the slowest, and any crash or input
over the time bound (seconds per input) with the input; exit 1 on either.
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

from deckbuilder.source.decode import decode
from test_properties import markdownish, render_all

UNITS = [
    "`",
    "\\",
    "`a` ",
    "[a](",
    "*a",
    "_a",
    "<b>",
    "&#",
    "$a",
    "$$",
    "{{c1::",
    "> ",
    "- ",
    "1. ",
    " ",
    "|",
    "~",
    "![",
]


@st.composite
def pathological(draw: st.DrawFn) -> str:
    """A card whose body repeats one shape: in one long line, over many lines, or nested."""
    unit = draw(st.sampled_from(UNITS))
    count = draw(st.integers(min_value=1, max_value=4000 // len(unit)))
    lines = draw(st.integers(min_value=1, max_value=3))
    layout = draw(st.sampled_from(["line", "lines", "nested"]))
    if layout == "nested":
        body = "".join(unit * depth + "x\n" for depth in range(1, min(count, 40)))
    else:
        body = "\n".join([unit * count] * (lines if layout == "lines" else 1))
    return "## q\n<!-- id: a -->\n\n" + body + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--bound", type=float, default=5.0, help="seconds one input may take")
    args = parser.parse_args()
    slowest = (0.0, "")
    deadline = time.monotonic() + args.minutes * 60
    runs = 0
    rounds = 0
    inputs = st.one_of(
        markdownish,
        st.text(max_size=400),
        st.binary(max_size=400).map(lambda b: decode(b, "f.md")[0] or ""),
        pathological(),
    )

    @settings(max_examples=2000, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(inputs)
    def one(text: str) -> None:
        nonlocal runs, slowest
        runs += 1
        started = time.perf_counter()
        decoded, _ = decode(text.encode("utf-8"), "f.md")  # the size limits a real file meets
        if decoded is not None:
            render_all(decoded)
        took = time.perf_counter() - started
        slowest = max(slowest, (took, text[:80]))
        if took > args.bound:
            raise TimeoutError(f"{took:.1f} s for one input (bound {args.bound} s): {text[:200]!r}")

    started = time.monotonic()
    while time.monotonic() < deadline:
        rounds += 1
        try:
            one()
        except Exception:  # a crash: report it with hypothesis's minimal example
            traceback.print_exc()
            print(f"CRASH after {runs} inputs in {time.monotonic() - started:.0f} s")
            return 1
    print(
        f"no crash and none over {args.bound} s: {runs} inputs in {rounds} rounds, {time.monotonic() - started:.0f} s"
    )
    print(f"slowest input: {slowest[0]:.2f} s: {slowest[1]!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
