"""One function per command: compose the stages, return what to print (the CLI prints it)."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .config import DeckConfig, load_config
from .errors import UsageProblem, UserError
from .fsutil import atomic_write
from .output import Line, diagnostic_lines, stats_lines
from .pipeline import Options, build, gather
from .source.files import parse_all

Outcome = tuple[list[Line], int | None]  # what to print, and the exit code (None: carry on)


def check(config: DeckConfig, options: Options, ref: str | None, style: str, strict: bool, notes: bool) -> Outcome:
    project = gather(config, options)
    report = project.report
    if ref:
        from .check.idguard import check_against

        report.diagnostics += check_against(config, ref, report.cards, project.retired)
    problems = report.errors(strict)
    status = [(f"{len(report.cards)} cards, {len(problems)} problem(s)", True)] if style == "text" else []
    return diagnostic_lines(report, style, strict, notes) + status, 1 if problems else None


def build_package(config: DeckConfig, out: Path | None, strict: bool, options: Options) -> Outcome:
    path, report = build(config, out or config.root / "dist", strict, options=options)
    if report.up_to_date:
        fresh = (f"{path} is up to date (no card, asset or setting changed)", False)
        return [*((line, True) for line in report.shown), fresh], None
    lines = diagnostic_lines(report, "text", strict)
    if path is None:
        return [*lines, (f"build failed: {len(report.errors(strict))} error(s); nothing was written", True)], 1
    return [*lines, (f"wrote {path} ({len(report.cards)} cards)", False)], None


def preview(config: DeckConfig, out: Path | None, mathjax: str | None, watch: bool) -> Iterator[Outcome]:
    """The preview site; with `watch`, written again (deck.toml read again) whenever a source changes."""
    from .preview.site import MATHJAX_HINT, find_mathjax

    if mathjax and find_mathjax(config, mathjax, only_explicit=True) is None:
        raise UsageProblem(f"--mathjax: no MathJax 3 es5 build (tex-chtml-full.js) in {mathjax}")
    folder = find_mathjax(config, mathjax)
    target = out or config.root / "dist" / "preview"
    ok, lines = preview_once(config, target, folder)
    warning = [] if folder else [(f"warning: {MATHJAX_HINT}", True)]
    yield warning + lines, None if ok or watch else 1
    for _ in source_changes(config.root) if watch else ():
        yield preview_once(load_config(config.root), target, folder)[1], None


def assign_ids(config: DeckConfig) -> list[Line]:
    from .ids import assign_ids as assign

    parsed = parse_all(config, None)
    assigned = assign(config.root, parsed.cards)
    lines = [
        (f"{rel}:{line}: assigned id '{card_id}'", False)
        for rel, items in sorted(assigned.items())
        for line, card_id in items
    ]
    return [*lines, (f"{len(lines)} id(s) assigned", False)]


def coverage(config: DeckConfig, show_all: bool) -> list[Line]:
    from .check.syllabus import cards_per_question, load_syllabus

    questions, _ = load_syllabus(config.syllabus_path, config.syllabus)
    counts = cards_per_question(questions, parse_all(config, None).cards)
    lines = [
        (f"{q.id} [{q.subdeck}] {counts[q.id]} card(s): {q.question}", False)
        for q in questions.values()
        if show_all or counts[q.id] == 0
    ]
    covered = sum(1 for n in counts.values() if n)
    return [*lines, (f"covered {covered}/{len(counts)} syllabus questions", False)]


def stats(config: DeckConfig) -> list[Line]:
    parsed = parse_all(config, None)
    return [(str(d), True) for d in parsed.diagnostics] + stats_lines(config, parsed.cards)


def retire(config: DeckConfig, card_ids: tuple[str, ...], reason: str) -> list[Line]:
    """Cut cards from their files and record their ids as retired (never reused)."""
    from .apkg.retired import Retired, load_retired, plain_question, remove_card, retired_json, retired_path

    cards = parse_all(config, None).cards
    by_id = {card.id: card for card in cards}
    unknown = [i for i in card_ids if i not in by_id]
    if unknown:
        raise UsageProblem(f"no card with id {', '.join(unknown)}")
    path, rel = retired_path(config)
    retired, problems = load_retired(path, rel)
    if problems:
        raise UserError(str(problems[0]))
    lines: list[Line] = []
    # Bottom-up within a file, so that cutting one card does not move the next one's lines.
    for card in sorted((by_id[i] for i in card_ids), key=lambda c: (c.location.path, -c.location.line)):
        later = [
            c.location.line
            for c in cards
            if c.location.path == card.location.path and c.location.line > card.location.line
        ]
        remove_card(config.root, card, min(later) if later else None)
        question = plain_question(card.question)
        retired[card.id] = Retired(card.id, config.version, card.subdeck, question, reason, card.card_type.value)
        lines.append((f"{card.location}: retired '{card.id}'", False))
    atomic_write(path, retired_json(retired).encode("utf-8"))
    return lines


def preview_once(config: DeckConfig, target: Path, mathjax: Path | None) -> tuple[bool, list[Line]]:
    from .preview.site import write_preview

    report = gather(config).report
    lines = diagnostic_lines(report)
    if report.errors():
        return False, [*lines, (f"preview not written: {len(report.errors())} error(s)", True)]
    index = write_preview(config, report.rendered, target, mathjax)
    return True, [*lines, (f"wrote {index} ({len(report.rendered)} cards)", False)]


def source_changes(root: Path) -> Iterator[None]:
    """Yields each time a card, asset or deck.toml changes."""
    from .preview.site import source_state

    state = source_state(root)
    while True:
        time.sleep(0.5)
        if (current := source_state(root)) != state:
            state = current
            yield None


def diff(config: DeckConfig, old: str, new: str, notes_out: str | None) -> list[Line]:
    from .release.diff import diff as compare
    from .release.diff import release_notes, summary
    from .release.snapshot import snapshot_of

    result = compare(snapshot_of(old, config.root), snapshot_of(new, config.root))
    if notes_out:
        notes = release_notes(result, f"{config.slug}-{result.new.version}.apkg")
        atomic_write(Path(notes_out), notes.encode("utf-8"))
    return [(summary(result), False)]


def release(config: DeckConfig, out: Path | None, choices: dict[str, Any], changelog: bool) -> list[Line]:
    from .release.changelog import update_changelog
    from .release.make import ReleaseOptions, make_release

    options = ReleaseOptions(**choices)
    with tempfile.TemporaryDirectory() as tmp:
        dry = options.dry_run
        target = Path(tmp) / "release" if dry else out or config.root / "dist" / "release"
        result = make_release(config, target, options)
        lines = diagnostic_lines(result.report)
        lines += [(f"{'would write' if dry else 'wrote'} {target / name}", False) for name in result.files]
        if dry:
            lines.append((result.notes, False))
        elif changelog:
            update_changelog(config.root / "CHANGELOG.md", config.version, result.notes)
            lines.append((f"updated {config.root / 'CHANGELOG.md'}", False))
    return lines
