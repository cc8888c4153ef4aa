"""Release guard rails: the version must go up, by at least as much as the changes need."""

from __future__ import annotations

import re
from enum import IntEnum

from ..errors import ReleaseError
from .diff import DeckDiff
from .snapshot import NoteRecord

VERSION = re.compile(r"(\d+)\.(\d+)\.(\d+)")
TAG = re.compile(r"v(\d+\.\d+\.\d+)")
NAMED = 5  # cards named in a refusal; the rest are counted


class Bump(IntEnum):
    NONE = 0
    PATCH = 1
    MINOR = 2
    MAJOR = 3


def parse_version(text: str) -> tuple[int, int, int]:
    m = VERSION.fullmatch(text)
    if m is None:
        raise ReleaseError(f"'{text}' is not a version of the form X.Y.Z")
    return int(m.group(1)), int(m.group(2)), int(m.group(3))


def bump_of(old: str, new: str) -> Bump:
    """How far `new` is above `old` (NONE when it is not above it)."""
    a, b = parse_version(old), parse_version(new)
    if b <= a:
        return Bump.NONE
    return Bump.MAJOR if b[0] > a[0] else Bump.MINOR if b[1] > a[1] else Bump.PATCH


def smallest(old: str, bump: Bump) -> str:
    major, minor, patch = parse_version(old)
    if bump is Bump.MAJOR:
        return f"{major + 1}.0.0"
    return f"{major}.{minor + 1}.0" if bump is Bump.MINOR else f"{major}.{minor}.{patch + 1}"


def _named(kind: str, notes: list[NoteRecord]) -> list[str]:
    shown = [f"{kind} card '{n.card_id or n.guid}' ({n.question})" for n in notes[:NAMED]]
    if len(notes) > NAMED:
        shown.append(f"{len(notes) - NAMED} more {kind} card(s)")
    return shown


def needed(result: DeckDiff) -> tuple[Bump, list[str]]:
    """The smallest bump the changes need, and what needs it (README: Releases and versions)."""
    if result.notetype_changes:
        return Bump.MAJOR, [f"note type change {c}" for c in result.notetype_changes]
    minor = _named("new", result.added) + _named("retired", result.removed) + _named("vanished", result.dropped)
    if minor:
        return Bump.MINOR, minor
    return (Bump.PATCH, []) if not result.empty else (Bump.NONE, [])


def check_version(old: str, new: str, result: DeckDiff, dry_run: bool = False) -> None:
    """Refuse a version that is not above `old`, or a bump smaller than the changes need."""
    bump = bump_of(old, new)
    if bump is Bump.NONE:
        if dry_run and old == new and result.empty:
            return  # CI right after a release: nothing changed since the published package
        raise ReleaseError(
            f"version {new} (deck.toml) is not above the previous release v{old}: "
            f"bump version in deck.toml (to {smallest(old, max(needed(result)[0], Bump.PATCH))} or later)"
        )
    need, reasons = needed(result)
    if bump < need:
        raise ReleaseError(
            f"v{new} is a {bump.name.lower()} release after v{old}, but the changes need a {need.name.lower()} one "
            f"(v{smallest(old, need)} or later): " + "; ".join(reasons)
        )
