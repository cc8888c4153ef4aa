"""The peers: markdown-anki-decks and ankcompiler, each in its own virtualenv, on our corpus.

    python benchmarks/peers.py setup [--dir /tmp/bench-peers]

creates DIR/<package>/ (a venv) for each peer and installs it from PyPI. One venv each: the two
cannot share one (markdown-anki-decks 1.1.1 pins typer<0.5, ankcompiler 0.6.0 needs
typer>=0.12.3, and pip reports ResolutionImpossible). `run.py --peers` calls the same setup.

Each peer gets the generated corpus converted to its own format:
- markdown-anki-decks (`mdankideck IN OUT`): one deck per Markdown file, `# ` title,
  `## ` question headings, the answer up to the next `## `; HTML comments are dropped. That is our
  format minus the folders, so the files are copied flat as `<subdeck>-<topic>.md` (the peer
  names each .apkg after the file's stem). It writes one package per file. Its typer 0.4 breaks
  on Click >= 8.2 (`--help` raises `TyperArgument.make_metavar() takes 1 positional argument but
  2 were given`, and a run only prints the version), so its venv also gets `click<8.2`.
- ankcompiler (`ankc build --all --path IN --output OUT`): front matter `deck:` (subdecks as
  `Root::Sub`) and `tags:`, then one `---`-delimited block per card, `question ::: answer`
  (a cloze card is its text without `:::`), followed by a `[^uid]: <10 alphanumerics>` and
  `[^tag]:` footnotes. It writes one package per top-level deck.
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from generate import SUBDECKS, Card, CardFile, file_markdown

DEFAULT_DIR = Path("/tmp/bench-peers")
BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


@dataclass(frozen=True)
class Peer:
    package: str
    executable: str
    convert: Callable[[list[CardFile], Path], None]
    build_args: Callable[[Path, Path], list[str]]  # (source dir, output dir) -> arguments
    check_args: Callable[[Path], list[str]] | None = None
    pins: tuple[str, ...] = ()  # extra requirements without which the peer does not run

    def venv(self, root: Path) -> Path:
        return root / self.package

    def command(self, root: Path) -> Path:
        return self.venv(root) / "bin" / self.executable

    def version(self, root: Path) -> str:
        python = self.venv(root) / "bin" / "python"
        code = f"import importlib.metadata as m; print(m.version({self.package!r}))"
        return subprocess.run([python, "-c", code], capture_output=True, text=True, check=True).stdout.strip()


def write_markdown_anki_decks(corpus: list[CardFile], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for card_file in corpus:
        stem = card_file.name.removesuffix(".md")
        (out / f"{card_file.subdeck}-{stem}.md").write_text(file_markdown(card_file), encoding="utf-8")


def ankc_uid(card_id: str) -> str:
    """ankcompiler's identity footnote: exactly 10 characters [A-Za-z0-9], here derived from our id."""
    number = int.from_bytes(hashlib.sha256(card_id.encode()).digest()[:8], "big")
    chars = []
    for _ in range(10):
        number, digit = divmod(number, 62)
        chars.append(BASE62[digit])
    return "".join(chars)


def ankc_block(card: Card) -> str:
    if card.cloze:
        body = f"{card.question}\n\n{card.answer}\n\n{card.back_extra}"
    else:
        body = f"{card.question}\n:::\n{card.answer}"
    footnotes = [f"[^uid]: {ankc_uid(card.id)}", *(f"[^tag]: {tag}" for tag in card.tags)]
    return "---\n\n" + body + "\n\n---\n" + "\n".join(footnotes) + "\n"


def write_ankcompiler(corpus: list[CardFile], out: Path) -> None:
    titles = {sub: f"{i + 1:02d} {title}" for i, (sub, title) in enumerate(SUBDECKS)}
    for card_file in corpus:
        path = out / card_file.relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        head = f'---\ndeck: "Bench::{titles[card_file.subdeck]}"\ntags: [bench, {card_file.subdeck}]\n---\n\n'
        path.write_text(head + "\n".join(ankc_block(card) for card in card_file.cards), encoding="utf-8")


PEERS: tuple[Peer, ...] = (
    Peer(
        "markdown-anki-decks",
        "mdankideck",
        write_markdown_anki_decks,
        lambda src, out: [str(src), str(out), "--prefix", "Bench::"],
        pins=("click<8.2",),
    ),
    Peer(
        "ankcompiler",
        "ankc",
        write_ankcompiler,
        lambda src, out: ["build", "--all", "--path", str(src), "--output", str(out)],
        lambda src: ["check", "--all", "--path", str(src)],
    ),
)


def setup(peer: Peer, root: Path) -> str | None:
    """Create the peer's venv if needed and install it (a no-op when satisfied); the reason on failure."""
    venv = peer.venv(root)
    steps = [[str(venv / "bin" / "pip"), "install", "--quiet", peer.package, *peer.pins]]
    if not (venv / "bin" / "pip").exists():
        steps.insert(0, [sys.executable, "-m", "venv", str(venv)])
    for step in steps:
        done = subprocess.run(step, capture_output=True, text=True)
        if done.returncode != 0:
            lines = [line for line in (done.stderr or done.stdout).splitlines() if not line.startswith("WARNING")]
            return f"`{' '.join(step[1:])}` failed: " + " / ".join(lines[-3:])
    if not peer.command(root).exists():
        return f"{peer.package} installed no `{peer.executable}` command"
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=["setup"])
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR, help="where the peers' venvs go")
    args = parser.parse_args()
    for peer in PEERS:
        problem = setup(peer, args.dir)
        print(f"{peer.package}: {problem or peer.version(args.dir) + ' in ' + str(peer.venv(args.dir))}")


if __name__ == "__main__":
    main()
