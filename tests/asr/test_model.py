"""The shared model: loaded once per path per process, refused with a clear error when it is not a model."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from asr.errors import ModelCorruptError, ModelMissingError
from asr.model import SharedModel, load_shared_model

pytestmark = pytest.mark.vosk


def test_same_path_gives_the_same_model(ko_model: SharedModel, korean_model_path: Path) -> None:
    spelled_differently = korean_model_path / ".." / korean_model_path.name
    assert load_shared_model(korean_model_path) is ko_model
    assert load_shared_model(spelled_differently) is ko_model
    assert ko_model.load_seconds > 0
    assert ko_model.rss_growth_mb > 100  # the figure the shared-model test divides by is real


def test_concurrent_loads_share_one_model(ko_model: SharedModel, korean_model_path: Path) -> None:
    got: list[SharedModel] = []
    threads = [threading.Thread(target=lambda: got.append(load_shared_model(korean_model_path))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(model is ko_model for model in got) and len(got) == 4


def test_missing_model_names_the_path_and_the_fix(tmp_path: Path) -> None:
    with pytest.raises(ModelMissingError, match=r"no Vosk model at .*nowhere.*callscreen model fetch.*VOSK_MODEL_PATH"):
        load_shared_model(tmp_path / "nowhere")


def test_garbage_model_files_are_refused_not_crashed_on(tmp_path: Path) -> None:
    for rel, content in {
        "am/final.mdl": b"\x00garbage" * 100,
        "conf/model.conf": b"--beam=10\n",
        "graph/HCLG.fst": b"not an fst",
    }.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(content)
    with pytest.raises(ModelCorruptError, match=f"Vosk could not load the model at {tmp_path}"):
        load_shared_model(tmp_path)


def test_model_is_loaded_with_dither_off_without_touching_its_files(tmp_path: Path) -> None:
    from asr.model import MFCC_CONF, undithered_view

    for rel, content in {MFCC_CONF: "--use-energy=false", "am/final.mdl": "x", "graph/HCLG.fst": "y"}.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(content, encoding="utf-8")
    view = undithered_view(tmp_path)
    assert (view / MFCC_CONF).read_text(encoding="utf-8") == "--use-energy=false\n--dither=0.0\n"
    assert (tmp_path / MFCC_CONF).read_text(encoding="utf-8") == "--use-energy=false"
    assert (view / "am/final.mdl").resolve() == (tmp_path / "am/final.mdl").resolve()
    assert (view / "am/final.mdl").is_symlink()
