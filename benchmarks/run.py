"""Benchmark deckbuilder on generated N-card projects; print a Markdown table and the targets.

    python benchmarks/run.py [--sizes 1000 10000] [--repeat 3] [--peers] [--peer-repeat 1]

For each N: generate the corpus (benchmarks/generate.py), then time, each as a fresh process:
cold `build` (a fresh copy of the corpus: no ledger, no `.cache/`), no-op rebuild, rebuild after
editing one card, `check --strict` (with no cache, and after the builds); the render-only and
package-only floors (benchmarks/floors.py); with --peers, markdown-anki-decks and ankcompiler on
the same corpus in their own venvs (benchmarks/peers.py). Last, `check --strict` on a copy of
the real deck (with no cache, then after a build). Each figure is the median of the runs, and
is also divided by the render floor of the same N, measured in the same run. See
docs/performance.md.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from generate import DEFAULT_SEED, CardFile, write_project
from peers import DEFAULT_DIR, PEERS, Peer, setup

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
TIMEOUT_S = 3 * 3600
SAMPLE_EVERY_S = 0.05
PAGE = os.sysconf("SC_PAGE_SIZE")
# Copied with the real deck: everything but tools, caches and build output.
REAL_DECK_SKIP = (".git", ".venv", "node_modules", "dist", ".cache", "*_cache", "__pycache__", ".helper", "benchmarks")

COLD, NOOP, EDIT = "cold build", "no-op rebuild", "rebuild after one edit"
COLD_CHECK, CHECK = "check --strict, no cache", "check --strict, after the builds"
RENDER_FLOOR, PACKAGE_FLOOR = "render floor", "package floor"
REAL_COLD, REAL_WARM = "real deck: check --strict, no cache", "real deck: check --strict, after a build"


@dataclass(frozen=True)
class Settings:
    deckbuilder: Path
    python: Path
    work: Path
    repeat: int
    peer_repeat: int
    seed: int
    peers_dir: Path | None
    real_deck: Path
    only_peers: tuple[str, ...] = ()


@dataclass(frozen=True)
class Sample:
    wall: float  # seconds
    cpu: float  # user + system seconds of the process and the children it waited for
    rss_mb: float  # peak: largest process (ru_maxrss), or the sampled sum over its process tree if larger
    stdout: str = ""


@dataclass
class Row:
    size: int | None  # None: the real deck
    scenario: str
    samples: list[Sample] = field(default_factory=list)
    failure: str = ""
    label: str = ""  # the N column when size is None

    @property
    def wall(self) -> float:
        return statistics.median(s.wall for s in self.samples)

    @property
    def cpu(self) -> float:
        return statistics.median(s.cpu for s in self.samples)

    @property
    def rss_mb(self) -> float:
        return max(s.rss_mb for s in self.samples)


class CommandFailed(Exception):
    pass


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- measuring one process ----------------------------------------------------------------------


def tree_rss_bytes(root: int) -> int:
    """Resident memory of `root` and all its descendants now (0 once it is gone)."""
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        try:
            with open(f"/proc/{pid}/statm") as statm:
                total += int(statm.read().split()[1]) * PAGE
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as children:
                    todo += [int(child) for child in children.read().split()]
        except (OSError, ValueError):
            continue
    return total


class TreeSampler(threading.Thread):
    """Polls a process tree's summed RSS: worker processes count together, not one by one."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak = 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(SAMPLE_EVERY_S):
            self.peak = max(self.peak, tree_rss_bytes(self.pid))


def measure(command: Sequence[str | Path], cwd: Path | None = None) -> Sample:
    """Run one fresh process; its wall time, CPU time and peak memory."""
    argv = [str(part) for part in command]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL, cwd=cwd)
        sampler = TreeSampler(proc.pid)
        sampler.start()
        killer = threading.Timer(TIMEOUT_S, proc.kill)
        killer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            killer.cancel()
            sampler.done.set()
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        sampler.join()
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    if proc.returncode != 0:
        tail = "\n".join((stderr or stdout).strip().splitlines()[-8:])
        raise CommandFailed(f"`{' '.join(argv)}` exited with {proc.returncode}:\n{tail}")
    rss_mb = max(usage.ru_maxrss * 1024, sampler.peak) / 2**20
    return Sample(wall, usage.ru_utime + usage.ru_stime, rss_mb, stdout)


def timed_runs(row: Row, runs: int, command: Sequence[str | Path], before: Callable[[int], None] | None = None) -> Row:
    """Append `runs` samples of `command`; `before(i)`, if given, prepares run i (not timed)."""
    for i in range(runs):
        if before is not None:
            before(i)
        sample = measure(command)
        row.samples.append(sample)
        where = f"N={row.size}" if row.size else "real deck"
        log(f"  [{where}] {row.scenario} {i + 1}/{runs}: {sample.wall:.2f} s wall, {sample.rss_mb:.0f} MB")
    return row


# -- deckbuilder scenarios ----------------------------------------------------------------------


def fresh_copy(source: Path, target: Path) -> None:
    """A cold project: the corpus as generated, without a ledger or any cache folder."""
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(source, target)
    remove_caches(target)
    (target / "cards" / "ledger.json").unlink(missing_ok=True)


def remove_caches(project: Path) -> None:
    for cache in sorted(project.rglob(".cache"), reverse=True):
        shutil.rmtree(cache)


def edit_one_card(project: Path, k: int) -> None:
    """Change one card's answer (a different text each time) in the middle file of the deck."""
    files = sorted((project / "cards").glob("*/*.md"))
    path = files[len(files) // 2]
    lines = path.read_text(encoding="utf-8").split("\n")
    index = next(i for i, line in enumerate(lines) if line.startswith("**详解**"))
    lines[index] = f"**详解**（第 {k + 1} 次修订）"
    path.write_text("\n".join(lines), encoding="utf-8")


def bench_deckbuilder(n: int, corpus_dir: Path, s: Settings) -> list[Row]:
    project, out = s.work / f"project-{n}", s.work / f"dist-{n}"
    build: list[str | Path] = [s.deckbuilder, "build", "--project", project, "--out", out]

    def cold(_: int) -> None:
        fresh_copy(corpus_dir, project)
        shutil.rmtree(out, ignore_errors=True)

    check: list[str | Path] = [s.deckbuilder, "check", "--strict", "--project", project]
    rows = [timed_runs(Row(n, COLD_CHECK), s.repeat, check, before=lambda _: fresh_copy(corpus_dir, project))]
    rows.append(timed_runs(Row(n, COLD), s.repeat, build, before=cold))
    rows.append(timed_runs(Row(n, NOOP), s.repeat, build))
    rows.append(timed_runs(Row(n, EDIT), s.repeat, build, before=lambda k: edit_one_card(project, k)))
    rows.append(timed_runs(Row(n, CHECK), s.repeat, check))
    return rows


def floor_row(n: int, scenario: str, runs: int, command: Sequence[str | Path]) -> Row:
    """Samples whose time is the one the floor script measured inside the process."""
    row = timed_runs(Row(n, scenario), runs, command)
    inner = [json.loads(sample.stdout) for sample in row.samples]
    row.samples = [
        Sample(result["seconds"], result["cpu_seconds"], sample.rss_mb, sample.stdout)
        for sample, result in zip(row.samples, inner, strict=True)
    ]
    return row


def bench_floors(n: int, s: Settings) -> list[Row]:
    rendered, apkg = s.work / f"rendered-{n}.json", s.work / f"floor-{n}.apkg"
    script = HERE / "floors.py"
    render: list[str | Path] = [s.python, script, "render", str(n), str(s.seed), rendered]
    package: list[str | Path] = [s.python, script, "package", rendered, apkg]
    return [floor_row(n, RENDER_FLOOR, s.repeat, render), floor_row(n, PACKAGE_FLOOR, s.repeat, package)]


def safe_runs(row: Row, runs: int, command: Sequence[str | Path], before: Callable[[int], None] | None = None) -> Row:
    """Like timed_runs, but a failure is recorded in the row instead of stopping the benchmark."""
    try:
        timed_runs(row, runs, command, before)
    except CommandFailed as exc:
        row.failure = str(exc)
    return row


def count_cards(s: Settings, project: Path) -> str:
    """The deck's card count from `check --format json` (untimed), or '?'."""
    done = subprocess.run(
        [str(s.deckbuilder), "check", "--format", "json", "--project", str(project)], capture_output=True, text=True
    )
    try:
        return f"{json.loads(done.stdout)['cards']:,}"
    except (ValueError, KeyError, TypeError):
        return "?"


def bench_real_deck(s: Settings) -> list[Row]:
    """`check` on a copy of the real deck: with no cache, then warm after a build (as in a work tree)."""
    copy, out = s.work / "real-deck", s.work / "real-deck-dist"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(s.real_deck, copy, ignore=shutil.ignore_patterns(*REAL_DECK_SKIP), symlinks=True)
    check: list[str | Path] = [s.deckbuilder, "check", "--strict", "--project", copy]
    label = f"{count_cards(s, copy)} (real)"
    rows = [safe_runs(Row(None, REAL_COLD, label=label), s.repeat, check, before=lambda _: remove_caches(copy))]
    warm = Row(None, REAL_WARM, label=label)
    try:
        measure([s.deckbuilder, "build", "--project", copy, "--out", out])  # fills the cache; not reported
    except CommandFailed as exc:
        warm.failure = f"the build before it failed: {exc}"
        return [*rows, warm]
    return [*rows, safe_runs(warm, s.repeat, check)]


# -- peers --------------------------------------------------------------------------------------


def peer_runs(row: Row, runs: int, command: Sequence[str | Path], out: Path | None) -> Row:
    """safe_runs into an empty output folder, and a package must come out."""

    def clean(_: int) -> None:
        if out is not None:
            shutil.rmtree(out, ignore_errors=True)
            out.mkdir(parents=True)

    safe_runs(row, runs, command, before=clean)
    if not row.failure and out is not None and not any(out.glob("*.apkg")):
        row.failure = "exited 0 but wrote no .apkg"
    return row


def bench_peer(peer: Peer, n: int, corpus: list[CardFile], s: Settings) -> list[Row]:
    assert s.peers_dir is not None
    base = s.work / f"peer-{peer.package}-{n}"
    shutil.rmtree(base, ignore_errors=True)
    source, out = base / "src", base / "out"
    peer.convert(corpus, source)
    command = peer.command(s.peers_dir)
    build: list[str | Path] = [command, *peer.build_args(source, out)]
    rows = [peer_runs(Row(n, f"{peer.package} build"), s.peer_repeat, build, out)]
    if peer.check_args is not None:
        check: list[str | Path] = [command, *peer.check_args(source)]
        rows.append(peer_runs(Row(n, f"{peer.package} check"), s.peer_repeat, check, None))
    return rows


def prepare_peers(s: Settings) -> tuple[list[Peer], list[Row]]:
    """Peers that are ready, and a failure row for each one that could not be set up."""
    ready: list[Peer] = []
    failed: list[Row] = []
    if s.peers_dir is None:
        return ready, failed
    for peer in PEERS:
        if s.only_peers and peer.package not in s.only_peers:
            continue
        problem = setup(peer, s.peers_dir)
        if problem:
            failed.append(Row(None, f"{peer.package} build", failure=f"not installed: {problem}"))
        else:
            ready.append(peer)
    return ready, failed


# -- report -------------------------------------------------------------------------------------


def fmt_s(seconds: float) -> str:
    return f"{seconds:.3f}" if seconds < 10 else f"{seconds:.1f}"


def find(rows: list[Row], size: int | None, scenario: str) -> Row | None:
    return next((r for r in rows if r.size == size and r.scenario == scenario and r.samples and not r.failure), None)


def ratio_cells(row: Row, floor: Row | None) -> str:
    if floor is None or row.size is None:
        return "| – | – "
    return f"| {row.wall / floor.wall:.2f}× | {row.cpu / floor.cpu:.2f}× "


def peer_note(row: Row, rows: list[Row]) -> str:
    ours = find(rows, row.size, COLD if row.scenario.endswith("build") else COLD_CHECK)
    if ours is None or not row.samples:
        return ""
    return f"{row.wall / ours.wall:.1f}× our {ours.scenario} (CPU {row.cpu / ours.cpu:.1f}×)"


def table(rows: list[Row]) -> str:
    lines = [
        "| N | scenario | wall s (median) | CPU s (median) | peak RSS MB | wall ÷ render floor "
        "| CPU ÷ render floor | runs | notes |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in rows:
        size = f"{row.size:,}" if row.size else row.label or "–"
        if row.failure:
            reason = row.failure.replace("\n", " ").replace("|", "\\|")
            lines.append(f"| {size} | {row.scenario} | – | – | – | – | – | 0 | **failed**: {reason} |")
            continue
        note = peer_note(row, rows) if row.scenario.startswith(tuple(p.package for p in PEERS)) else ""
        floor = find(rows, row.size, RENDER_FLOOR)
        lines.append(
            f"| {size} | {row.scenario} | {fmt_s(row.wall)} | {fmt_s(row.cpu)} | {row.rss_mb:.0f} "
            f"{ratio_cells(row, floor)}| {len(row.samples)} | {note} |"
        )
    return "\n".join(lines)


Target = tuple[str, str, bool | None]  # (target, what was measured, met?); None: not measured


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else "**met**" if ok else "**missed**"


def floor_targets(rows: list[Row], big: int) -> list[Target]:
    cold, floor = find(rows, big, COLD), find(rows, big, RENDER_FLOOR)
    if not (cold and floor):
        return [("cold build ≤ 0.75× render floor", "not measured", None)]
    r, c = cold.wall / floor.wall, cold.cpu / floor.cpu
    return [("cold build ≤ 0.75× render floor", f"{r:.2f}× wall ({c:.2f}× CPU)", r <= 0.75)]


def peer_targets(rows: list[Row], big: int) -> list[Target]:
    targets: list[Target] = []
    cold = find(rows, big, COLD)
    for package, factor in (("markdown-anki-decks", 5.0), ("ankcompiler", 2.5)):
        name = f"cold build ≥ {factor:g}× faster than {package}"
        peer = find(rows, big, f"{package} build")
        if cold and peer:
            r = peer.wall / cold.wall
            targets.append((name, f"{r:.1f}× (CPU {peer.cpu / cold.cpu:.1f}×)", r >= factor))
        else:
            targets.append((name, "not measured", None))
    return targets


def time_target(name: str, row: Row | None, limit: float, extra: str = "", strict: bool = False) -> Target:
    """Median wall time ≤ limit (< limit when strict)."""
    if row is None:
        return (name, "not measured", None)
    return (name, f"{row.wall:.2f} s{extra}", row.wall < limit if strict else row.wall <= limit)


def rebuild_and_check_targets(rows: list[Row], big: int) -> list[Target]:
    cold_real = find(rows, None, REAL_COLD)
    no_cache = f"; with no cache {cold_real.wall:.2f} s" if cold_real else ""
    return [
        time_target("no-op rebuild ≤ 1.0 s", find(rows, big, NOOP), 1.0),
        time_target("rebuild after one edit ≤ 1.5 s", find(rows, big, EDIT), 1.5),
        time_target("`check` on the real deck < 1 s", find(rows, None, REAL_WARM), 1.0, no_cache, strict=True),
    ]


def memory_targets(rows: list[Row], big: int) -> list[Target]:
    ours = [r for r in rows if r.size == big and r.samples and r.scenario in (COLD, NOOP, EDIT, CHECK, COLD_CHECK)]
    if not ours:
        return [("peak memory < 250 MB", "not measured", None)]
    peak = max(ours, key=lambda r: r.rss_mb)
    return [("peak memory < 250 MB", f"{peak.rss_mb:.0f} MB ({peak.scenario})", peak.rss_mb < 250)]


def linear_targets(rows: list[Row], small: int, big: int) -> list[Target]:
    """Time for `big` cards at most 1.2 × (big / small) times the time for `small` cards."""
    targets: list[Target] = []
    ideal = big / small
    for scenario in (COLD, COLD_CHECK):
        a, b = find(rows, small, scenario), find(rows, big, scenario)
        name = f"{scenario} time linear in N (growth ≤ 1.2 × {ideal:g})"
        if small == big or not (a and b):
            targets.append((name, "needs two sizes", None))
            continue
        growth = b.wall / a.wall
        per_card = f"{b.wall / big * 1e3:.2f} vs {a.wall / small * 1e3:.2f} ms/card"
        targets.append((name, f"{growth:.1f}× for {ideal:g}× the cards ({per_card})", growth <= 1.2 * ideal))
    return targets


def target_lines(rows: list[Row], sizes: list[int]) -> list[str]:
    big, small = max(sizes), min(sizes)
    targets = (
        floor_targets(rows, big)
        + peer_targets(rows, big)
        + rebuild_and_check_targets(rows, big)
        + memory_targets(rows, big)
        + linear_targets(rows, small, big)
    )
    header = [f"| target (N = {big:,}) | measured | verdict |", "|---|---|---|"]
    return header + [f"| {name} | {value} | {verdict(ok)} |" for name, value, ok in targets]


def first_line(command: Sequence[str | Path]) -> str:
    done = subprocess.run([str(c) for c in command], capture_output=True, text=True)
    return (done.stdout or done.stderr).strip().splitlines()[0] if done.returncode == 0 else "unknown"


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def memory_gib() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) / 2**20
    return 0.0


def src_state() -> str:
    """The commit, and a fingerprint of src/ as it is on disk (committed or not)."""
    commit = first_line(["git", "-C", REPO, "rev-parse", "--short", "HEAD"])
    digest = hashlib.sha256()
    for path in sorted((REPO / "src").rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and ".egg-info" not in str(path):
            digest.update(str(path.relative_to(REPO)).encode() + b"\0" + path.read_bytes())
    dirty = subprocess.run(
        ["git", "-C", str(REPO), "status", "--porcelain", "--", "src"], capture_output=True, text=True
    )
    uncommitted = " with uncommitted changes in src/" if dirty.stdout.strip() else ""
    return f"commit {commit}{uncommitted} (src/ {digest.hexdigest()[:12]})"


def machine(s: Settings, peers: list[Peer], load_start: tuple[float, ...], src_start: str) -> list[str]:
    src_end = src_state()
    changed = "" if src_end == src_start else f"; **src/ changed during the run**: it started at {src_start}"
    versions = ", ".join(f"{p.package} {p.version(s.peers_dir)}" for p in peers if s.peers_dir)
    load_end = os.getloadavg()
    return [
        f"- machine: {cpu_model()}, {os.cpu_count()} CPUs (nproc), {memory_gib():.1f} GiB RAM, "
        f"{platform.system()} {platform.release()}",
        f"- {first_line([s.python, '-VV'])}; {first_line([s.deckbuilder, '--version'])}; {src_end}{changed}",
        f"- load average (1/5/15 min): {' / '.join(f'{x:.1f}' for x in load_start)} at start, "
        f"{' / '.join(f'{x:.1f}' for x in load_end)} at end",
        f"- runs: {s.repeat} per scenario"
        + (f", {s.peer_repeat} per peer scenario" if peers else "")
        + (f"; peers: {versions}" if versions else "; peers: not run (--peers)"),
    ]


# -- main ---------------------------------------------------------------------------------------


def bench_size(n: int, s: Settings, peers: list[Peer]) -> list[Row]:
    corpus_dir = s.work / f"corpus-{n}"
    shutil.rmtree(corpus_dir, ignore_errors=True)
    log(f"N={n}: generating {corpus_dir}")
    corpus = write_project(n, corpus_dir, s.seed)
    rows = bench_deckbuilder(n, corpus_dir, s) + bench_floors(n, s)
    for peer in peers:
        rows += bench_peer(peer, n, corpus, s)
    return rows


def parse_args(argv: list[str] | None) -> tuple[Settings, list[int], Path | None]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--repeat", type=int, default=3, help="runs per scenario (the median is shown)")
    parser.add_argument("--peers", action="store_true", help="also run markdown-anki-decks and ankcompiler (slow)")
    parser.add_argument("--peer-repeat", type=int, help="runs per peer scenario (default: --repeat)")
    parser.add_argument("--peer", action="append", help="only this peer (repeatable; default: all)")
    parser.add_argument("--peers-dir", type=Path, default=DEFAULT_DIR, help="the peers' venvs (created if missing)")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "deckbench")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--deckbuilder", type=Path, default=REPO / ".venv" / "bin" / "deckbuilder")
    parser.add_argument("--python", type=Path, default=REPO / ".venv" / "bin" / "python", help="runs the floors")
    parser.add_argument("--real-deck", type=Path, default=REPO, help="project whose `check` is timed")
    parser.add_argument("--json", type=Path, help="also write every sample here")
    args = parser.parse_args(argv)
    settings = Settings(
        deckbuilder=args.deckbuilder,
        python=args.python,
        work=args.work.resolve(),
        repeat=args.repeat,
        peer_repeat=args.peer_repeat or args.repeat,
        seed=args.seed,
        peers_dir=args.peers_dir.resolve() if args.peers else None,
        real_deck=args.real_deck.resolve(),
        only_peers=tuple(args.peer or ()),
    )
    return settings, sorted(args.sizes), args.json


def main(argv: list[str] | None = None) -> None:
    settings, sizes, json_path = parse_args(argv)
    settings.work.mkdir(parents=True, exist_ok=True)
    load_start, src_start = os.getloadavg(), src_state()
    peers, rows = prepare_peers(settings)
    for n in sizes:
        rows += bench_size(n, settings, peers)
    rows += bench_real_deck(settings)
    print("\n".join(machine(settings, peers, load_start, src_start)))
    print()
    print(table(rows))
    print()
    print("\n".join(target_lines(rows, sizes)))
    if json_path:
        payload = [{**asdict(r), "samples": [{**asdict(x), "stdout": ""} for x in r.samples]} for r in rows]
        json_path.write_text(json.dumps(payload, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
