#!/usr/bin/env bash
# README command 2: set up everything the tests need and run the whole suite (ruff and mypy included).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/system-packages.sh
scripts/setup.sh dev
# Two pytest-xdist workers: many end-to-end tests wait on call timers, so two workers overlap the waiting on this
# 2-core machine. loadgroup keeps the tests sharing the Vosk model on one worker (tests/conftest.py); each worker
# has its own session databases (tests/records/db_backends.py). Later options win: `scripts/test.sh -n 0` is serial.
.venv/bin/python -m pytest -n 2 --dist loadgroup "$@"
