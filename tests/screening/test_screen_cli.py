"""`callscreen screen`: ASR + screening of a recording, with a real Vosk model."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from callscreen.cli import main
from tests.conftest import require_tool


def synthesise(text: str, out: Path) -> Path:
    espeak = require_tool("espeak-ng")
    sox = require_tool("sox")
    raw = out.with_suffix(".raw.wav")
    subprocess.run([espeak, "-v", "cmn", "-w", str(raw), text], check=True, capture_output=True)
    subprocess.run([sox, str(raw), "-r", "8000", "-c", "1", "-b", "16", str(out)], check=True, capture_output=True)
    return out


def test_without_a_model_the_command_says_so(tmp_cwd: Path, capsys: pytest.CaptureFixture[str]) -> None:
    wav = tmp_cwd / "call.wav"
    wav.write_bytes(b"RIFF")
    assert main(["screen", str(wav)]) == 1
    err = capsys.readouterr().err
    assert "no ASR model at" in err and "callscreen model fetch" in err


def test_bad_time_is_a_usage_error(tmp_cwd: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["screen", "x.wav", "--at", "2026-11-23T12:05:00"]) == 2
    assert "time zone offset" in capsys.readouterr().err


@pytest.mark.vosk
def test_screens_a_recording_with_a_real_model(
    tmp_cwd: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, korean_model_path: Path
) -> None:
    """The Korean model cannot understand Mandarin: this checks the pipeline (audio → ASR → verdict), not accuracy."""
    wav = synthesise("你好我想查一下我的订单", tmp_cwd / "call.wav")
    monkeypatch.setenv("VOSK_MODEL_PATH", str(korean_model_path))
    code = main(["screen", str(wav), "--caller", "anonymous", "--at", "2026-11-23T23:05:00+08:00", "--json"])
    assert code == 0
    result = json.loads(capsys.readouterr().out)
    assert result["verdict"] in {"allow", "suspect", "harassment"}
    assert result["duration_s"] > 0.5
    assert "caller.anonymous" in {r["code"] for r in result["reasons"]}
    assert main(["screen", str(wav)]) == 0
    assert capsys.readouterr().out.startswith("verdict ")


@pytest.mark.mandarin
def test_mandarin_recording_of_abuse_is_harassment(
    tmp_cwd: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, mandarin_model_path: Path
) -> None:
    wav = synthesise("我知道你在哪上班你下班给我小心点", tmp_cwd / "threat.wav")
    monkeypatch.setenv("VOSK_MODEL_PATH", str(mandarin_model_path))
    assert main(["screen", str(wav), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["verdict"] != "allow", result


@pytest.mark.vosk
def test_json_shows_the_learned_reasons_with_their_evidence(
    tmp_cwd: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, korean_model_path: Path
) -> None:
    """`screen --model DIR --json`: every learned reason lists what pushed it. The copy of the shipped model is
    told that nothing short of certainty is business and anything is another purpose, so the Korean transcript
    surely gets a learned reason."""
    import shutil

    from screening.learned.model import MANIFEST, shipped_dir, write_sums

    model = tmp_cwd / "model"
    shutil.copytree(shipped_dir(), model)
    manifest = json.loads((model / MANIFEST).read_text(encoding="utf-8"))
    manifest["thresholds"] |= {"business": 0.999, "no_business": 0.999, "offtopic": 0.001}
    (model / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    write_sums(model)
    wav = synthesise("你个傻逼客服给我滚", tmp_cwd / "call.wav")
    monkeypatch.setenv("VOSK_MODEL_PATH", str(korean_model_path))
    assert main(["screen", str(wav), "--model", str(model), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    learned = [r for r in result["reasons"] if r["code"].startswith("content.learned_")]
    assert "content.learned_no_business" in {r["code"] for r in learned}, result
    for reason in learned:
        assert reason["evidence"] and all(isinstance(e, str) and e for e in reason["evidence"]), reason
        assert manifest["model_id"] in reason["detail"]


@pytest.mark.vosk
def test_json_shows_the_centre_heads_reason_with_its_ngrams(
    tmp_cwd: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, korean_model_path: Path
) -> None:
    """`screen --model DIR --json` with an adapted directory whose calibration trusts its centre head: the head's
    reason is listed with its evidence (the n-grams that pushed it; the Korean model's Hangul normalises to none,
    so here the head's prior is named instead — tests/screening/test_learned.py checks the n-grams of Chinese
    transcripts). The head's bias reads anything as harassment, so whatever the Korean model hears gets it."""
    import numpy as np

    from screening.learned.model import CentreHead, ContentModel, save_model
    from screening.signals.learned import NO_NGRAM

    base = ContentModel.shipped()
    eager = CentreHead(np.full(base.features.size, 2.0, dtype=np.float32), 3.0, 1)
    model = save_model(tmp_cwd / "model", base.weights, base.bias, features=base.features,
                       thresholds=dict(base.thresholds), model_id="centre-json", card="x\n",
                       fusion={"learned_centre_up": 0.5}, centre=eager)  # fmt: skip
    wav = synthesise("你个傻逼客服给我滚", tmp_cwd / "call.wav")
    monkeypatch.setenv("VOSK_MODEL_PATH", str(korean_model_path))
    assert main(["screen", str(wav), "--model", str(model), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    centre = [r for r in result["reasons"] if r["code"] == "content.learned_centre"]
    assert len(centre) == 1 and 0 < centre[0]["weight"] <= 0.5, result
    assert "centre-json" in centre[0]["detail"] and centre[0]["evidence"], centre
    assert all(isinstance(e, str) and (re.fullmatch(r".+ \+\d+\.\d\d", e) or e == NO_NGRAM)
               for e in centre[0]["evidence"]), centre  # fmt: skip
