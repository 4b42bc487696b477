#!/usr/bin/env bash
# README command 1: set up and run the service with embedded defaults (SQLite under ./var, SIP on
# 127.0.0.1:5060/UDP, admin API on 127.0.0.1:8080). Without a Mandarin model it runs in caller-ID/time mode.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh runtime
exec .venv/bin/callscreen serve "$@"
