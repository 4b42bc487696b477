#!/usr/bin/env bash
# Create .venv and install callscreen with pinned versions. Idempotent; used by both README commands.
# Usage: scripts/setup.sh [runtime|dev]
set -euo pipefail
cd "$(dirname "$0")/.."
kind="${1:-runtime}"
python="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
    "$python" -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade "pip>=24" >/dev/null
if [ "$kind" = dev ]; then
    .venv/bin/pip install -q --disable-pip-version-check -c constraints.txt -e '.[dev]'
else
    .venv/bin/pip install -q --disable-pip-version-check -c constraints.txt -e .
fi
