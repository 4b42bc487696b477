"""What the ASR layer tells the rest of the product, and the stream contract telephony drives.

Typed values only: Vosk's JSON is parsed in ``asr.recognizer`` and never leaves ``asr``. Times are seconds from
the start of the stream's audio (not wall clock), so screening decisions are reproducible from a recording.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

# The product's one audio format (ASR input, RTP media after decoding, prompts), defined here only: telephony and
# prompts import it. 8 kHz is what G.711 carries; 20 ms is the RTP packetisation every peer accepts.
SAMPLE_RATE = 8000
SAMPLE_WIDTH = 2  # bytes: 16-bit signed little-endian linear PCM
CHANNELS = 1
BYTES_PER_SECOND = SAMPLE_RATE * SAMPLE_WIDTH * CHANNELS
FRAME_MS = 20
FRAME_SAMPLES = SAMPLE_RATE * FRAME_MS // 1000
FRAME_BYTES = FRAME_SAMPLES * SAMPLE_WIDTH * CHANNELS


@dataclass(frozen=True, slots=True)
class Word:
    text: str
    start_s: float
    end_s: float
    confidence: float


@dataclass(frozen=True, slots=True)
class AsrPartial:
    """The current hypothesis of the utterance in progress; later partials replace it."""

    text: str
    at_s: float


@dataclass(frozen=True, slots=True)
class AsrFinal:
    """One finished utterance (endpointed by silence, or flushed by ``finish()``)."""

    text: str
    start_s: float
    end_s: float
    words: tuple[Word, ...]
    confidence: float


AsrEvent = AsrPartial | AsrFinal


@dataclass(frozen=True, slots=True)
class SpeechStats:
    """Speech activity over the audio so far — silence calls and open lines are signals (level is diagnostic)."""

    duration_s: float
    speech_s: float
    speech_ratio: float
    longest_silence_s: float
    first_speech_s: float | None  # None: no speech yet
    rms_dbfs: float  # over speech frames; -inf when there were none
    peak_dbfs: float
    clipping_ratio: float  # share of samples at full scale


class TranscriberStream(Protocol):
    """One call's ASR stream. ``accept`` never blocks the caller's thread for long.

    Back-pressure: when decoding falls behind real time by more than the configured bound, ``accept`` raises
    :class:`asr.errors.AsrOverloadError` (and ``lagging`` is true) — the call flow then fails open.
    """

    def accept(self, pcm16: bytes) -> None: ...

    def poll(self) -> list[AsrEvent]:
        """Events produced since the last call, oldest first."""
        ...

    def finish(self, timeout_s: float | None = None) -> list[AsrEvent]:
        """Flush: decode everything accepted, return the remaining events (ending with a final if any speech).

        Raises :class:`asr.errors.AsrOverloadError` when that takes longer than ``timeout_s`` (None: no limit) —
        a call must never wait on a decoder without a deadline."""
        ...

    def stats(self) -> SpeechStats: ...

    @property
    def lagging(self) -> bool: ...

    @property
    def backlog_s(self) -> float:
        """Audio accepted but not yet decoded, in seconds (0.0 for a recogniser that decodes inline)."""
        ...

    def close(self) -> None: ...


class TranscriberFactory(Protocol):
    """The shared engine (one model per process) that opens a stream per call."""

    def open_stream(self, call_id: str) -> TranscriberStream: ...

    def close(self) -> None:
        """Release the workers at shutdown; idempotent."""
        ...
