"""The shipped prompt set and its start-up checks."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

import prompts
from prompts import PromptError, PromptLibrary, PromptName
from prompts.manifest import MANIFEST_PATH, PROMPTS_DIR, read_manifest, write_pcm16

REQUIRED_TEXTS = {
    PromptName.ANALYSIS_NOTICE: "您已进入来电自动分析系统，请稍候。",
    PromptName.ANALYSIS_DONE: "分析完成，请挂断。",
    PromptName.LINE_FAULT: "您好，您好，听得到吗？对不起线路故障，请您稍后再拨。",
}


@pytest.fixture
def prompt_copy(tmp_path: Path) -> Path:
    """A copy of the shipped prompt directory to break in different ways."""
    target = tmp_path / "prompts"
    target.mkdir()
    for path in PROMPTS_DIR.iterdir():
        if path.suffix in {".wav", ".json"}:
            shutil.copy(path, target / path.name)
    return target


def test_shipped_prompts_load_and_are_real_audio() -> None:
    library = PromptLibrary.load()
    for name in PromptName:
        pcm = np.frombuffer(library.pcm16(name), "<i2")
        assert 0.5 < library.duration_s(name) < 15, name
        assert np.sqrt(np.mean(pcm.astype(float) ** 2)) > 1000, name  # not silence
        assert library.sources[name].parent == PROMPTS_DIR


def test_manifest_holds_the_handbook_texts() -> None:
    texts = {e.name: e.text for e in read_manifest()}
    for name, text in REQUIRED_TEXTS.items():
        assert texts[name.value] == text
    assert "事由" in texts[PromptName.GREETING.value]  # invites the caller to state the reason for the call
    assert texts[PromptName.STEER.value].endswith("？")
    assert {e.name for e in read_manifest()} == {n.value for n in PromptName}


def test_missing_file_fails_at_start_up_naming_it(prompt_copy: Path) -> None:
    (prompt_copy / "analysis_done.wav").unlink()
    with pytest.raises(PromptError, match=r"prompt 'analysis_done': .*analysis_done.wav is missing"):
        PromptLibrary.load(manifest_path=prompt_copy / "manifest.json")


def test_checksum_mismatch_fails(prompt_copy: Path) -> None:
    path = prompt_copy / "greeting.wav"
    path.write_bytes(path.read_bytes()[:-320])  # a truncated copy is still a valid WAV header-wise
    with pytest.raises(PromptError, match=r"prompt 'greeting': .*greeting.wav has SHA-256 .* the manifest says"):
        PromptLibrary.load(manifest_path=prompt_copy / "manifest.json")


def test_prompt_missing_from_manifest_and_bad_manifest(prompt_copy: Path) -> None:
    manifest = prompt_copy / "manifest.json"
    body = json.loads(manifest.read_text(encoding="utf-8"))
    body["prompts"] = [p for p in body["prompts"] if p["name"] != "steer"]
    manifest.write_text(json.dumps(body), encoding="utf-8")
    with pytest.raises(PromptError, match="prompt 'steer' is not in the manifest"):
        PromptLibrary.load(manifest_path=manifest)
    manifest.write_text("{not json", encoding="utf-8")
    with pytest.raises(PromptError, match="is malformed"):
        PromptLibrary.load(manifest_path=manifest)
    manifest.unlink()
    with pytest.raises(PromptError, match=r"manifest .* is missing"):
        PromptLibrary.load(manifest_path=manifest)


def test_override_dir_replaces_a_prompt_with_a_recording(tmp_path: Path) -> None:
    recorded = (np.sin(np.arange(8000) / 3) * 8000).astype("<i2").tobytes()
    write_pcm16(tmp_path / "greeting.wav", recorded)
    library = PromptLibrary.load(tmp_path)
    assert library.pcm16(PromptName.GREETING) == recorded
    assert library.sources[PromptName.GREETING] == tmp_path / "greeting.wav"
    assert library.sources[PromptName.SIT].parent == PROMPTS_DIR  # the others still come from the package


def test_override_with_wrong_format_fails_clearly(tmp_path: Path) -> None:
    import wave

    with wave.open(str(tmp_path / "line_fault.wav"), "wb") as wav:
        wav.setnchannels(2)
        wav.setsampwidth(2)
        wav.setframerate(44100)
        wav.writeframes(bytes(4000))
    (tmp_path / "steer.wav").write_bytes(b"ID3 this is an mp3")
    with pytest.raises(PromptError) as excinfo:
        PromptLibrary.load(tmp_path)
    message = str(excinfo.value)
    assert (
        "prompt 'line_fault'" in message and "44100 Hz, 2 channel(s), 16-bit; expected 8000 Hz mono 16-bit" in message
    )
    assert "prompt 'steer'" in message and "is not a PCM WAV file" in message


def test_override_dir_must_exist(tmp_path: Path) -> None:
    with pytest.raises(PromptError, match=r"override directory .* does not exist"):
        PromptLibrary.load(tmp_path / "nope")


def test_public_names() -> None:
    public = {n for n, v in vars(prompts).items() if not n.startswith("_") and type(v).__name__ != "module"}
    assert set(prompts.__all__) == public


def test_manifest_path_is_inside_the_package() -> None:
    assert MANIFEST_PATH.parent == Path(prompts.__file__).parent
