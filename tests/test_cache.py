"""The render cache and parallel rendering never change the output."""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import PNG_1X1, MakeProject
from deckbuilder.cache import CACHE_DIR, CACHE_NAME
from deckbuilder.trust import load_key, sign


def build(root: Path, out: Path, *extra: str, workers: str = "1") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1700000000", "DECKBUILDER_WORKERS": workers}
    return subprocess.run(
        [sys.executable, "-m", "deckbuilder", "build", "--project", str(root), "--out", str(out), *extra],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


def many_cards(make_project: MakeProject, n: int = 700) -> Path:
    body = "".join(
        f"## 第 {i} 题：$\\sqrt{{d_{{{i}}}}}$ 的含义？\n<!-- id: many-{i} -->\n\n**要点**\n- 点积 $q\\cdot k$ 的方差是 $d_k$\n"
        + (f"```python\nimport math\nprint(math.sqrt({i}))\n```\n" if i % 3 == 0 else "")
        + ("![点](../../assets/dot.png)\n" if i % 50 == 0 else "")
        + "\n"
        for i in range(n)
    )
    return make_project({"cards/more/many.md": body})


def package(out: Path) -> bytes:
    return (out / "mini-1.0.0.apkg").read_bytes()


def test_cached_parallel_and_serial_builds_are_byte_identical(make_project: MakeProject, tmp_path: Path) -> None:
    root = many_cards(make_project)
    assert build(root, tmp_path / "serial", "--no-cache").returncode == 0
    serial = package(tmp_path / "serial")
    assert not (root / CACHE_DIR).exists()
    assert build(root, tmp_path / "parallel", workers="2").returncode == 0  # cold, 2 processes, fills the cache
    assert package(tmp_path / "parallel") == serial
    (root / CACHE_DIR / "last-build.json").unlink()
    assert build(root, tmp_path / "cached").returncode == 0  # every card from the cache
    assert package(tmp_path / "cached") == serial


def test_corrupt_entries_and_files_are_rebuilt_never_trusted(make_project: MakeProject, tmp_path: Path) -> None:
    root = many_cards(make_project, 50)
    assert build(root, tmp_path / "cold", "--no-cache").returncode == 0
    cold = package(tmp_path / "cold")
    assert build(root, tmp_path / "warm").returncode == 0
    db = root / CACHE_DIR / CACHE_NAME
    with sqlite3.connect(db) as conn:  # flip every stored answer; checksums no longer match
        conn.execute("update render set value = cast(replace(cast(value as text), '方差', '均值') as blob)")
        assert conn.execute("select count(*) from render where typeof(value) != 'blob'").fetchone()[0] == 0
    (root / CACHE_DIR / "last-build.json").unlink()
    assert build(root, tmp_path / "tampered").returncode == 0
    assert package(tmp_path / "tampered") == cold
    with sqlite3.connect(db) as conn:  # a parsed file stored under another file's key
        keys = [k for (k,) in conn.execute("select key from parsed")]
        conn.execute(
            "update parsed set (value, checksum) = (select value, checksum from parsed where key = ?)", (keys[0],)
        )
        assert len(keys) > 1
    (root / CACHE_DIR / "last-build.json").unlink()
    assert build(root, tmp_path / "moved").returncode == 0
    assert package(tmp_path / "moved") == cold
    db.write_bytes(b"this is not a database" * 100)
    (root / CACHE_DIR / "last-build.json").unlink()
    assert build(root, tmp_path / "garbage").returncode == 0
    assert package(tmp_path / "garbage") == cold


def test_changed_image_is_not_served_from_the_cache(make_project: MakeProject, tmp_path: Path) -> None:
    root = many_cards(make_project, 60)
    assert build(root, tmp_path / "a").returncode == 0
    (root / "assets/dot.png").write_bytes(PNG_1X1 + b"\0")  # same name, new content
    assert build(root, tmp_path / "b").returncode == 0
    assert build(root, tmp_path / "c", "--no-cache").returncode == 0
    assert package(tmp_path / "b") == package(tmp_path / "c") != package(tmp_path / "a")


def test_noop_rebuild_keeps_the_file_and_repairs_a_tampered_one(make_project: MakeProject, tmp_path: Path) -> None:
    root = many_cards(make_project, 20)
    out = tmp_path / "out"
    assert build(root, out).returncode == 0
    first = package(out)
    stamp = (out / "mini-1.0.0.apkg").stat().st_mtime_ns
    assert build(root, out).returncode == 0
    assert (out / "mini-1.0.0.apkg").stat().st_mtime_ns == stamp  # not rewritten
    (out / "mini-1.0.0.apkg").write_bytes(b"damaged")
    assert build(root, out).returncode == 0
    assert package(out) == first


def test_check_reads_but_never_writes_the_cache(make_project: MakeProject) -> None:
    root = many_cards(make_project, 10)
    result = subprocess.run(
        [sys.executable, "-m", "deckbuilder", "check", "--project", str(root)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert not (root / ".cache").exists()


def test_unchanged_inputs_skip_the_build_and_repeat_its_warnings(make_project: MakeProject, tmp_path: Path) -> None:
    root = make_project({"cards/more/warn.md": "## 无语言代码块\n<!-- id: w1 -->\n```\nplain\n```\n"})
    out = tmp_path / "out"
    first = build(root, out)
    assert first.returncode == 0 and "wrote" in first.stdout
    warning = "cards/more/warn.md:3: warning: code block has no language (write ```text for plain text)"
    assert warning in first.stderr
    again = build(root, out)
    assert again.returncode == 0 and "is up to date" in again.stdout
    assert warning in again.stderr
    (root / "assets/dot.png").write_bytes(PNG_1X1 + b"\0")  # any input file changes: a real build
    third = build(root, out)
    assert "wrote" in third.stdout
    strict = build(root, out, "--strict")  # --strict never takes the shortcut: the warning fails it
    assert strict.returncode == 1


def test_well_formed_but_wrong_parse_entries_are_misses(
    make_project: MakeProject, tmp_path: Path, own_cache_key: Path
) -> None:
    """Entries signed with the user's key but of the wrong shape are rebuilt (and never unpickled)."""
    key = load_key(own_cache_key)
    assert key is not None
    root = many_cards(make_project, 30)
    assert build(root, tmp_path / "cold", "--no-cache").returncode == 0
    assert build(root, tmp_path / "warm").returncode == 0
    db = root / CACHE_DIR / CACHE_NAME
    with sqlite3.connect(db) as conn:
        (entry,) = conn.execute("select key from parsed").fetchone()
        marker = tmp_path / "pickle-ran"
        junks = [
            b'["not", "cards"]',
            b'[[], [], ["one key too many"]]',
            b'[[{"id": 1}], [], ["k"]]',
            b"\x80garbage",
            pickle.dumps(Planted(marker)),  # a pickle would run code when loaded
        ]
        for junk in junks:
            signature = sign(key, entry.encode(), junk)
            conn.execute("update parsed set value = ?, checksum = ? where key = ?", (junk, signature, entry))
            conn.commit()
            (root / CACHE_DIR / "last-build.json").unlink(missing_ok=True)
            result = build(root, tmp_path / "again")
            assert result.returncode == 0, result.stderr
            assert package(tmp_path / "again") == package(tmp_path / "cold")
        assert not marker.exists()


class Planted:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[Path]]:
        return (Path.touch, (self.marker,))


@pytest.mark.parametrize("signer", ["sha256", "another key"])
def test_planted_render_entries_are_misses(make_project: MakeProject, tmp_path: Path, signer: str) -> None:
    """A render entry not signed with the user's key never ships, however valid it looks: a plain
    checksum, or a signature made with a key of someone else's."""
    root = many_cards(make_project, 30)
    assert build(root, tmp_path / "cold", "--no-cache").returncode == 0
    assert build(root, tmp_path / "warm").returncode == 0
    db = root / CACHE_DIR / CACHE_NAME
    evil = json.dumps(['<b onclick="alert(1)">x</b>', '<a href="javascript:alert(2)">y</a>', "", [], []]).encode()
    other = load_key(tmp_path / "elsewhere")
    assert other is not None

    def signature(key: str) -> str:
        if signer == "sha256":
            return hashlib.sha256(key.encode() + b"\x1f" + evil).hexdigest()
        return sign(other, key.encode(), evil)

    with sqlite3.connect(db) as conn:
        keys = [k for (k,) in conn.execute("select key from render")]
        conn.executemany(
            "update render set value = ?, checksum = ? where key = ?", [(evil, signature(k), k) for k in keys]
        )
        conn.commit()
    (root / CACHE_DIR / "last-build.json").unlink(missing_ok=True)
    assert build(root, tmp_path / "again").returncode == 0
    assert package(tmp_path / "again") == package(tmp_path / "cold")


def test_a_planted_build_record_cannot_pass_off_a_package(make_project: MakeProject, tmp_path: Path) -> None:
    """A record claiming the current inputs built a package the user's key never signed: the build runs."""
    root = many_cards(make_project, 30)
    out = tmp_path / "out"
    assert build(root, out).returncode == 0
    record_path = root / CACHE_DIR / "last-build.json"
    stored = json.loads(record_path.read_text(encoding="utf-8"))
    planted = b"not the deck"
    (out / "mini-1.0.0.apkg").write_bytes(planted)
    record = {**stored["record"], "sha256": hashlib.sha256(planted).hexdigest()}
    record_path.write_text(json.dumps({"record": record, "signature": stored["signature"]}), encoding="utf-8")
    again = build(root, out)
    assert again.returncode == 0 and "wrote" in again.stdout, again.stdout
    assert package(out) != planted


def test_an_edit_is_seen_through_the_parse_cache(make_project: MakeProject, tmp_path: Path) -> None:
    root = many_cards(make_project, 40)
    assert build(root, tmp_path / "a").returncode == 0
    source = root / "cards/more/many.md"
    source.write_text(source.read_text(encoding="utf-8").replace("第 7 题", "第七题"), encoding="utf-8")
    assert build(root, tmp_path / "b").returncode == 0
    with zipfile.ZipFile(tmp_path / "b" / "mini-1.0.0.apkg") as archive:
        (tmp_path / "b.anki2").write_bytes(archive.read("collection.anki2"))
    with sqlite3.connect(tmp_path / "b.anki2") as conn:
        fields = [f for (f,) in conn.execute("select flds from notes")]
    assert sum("第七题" in f for f in fields) == 1 and not any("第 7 题" in f for f in fields)


def test_note_ids_are_content_times_and_cards_point_at_their_notes(make_project: MakeProject, tmp_path: Path) -> None:
    """Notes are streamed with provisional ids and moved into place once the newest time is known."""
    root = many_cards(make_project, 25)
    assert build(root, tmp_path / "out").returncode == 0
    ledger = json.loads((root / "cards/ledger.json").read_text(encoding="utf-8"))
    newest = max(e["mod"] for table in ("cards", "notetypes") for e in ledger[table].values())
    with zipfile.ZipFile(tmp_path / "out" / "mini-1.0.0.apkg") as archive:
        (tmp_path / "c.anki2").write_bytes(archive.read("collection.anki2"))
    with sqlite3.connect(tmp_path / "c.anki2") as conn:
        notes = [i for (i,) in conn.execute("select id from notes order by id")]
        cards = conn.execute("select id, nid from cards order by id").fetchall()
        dues = [d for (d,) in conn.execute("select due from cards order by nid")]
    ids = sorted(notes + [c for c, _ in cards])
    assert ids == list(range(newest * 1000, newest * 1000 + len(ids)))  # 1 note, then its card, ...
    assert {nid for _, nid in cards} == set(notes) and len(cards) == len(notes) > 25
    assert dues == sorted(dues)  # new-card order follows the deck


def test_fingerprint_follows_the_versions_of_the_output_libraries(monkeypatch: pytest.MonkeyPatch) -> None:
    """An upgraded Pygments (say) restyles code: the cache must not serve its old output."""
    import pygments

    from deckbuilder import cachekeys as cache

    cache.tool_fingerprint.cache_clear()
    before = cache.tool_fingerprint()
    monkeypatch.setattr(pygments, "__version__", "0.0-upgraded")
    cache.tool_fingerprint.cache_clear()
    try:
        assert cache.tool_fingerprint() != before
    finally:
        cache.tool_fingerprint.cache_clear()


@pytest.mark.slow
def test_this_process_renders_what_no_worker_has_begun(make_project: MakeProject) -> None:
    """The build renders the tail of the queue itself while the workers take the head: every
    card's result is the one a single process gives, whichever process rendered it."""
    from deckbuilder.config import load_config
    from deckbuilder.render.parallel import Rendering, Workers
    from deckbuilder.render.renderer import RenderContext
    from deckbuilder.source.files import parse_all

    config = load_config(many_cards(make_project, 900))
    cards = parse_all(config, None).cards
    context = RenderContext(config.root, design=config.design)
    with Workers(1) as alone:
        serial = Rendering(context, cards, [""] * len(cards), None, alone).results()
    with Workers(2) as workers:
        shared = Rendering(context, cards, [""] * len(cards), None, workers)
        results = shared.results()
    assert 0 < len(shared.tasks) < len(shared.batches)  # both the workers and this process rendered
    assert results == serial
