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
target=.
[ "$kind" = dev ] && target='.[dev]'
# Some machines' pip configuration names local mirrors that may be absent; pip warns per package. Keep the
# output readable by dropping only those lines.
.venv/bin/pip install -q --disable-pip-version-check -c constraints.txt -e "$target" \
    2> >(grep -v -e "is ignored: it is neither a file nor a directory" -e "WheelFile(wheel_path" \
         -e "^ *!!$" -e "^ *$" >&2)
