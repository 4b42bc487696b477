"""Importing recordings: any rate/channels (and MP3) → 8 kHz mono 16-bit at one loudness, durations checked."""

from __future__ import annotations

import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest

from prompts.errors import PromptError
from prompts.importer import PEAK_LIMIT_DBFS, TARGET_RMS_DBFS, import_prompts, normalise
from prompts.manifest import read_pcm16
from prompts.names import PromptName
from tests.conftest import require_tool


def _studio_wav(path: Path, seconds: float, level: float, rate: int = 44100, channels: int = 2) -> None:
    t = np.arange(int(rate * seconds)) / rate
    tone = level * 32767 * np.sin(2 * np.pi * 440 * t) * (t % 1.0 < 0.7)  # speech-like: bursts and pauses
    frames = np.repeat(tone[:, None], channels, axis=1).astype("<i2")
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(frames.tobytes())


def _active_dbfs(pcm: bytes) -> tuple[float, float]:
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    frames = samples[: len(samples) - len(samples) % 160].reshape(-1, 160)
    rms = np.sqrt(np.mean(frames**2, axis=1))
    active = rms[rms > 32767 * 10 ** (-45 / 20)]
    return 20 * np.log10(np.sqrt(np.mean(active**2)) / 32767), 20 * np.log10(np.max(np.abs(samples)) / 32767)


def test_quiet_and_loud_studio_recordings_come_out_8k_mono_at_one_loudness(tmp_path: Path) -> None:
    require_tool("sox")
    src = tmp_path / "src"
    src.mkdir()
    _studio_wav(src / "greeting.wav", 2.0, 0.02)  # very quiet, 44.1 kHz stereo
    _studio_wav(src / "steer.wav", 2.0, 0.9, rate=48000, channels=1)  # hot
    report = import_prompts(src, tmp_path / "out", {PromptName.GREETING: 5.0})
    assert report.ok and {i.name for i in report.imported} == {PromptName.GREETING, PromptName.STEER}
    for name in ("greeting", "steer"):
        pcm = read_pcm16(tmp_path / "out" / f"{name}.wav")  # refuses anything but 8 kHz mono 16-bit
        assert abs(len(pcm) / 16000 - 2.0) < 0.01
        loudness, peak = _active_dbfs(pcm)
        assert peak <= PEAK_LIMIT_DBFS + 0.1
        assert abs(loudness - TARGET_RMS_DBFS) < 1.5 or peak > PEAK_LIMIT_DBFS - 0.5  # target, or peak-limited
    assert PromptName.ANALYSIS_NOTICE in report.missing and PromptName.GREETING not in report.missing


def test_mp3_too_long_silent_and_unknown_are_reported(tmp_path: Path) -> None:
    require_tool("sox")
    src = tmp_path / "src"
    src.mkdir()
    _studio_wav(tmp_path / "long.wav", 7.0, 0.3)
    encoded = subprocess.run(["sox", str(tmp_path / "long.wav"), str(src / "greeting.mp3")], capture_output=True,
                             text=True, check=False)
    if encoded.returncode != 0:
        pytest.skip(f"this sox cannot write MP3 (libsox-fmt-mp3): {encoded.stderr.strip()[:100]}")
    _studio_wav(src / "line_fault.wav", 1.0, 0.0)
    _studio_wav(src / "hello.wav", 1.0, 0.3)
    report = import_prompts(src, tmp_path / "out", {PromptName.GREETING: 5.0})
    refused = {i.name: i.problem for i in report.refused}
    assert "longer than the 5.0 s" in (refused[PromptName.GREETING] or "")  # decoded from MP3, then measured
    assert "silent" in (refused[PromptName.LINE_FAULT] or "")
    assert [p.name for p in report.unknown] == ["hello.wav"] and not report.ok
    assert not (tmp_path / "out" / "greeting.wav").exists()
    with pytest.raises(PromptError):
        normalise(b"\x00\x00" * 800)


def test_a_long_greeting_stretches_the_first_window_so_the_answer_still_fits() -> None:
    from callscreen.profiles import MIN_ANSWER_S, first_window_s

    assert first_window_s(8.0, b"\x00\x00" * 8000 * 3, "x") == 8.0  # 3 s greeting: 5 s left, as configured
    assert first_window_s(8.0, b"\x00\x00" * 8000 * 7, "x") == 7.0 + MIN_ANSWER_S  # 7 s greeting: 10 s window
