"""Speech activity of one stream from frame energies: silent calls and open lines are signals.

An energy VAD with an adaptive floor: a 20 ms frame is speech when it is at least ``MARGIN_DB`` above the lowest
smoothed frame energy of the last ``FLOOR_WINDOW_S`` and above an absolute minimum. A steady background (line hiss,
an open line in a quiet room, fan noise) therefore becomes the floor and never counts as speech, while syllables
stand out from the pauses between them. The speech segments it finds are also used to drop words the decoder
hallucinates from noise (see :mod:`asr.recognizer`). Not here: telling laughter or several voices apart — an
energy VAD cannot, and nothing measured here would support the claim. Level and clipping are reported for
diagnosis (a hot line, a broken gain) but are no harassment signal: loudness is a trait of the voice and the
line, and a caller's voice traits never count against them.
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np

from asr.events import FRAME_BYTES, FRAME_SAMPLES, SAMPLE_RATE, SpeechStats

FRAME_S = FRAME_SAMPLES / SAMPLE_RATE
MARGIN_DB = 12.0
ABSOLUTE_MIN_DBFS = -50.0
FLOOR_WINDOW_S = 1.5
SMOOTH_FRAMES = 3
MERGE_GAP_S = 0.3  # speech frames closer than this belong to one segment
MIN_SEGMENT_S = 0.06  # a lone click is not speech
CLIP_LEVEL = 32767
_FLOOR_FRAMES = round(FLOOR_WINDOW_S / FRAME_S)
_SILENT_DB = -120.0


def _dbfs(power: float) -> float:
    return 10.0 * math.log10(power) if power > 0 else _SILENT_DB


class SpeechStatsTracker:
    """Feed 8 kHz 16-bit PCM in any chunking; read :class:`SpeechStats` and speech segments at any time.

    Not thread-safe: one owner (the stream's worker) feeds it; others read snapshots.
    """

    def __init__(self) -> None:
        self._carry = b""
        self._frames = 0
        self._recent: deque[float] = deque(maxlen=SMOOTH_FRAMES)
        self._floor_window: deque[float] = deque(maxlen=_FLOOR_FRAMES)
        self._segments: list[list[float]] = []  # [start_s, end_s] of speech, merged
        self._speech_frames = 0
        self._speech_power = 0.0
        self._peak = 0
        self._clipped = 0
        self._samples = 0

    def add(self, pcm16: bytes) -> None:
        data = self._carry + pcm16
        whole = len(data) - len(data) % FRAME_BYTES
        self._carry = data[whole:]
        if whole == 0:
            return
        frames = np.frombuffer(data[:whole], dtype="<i2").astype(np.int32).reshape(-1, FRAME_SAMPLES)
        magnitudes = np.abs(frames)
        self._peak = max(self._peak, int(magnitudes.max()))
        self._clipped += int((magnitudes >= CLIP_LEVEL).sum())
        self._samples += frames.size
        powers = (frames.astype(np.float64) / 32768.0) ** 2
        for power in powers.mean(axis=1):
            self._frame(float(power))

    def _frame(self, power: float) -> None:
        start = self._frames * FRAME_S
        self._frames += 1
        self._recent.append(power)
        self._floor_window.append(_dbfs(sum(self._recent) / len(self._recent)))
        db = _dbfs(power)
        if db < ABSOLUTE_MIN_DBFS or db < min(self._floor_window) + MARGIN_DB:
            return
        self._speech_frames += 1
        self._speech_power += power
        if self._segments and start - self._segments[-1][1] <= MERGE_GAP_S:
            self._segments[-1][1] = start + FRAME_S
        else:
            self._segments.append([start, start + FRAME_S])

    @property
    def duration_s(self) -> float:
        return self._frames * FRAME_S

    def segments(self) -> list[tuple[float, float]]:
        """Speech segments so far, (start_s, end_s); the last may still be growing."""
        return [(s, e) for s, e in self._segments]

    def last_speech_end_s(self) -> float | None:
        return self._segments[-1][1] if self._segments else None

    def has_speech_between(self, start_s: float, end_s: float) -> bool:
        """Whether a speech segment long enough to hold a syllable overlaps the interval."""
        return any(s < end_s and e > start_s and e - s >= MIN_SEGMENT_S for s, e in reversed(self._segments))

    def stats(self) -> SpeechStats:
        duration = self.duration_s
        kept = [(s, e) for s, e in self._segments if e - s >= MIN_SEGMENT_S]
        speech_s = sum((e - s for s, e in kept), 0.0)
        edges = [0.0, *[x for seg in kept for x in seg], duration]
        gaps = [edges[i + 1] - edges[i] for i in range(0, len(edges), 2)]
        return SpeechStats(
            duration_s=round(duration, 3),
            speech_s=round(speech_s, 3),
            speech_ratio=round(speech_s / duration, 4) if duration else 0.0,
            longest_silence_s=round(max(gaps, default=0.0), 3),
            first_speech_s=round(kept[0][0], 3) if kept else None,
            rms_dbfs=_dbfs(self._speech_power / self._speech_frames) if self._speech_frames else -math.inf,
            peak_dbfs=_dbfs((self._peak / 32768.0) ** 2) if self._peak else -math.inf,
            clipping_ratio=self._clipped / self._samples if self._samples else 0.0,
        )
