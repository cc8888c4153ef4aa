"""Give every card without an id a fresh one, touching only its metadata line."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from .fsutil import TextFile, split_lines
from .model import Card
from .source.parse import METADATA

ID_IN_METADATA = re.compile(r"(^|;)\s*id\s*:")


def new_id(card: Card, taken: set[str]) -> str:
    stem = card.subdeck.replace("_", "-")
    seed = f"{card.location.path}\x1f{card.question}"
    for attempt in range(1000):
        digest = hashlib.sha256(f"{seed}\x1f{attempt}".encode()).hexdigest()[:8]
        candidate = f"{stem}-{digest}"
        if candidate not in taken:
            return candidate
    raise RuntimeError("could not find a free card id")  # 1000 collisions of 32-bit hashes


def assign_ids(root: Path, cards: list[Card]) -> dict[str, list[tuple[int, str]]]:
    """Write ids into the files; returns {relpath: [(line, id), ...]} of what was assigned."""
    taken = {c.id for c in cards if c.id}
    assigned: dict[str, list[tuple[int, str]]] = {}
    for card in cards:
        if card.id:
            continue
        card_id = new_id(card, taken)
        taken.add(card_id)
        assigned.setdefault(card.location.path, []).append((card.location.line, card_id))
    for relpath, items in assigned.items():
        path = root / relpath
        source = TextFile.read(path)
        lines = split_lines(source.text)
        # Bottom-up, so that inserted lines do not shift the headings still to do.
        for heading_line, card_id in sorted(items, reverse=True):
            after = heading_line  # index of the line after the heading
            if after < len(lines) and (m := METADATA.match(lines[after].rstrip("\r\n"))):
                body = m.group("body").strip()
                if not ID_IN_METADATA.search(body):
                    lines[after] = f"<!-- id: {card_id}" + (f"; {body}" if body else "") + " -->\n"
            else:
                lines.insert(after, f"<!-- id: {card_id} -->\n")
        source.write(path, "".join(lines))
    return assigned
