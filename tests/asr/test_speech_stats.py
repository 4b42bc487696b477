"""Speech activity: silence, steady noise and open lines are not speech; speech is; shouting clips."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from asr.audio import read_wav_as_telephone_pcm
from asr.events import SpeechStats
from asr.speech_stats import SpeechStatsTracker
from tests.asr.conftest import Clips


def _stats(pcm: bytes, chunk: int = 320) -> SpeechStats:
    tracker = SpeechStatsTracker()
    for i in range(0, len(pcm), chunk):
        tracker.add(pcm[i : i + chunk])
    return tracker.stats()


def _pcm(samples: np.ndarray) -> bytes:
    return np.clip(np.rint(samples * 32768), -32768, 32767).astype("<i2").tobytes()


def test_silence_is_one_long_silence() -> None:
    stats = _stats(bytes(8000 * 2 * 4))
    assert stats.duration_s == 4.0
    assert (stats.speech_s, stats.speech_ratio, stats.first_speech_s) == (0.0, 0.0, None)
    assert stats.longest_silence_s == 4.0
    assert stats.rms_dbfs == -math.inf
    assert stats.clipping_ratio == 0.0


def test_steady_noise_is_not_speech(clips: Clips) -> None:
    for path in (clips.white_noise_8k, clips.brown_noise_8k):
        stats = _stats(read_wav_as_telephone_pcm(path))
        assert stats.speech_s == 0.0, path.name
        assert stats.first_speech_s is None
        assert stats.longest_silence_s == stats.duration_s == 5.0
        assert stats.peak_dbfs > -20  # loud noise, still not speech


def test_speech_is_found_where_it_is(clips: Clips) -> None:
    pcm = read_wav_as_telephone_pcm(clips.ko_twice_8k)
    stats = _stats(pcm)
    assert 0.6 < stats.speech_ratio < 0.95
    assert stats.first_speech_s is not None and 0.2 < stats.first_speech_s < 0.8  # espeak's leading pause
    assert 1.0 <= stats.longest_silence_s < 1.8  # the 1 s gap between the sentences (plus the sentence's own)
    assert -30 < stats.rms_dbfs < -10
    assert stats.clipping_ratio == 0.0


def test_speech_over_steady_noise_is_still_found(clips: Clips) -> None:
    clean = _stats(read_wav_as_telephone_pcm(clips.ko_8k))
    noisy = _stats(read_wav_as_telephone_pcm(clips.speech_over_noise_8k))
    assert noisy.speech_ratio > 0.6 * clean.speech_ratio
    assert noisy.first_speech_s is not None and clean.first_speech_s is not None
    assert abs(noisy.first_speech_s - clean.first_speech_s) < 0.2


def test_shouting_shows_as_clipping_and_level() -> None:
    t = np.arange(8000 * 2) / 8000
    bursts = np.where((t % 0.5) < 0.3, 1.6 * np.sin(2 * np.pi * 300 * t), 0.0)  # driven past full scale
    stats = _stats(_pcm(bursts))
    assert stats.speech_ratio > 0.5
    assert stats.clipping_ratio > 0.1
    assert stats.peak_dbfs > -0.01
    assert stats.rms_dbfs > -6


@settings(max_examples=25, deadline=None)
@given(st.integers(min_value=1, max_value=5000))
def test_chunking_does_not_change_the_result(chunk: int) -> None:
    rng = np.random.default_rng(7)
    t = np.arange(8000 * 2) / 8000
    signal = np.where((t > 0.7) & (t < 1.3), 0.3 * np.sin(2 * np.pi * 200 * t), 0.0) + 0.001 * rng.standard_normal(
        len(t)
    )
    pcm = _pcm(signal)
    assert _stats(pcm, chunk) == _stats(pcm, 320)
