#!/usr/bin/env bash
# The whole test suite, from a fresh machine: install what it needs, lint, type-check, test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
.venv/bin/ruff check src tests
.venv/bin/ruff format --check src tests
.venv/bin/mypy
.venv/bin/deckbuilder check --strict
.venv/bin/pytest -q "$@"
