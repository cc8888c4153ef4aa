"""The CLI's edge: the one error boundary, printing, and the only reads of the environment.

Everything inside takes its settings as arguments; the working folder and the environment
variables are read here, and every user-facing failure becomes a message and an exit code here.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from .config import ConfigError, DeckConfig, find_root, load_config
from .errors import UsageProblem, UserError
from .output import Line
from .pipeline import Options
from .trust import default_key_dir

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
    """Print each line to its stream, then exit with `code` unless it is None."""
    for text, to_stderr in lines:
        click.echo(text, err=to_stderr)
    if code is not None:
        sys.exit(code)


def config_of(project: str | None) -> DeckConfig:
    """The deck.toml of --project, else of the working folder or its nearest parent that has one."""
    root = Path(project).resolve() if project else find_root(Path.cwd())
    if root is None:
        raise click.UsageError("no deck.toml in this folder or any parent (use --project DIR)")
    return load_config(root)


def options(no_cache: bool = False) -> Options:
    """The environment is read here only: DECKBUILDER_WORKERS, SOURCE_DATE_EPOCH and XDG_CACHE_HOME."""
    workers, epoch = os.environ.get("DECKBUILDER_WORKERS", ""), os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    count = int(workers) if workers.isdigit() and int(workers) > 0 else os.cpu_count() or 1
    xdg = Path(os.environ.get("XDG_CACHE_HOME", ""))
    return Options(
        use_cache=not no_cache,
        workers=count,
        now=int(epoch) if epoch.isdigit() else None,
        key_dir=xdg / "deckbuilder" if xdg.is_absolute() else default_key_dir(),
    )


def out_path(out_dir: str | None) -> Path | None:
    """--out as a path; an empty --out means the default folder."""
    return Path(out_dir) if out_dir else None
