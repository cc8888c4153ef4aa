"""Deck settings from `deck.toml`, validated into a frozen record."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from .errors import UserError
from .model import Diagnostic, Location, error

CONFIG_NAME = "deck.toml"
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_VERSION = re.compile(r"^\d+\.\d+\.\d+$")
_SUBDECK_ID = re.compile(r"^[a-z0-9_]+$")
_FILE_NAME = re.compile(r"^[^/\\]+\.md$")


@dataclass(frozen=True)
class Subdeck:
    id: str
    title: str
    order: tuple[str, ...] = ()  # file names in study order; files not listed follow, by name


@dataclass(frozen=True)
class DesignLimits:
    """The card-design check's limits (`[design]` in deck.toml)."""

    recall_units: int = 150
    code_columns: int = 40
    near_duplicate: float = 0.6
    enforce: frozenset[str] = frozenset()  # subdecks whose design warnings fail --strict


@dataclass(frozen=True)
class DeckConfig:
    root: Path
    title: str
    slug: str
    version: str
    guid_namespace: str
    description: str
    subdecks: tuple[Subdeck, ...]
    design: DesignLimits = DesignLimits()
    cards_dir: str = "cards"
    syllabus: str = "syllabus/questions.yaml"

    @property
    def cards_path(self) -> Path:
        return self.root / self.cards_dir

    @property
    def syllabus_path(self) -> Path:
        return self.root / self.syllabus

    @property
    def package_name(self) -> str:
        return f"{self.slug}-{self.version}.apkg"

    def subdeck(self, subdeck_id: str) -> Subdeck | None:
        return next((s for s in self.subdecks if s.id == subdeck_id), None)

    def subdeck_name(self, subdeck_id: str) -> str:
        """Full Anki deck name; a number prefix keeps the configured order in Anki."""
        index = [s.id for s in self.subdecks].index(subdeck_id)
        return f"{self.title}::{index + 1:02d} {self.subdecks[index].title}"


class ConfigError(UserError):
    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        super().__init__("; ".join(str(d) for d in diagnostics))
        self.diagnostics = diagnostics


def find_root(start: Path) -> Path | None:
    for folder in (start, *start.parents):
        if (folder / CONFIG_NAME).is_file():
            return folder
    return None


def load_config(root: Path) -> DeckConfig:
    """Read and validate `deck.toml`; raises ConfigError with every problem found."""
    path = root / CONFIG_NAME
    where = Location(CONFIG_NAME, 0)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([error(where, "no deck.toml here or in any parent folder")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([error(where, f"cannot read config: {exc}")]) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = getattr(exc, "lineno", 0) or 0
        message = getattr(exc, "msg", str(exc))
        raise ConfigError([error(Location(CONFIG_NAME, line), f"invalid TOML: {message}")]) from None
    problems: list[Diagnostic] = []

    def at(key: str, value: object = None) -> Location:
        return Location(CONFIG_NAME, _line_of(text, key, value))

    def text_key(key: str, pattern: re.Pattern[str] | None = None) -> str:
        value = data.get(key)
        if not isinstance(value, str) or not value.strip():
            problems.append(error(at(key), f"'{key}' must be a non-empty string"))
            return ""
        if value != value.strip() or "\n" in value:
            problems.append(error(at(key), f"'{key}' has a line break or spaces at its ends"))
        if pattern and not pattern.match(value):
            problems.append(error(at(key), f"'{key}' = '{value}' has an invalid form"))
        return value

    title = text_key("title")
    if "::" in title:
        problems.append(error(at("title"), "'title' must not contain '::' (Anki's subdeck separator)"))
    slug = text_key("slug", _SLUG)
    version = text_key("version", _VERSION)
    namespace = text_key("guid_namespace")
    description = data.get("description", "")
    if not isinstance(description, str):
        problems.append(error(at("description"), "'description' must be a string"))
        description = ""
    subdecks: list[Subdeck] = []
    raw = data.get("subdecks")
    if not isinstance(raw, list) or not raw:
        problems.append(error(where, "'subdecks' must be a non-empty array of tables"))
        raw = []
    for entry in raw:
        if (
            not isinstance(entry, dict)
            or not isinstance(entry.get("id"), str)
            or not isinstance(entry.get("title"), str)
            or not _SUBDECK_ID.match(entry["id"])
        ):
            problems.append(error(where, f"subdeck {entry!r} needs an 'id' ([a-z0-9_]) and a 'title'"))
            continue
        here = at("id", entry["id"])
        if "::" in entry["title"] or entry["title"] != entry["title"].strip() or "\n" in entry["title"]:
            problems.append(
                error(at("title", entry["title"]), f"subdeck '{entry['id']}': 'title' must be one line without '::'")
            )
        if any(s.id == entry["id"] for s in subdecks):
            problems.append(error(here, f"subdeck '{entry['id']}' is listed twice"))
            continue
        order = entry.get("order", [])
        if not isinstance(order, list) or not all(isinstance(n, str) and _FILE_NAME.match(n) for n in order):
            problems.append(
                error(here, f"subdeck '{entry['id']}': 'order' must be a list of file names such as 'intro.md'")
            )
            order = []
        elif len(set(order)) != len(order):
            problems.append(error(here, f"subdeck '{entry['id']}': a file is listed twice in 'order'"))
        for key in sorted(set(entry) - {"id", "title", "order"}):
            problems.append(error(here, f"subdeck '{entry['id']}': unknown key '{key}'"))
        subdecks.append(Subdeck(entry["id"], entry["title"], tuple(order)))
    design = _design(data.get("design", {}), {s.id for s in subdecks}, problems, text)
    known = {"title", "slug", "version", "guid_namespace", "description", "subdecks", "design"}
    for key in sorted(set(data) - known):
        problems.append(error(at(key), f"unknown key '{key}'"))
    if problems:
        raise ConfigError(problems)
    return DeckConfig(
        root=root,
        title=title,
        slug=slug,
        version=version,
        guid_namespace=namespace,
        description=description,
        subdecks=tuple(subdecks),
        design=design,
    )


def _design(raw: object, subdecks: set[str], problems: list[Diagnostic], text: str) -> DesignLimits:
    where = Location(
        CONFIG_NAME, next((n for n, line in enumerate(text.split("\n"), 1) if line.strip() == "[design]"), 0)
    )

    def at(key: str) -> Location:
        return Location(CONFIG_NAME, _line_of(text, key) or where.line)

    if not isinstance(raw, dict):
        problems.append(error(where, "'design' must be a table"))
        return DesignLimits()
    defaults = DesignLimits()
    values: dict[str, int | float] = {}
    for key, low, high in (("recall_units", 20, 2000), ("code_columns", 20, 200)):
        value = raw.get(key, getattr(defaults, key))
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            problems.append(error(at(key), f"design.{key} must be a whole number from {low} to {high}"))
            value = getattr(defaults, key)
        values[key] = value
    similarity = raw.get("near_duplicate", defaults.near_duplicate)
    if not isinstance(similarity, int | float) or isinstance(similarity, bool) or not 0.2 <= similarity <= 1:
        problems.append(error(at("near_duplicate"), "design.near_duplicate must be a number from 0.2 to 1"))
        similarity = defaults.near_duplicate
    enforce = raw.get("enforce", [])
    if enforce == "all":
        enforce = sorted(subdecks)
    if not isinstance(enforce, list) or not all(isinstance(s, str) for s in enforce):
        problems.append(error(at("enforce"), 'design.enforce must be a list of subdeck ids, or "all"'))
        enforce = []
    for unknown in sorted(set(enforce) - subdecks):
        problems.append(error(at("enforce"), f"design.enforce names '{unknown}', which is not a subdeck"))
    for key in sorted(set(raw) - {"recall_units", "code_columns", "near_duplicate", "enforce"}):
        problems.append(error(at(key), f"unknown key 'design.{key}'"))
    return DesignLimits(int(values["recall_units"]), int(values["code_columns"]), float(similarity), frozenset(enforce))


def _line_of(text: str, key: str, value: object = None) -> int:
    """The line of deck.toml where `key` is set (to `value`, if given); 0 when not found."""
    pattern = re.compile(rf"^\s*{re.escape(key)}\s*=\s*(.*)$")
    for number, line in enumerate(text.split("\n"), 1):
        m = pattern.match(line)
        if m and (value is None or str(value) in m.group(1)):
            return number
    return 0
