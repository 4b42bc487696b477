"""Any WAV to what the ASR consumes: 8 kHz mono 16-bit little-endian PCM (telephone audio).

Down-mixing averages the channels (a two-channel call recording holds both parties; averaging keeps both audible,
which is what an offline screen of a recording wants). Resampling is soxr at high quality in-process — the
product never shells out to sox at run time.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import soxr

from asr.events import SAMPLE_RATE
from asr.wav_file import read_wav

INT16_MAX = 32767


def to_telephone_pcm(samples: npt.NDArray[np.float32], rate: int) -> bytes:
    """Float samples shaped (frames, channels) or (frames,) at ``rate`` → 8 kHz mono s16le bytes."""
    mono = samples.mean(axis=1) if samples.ndim == 2 else samples
    if mono.size == 0:
        return b""
    if rate != SAMPLE_RATE:
        mono = soxr.resample(mono.astype(np.float32), rate, SAMPLE_RATE, quality="HQ")
    scaled = np.clip(np.rint(mono * 32768.0), -INT16_MAX - 1, INT16_MAX)
    pcm: bytes = scaled.astype("<i2").tobytes()
    return pcm


def read_wav_as_telephone_pcm(path: Path) -> bytes:
    """Read any supported WAV and return 8 kHz mono 16-bit PCM; :class:`asr.errors.AudioFormatError` otherwise."""
    audio = read_wav(path)
    return to_telephone_pcm(audio.samples, audio.rate)
