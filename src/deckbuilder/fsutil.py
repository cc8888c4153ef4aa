"""Reading and writing files: never half written, modes like any tool's, line endings kept."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

BOM = "\ufeff"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write(path: Path, data: bytes) -> None:
    """Write to a temporary file beside `path`, then rename it over `path`.

    The file gets the mode a plain `open()` would give it (0644 under umask 022), not the
    0600 of a temporary file.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def split_lines(text: str) -> list[str]:
    """Lines with their "\\n", split on "\\n" only (a form feed or U+2028 is text, not a break)."""
    lines = [line + "\n" for line in text.split("\n")]
    lines[-1] = lines[-1][:-1]
    return lines if lines[-1] else lines[:-1]


def normalize_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


@dataclass(frozen=True)
class TextFile:
    """A card file's text with "\\n" line ends, and how to write it back as it was."""

    text: str
    newline: str = "\n"
    bom: bool = False

    @classmethod
    def read(cls, path: Path) -> TextFile:
        raw = path.read_bytes().decode("utf-8")
        bom = raw.startswith(BOM)
        raw = raw.removeprefix(BOM)
        newline = "\r\n" if "\r\n" in raw else "\r" if "\r" in raw else "\n"
        return cls(normalize_newlines(raw), newline, bom)

    def write(self, path: Path, text: str) -> None:
        """Write `text` ("\\n" line ends) with this file's line ends and BOM."""
        body = (BOM if self.bom else "") + text.replace("\n", self.newline)
        atomic_write(path, body.encode("utf-8"))
