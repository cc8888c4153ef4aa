#!/usr/bin/env bash
# Create .venv and install deckbuilder. With --test: also the test tools, the real Anki,
# PyTorch (the CPU wheel) and the browser pieces the tests need.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
if [ "${1:-}" = "--test" ]; then
  .venv/bin/python -m pip install -q -e '.[test]' 'torch==2.13.0'
else
  .venv/bin/python -m pip install -q -e .
fi
