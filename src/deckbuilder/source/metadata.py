"""A card's metadata comment and a file's front matter, validated into records."""

from __future__ import annotations

import re
from dataclasses import dataclass

import yaml

from ..model import CardType, Diagnostic, Location, error

CARD_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
SYLLABUS_ID = re.compile(r"^Q\d{3}$")
TAG = re.compile(r"^[A-Za-z0-9_:\-]+$")
METADATA_KEYS = ("id", "syllabus", "tags", "type")


@dataclass(frozen=True)
class Metadata:
    id: str = ""
    syllabus: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    card_type: CardType = CardType.BASIC


def parse_metadata(body: str, where: Location) -> tuple[Metadata, list[Diagnostic]]:
    """Parse `id: x; syllabus: Q001 Q002; tags: a b; type: cloze`."""
    problems: list[Diagnostic] = []
    values: dict[str, str] = {}
    for part in body.split(";"):
        if not part.strip():
            continue
        key, colon, value = part.partition(":")
        key = key.strip()
        if not colon or key not in METADATA_KEYS:
            problems.append(error(where, f"unknown metadata entry {part.strip()!r} (keys: {', '.join(METADATA_KEYS)})"))
            continue
        if key in values:
            problems.append(error(where, f"metadata key '{key}' given twice"))
        values[key] = value.strip()
    card_id = values.get("id", "")
    if card_id and not CARD_ID.match(card_id):
        problems.append(error(where, f"card id {card_id!r} must be lower-case kebab case [a-z0-9-]"))
    syllabus = tuple(re.split(r"[\s,]+", values.get("syllabus", "").strip())) if values.get("syllabus") else ()
    for item in syllabus:
        if not SYLLABUS_ID.match(item):
            problems.append(error(where, f"syllabus id {item!r} must look like Q001"))
    tags = tuple(values.get("tags", "").split())
    for tag in tags:
        if not TAG.match(tag):
            problems.append(error(where, f"tag {tag!r} may only hold letters, digits, '_', ':' and '-'"))
    type_name = values.get("type", "basic")
    try:
        card_type = CardType(type_name)
    except ValueError:
        problems.append(error(where, f"card type {type_name!r} must be 'basic' or 'cloze'"))
        card_type = CardType.BASIC
    return Metadata(card_id, syllabus, tags, card_type), problems


def front_matter(lines: list[str], where: str) -> tuple[int, tuple[str, ...], list[Diagnostic]]:
    """Return (first line after the front matter, file tags, problems)."""
    if not lines or lines[0].rstrip() != "---":
        return 0, (), []
    for end in range(1, len(lines)):
        if lines[end].rstrip() in ("---", "..."):
            break
    else:
        return len(lines), (), [error(Location(where, 1), "front matter is not closed by '---'")]
    try:
        data = yaml.safe_load("".join(lines[1:end]))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = 2 + mark.line if mark is not None else 1
        return end + 1, (), [error(Location(where, line), f"invalid front matter: {getattr(exc, 'problem', exc)}")]
    if data is None:
        return end + 1, (), []
    if not isinstance(data, dict):
        return end + 1, (), [error(Location(where, 1), "front matter must be a mapping such as 'tags: [a, b]'")]
    problems = [
        error(Location(where, 1), f"unknown front matter key {k!r} (allowed: tags)") for k in data if k != "tags"
    ]
    raw = data.get("tags", [])
    if isinstance(raw, str):
        raw = raw.split()
    if not isinstance(raw, list) or not all(isinstance(t, str) and TAG.match(t) for t in raw):
        problems.append(error(Location(where, 1), "front matter 'tags' must be a list of tags [A-Za-z0-9_:-]"))
        raw = []
    return end + 1, tuple(raw), problems
