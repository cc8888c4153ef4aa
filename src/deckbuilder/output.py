"""What the commands print: diagnostics in three formats and the stats table (as lines)."""

from __future__ import annotations

import json

from .check.stats import subdeck_stats
from .config import DeckConfig
from .model import Card, Diagnostic, Report, Severity

Line = tuple[str, bool]  # (text, to standard error)


def format_diagnostic(d: Diagnostic, style: str) -> str:
    if style == "github":
        kind = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTE: "notice"}[d.severity]
        line = f",line={d.location.line}" if d.location.line else ""
        message = d.message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
        return f"::{kind} file={d.location.path}{line}::{message}"
    return str(d)


def diagnostic_lines(report: Report, style: str = "text", strict: bool = False, notes: bool = False) -> list[Line]:
    """The diagnostics; design notes (never fatal) only when asked for, else a count."""
    fatal = strict and style != "json"
    if style == "json":
        payload = [
            {
                "path": d.location.path,
                "line": d.location.line,
                "severity": "error" if strict and d.severity is Severity.WARNING else d.severity.value,
                "message": d.message,
            }
            for d in report.diagnostics
        ]
        return [(json.dumps({"cards": len(report.cards), "diagnostics": payload}, ensure_ascii=False, indent=1), False)]
    lines: list[Line] = []
    hidden = 0
    for d in report.diagnostics:
        if d.severity is Severity.NOTE and not notes:
            hidden += 1
            continue
        shown = Diagnostic(d.location, Severity.ERROR, d.message) if fatal and d.severity is Severity.WARNING else d
        lines.append((format_diagnostic(shown, style), style == "text"))
    if hidden and style == "text":
        lines.append(
            (f"{hidden} design note(s) in subdecks that deck.toml does not enforce yet (--design lists them)", True)
        )
    return lines


STATS_HEADER = tuple("subdeck notes basic cloze median p90 max over within% 2q ref code cloze! dup".split())  # noqa: SIM905


def stats_lines(config: DeckConfig, cards: list[Card]) -> list[Line]:
    lines = [(f"{STATS_HEADER[0]:<13}" + " ".join(f"{h:>7}" for h in STATS_HEADER[1:]) + "  enforced", False)]
    for row in subdeck_stats(config, cards):
        values = (
            row.subdeck, row.notes, row.basic, row.cloze, f"{row.median_units:.0f}", f"{row.p90_units:.0f}",
            row.max_units, row.over_limit, f"{100 * row.within_limit_share:.0f}", row.multi_question,
            row.cross_reference, row.wide_code, row.cloze_giveaways, row.near_duplicates,
        )  # fmt: skip
        text = f"{values[0]:<13}" + " ".join(f"{v:>7}" for v in values[1:]) + ("  yes" if row.enforced else "")
        lines.append((text, False))
    legend = (
        f"units: recall part without the fold (limit {config.design.recall_units}); 2q: prompts with two questions; "
        "ref: cards naming another card; code: shown code wider than a phone; cloze!: deletions given away; "
        "dup: near-duplicate recall parts"
    )
    return [*lines, (legend, True)]
