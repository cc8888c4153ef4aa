"""The `deckbuilder` command's entry point. It imports the CLI only when called: render workers
start by spawn, which re-runs the command's script in each worker, and a worker needs the render
stage, not the whole CLI."""

from __future__ import annotations


def main() -> None:
    from .cli import main as cli

    cli()
