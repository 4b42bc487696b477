"""`asr` knows nothing of SIP or the app shell: no import of callscreen, telephony or pyVoIP anywhere in it."""

from __future__ import annotations

import ast
from pathlib import Path

import asr

FORBIDDEN = ("callscreen", "telephony", "pyVoIP", "screening")


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_asr_imports_point_nowhere_outward() -> None:
    root = Path(asr.__file__).parent
    files = sorted(root.rglob("*.py"))
    assert len(files) > 10
    offending = {
        f"{path.relative_to(root)}: {name}"
        for path in files
        for name in _imports(path)
        if name.split(".")[0] in FORBIDDEN
    }
    assert not offending
