#!/usr/bin/env bash
# README command 2: set up everything the tests need and run the whole suite (ruff and mypy included).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/system-packages.sh
# Debian 12's sipp has no TLS: the SIP-over-TLS call test uses Debian unstable's, fetched once into ~/.cache.
scripts/sipp-tls.sh >/dev/null || echo "test: no TLS-capable sipp (the sipp TLS call test skips, or fails with CI=true)" >&2
scripts/setup.sh dev
# Four pytest-xdist workers: most end-to-end tests wait on call timers (the machine's load stays near 1 during a
# run), so four workers overlap the waiting on this 2-core machine — measured side by side on an otherwise idle
# machine: 609 s with two workers, 388 s with four (BENCHMARKS.md, "Test suite"). loadgroup keeps the tests sharing the Vosk model on one worker (tests/conftest.py); each worker
# has its own session databases (tests/records/db_backends.py). Later options win: `scripts/test.sh -n 0` is serial.
.venv/bin/python -m pytest -n 4 --dist loadgroup "$@"
