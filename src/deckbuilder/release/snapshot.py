"""What a built package holds, read back from the `.apkg` (or built from a git ref)."""

from __future__ import annotations

import html
import json
import re
import sqlite3
import subprocess
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from ..apkg.retired import REMOVED_TAG
from ..config import ConfigError, load_config
from ..errors import SnapshotError

VERSION_IN_DESCRIPTION = re.compile(r"v(\d+\.\d+\.\d+)")
QUESTION_DIV = re.compile(r'<div class="q">(.*?)</div>', re.S)
SOURCE_ID = re.compile(r"<code>([^<]*)</code>")
# Math as the renderer wraps it for Anki's MathJax, and inline code: the pieces notes keep.
PIECES = re.compile(r'(<(span|div) class="arithmatex">.*?</\2>|<code[^>]*>.*?</code>)', re.S)
# `_` inside a word (clip_grad_norm) is never emphasis on GitHub: only escape it at a word's edge.
MARKDOWN_SPECIAL = re.compile(r"([\\`*\[\]$]|(?<![0-9A-Za-z])_|_(?![0-9A-Za-z]))")


@dataclass(frozen=True)
class NoteRecord:
    guid: str
    deck: str
    notetype: str
    fields: tuple[str, ...]
    tags: tuple[str, ...]
    mod: int

    @property
    def content(self) -> tuple[str, ...]:
        """The fields a learner studies (Source, the last field, only says where it came from)."""
        return self.fields[:-1]

    @property
    def removed(self) -> bool:
        return REMOVED_TAG in self.tags

    @property
    def subdeck(self) -> str:
        return self.deck.split("::")[-1]

    @property
    def question(self) -> str:
        first = self.fields[0]
        if m := QUESTION_DIV.search(first):
            first = m.group(1)
        text = html.unescape(re.sub(r"<[^>]+>", "", first))
        return re.sub(r"\s+", " ", text).strip().removeprefix("【已删除】")

    @property
    def question_markdown(self) -> str:
        """The question for Markdown on GitHub: math as `$…$`/`$$…$$`, code in backticks."""
        first = self.fields[0]
        if m := QUESTION_DIV.search(first):
            first = m.group(1)
        return inline_markdown(first).removeprefix("【已删除】")

    @property
    def card_id(self) -> str:
        """The card's id, from the Source field's footer (empty if it has none)."""
        m = SOURCE_ID.search(self.fields[-1])
        return html.unescape(m.group(1)) if m else ""


def _plain(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", fragment))


def inline_markdown(fragment: str) -> str:
    """Rendered inline HTML back to Markdown a reader can read on GitHub (which renders `$…$`)."""
    out: list[str] = []
    for index, part in enumerate(PIECES.split(fragment)):
        if index % 3 == 2:  # the tag name captured by the inner group
            continue
        if index % 3 == 0:
            text = re.sub(r"\s+", " ", _plain(part))
            out.append(MARKDOWN_SPECIAL.sub(r"\\\1", text).replace("<", "&lt;"))
        elif part.startswith("<code"):
            code = _plain(part)
            fence = "`" * (max((len(run) for run in re.findall(r"`+", code)), default=0) + 1)
            pad = " " if code.startswith("`") or code.endswith("`") else ""
            out.append(f"{fence}{pad}{code}{pad}{fence}")
        else:
            math = _plain(part).strip()
            if math.startswith("\\[") and math.endswith("\\]"):
                out.append(f"$${math[2:-2].strip()}$$")
            elif math.startswith("\\(") and math.endswith("\\)"):
                out.append(f"${math[2:-2].strip()}$")
            else:
                out.append(math)
    return "".join(out).strip()


@dataclass(frozen=True)
class Snapshot:
    title: str
    version: str
    notes: dict[str, NoteRecord]
    notetypes: dict[int, tuple[str, tuple[str, ...]]]  # id -> (name, field names)


def read_apkg(path: Path) -> Snapshot:
    try:
        with zipfile.ZipFile(path) as archive:
            database = archive.read("collection.anki2")
    except (OSError, zipfile.BadZipFile, KeyError) as exc:
        raise SnapshotError(f"{path}: not a readable .apkg ({exc})") from None
    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "collection.anki2"
        db_path.write_bytes(database)
        conn = sqlite3.connect(db_path)
        try:
            models_json, decks_json = conn.execute("select models, decks from col").fetchone()
            rows = conn.execute(
                "select n.guid, n.mid, n.flds, n.tags, n.mod, min(c.did) from notes n join cards c on c.nid = n.id "
                "group by n.id"
            ).fetchall()
        except sqlite3.Error as exc:
            raise SnapshotError(f"{path}: not an Anki collection ({exc})") from None
        finally:
            conn.close()
    models = json.loads(models_json)
    decks = {int(k): v for k, v in json.loads(decks_json).items()}
    notetypes = {int(k): (m["name"], tuple(f["name"] for f in m["flds"])) for k, m in models.items()}
    notes = {
        guid: NoteRecord(
            guid, decks[did]["name"], notetypes[mid][0], tuple(flds.split("\x1f")), tuple(tags.split()), mod
        )
        for guid, mid, flds, tags, mod, did in rows
    }
    roots = [d for d in decks.values() if "::" not in d["name"] and d["name"] != "Default"]
    title = roots[0]["name"] if roots else ""
    version = m.group(1) if roots and (m := VERSION_IN_DESCRIPTION.search(roots[0].get("desc", ""))) else ""
    return Snapshot(title, version, notes, notetypes)


def export_ref(repo: Path, ref: str, target: Path) -> None:
    """Write the tree of a git ref into `target` (no checkout, no history needed beyond the ref)."""
    try:
        archive = subprocess.run(
            ["git", "-C", str(repo), "archive", "--format=tar", ref], capture_output=True, check=True
        ).stdout
    except FileNotFoundError:
        raise SnapshotError("git is not installed") from None
    except subprocess.CalledProcessError as exc:
        message = exc.stderr.decode(errors="replace").strip().splitlines()
        raise SnapshotError(
            f"cannot read git ref '{ref}': {message[-1] if message else 'git archive failed'}"
        ) from None
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(target, filter="data")


def snapshot_of(source: str, repo: Path) -> Snapshot:
    """A snapshot from an `.apkg` path, or from a git ref built with the current tool."""
    from ..apkg.releases import released
    from ..pipeline import Options, build

    if source.endswith(".apkg") or Path(source).is_file():
        return read_apkg(Path(source))
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "tree"
        export_ref(repo, source, tree)
        try:
            config = load_config(tree)
        except ConfigError as exc:
            raise SnapshotError(f"ref '{source}': {exc}") from None
        # built as the repository would build it: with its releases (tags), not the bare tree's
        package, report = build(
            config, Path(tmp) / "out", update_ledger=False, options=Options(releases=released(repo))
        )
        if package is None:
            first = report.errors()[0] if report.errors() else "unknown error"
            raise SnapshotError(f"ref '{source}' does not build: {first}")
        return read_apkg(package)
