#!/usr/bin/env bash
# README command 2: set up everything the tests need and run the whole suite (ruff and mypy included).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/system-packages.sh
scripts/setup.sh dev
.venv/bin/python -m pytest "$@"
