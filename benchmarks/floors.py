"""The two floors every build figure is compared with, each timed inside its own process.

    python benchmarks/floors.py render N SEED RENDERED_JSON
    python benchmarks/floors.py package RENDERED_JSON OUT_APKG

`render`: the generated corpus's answers through one Python-Markdown instance (tables,
sane_lists, pymdownx superfences + highlight with Pygments + arithmatex generic), reset before
each answer, in one process: what rendering costs with no parsing, checking, caching or
packaging around it. The HTML is saved for `package`.
`package`: those pre-rendered notes (question, answer, source) as one genanki package with a
subdeck per folder, written to a file: what packaging costs with no rendering.

Only the loop is timed (not the imports, the corpus or the JSON); the result is one JSON line
on stdout. The extension list is spelled out here rather than imported from deckbuilder, so a
change in the tool cannot move its own floor.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from pathlib import Path
from typing import Any

from generate import SUBDECKS, make_corpus

EXTENSIONS = ["tables", "sane_lists", "pymdownx.superfences", "pymdownx.highlight", "pymdownx.arithmatex"]
EXTENSION_CONFIGS: dict[str, dict[str, Any]] = {
    "pymdownx.highlight": {"use_pygments": True, "css_class": "highlight", "guess_lang": False},
    "pymdownx.arithmatex": {"generic": True},
}


def render_floor(n: int, seed: int, rendered_json: Path) -> dict[str, Any]:
    import markdown

    cards = [(f.subdeck, card) for f in make_corpus(n, seed) for card in f.cards]
    md = markdown.Markdown(extensions=EXTENSIONS, extension_configs=EXTENSION_CONFIGS)
    start, cpu = time.perf_counter(), time.process_time()
    answers = []
    for _, card in cards:
        md.reset()
        answers.append(md.convert(card.answer))
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    notes = [
        {"id": card.id, "subdeck": subdeck, "question": card.question, "answer": answer, "tags": list(card.tags)}
        for (subdeck, card), answer in zip(cards, answers, strict=True)
    ]
    rendered_json.write_text(json.dumps(notes, ensure_ascii=False), encoding="utf-8")
    return {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "cards": len(cards),
        "html_bytes": sum(len(a.encode()) for a in answers),
    }


def stable_id(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:6], "big") | (1 << 40)


def package_floor(rendered_json: Path, out: Path) -> dict[str, Any]:
    import genanki

    notes = json.loads(rendered_json.read_text(encoding="utf-8"))
    start, cpu = time.perf_counter(), time.process_time()
    model = genanki.Model(
        stable_id("floor-model"),
        "floor basic",
        fields=[{"name": "Question"}, {"name": "Answer"}, {"name": "Source"}],
        templates=[{"name": "Card 1", "qfmt": "{{Question}}", "afmt": "{{FrontSide}}<hr id=answer>{{Answer}}"}],
    )
    decks = {sub: genanki.Deck(stable_id(f"floor-{sub}"), f"floor::{title}") for sub, title in SUBDECKS}
    for note in notes:
        fields = [note["question"], note["answer"], note["id"]]
        guid = genanki.guid_for("floor", note["id"])
        decks[note["subdeck"]].add_note(genanki.Note(model=model, fields=fields, tags=note["tags"], guid=guid))
    genanki.Package(list(decks.values())).write_to_file(str(out))
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {"seconds": seconds, "cpu_seconds": cpu, "cards": len(notes), "apkg_bytes": out.stat().st_size}


def main(argv: list[str]) -> None:
    if len(argv) == 4 and argv[0] == "render":
        result = render_floor(int(argv[1]), int(argv[2]), Path(argv[3]))
    elif len(argv) == 3 and argv[0] == "package":
        result = package_floor(Path(argv[1]), Path(argv[2]))
    else:
        sys.exit(__doc__)
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
