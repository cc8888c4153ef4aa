"""Retired card ids: never reused, and shipped as notices so learners can find removed cards.

An `.apkg` import never deletes a note. So a removed card is not dropped from the package: its
note is sent once more with the same GUID, its text saying it was removed in which version,
tagged `removed` and `removed::v<version>`, placed after every real card in the new-card order.
One search in the browser (`tag:removed`) then finds every such card to delete or suspend. (An
`.apkg` import resets scheduling, so the notices cannot arrive suspended.)
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from pathlib import Path

from ..config import DeckConfig
from ..fsutil import TextFile, split_lines
from ..model import Card, CardType, Diagnostic, Location, RenderedCard, error
from ..render.texguard import forbidden_tex
from ..source.decode import CONTROL
from .ledger import VERSION, Ledger

RETIRED_NAME = "retired.json"
RETIRED_FORMAT = 1
REMOVED_TAG = "removed"


@dataclass(frozen=True)
class Retired:
    id: str
    version: str
    subdeck: str
    question: str
    reason: str
    card_type: str = "basic"  # a notice must keep the note type, or Anki sees a conflict


def retired_path(config: DeckConfig) -> tuple[Path, str]:
    return config.cards_path / RETIRED_NAME, f"{config.cards_dir}/{RETIRED_NAME}"


def load_retired(path: Path, relpath: str) -> tuple[dict[str, Retired], list[Diagnostic]]:
    """A missing file is an empty list; a corrupt one is an error, never silently emptied."""
    if not path.exists():
        return {}, []
    where = Location(relpath, 0)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        return {}, [error(where, f"cannot read the retired ids: {exc}")]
    except json.JSONDecodeError as exc:
        return {}, [error(Location(relpath, exc.lineno), f"retired ids are not valid JSON: {exc.msg}")]
    except RecursionError:
        return {}, [error(where, "retired ids are nested too deeply")]
    if not isinstance(data, dict) or data.get("format") != RETIRED_FORMAT or not isinstance(data.get("retired"), dict):
        return {}, [error(where, f'retired ids must be an object with "format": {RETIRED_FORMAT} and "retired"')]
    retired: dict[str, Retired] = {}
    problems: list[Diagnostic] = []
    for card_id, entry in data["retired"].items():
        keys = ("version", "subdeck", "question", "reason")
        if (
            isinstance(entry, dict)
            and all(isinstance(entry.get(k), str) for k in keys)
            and VERSION.match(entry["version"]) is not None
            and entry.get("card_type", "basic") in ("basic", "cloze")
        ):
            retired[card_id] = Retired(
                card_id,
                version=entry["version"],
                subdeck=entry["subdeck"],
                question=entry["question"],
                reason=entry["reason"],
                card_type=entry.get("card_type", "basic"),
            )
        else:
            problems.append(
                error(where, f"retired entry '{card_id}' needs {', '.join(keys)} (strings; version as X.Y.Z)")
            )
            continue
        problems += [
            error(where, f"retired entry '{card_id}': {message}") for message in text_problems(retired[card_id])
        ]
    return retired, problems


def text_problems(entry: Retired) -> list[str]:
    """The notice shows the question and reason to learners: no control characters, no TeX that
    Anki's MathJax would turn into links or styles."""
    found: list[str] = []
    for name, value in (("question", entry.question), ("reason", entry.reason)):
        if m := CONTROL.search(value):
            found.append(f"{name} holds control character U+{ord(m.group(0)):04X}")
        found += [f"{name}: {message}" for _, message in forbidden_tex(value)]
    return found


def retired_json(retired: dict[str, Retired]) -> str:
    table = {
        r.id: {
            "version": r.version,
            "subdeck": r.subdeck,
            "question": r.question,
            "reason": r.reason,
            "card_type": r.card_type,
        }
        for r in sorted(retired.values(), key=lambda r: r.id)
    }
    return json.dumps({"format": RETIRED_FORMAT, "retired": table}, ensure_ascii=False, indent=1) + "\n"


def check_reuse(cards: list[Card], retired: dict[str, Retired]) -> list[Diagnostic]:
    return [
        error(card.location, f"card id '{card.id}' was retired in v{retired[card.id].version} and must never be reused")
        for card in cards
        if card.id in retired
    ]


def notice(config: DeckConfig, entry: Retired, relpath: str) -> RenderedCard:
    """The note that replaces a removed card in the package."""
    subdeck = entry.subdeck if config.subdeck(entry.subdeck) else config.subdecks[0].id
    card = Card(
        id=entry.id,
        subdeck=subdeck,
        card_type=CardType(entry.card_type),
        question=entry.question,
        answer="",
        back_extra="",
        syllabus=(),
        tags=(REMOVED_TAG, f"{REMOVED_TAG}::v{entry.version}"),
        location=Location(relpath, 0),
        answer_line=0,
        retired_in=entry.version,
    )
    reason = f"原因：{html.escape(entry.reason)}" if entry.reason else ""
    answer = (
        f"<p><strong>这张卡已在 v{html.escape(entry.version)} 中删除。</strong>{reason}</p>\n"
        f"<p>在浏览器中搜索 <code>tag:{REMOVED_TAG}</code> 可一次找到所有已删除的卡片，"
        "然后删除（笔记 → 删除）或暂停。</p>"
    )
    if card.card_type is CardType.CLOZE:  # a cloze note needs a deletion to keep a card
        answer += "\n<p>{{c1::已删除}}</p>"
    return RenderedCard(card, f"【已删除】{html.escape(entry.question)}", answer, "")


def remove_card(root: Path, card: Card, next_line: int | None) -> None:
    """Cut a card's lines (heading to the next card or the end) out of its file."""
    path = root / card.location.path
    source = TextFile.read(path)
    lines = split_lines(source.text)
    end = (next_line - 1) if next_line else len(lines)
    del lines[card.location.line - 1 : end]
    source.write(path, "".join(lines))


def plain_question(markdown_text: str) -> str:
    """The question as plain text (math and code kept as written)."""
    return re.sub(r"\s+", " ", markdown_text).strip()


def check_shipped(cards: list[Card], retired: dict[str, Retired], ledger: Ledger, where: Location) -> list[Diagnostic]:
    """Ids the committed ledger knows (they reached learners) never vanish or change note type."""
    now = {card.id: card for card in cards}
    problems: list[Diagnostic] = []
    for card_id, entry in sorted(ledger.cards.items()):
        card = now.get(card_id)
        if card is None and card_id not in retired:
            problems.append(
                error(
                    where,
                    f"card id '{card_id}' is in the ledger (it was shipped) and is gone without being retired; "
                    f"restore it, or remove it with 'deckbuilder retire {card_id}'",
                )
            )
        elif card is not None and entry.type and entry.type != card.card_type.value:
            problems.append(
                error(
                    card.location,
                    f"card '{card_id}' shipped as a {entry.type} note; Anki cannot change a note's type on import: "
                    f"keep it {entry.type}, or retire '{card_id}' and give the {card.card_type.value} card a new id",
                )
            )
    return problems
