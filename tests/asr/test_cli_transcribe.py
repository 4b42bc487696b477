"""`callscreen transcribe` as a user runs it: one file, JSON, a folder, a TSV list with references, bad input."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from asr.model import SharedModel
from callscreen.cli import main
from tests.asr.conftest import KO_SENTENCE, Clips

pytestmark = pytest.mark.vosk


@pytest.fixture
def model_env(ko_model: SharedModel, monkeypatch: pytest.MonkeyPatch, tmp_cwd: Path) -> SharedModel:
    monkeypatch.setenv("VOSK_MODEL_PATH", str(ko_model.path))  # same path: the process's cached model is reused
    return ko_model


def test_one_file_prints_its_text(clips: Clips, model_env: SharedModel, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["transcribe", str(clips.ko_44k_stereo_24bit)]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and len(out.strip()) >= 10


def test_json_has_segments_times_confidences_and_stats(
    clips: Clips, model_env: SharedModel, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["transcribe", "--json", str(clips.ko_twice_8k)]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["file"] == str(clips.ko_twice_8k)
    assert len(doc["segments"]) == 2
    first = doc["segments"][0]
    assert {"text", "start_s", "end_s", "confidence", "words"} <= first.keys()
    assert {"text", "start_s", "end_s", "confidence"} == first["words"][0].keys()
    assert doc["text"] and doc["duration_s"] == pytest.approx(13.2, abs=0.3)
    assert doc["stats"]["speech_ratio"] > 0.5


def test_silence_json_is_valid_with_no_speech(
    clips: Clips, model_env: SharedModel, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["transcribe", "--json", str(clips.silence_8k)]) == 0
    doc = json.loads(capsys.readouterr().out)  # -inf levels are written as null, keeping the JSON valid
    assert (doc["text"], doc["segments"], doc["stats"]["rms_dbfs"], doc["stats"]["first_speech_s"]) == (
        "",
        [],
        None,
        None,
    )


def test_folder_batch_and_tsv_list_with_cer(
    clips: Clips, model_env: SharedModel, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "calls"
    folder.mkdir()
    shutil.copy(clips.ko_8k, folder / "a.wav")
    shutil.copy(clips.silence_8k, folder / "b.wav")
    assert main(["transcribe", str(folder)]) == 0
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert [line.split("\t")[0] for line in lines] == [str(folder / "a.wav"), str(folder / "b.wav")]
    assert lines[0].split("\t")[1] and lines[1].split("\t")[1] == ""
    assert "2 of 2 files transcribed" in captured.err

    listing = folder / "list.tsv"
    listing.write_text(f"# clip\treference\na.wav\t{KO_SENTENCE}\nmissing.wav\tx\n", encoding="utf-8")
    assert main(["transcribe", "--list", str(listing)]) == 1  # the missing file fails the run, not the others
    captured = capsys.readouterr()
    row = captured.out.splitlines()[0].split("\t")
    assert row[0] == str(folder / "a.wav") and 0.0 <= float(row[2]) <= 1.0
    assert "missing.wav" in captured.err and "1 of 2 files transcribed" in captured.err
    assert "CER " in captured.err


def test_no_model_exits_1_naming_the_path_and_the_fix(
    clips: Clips, tmp_cwd: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["transcribe", str(clips.ko_8k)]) == 1
    err = capsys.readouterr().err
    assert "var/models/vosk-model-small-cn-0.22" in err
    assert "callscreen model fetch" in err and "VOSK_MODEL_PATH" in err


def test_bad_wav_exits_1_with_the_reason(
    model_env: SharedModel, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "not-audio.wav"
    bad.write_text("hello", encoding="utf-8")
    assert main(["transcribe", str(bad)]) == 1
    assert "not-audio.wav: not a WAV file" in capsys.readouterr().err


def test_needs_exactly_one_input(model_env: SharedModel, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["transcribe"]) == 2
    assert "give either a WAV file/folder or --list" in capsys.readouterr().err
