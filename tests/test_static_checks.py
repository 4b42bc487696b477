"""ruff and mypy are part of the test command: style and types are checked on every run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO

# mypy's incremental cache, kept outside the checkout (as scripts/sipp-tls.sh keeps its sipp): CI runs in a fresh
# clone, where the in-tree .mypy_cache is always empty and the whole check runs cold — ≈10 s of CPU, 28 s on a
# loaded machine, against 0.5 s warm (measured). mypy reuses a cached module only when its file's hash and its
# dependencies' interfaces are unchanged (another clone's paths and times do not matter), so the verdict is the cold
# run's; the cache's files are written atomically, so runs in several clones at once can share it.
MYPY_CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "callscreen" / "mypy"


def test_ruff_is_clean() -> None:
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "."], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_is_clean() -> None:
    command = [sys.executable, "-m", "mypy", "--cache-dir", str(MYPY_CACHE)]
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
