"""Command line: parse arguments, call one function per command, print, pick the exit code."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from . import __version__, commands
from .config import ConfigError, DeckConfig, find_root, load_config
from .errors import UsageProblem, UserError
from .output import Line
from .pipeline import Options

F = TypeVar("F", bound=Callable[..., Any])


def error_boundary(func: F) -> F:
    """The one place failures become messages and exit codes: no traceback reaches a user."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ConfigError as exc:
            emit([(str(d), True) for d in exc.diagnostics], 1)
        except UsageProblem as exc:
            emit([(f"Error: {exc}", True)], 2)
        except UserError as exc:
            emit([(f"error: {exc}", True)], 1)
        except KeyboardInterrupt:
            emit([("interrupted; nothing was written", True)], 130)
        except OSError as exc:
            emit([(f"error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), True)], 1)

    return wrapper  # type: ignore[return-value]


def emit(lines: list[Line], code: int | None = None) -> None:
    for text, to_stderr in lines:
        click.echo(text, err=to_stderr)
    if code is not None:
        sys.exit(code)


def config_of(project: str | None) -> DeckConfig:
    root = Path(project).resolve() if project else find_root(Path.cwd())
    if root is None:
        raise click.UsageError("no deck.toml in this folder or any parent (use --project DIR)")
    return load_config(root)


def options(no_cache: bool = False) -> Options:
    """The environment is read here only: DECKBUILDER_WORKERS and SOURCE_DATE_EPOCH."""
    workers, epoch = os.environ.get("DECKBUILDER_WORKERS", ""), os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    count = int(workers) if workers.isdigit() and int(workers) > 0 else os.cpu_count() or 1
    return Options(use_cache=not no_cache, workers=count, now=int(epoch) if epoch.isdigit() else None)


project_option = click.option("--project", type=click.Path(file_okay=False), help="Project folder (holds deck.toml).")
out_option = click.option("--out", "out_dir", type=click.Path(file_okay=False), help="Output folder.")
strict_option = click.option("--strict", is_flag=True, help="Treat warnings as errors.")
no_cache_option = click.option("--no-cache", is_flag=True, help="Parse and render every card again.")


def out_path(out_dir: str | None) -> Path | None:
    return Path(out_dir) if out_dir else None


@click.group()
@click.version_option(__version__, prog_name="deckbuilder")
def main() -> None:
    """Build Anki decks from Markdown cards."""


@main.command()
@project_option
@strict_option
@click.option("--format", "style", type=click.Choice(["text", "json", "github"]), default="text")
@click.option("--against", "ref", help="Also fail if a card id that exists at this git ref vanished unretired.")
@no_cache_option
@click.option("--design", "notes", is_flag=True, help="Also list design notes of subdecks not yet enforced.")
@error_boundary
def check(project: str | None, strict: bool, style: str, ref: str | None, no_cache: bool, notes: bool) -> None:
    """Parse, validate and render every card; write nothing."""
    emit(*commands.check(config_of(project), options(no_cache), ref, style, strict, notes))


@main.command()
@project_option
@out_option
@strict_option
@no_cache_option
@error_boundary
def build(project: str | None, out_dir: str | None, strict: bool, no_cache: bool) -> None:
    """Check everything, then write OUT/<slug>-<version>.apkg (default dist/) and update the ledger."""
    emit(*commands.build_package(config_of(project), out_path(out_dir), strict, options(no_cache)))


@main.command()
@project_option
@error_boundary
def ids(project: str | None) -> None:
    """Assign an id to every card that has none (only metadata lines change)."""
    emit(commands.assign_ids(config_of(project)))


@main.command()
@project_option
@click.option("--all", "show_all", is_flag=True, help="List every question with its card count.")
@error_boundary
def coverage(project: str | None, show_all: bool) -> None:
    """Syllabus questions that no card answers yet."""
    emit(commands.coverage(config_of(project), show_all))


@main.command()
@project_option
@error_boundary
def stats(project: str | None) -> None:
    """Card-design figures per subdeck: recall units, prompts, references, code width."""
    emit(commands.stats(config_of(project)))


@main.command()
@project_option
@out_option
@click.option("--mathjax", type=click.Path(), help="MathJax 3 es5 folder (default: node_modules/mathjax/es5).")
@click.option("--watch", is_flag=True, help="Keep running; rebuild whenever a card, asset or deck.toml changes.")
@error_boundary
def preview(project: str | None, out_dir: str | None, mathjax: str | None, watch: bool) -> None:
    """Write a static, offline preview site of every card (default dist/preview/index.html)."""
    (lines, code), target, folder = commands.preview(config_of(project), out_path(out_dir), mathjax)
    emit(lines, None if watch else code)
    for _ in commands.watch(config_of(project).root) if watch else ():
        emit(commands.preview_once(config_of(project), target, folder)[1])


@main.command()
@project_option
@click.argument("card_ids", nargs=-1, required=True)
@click.option("--reason", default="", help="Why the card goes (shown to learners).")
@error_boundary
def retire(project: str | None, card_ids: tuple[str, ...], reason: str) -> None:
    """Remove cards for good: cut them from their files and record their ids as retired."""
    emit(commands.retire(config_of(project), card_ids, reason))


@main.command()
@project_option
@click.argument("old")
@click.argument("new")
@click.option("--notes", "notes_out", type=click.Path(dir_okay=False), help="Also write release notes (Markdown) here.")
@error_boundary
def diff(project: str | None, old: str, new: str, notes_out: str | None) -> None:
    """Cards added, changed and removed between OLD and NEW (.apkg files or git refs)."""
    emit(commands.diff(config_of(project), old, new, notes_out))


@main.command()
@project_option
@out_option
@click.option("--previous", help="What learners have: the last published release's .apkg, or its git ref (tag).")
@click.option("--first-release", is_flag=True, help="No release was ever published: every card is new.")
@click.option("--tag", help="The git tag being released; must be v<version from deck.toml> and point at HEAD.")
@click.option("--changelog", is_flag=True, help="Also put the release notes at the top of CHANGELOG.md.")
@click.option("--allow-dirty", is_flag=True, help="Release uncommitted changes (listed in manifest.json).")
@click.option("--dry-run", is_flag=True, help="Do every step and check in a temporary folder; keep nothing.")
@error_boundary
def release(project: str | None, out_dir: str | None, changelog: bool, **choices: Any) -> None:
    """Build the release: full deck, one .apkg per subdeck, SHA256SUMS, manifest.json, notes."""
    emit(commands.release(config_of(project), out_path(out_dir), choices, changelog))
