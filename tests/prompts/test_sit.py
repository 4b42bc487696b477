from __future__ import annotations

import numpy as np

from prompts import PromptLibrary, PromptName
from prompts.sit import SIT_FREQUENCIES_HZ, sit_tone


def dominant_hz(samples: np.ndarray, rate: int = 8000) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.fft.rfftfreq(len(samples), 1 / rate)[int(np.argmax(spectrum))])


def test_three_rising_tones_of_330_ms_at_the_e180_frequencies() -> None:
    pcm = np.frombuffer(sit_tone(), "<i2").astype(float)
    assert len(pcm) == 3 * 2640  # 3 × 330 ms at 8 kHz
    segments = np.split(pcm, 3)
    found = [dominant_hz(s) for s in segments]
    for got, want in zip(found, SIT_FREQUENCIES_HZ, strict=True):
        assert abs(got - want) < 8000 / 2640 * 1.5  # within about one FFT bin
    assert found == sorted(found)
    assert np.abs(pcm).max() < 32767 * 0.3  # no clipping, fits G.711 comfortably
    assert abs(pcm[0]) < 100 and abs(pcm[-1]) < 100  # soft edges, no click


def test_shipped_sit_wav_is_the_generated_tone() -> None:
    assert PromptLibrary.load().pcm16(PromptName.SIT) == sit_tone()
