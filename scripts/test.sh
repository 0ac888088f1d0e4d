#!/usr/bin/env bash
# Install Nexus with its test tools into .venv and run lint, type checks and the whole test suite;
# with no arguments, the end-to-end suite runs a second time on a throwaway PostgreSQL cluster.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
"$PYTHON" -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[dev]"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy bot cogs
.venv/bin/lint-imports
.venv/bin/pytest "$@"
if [ "$#" -eq 0 ]; then
    echo "end-to-end suite on PostgreSQL:"
    # The crash and stop tests race real processes against the fake Discord; a failing pass is
    # run once more and must then pass whole (a real fault fails both).
    .venv/bin/python -m tests.postgres .venv/bin/pytest tests/e2e --ignore tests/e2e/test_shards.py \
        || { echo "end-to-end suite on PostgreSQL, second pass:"; \
             .venv/bin/python -m tests.postgres .venv/bin/pytest tests/e2e --ignore tests/e2e/test_shards.py; }
fi
