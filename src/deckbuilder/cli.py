"""Command line: parse arguments, call one function per command, print, pick the exit code.

Failures, printing and the environment are handled at the edge (`edge.py`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from . import __version__, commands
from .edge import config_of, emit, error_boundary, options, out_path

project_option = click.option("--project", type=click.Path(file_okay=False), help="Project folder (holds deck.toml).")
out_option = click.option("--out", "out_dir", type=click.Path(file_okay=False), help="Output folder.")
strict_option = click.option("--strict", is_flag=True, help="Treat warnings as errors.")
no_cache_option = click.option("--no-cache", is_flag=True, help="Parse and render every card again.")


@click.group()
@click.version_option(__version__, prog_name="deckbuilder")
def main() -> None:
    """Build Anki decks from Markdown cards."""


def command(func: Callable[..., None]) -> click.Command:
    """A subcommand of `main`: --project before the options declared under it, failures caught at the edge."""
    # The options declared under `@command` survive the wrapper: functools.wraps copies __click_params__.
    return main.command()(project_option(error_boundary(func)))


@command
@strict_option
@click.option("--format", "style", type=click.Choice(["text", "json", "github"]), default="text")
@click.option("--against", "ref", help="Also fail if a card id that exists at this git ref vanished unretired.")
@no_cache_option
@click.option("--design", "notes", is_flag=True, help="Also list design notes of subdecks not yet enforced.")
def check(project: str | None, strict: bool, style: str, ref: str | None, no_cache: bool, notes: bool) -> None:
    """Parse, validate and render every card; write nothing."""
    emit(*commands.check(config_of(project), options(no_cache), ref, style, strict, notes))


@command
@out_option
@strict_option
@no_cache_option
def build(project: str | None, out_dir: str | None, strict: bool, no_cache: bool) -> None:
    """Check everything, then write OUT/<slug>-<version>.apkg (default dist/) and update the ledger."""
    emit(*commands.build_package(config_of(project), out_path(out_dir), strict, options(no_cache)))


@command
def ids(project: str | None) -> None:
    """Assign an id to every card that has none (only metadata lines change)."""
    emit(commands.assign_ids(config_of(project)))


@command
@click.option("--all", "show_all", is_flag=True, help="List every question with its card count.")
def coverage(project: str | None, show_all: bool) -> None:
    """Syllabus questions that no card answers yet."""
    emit(commands.coverage(config_of(project), show_all))


@command
def stats(project: str | None) -> None:
    """Card-design figures per subdeck: recall units, prompts, references, code width."""
    emit(commands.stats(config_of(project)))


@command
@out_option
@click.option("--mathjax", type=click.Path(), help="MathJax 3 es5 folder (default: node_modules/mathjax/es5).")
@click.option("--watch", is_flag=True, help="Keep running; rebuild whenever a card, asset or deck.toml changes.")
def preview(project: str | None, out_dir: str | None, mathjax: str | None, watch: bool) -> None:
    """Write a static, offline preview site of every card (default dist/preview/index.html)."""
    for outcome in commands.preview(config_of(project), out_path(out_dir), mathjax, watch):
        emit(*outcome)


@command
@click.argument("card_ids", nargs=-1, required=True)
@click.option("--reason", default="", help="Why the card goes (shown to learners).")
def retire(project: str | None, card_ids: tuple[str, ...], reason: str) -> None:
    """Remove cards for good: cut them from their files and record their ids as retired."""
    emit(commands.retire(config_of(project), card_ids, reason))


@command
@click.argument("old")
@click.argument("new")
@click.option("--notes", "notes_out", type=click.Path(dir_okay=False), help="Also write release notes (Markdown) here.")
def diff(project: str | None, old: str, new: str, notes_out: str | None) -> None:
    """Cards added, changed and removed between OLD and NEW (.apkg files or git refs)."""
    emit(commands.diff(config_of(project), old, new, notes_out))


@command
@out_option
@click.option("--previous", help="What learners have: the last published release's .apkg, or its git ref (tag).")
@click.option("--first-release", is_flag=True, help="No release was ever published: every card is new.")
@click.option("--tag", help="The git tag being released; must be v<version from deck.toml> and point at HEAD.")
@click.option("--changelog", is_flag=True, help="Also put the release notes at the top of CHANGELOG.md.")
@click.option("--allow-dirty", is_flag=True, help="Release uncommitted changes (listed in manifest.json).")
@click.option("--dry-run", is_flag=True, help="Do every step and check in a temporary folder; keep nothing.")
def release(project: str | None, out_dir: str | None, changelog: bool, **choices: Any) -> None:
    """Build the release: full deck, one .apkg per subdeck, SHA256SUMS, manifest.json, notes."""
    emit(commands.release(config_of(project), out_path(out_dir), choices, changelog))
