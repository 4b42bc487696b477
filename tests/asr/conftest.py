"""ASR fixtures: the Korean model loaded once per session, and test audio made at test time.

Speech comes from ``espeak-ng`` and is resampled with ``sox`` here, in the test — the product itself never shells
out. ``sox -D``: no dither, because the Korean model hears espeak's voice so poorly that LSB-level dither noise
alone changed about a third of its characters (measured), which would hide what the resampling tests look at.
Silence and noise are generated with numpy so they are exactly what the test says they are.
"""

from __future__ import annotations

import subprocess
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from asr.model import SharedModel, load_shared_model
from tests.conftest import require_tool

KO_SENTENCE = "안녕하세요 주문한 물건이 아직 도착하지 않았습니다 환불을 요청하고 싶어요"
CMN_SENTENCE = "你好，我想查询一下我的订单，快递还没有到"


@dataclass(frozen=True)
class Clips:
    ko_8k: Path
    ko_16k: Path
    ko_44k_stereo_24bit: Path
    ko_twice_8k: Path  # the sentence, 1.0 s of silence, the sentence again
    cmn_8k: Path
    silence_8k: Path
    white_noise_8k: Path
    brown_noise_8k: Path
    speech_over_noise_8k: Path


def write_wav16(path: Path, samples: np.ndarray, rate: int = 8000) -> Path:
    pcm = np.clip(np.rint(samples * 32768), -32768, 32767).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm.tobytes())
    return path


def read_wav16(path: Path) -> np.ndarray:
    with wave.open(str(path), "rb") as wav:
        return np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").astype(np.float64) / 32768


def _run(*cmd: str) -> None:
    subprocess.run(cmd, check=True, capture_output=True, timeout=60)


def _noise(kind: str, seconds: float, level: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    white = rng.standard_normal(int(8000 * seconds))
    if kind == "brown":
        walk = np.cumsum(white)
        walk -= np.convolve(walk, np.ones(400) / 400, mode="same")  # keep the walk from drifting off
        white = walk
    return level * white / np.sqrt(np.mean(white**2))


@pytest.fixture(scope="session")
def clips(tmp_path_factory: pytest.TempPathFactory) -> Clips:
    espeak, sox = require_tool("espeak-ng"), require_tool("sox")
    d = tmp_path_factory.mktemp("asr-clips")
    _run(espeak, "-v", "ko", "-w", str(d / "ko.wav"), KO_SENTENCE)
    _run(espeak, "-v", "cmn", "-w", str(d / "cmn.wav"), CMN_SENTENCE)
    _run(sox, "-D", str(d / "ko.wav"), "-r", "8000", "-c", "1", "-b", "16", str(d / "ko_8k.wav"))
    _run(sox, "-D", str(d / "ko.wav"), "-r", "16000", "-c", "1", "-b", "16", str(d / "ko_16k.wav"))
    _run(sox, "-D", str(d / "ko.wav"), "-r", "44100", "-c", "2", "-b", "24", str(d / "ko_44k.wav"))
    _run(sox, "-D", str(d / "cmn.wav"), "-r", "8000", "-c", "1", "-b", "16", str(d / "cmn_8k.wav"))
    speech = read_wav16(d / "ko_8k.wav")
    twice = np.concatenate([speech, np.zeros(8000), speech])
    over_noise = speech + _noise("white", len(speech) / 8000, 0.01, seed=3)
    return Clips(
        ko_8k=d / "ko_8k.wav",
        ko_16k=d / "ko_16k.wav",
        ko_44k_stereo_24bit=d / "ko_44k.wav",
        ko_twice_8k=write_wav16(d / "ko_twice.wav", twice),
        cmn_8k=d / "cmn_8k.wav",
        silence_8k=write_wav16(d / "silence.wav", np.zeros(8000 * 5)),
        white_noise_8k=write_wav16(d / "white.wav", _noise("white", 5, 0.1, seed=1)),
        brown_noise_8k=write_wav16(d / "brown.wav", _noise("brown", 5, 0.1, seed=2)),
        speech_over_noise_8k=write_wav16(d / "speech_noise.wav", over_noise),
    )


@pytest.fixture(scope="session")
def ko_model(korean_model_path: Path) -> SharedModel:
    """The one model load of the ASR suite (about 2 s and 500 MB): every test shares it, as the product does."""
    return load_shared_model(korean_model_path)
