"""The layering is an import contract (``[tool.importlinter]`` in pyproject.toml), checked by ``lint-imports``.

The second test is the proof the check can fail: it plants a forbidden import in a copy of the packages and
expects the matching contract to break — a contract that never breaks would be decoration.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

PACKAGES = ("asr", "screening", "numbering", "telephony", "prompts", "records", "adminapi", "callscreen")


def _lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).parent / "lint-imports"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "importlinter.cli"]
    env = {**os.environ, "PYTHONPATH": str(root)}  # the copy's packages shadow the editable install
    return subprocess.run([*command, "--no-cache"], cwd=root, env=env, capture_output=True, text=True, timeout=120)


def test_the_layering_contract_is_kept() -> None:
    result = _lint_imports(REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "statement", "contract"),
    [
        ("asr/_planted.py", "import telephony.call", "asr and the judgement know no SIP and no application shell"),
        ("screening/_planted.py", "from callscreen import settings", "asr and the judgement know no SIP"),
        ("screening/_planted.py", "import sqlalchemy", "the judgement knows no database or HTTP"),
        ("screening/signals/_planted.py", "from records import models", "the judgement knows no database or HTTP"),
        ("screening/_planted.py", "import fastapi", "the judgement knows no database or HTTP"),
        ("asr/_planted.py", "from screening import verdict", "asr knows no verdicts"),
        ("numbering/_planted.py", "import screening", "caller-number parsing is a leaf"),
    ],
)
def test_a_planted_forbidden_import_breaks_the_contract(
    tmp_path: Path, module: str, statement: str, contract: str
) -> None:
    for name in PACKAGES:
        shutil.copytree(REPO / name, tmp_path / name,
                        ignore=shutil.ignore_patterns("__pycache__", "*.wav", "*.tsv", "*.json", "*.txt"))
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    assert _lint_imports(tmp_path).returncode == 0  # the copy itself is clean
    (tmp_path / module).write_text(f'"""Planted by the test."""\n\n{statement}\n', encoding="utf-8")
    result = _lint_imports(tmp_path)
    assert result.returncode != 0, result.stdout
    broken = [line for line in result.stdout.splitlines() if line.rstrip().endswith("BROKEN")]
    assert any(line.startswith(contract) for line in broken), result.stdout
