"""Shared fixtures: small throwaway projects built from inline strings."""

from __future__ import annotations

import base64
import os
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# A valid 1x1 PNG, so that media handling is exercised with a real image.
PNG_1X1 = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


@pytest.fixture(autouse=True, scope="session")
def own_cache_key(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Builds in tests (in-process and in subprocesses) sign their caches with a key of their own,
    never the user's."""
    before = os.environ.get("XDG_CACHE_HOME")
    home = tmp_path_factory.mktemp("xdg-cache")
    os.environ["XDG_CACHE_HOME"] = str(home)
    yield home / "deckbuilder"
    if before is None:
        del os.environ["XDG_CACHE_HOME"]
    else:
        os.environ["XDG_CACHE_HOME"] = before


DECK_TOML = """\
title = "测试牌组"
slug = "mini"
version = "1.0.0"
guid_namespace = "test:mini"
description = "fixture"

[[subdecks]]
id = "basics"
title = "基础"

[[subdecks]]
id = "more"
title = "更多"
"""

SYLLABUS = """\
questions:
  - id: Q001
    subdeck: basics
    question: "第一题"
  - id: Q002
    subdeck: more
    question: "第二题"
"""

BASICS_MD = """\
---
tags: [fixture]
---

# 基础

## 什么是 $x_1$？
<!-- id: b-one; syllabus: Q001; tags: formula -->

**要点**
- $a_1 * b_2 < c_3$
- 见图 ![dot](../../assets/dot.png)

```python
def double(x):
    return 2 * x
```

```python check
assert double(21) == 42
```

## 填空
<!-- id: b-cloze; type: cloze -->
注意力除以 $\\sqrt{ {{c1::d_k}} }$。
<!-- back -->
额外说明
"""

MORE_MD = """\
## 第二题是什么？
<!-- id: m-two; syllabus: Q002 -->

答案二。
"""


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", help="rewrite tests/golden/*.html from the renderer")


MakeProject = Callable[..., Path]


@pytest.fixture
def make_project(tmp_path: Path) -> MakeProject:
    """Write a small project; `files` overrides or adds files (path -> text, or bytes)."""

    def make(files: dict[str, str | bytes] | None = None, base: bool = True) -> Path:
        root = tmp_path / "project"
        content: dict[str, str | bytes] = {}
        if base:
            content = {
                "deck.toml": DECK_TOML,
                "syllabus/questions.yaml": SYLLABUS,
                "cards/basics/basics.md": BASICS_MD,
                "cards/more/more.md": MORE_MD,
                "assets/dot.png": PNG_1X1,
            }
        content.update(files or {})
        for rel, data in content.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(data, bytes):
                path.write_bytes(data)
            else:
                path.write_text(textwrap.dedent(data) if data.startswith("\n") else data, encoding="utf-8")
        return root

    return make


@dataclass(frozen=True)
class Ran:
    """What a command printed and its exit code (the fields of subprocess.CompletedProcess)."""

    returncode: int
    stdout: str
    stderr: str


def run_cli(root: Path, *args: str, env: dict[str, str] | None = None) -> Ran:
    """`deckbuilder ARGS --project ROOT`, in this process (click's CliRunner)."""
    from click.testing import CliRunner

    from deckbuilder.cli import main

    result = CliRunner().invoke(main, [*args, "--project", str(root)], env=env)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception  # a traceback would have reached the user
    return Ran(result.exit_code, result.stdout, result.stderr)
