"""The README's promises: the two commands exist and CI runs the test one; the settings table matches the code."""

from __future__ import annotations

import re

from pydantic import BaseModel

from callscreen.settings import Settings
from tests.conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")


def _setting_keys() -> set[str]:
    keys: set[str] = set()
    for name, field in Settings.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            for sub_name, sub_field in annotation.model_fields.items():
                keys.add(f"{name}.{sub_field.alias or sub_name}")
        else:
            keys.add(name)
    return keys


def _documented_keys() -> set[str]:
    table = README.split("<!-- settings-reference")[1].split("<!-- /settings-reference -->")[0]
    keys: set[str] = set()
    for cell in re.findall(r"^\| (`[^|]+`) \|", table, flags=re.M):
        for key in re.findall(r"`([a-z0-9_.]+)`", cell):
            section = key.split(".")[0]
            keys.add(key)
            if "." not in key and section not in {"data_dir", "node_name", "clock_offset_s", "profiles"}:
                raise AssertionError(f"README settings row {cell!r} lacks a section")
    return keys


def test_every_setting_is_documented_and_nothing_else() -> None:
    # Rows like `rtp.port_min` / `rtp.port_max` document two keys at once.
    assert _documented_keys() == _setting_keys()


def test_ci_runs_exactly_the_readme_test_command() -> None:
    assert "    bash scripts/test.sh\n" in README
    assert "    bash scripts/serve.sh\n" in README
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert "bash scripts/test.sh" in ci


def test_where_each_capability_lives_names_paths_that_exist() -> None:
    """The layout table and the architecture drawing follow the code: every path they name is there."""
    table = README.split("## Where each capability lives")[1].split("\n## ")[0]
    drawing = README.split("## Architecture")[1].split("### Layering")[0]
    named = set(re.findall(r"`([a-z_]+/[\w/.]*)`", table))
    named |= set(re.findall(r"(?<![/\w])([a-z]+(?:/[a-z_]+)*/)", drawing))  # not /api/v1
    assert {"records/", "adminapi/", "numbering/", "screening/numberlist/"} <= named
    missing = sorted(path for path in named if not (REPO / path).exists())
    assert not missing, missing
