"""The build script renders with the real espeak-ng + sox and is reproducible byte for byte."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from prompts.build import build, main
from prompts.library import PromptLibrary
from prompts.manifest import PROMPTS_DIR, read_manifest
from prompts.names import PromptName
from tests.conftest import require_tool


def copy_prompts(target: Path) -> None:
    for path in PROMPTS_DIR.iterdir():
        if path.suffix in {".wav", ".json"}:
            shutil.copy(path, target / path.name)


def test_rebuild_reproduces_the_shipped_files(tmp_path: Path) -> None:
    require_tool("espeak-ng")
    require_tool("sox")
    copy_prompts(tmp_path)
    for name in ("analysis_done.wav", "sit.wav"):
        (tmp_path / name).unlink()
    entries = build(tmp_path / "manifest.json", only={"analysis_done", "sit"})
    assert entries == read_manifest()  # same texts, files and checksums as shipped


def test_edited_text_is_rendered_and_checksummed(tmp_path: Path) -> None:
    require_tool("espeak-ng")
    require_tool("sox")
    copy_prompts(tmp_path)
    manifest = tmp_path / "manifest.json"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace("请稍候。", "请耐心等候。"), encoding="utf-8")
    build(manifest, only={"analysis_notice"})
    library = PromptLibrary.load(manifest_path=manifest)
    assert library.duration_s(PromptName.ANALYSIS_NOTICE) > PromptLibrary.load().duration_s(PromptName.ANALYSIS_NOTICE)


def test_main_rejects_unknown_arguments_cleanly() -> None:
    with pytest.raises(SystemExit):
        main(["--bogus"])
