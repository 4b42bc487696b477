"""The special information tone (SIT), generated rather than recorded.

ITU-T E.180 / Q.35 describe SIT as three rising tones of 950, 1400 and 1800 Hz (± 50 Hz); the North American
variant used here (913.8, 1370.6, 1776.7 Hz) sits inside that tolerance and is what callers recognise from carrier
intercept messages. Each tone lasts ~330 ms; 5 ms raised-cosine edges keep the switches from clicking.
"""

from __future__ import annotations

import numpy as np

from asr.events import SAMPLE_RATE

SIT_FREQUENCIES_HZ = (913.8, 1370.6, 1776.7)
SIT_TONE_S = 0.330
SIT_LEVEL = 0.25  # of full scale, ≈ -12 dBFS: audible, well clear of G.711 clipping
EDGE_S = 0.005


def sit_tone(sample_rate: int = SAMPLE_RATE) -> bytes:
    """16-bit signed little-endian mono PCM of the three SIT tones back to back."""
    n = round(SIT_TONE_S * sample_rate)
    t = np.arange(n) / sample_rate
    edge = round(EDGE_S * sample_rate)
    envelope = np.ones(n)
    ramp = 0.5 - 0.5 * np.cos(np.linspace(0, np.pi, edge))
    envelope[:edge], envelope[-edge:] = ramp, ramp[::-1]
    tones = [np.sin(2 * np.pi * f * t) * envelope for f in SIT_FREQUENCIES_HZ]
    samples = np.concatenate(tones) * SIT_LEVEL * 32767
    return np.round(samples).astype("<i2").tobytes()
