"""The committed ledger: for every card id, the hash of its content and when it last changed.

A note's mod time must change exactly when its content does: unchanged notes keep their time
(a release never overwrites a learner's edits), changed notes get a newer one (fixes arrive).
Git history cannot tell this in a shallow CI clone, so `build` keeps it in a file.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from ..model import Diagnostic, Location, error

LEDGER_NAME = "ledger.json"
LEDGER_FORMAT = 1
MAX_MOD = 4_102_444_800  # 2100-01-01: Anki's note ids are milliseconds, and sqlite integers have 63 bits
VERSION = re.compile(r"^\d{1,6}\.\d{1,6}\.\d{1,6}$")


@dataclass(frozen=True)
class Entry:
    hash: str
    mod: int
    version: str
    type: str = ""  # the note type a card shipped as ("basic", "cloze"); Anki cannot change it later


@dataclass(frozen=True)
class Ledger:
    cards: dict[str, Entry]
    notetypes: dict[str, Entry]

    def stamp(self, key: str, digest: str, now: int, version: str, notetype: bool = False, kind: str = "") -> Entry:
        """The entry for content `digest`: kept if unchanged, else newer than before."""
        table = self.notetypes if notetype else self.cards
        old = table.get(key)
        if old is not None and old.hash == digest:
            return old if old.type == kind else Entry(old.hash, old.mod, old.version, kind)
        mod = now if old is None else max(now, old.mod + 1)
        return Entry(digest, mod, version, kind)

    def to_json(self) -> str:
        def table(entries: dict[str, Entry]) -> dict[str, dict[str, object]]:
            return {
                k: {"hash": e.hash, "mod": e.mod, "version": e.version, **({"type": e.type} if e.type else {})}
                for k, e in sorted(entries.items())
            }

        data = {"format": LEDGER_FORMAT, "notetypes": table(self.notetypes), "cards": table(self.cards)}
        return json.dumps(data, ensure_ascii=False, indent=1) + "\n"


def load_ledger(path: Path, relpath: str) -> tuple[Ledger, list[Diagnostic]]:
    """A missing ledger is empty; a corrupt one is an error, never silently reset."""
    if not path.exists():
        return Ledger({}, {}), []
    where = Location(relpath, 0)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        return Ledger({}, {}), [error(where, f"cannot read ledger: {exc}")]
    except json.JSONDecodeError as exc:
        return Ledger({}, {}), [error(Location(relpath, exc.lineno), f"ledger is not valid JSON: {exc.msg}")]
    except RecursionError:
        return Ledger({}, {}), [error(where, "ledger is nested too deeply to be a ledger")]
    problems: list[Diagnostic] = []
    if not isinstance(data, dict) or data.get("format") != LEDGER_FORMAT:
        return Ledger({}, {}), [error(where, f'ledger must be an object with "format": {LEDGER_FORMAT}')]

    def table(name: str) -> dict[str, Entry]:
        raw = data.get(name, {})
        entries: dict[str, Entry] = {}
        if not isinstance(raw, dict):
            problems.append(error(where, f"ledger '{name}' must be an object"))
            return entries
        for key, value in raw.items():
            if (
                isinstance(value, dict)
                and isinstance(value.get("hash"), str)
                and isinstance(value.get("mod"), int)
                and not isinstance(value["mod"], bool)
                and 0 < value["mod"] < MAX_MOD
                and isinstance(value.get("version"), str)
                and VERSION.match(value["version"]) is not None
                and value.get("type", "") in ("", "basic", "cloze")
            ):
                entries[key] = Entry(value["hash"], value["mod"], value["version"], value.get("type", ""))
            else:
                problems.append(
                    error(
                        where,
                        f"ledger entry {name}.{key} needs 'hash' (string), 'mod' (seconds since 1970, before 2100) "
                        "and 'version' (X.Y.Z)"
                        " (and an optional 'type': basic or cloze)",
                    )
                )
        return entries

    ledger = Ledger(table("cards"), table("notetypes"))
    return ledger, problems
