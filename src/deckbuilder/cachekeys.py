"""What a cached result depends on: the tool itself, the libraries that shape its output, and the
source (a card file's bytes, or one card's fields and position)."""

from __future__ import annotations

import hashlib
import importlib
import json
from functools import cache
from pathlib import Path

from . import __version__
from .config import DesignLimits
from .model import Card
from .render.renderer import RENDERER_VERSION

OUTPUT_LIBRARIES = ("markdown", "pymdownx", "pygments", "nh3", "genanki", "yaml")  # modules, all imported anyway


@cache
def tool_fingerprint() -> str:
    """A hash of the tool's code, assets and the libraries that shape its output.

    Any change to them (an upgraded Pygments restyles code, say) invalidates the cache.
    """
    package = Path(__file__).parent
    versions = [f"{name}={_version(name)}" for name in OUTPUT_LIBRARIES]
    digest = hashlib.sha256("\x1f".join([__version__, RENDERER_VERSION, *versions]).encode())
    for path in sorted([*package.rglob("*.py"), *package.glob("assets/*"), *package.glob("data/*")]):
        digest.update(path.relative_to(package).as_posix().encode() + b"\x1f" + path.read_bytes())
    return digest.hexdigest()


def _version(module: str) -> str:
    # The modules' own __version__: cheaper than importlib.metadata, which scans site-packages.
    return str(getattr(importlib.import_module(module), "__version__", "?"))


def card_key(card: Card) -> str:
    payload = json.dumps(
        [
            tool_fingerprint(),
            card.location.path,
            card.location.line,
            card.answer_line,
            card.back_extra_line,
            card.card_type.value,
            card.subdeck,
            card.retired_in,
            card.question,
            card.answer,
            card.back_extra,
            card.fold,
            card.fold_line,
            card.fold_label,
            [(b.language, b.is_check, b.location.line) for b in card.code_blocks],
        ],
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def source_key(relpath: str, subdeck: str, data: bytes) -> str:
    digest = hashlib.sha256("\x1f".join([tool_fingerprint(), relpath, subdeck]).encode() + b"\x1f")
    digest.update(data)
    return digest.hexdigest()


def render_key(key: str, limits: DesignLimits) -> str:
    """A card's key for its render entry, which holds its design findings too."""
    settings = [limits.recall_units, limits.code_columns, limits.near_duplicate, sorted(limits.enforce)]
    return hashlib.sha256(json.dumps([key, settings]).encode()).hexdigest()
