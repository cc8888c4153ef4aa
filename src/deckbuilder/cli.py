"""Command line: the only place that prints or chooses an exit code."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from . import __version__
from .config import ConfigError, DeckConfig, find_root, load_config
from .errors import ReleaseError, SnapshotError
from .model import Diagnostic, Report, Severity

F = TypeVar("F", bound=Callable[..., Any])


class Failed(Exception):
    """Stop with exit code 1 after the problems have been shown."""


def error_boundary(func: F) -> F:
    """No traceback reaches a user: known failures become messages and exit codes."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except Failed:
            sys.exit(1)
        except ConfigError as exc:
            for diagnostic in exc.diagnostics:
                click.echo(str(diagnostic), err=True)
            sys.exit(1)
        except (SnapshotError, ReleaseError) as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)
        except KeyboardInterrupt:
            click.echo("interrupted; nothing was written", err=True)
            sys.exit(130)
        except BrokenProcessPool:
            from .parallel import WORKERS_ENV  # already loaded: a pool ran

            click.echo(
                f"error: a render worker process died (out of memory?); nothing was written. "
                f"Try {WORKERS_ENV}=1 to render in one process.",
                err=True,
            )
            sys.exit(1)
        except OSError as exc:
            click.echo(f"error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), err=True)
            sys.exit(1)

    return wrapper  # type: ignore[return-value]


def project_config(project: str | None) -> DeckConfig:
    start = Path(project).resolve() if project else Path.cwd()
    root = find_root(start) if not project else start
    if root is None:
        raise click.UsageError("no deck.toml in this folder or any parent (use --project DIR)")
    return load_config(root)


def format_diagnostic(d: Diagnostic, style: str) -> str:
    if style == "github":
        kind = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTE: "notice"}[d.severity]
        line = f",line={d.location.line}" if d.location.line else ""
        message = d.message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
        return f"::{kind} file={d.location.path}{line}::{message}"
    return str(d)


def show(report: Report, style: str = "text", strict: bool = False, notes: bool = False) -> None:
    """Print the diagnostics; design notes (never fatal) only when asked for, else a count."""
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
        click.echo(json.dumps({"cards": len(report.cards), "diagnostics": payload}, ensure_ascii=False, indent=1))
        return
    hidden = 0
    for d in report.diagnostics:
        if d.severity is Severity.NOTE and not notes:
            hidden += 1
            continue
        shown = Diagnostic(d.location, Severity.ERROR, d.message) if strict and d.severity is Severity.WARNING else d
        click.echo(format_diagnostic(shown, style), err=style == "text")
    if hidden and style == "text":
        click.echo(
            f"{hidden} design note(s) in subdecks that deck.toml does not enforce yet (--design lists them)", err=True
        )


project_option = click.option("--project", type=click.Path(file_okay=False), help="Project folder (holds deck.toml).")


@click.group()
@click.version_option(__version__, prog_name="deckbuilder")
def main() -> None:
    """Build Anki decks from Markdown cards."""


@main.command()
@project_option
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.option("--format", "style", type=click.Choice(["text", "json", "github"]), default="text")
@click.option("--against", "ref", help="Also fail if a card id that exists at this git ref vanished unretired.")
@click.option("--no-cache", is_flag=True, help="Parse and render every card again, ignoring the cache.")
@click.option("--design", "notes", is_flag=True, help="Also list design notes of subdecks not yet enforced.")
@error_boundary
def check(project: str | None, strict: bool, style: str, ref: str | None, no_cache: bool, notes: bool) -> None:
    """Parse, validate and render every card; write nothing."""
    from .pipeline import gather_cached

    config = project_config(project)
    built = gather_cached(config, not no_cache, writable=False, consume=lambda rendered: None)  # HTML unneeded
    report = built.report
    if ref:
        from .idguard import check_against

        report.diagnostics += check_against(config, ref, report.cards, built.retired)
    show(report, style, strict, notes)
    problems = report.errors(strict)
    if style == "text":
        status = f"{len(report.cards)} cards, {len(problems)} problem(s)"
        click.echo(status, err=True)
    if problems:
        raise Failed


@main.command()
@project_option
@click.option("--out", "out_dir", type=click.Path(file_okay=False), help="Output folder (default dist/).")
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.option("--no-cache", is_flag=True, help="Parse and render every card again, and rewrite the package.")
@error_boundary
def build(project: str | None, out_dir: str | None, strict: bool, no_cache: bool) -> None:
    """Check everything, then write OUT/<slug>-<version>.apkg and update the ledger."""
    from .pipeline import build as run_build

    config = project_config(project)
    target_dir = Path(out_dir) if out_dir else config.root / "dist"
    path, report = run_build(config, target_dir, strict, use_cache=not no_cache)
    if report.up_to_date:
        for line in report.shown:
            click.echo(line, err=True)
        click.echo(f"{path} is up to date (no card, asset or setting changed)")
        return
    show(report, "text", strict)
    if path is None:
        click.echo(f"build failed: {len(report.errors(strict))} error(s); nothing was written", err=True)
        raise Failed
    click.echo(f"wrote {path} ({len(report.cards)} cards)")


@main.command()
@project_option
@error_boundary
def ids(project: str | None) -> None:
    """Assign an id to every card that has none (only metadata lines change)."""
    from .ids import assign_ids
    from .pipeline import gather

    config = project_config(project)
    report = gather(config).report
    assigned = assign_ids(config.root, report.cards)
    for relpath, items in sorted(assigned.items()):
        for line, card_id in items:
            click.echo(f"{relpath}:{line}: assigned id '{card_id}'")
    click.echo(f"{sum(len(v) for v in assigned.values())} id(s) assigned")


@main.command()
@project_option
@click.option("--all", "show_all", is_flag=True, help="List every question with its card count.")
@error_boundary
def coverage(project: str | None, show_all: bool) -> None:
    """Syllabus questions that no card answers yet."""
    from .pipeline import gather
    from .syllabus import cards_per_question

    config = project_config(project)
    built = gather(config)
    counts = cards_per_question(built.questions, built.report.cards)
    missing = [q for q in built.questions.values() if counts[q.id] == 0]
    for q in built.questions.values():
        if show_all or counts[q.id] == 0:
            click.echo(f"{q.id} [{q.subdeck}] {counts[q.id]} card(s): {q.question}")
    click.echo(f"covered {len(counts) - len(missing)}/{len(counts)} syllabus questions")


@main.command()
@project_option
@error_boundary
def stats(project: str | None) -> None:
    """Card-design figures per subdeck: recall units, prompts, references, code width."""
    from .pipeline import parse_all
    from .stats import subdeck_stats

    config = project_config(project)
    cards, _, problems = parse_all(config, None)
    for d in problems:
        click.echo(str(d), err=True)
    header = (
        "subdeck",
        "notes",
        "basic",
        "cloze",
        "median",
        "p90",
        "max",
        "over",
        "within%",
        "2q",
        "ref",
        "code",
        "cloze!",
        "dup",
    )
    click.echo(f"{header[0]:<13}" + " ".join(f"{h:>7}" for h in header[1:]) + "  enforced")
    for row in subdeck_stats(config, cards):
        values = (
            row.subdeck, row.notes, row.basic, row.cloze, f"{row.median_units:.0f}", f"{row.p90_units:.0f}",
            row.max_units, row.over_limit, f"{100 * row.within_limit_share:.0f}", row.multi_question,
            row.cross_reference, row.wide_code, row.cloze_giveaways, row.near_duplicates,
        )  # fmt: skip
        click.echo(f"{values[0]:<13}" + " ".join(f"{v:>7}" for v in values[1:]) + ("  yes" if row.enforced else ""))
    click.echo(
        f"units: recall part without the fold (limit {config.design.recall_units}); 2q: prompts with two questions; "
        "ref: cards naming another card; code: shown code wider than a phone; cloze!: deletions given away; "
        "dup: near-duplicate recall parts",
        err=True,
    )


@main.command()
@project_option
@click.option("--out", "out_dir", type=click.Path(file_okay=False), help="Output folder (default dist/preview/).")
@click.option("--mathjax", type=click.Path(), help="MathJax 3 es5 folder (default: node_modules/mathjax/es5).")
@click.option("--watch", is_flag=True, help="Keep running; rebuild whenever a card, asset or deck.toml changes.")
@error_boundary
def preview(project: str | None, out_dir: str | None, mathjax: str | None, watch: bool) -> None:
    """Write a static, offline preview site of every card (open its index.html)."""
    from .preview import MATHJAX_HINT, find_mathjax, source_state

    config = project_config(project)
    if mathjax and find_mathjax(config, mathjax, only_explicit=True) is None:
        raise click.BadParameter(f"no MathJax 3 es5 build (tex-chtml-full.js) in {mathjax}", param_hint="--mathjax")
    mathjax_dir = find_mathjax(config, mathjax)
    if mathjax_dir is None:
        click.echo(f"warning: {MATHJAX_HINT}", err=True)
    target = Path(out_dir) if out_dir else config.root / "dist" / "preview"
    ok = write_preview_once(config, target, mathjax_dir)
    if not watch:
        if not ok:
            raise Failed
        return
    import time

    click.echo("watching for changes (Ctrl-C to stop)", err=True)
    state = source_state(config.root)
    while True:
        time.sleep(0.5)
        current = source_state(config.root)
        if current != state:
            state = current
            write_preview_once(project_config(project), target, mathjax_dir)


def write_preview_once(config: DeckConfig, target: Path, mathjax_dir: Path | None) -> bool:
    from .pipeline import gather_cached
    from .preview import write_preview

    report = gather_cached(config, True, writable=False).report
    show(report)
    if report.errors():
        click.echo(f"preview not written: {len(report.errors())} error(s)", err=True)
        return False
    index = write_preview(config, report.rendered, target, mathjax_dir)
    click.echo(f"wrote {index} ({len(report.rendered)} cards)")
    return True


@main.command()
@project_option
@click.argument("card_ids", nargs=-1, required=True)
@click.option("--reason", default="", help="Why the card goes (shown to learners).")
@error_boundary
def retire(project: str | None, card_ids: tuple[str, ...], reason: str) -> None:
    """Remove cards for good: cut them from their files and record their ids as retired."""
    from .fsutil import atomic_write
    from .pipeline import gather
    from .retired import Retired, plain_question, remove_card, retired_json, retired_path

    config = project_config(project)
    built = gather(config)
    by_id = {card.id: card for card in built.report.cards}
    unknown = [i for i in card_ids if i not in by_id]
    if unknown:
        raise click.UsageError(f"no card with id {', '.join(unknown)}")
    retired = dict(built.retired)
    # Bottom-up within a file, so that cutting one card does not move the next one's lines.
    for card in sorted((by_id[i] for i in card_ids), key=lambda c: (c.location.path, -c.location.line)):
        same_file = [c.location.line for c in built.report.cards if c.location.path == card.location.path]
        later = [line for line in same_file if line > card.location.line]
        remove_card(config.root, card, min(later) if later else None)
        retired[card.id] = Retired(
            card.id, config.version, card.subdeck, plain_question(card.question), reason, card.card_type.value
        )
        click.echo(f"{card.location}: retired '{card.id}'")
    path, _ = retired_path(config)
    atomic_write(path, retired_json(retired).encode("utf-8"))


@main.command()
@project_option
@click.argument("old")
@click.argument("new")
@click.option("--notes", "notes_out", type=click.Path(dir_okay=False), help="Also write release notes (Markdown) here.")
@error_boundary
def diff(project: str | None, old: str, new: str, notes_out: str | None) -> None:
    """Cards added, changed and removed between OLD and NEW (.apkg files or git refs)."""
    from .diff import diff as compare
    from .diff import release_notes, summary
    from .fsutil import atomic_write
    from .snapshot import snapshot_of

    config = project_config(project)
    result = compare(snapshot_of(old, config.root), snapshot_of(new, config.root))
    click.echo(summary(result))
    if notes_out:
        notes = release_notes(result, f"{config.slug}-{result.new.version}.apkg")
        atomic_write(Path(notes_out), notes.encode("utf-8"))


@main.command()
@project_option
@click.option("--out", "out_dir", type=click.Path(file_okay=False), help="Folder (default dist/release/).")
@click.option("--previous", help="What learners have: the last published release's .apkg, or its git ref (tag).")
@click.option("--first-release", is_flag=True, help="No release was ever published: every card is new.")
@click.option("--tag", help="The git tag being released; must be v<version from deck.toml> and point at HEAD.")
@click.option("--changelog", is_flag=True, help="Also put the release notes at the top of CHANGELOG.md.")
@click.option("--allow-dirty", is_flag=True, help="Release uncommitted changes (listed in manifest.json).")
@click.option("--dry-run", is_flag=True, help="Do every step and check in a temporary folder; keep nothing.")
@error_boundary
def release(
    project: str | None,
    out_dir: str | None,
    previous: str | None,
    first_release: bool,
    tag: str | None,
    changelog: bool,
    allow_dirty: bool,
    dry_run: bool,
) -> None:
    """Build the release: full deck, one .apkg per subdeck, SHA256SUMS, manifest.json, notes."""
    import tempfile

    from .changelog import update_changelog
    from .release import ReleaseOptions, make_release

    config = project_config(project)
    options = ReleaseOptions(previous, first_release, tag, allow_dirty, dry_run)
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "release" if dry_run else Path(out_dir) if out_dir else config.root / "dist" / "release"
        result = make_release(config, target, options)
        show(result.report)
        for name in result.files:
            click.echo(f"{'would write' if dry_run else 'wrote'} {target / name}")
        if dry_run:
            click.echo(result.notes)
        elif changelog:
            update_changelog(config.root / "CHANGELOG.md", config.version, result.notes)
            click.echo(f"updated {config.root / 'CHANGELOG.md'}")
