"""The real deck: clean under --strict, every syllabus id known, builds and imports into Anki."""

from __future__ import annotations

from pathlib import Path

from anki_support import import_package, open_collection
from deckbuilder.config import load_config
from deckbuilder.pipeline import Options, build, gather
from deckbuilder.render.sanitize import _plain_text, parsed_findings, unsafe_html

ROOT = Path(__file__).resolve().parents[2]


def test_real_deck_is_strict_clean() -> None:
    report = gather(load_config(ROOT), Options(use_cache=False)).report
    assert [str(d) for d in report.errors(strict=True)] == []
    assert len(report.cards) > 0
    # the shipped HTML takes the check's parser-free path, and that path agrees with the parser
    fields = [f for r in report.rendered for f in (r.question_html, r.answer_html, r.back_extra_html) if f]
    assert all(unsafe_html(f) == parsed_findings(f) for f in fields)
    assert sum(_plain_text(f) is not None for f in fields) > len(fields) // 2


def test_real_deck_builds_and_imports(tmp_path: Path) -> None:
    config = load_config(ROOT)
    package, report = build(config, tmp_path, update_ledger=False)
    assert package is not None
    notices = gather(config).notices  # removal notices, for ids a published release carried
    col = open_collection(tmp_path / "anki")
    try:
        log = import_package(col, package)
        assert len(log.new) == len(report.cards) + len(notices)
        assert len(log.conflicting) == 0
        for cid in col.find_cards(""):
            output = col.get_card(cid).render_output()
            assert output.question_text.strip() and output.answer_text.strip()
    finally:
        col.close()


def test_committed_ledger_is_current() -> None:
    """A build of the committed sources must not need to change the committed ledger."""
    from deckbuilder.apkg.ledger import load_ledger
    from deckbuilder.pipeline import ledger_path, stamp

    config = load_config(ROOT)
    project = gather(config)
    path, rel = ledger_path(config)
    ledger, problems = load_ledger(path, rel)
    assert problems == []
    stamped = stamp(project, now=2**31)
    stale = [cid for cid, entry in stamped.ledger.cards.items() if ledger.cards.get(cid) != entry]
    assert stale == [], "run 'deckbuilder build' and commit cards/ledger.json"
