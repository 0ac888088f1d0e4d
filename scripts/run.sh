#!/usr/bin/env bash
# Install Nexus into .venv (once) and run the bot. Needs a .env with DISCORD_TOKEN (see .env.example).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/nexus-bot ] || [ pyproject.toml -nt .venv/.installed ]; then
    "$PYTHON" -m venv .venv
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet -e ".[postgres]"
    touch .venv/.installed
fi
exec .venv/bin/nexus-bot "${@:-run}"
