"""One call's decoder: PCM in, typed :class:`AsrPartial`/:class:`AsrFinal` events out. Single-threaded, no queue.

The only place Vosk's JSON is read. Three decisions live here:

- Audio is fed to Vosk in fixed ``CHUNK_MS`` pieces whatever size the caller's frames are, so a stream fed in
  20 ms RTP frames and a file fed in one piece give the same events (Vosk's endpointing and partials depend on
  chunk boundaries otherwise).
- An utterance ends at the first of: Vosk's own endpoint rules (the model's ``conf/model.conf``), or
  ``endpoint_silence_ms`` of silence after speech by the energy VAD (:mod:`asr.speech_stats`) — the configurable
  one, since Vosk's Python API cannot change its rules at run time.
- Words the decoder produces where the VAD heard no speech are dropped: Vosk, like any decoder, "hears" words in
  hiss and hum, and an open line must not produce a transcript.
"""

from __future__ import annotations

import json
from typing import Any

from asr.errors import AsrError
from asr.events import BYTES_PER_SECOND, SAMPLE_RATE, SAMPLE_WIDTH, AsrEvent, AsrFinal, AsrPartial, SpeechStats, Word
from asr.model import SharedModel
from asr.speech_stats import SpeechStatsTracker
from asr.text_norm import canonical_transcript

CHUNK_MS = 100
CHUNK_BYTES = SAMPLE_RATE * CHUNK_MS // 1000 * SAMPLE_WIDTH
WORD_PAD_S = 0.15  # Vosk's word times are frame-subsampled; allow this much slack against VAD segments
DEFAULT_ENDPOINT_SILENCE_MS = 600


def _words(items: list[dict[str, Any]]) -> tuple[Word, ...]:
    return tuple(
        Word(
            text=canonical_transcript(str(item["word"])),
            start_s=round(float(item["start"]), 3),
            end_s=round(float(item["end"]), 3),
            confidence=round(float(item.get("conf", 1.0)), 3),
        )
        for item in items
    )


class Recognizer:
    """Decode one stream. Owned by one thread at a time (the engine guarantees it)."""

    def __init__(self, model: SharedModel, *, endpoint_silence_ms: int = DEFAULT_ENDPOINT_SILENCE_MS) -> None:
        self._kaldi = model.new_recognizer(SAMPLE_RATE)
        self._endpoint_s = endpoint_silence_ms / 1000
        self._tracker = SpeechStatsTracker()
        self._buffer = bytearray()
        self._fed_bytes = 0
        self._last_final_s = 0.0
        self._last_partial = ""

    @property
    def audio_s(self) -> float:
        return self._fed_bytes / BYTES_PER_SECOND

    def stats(self) -> SpeechStats:
        return self._tracker.stats()

    def feed(self, pcm16: bytes) -> list[AsrEvent]:
        """Accept audio; return the events it completed (partials and finals, oldest first)."""
        self._buffer += pcm16
        events: list[AsrEvent] = []
        while len(self._buffer) >= CHUNK_BYTES:
            chunk = bytes(self._buffer[:CHUNK_BYTES])
            del self._buffer[:CHUNK_BYTES]
            events.extend(self._decode(chunk))
        return events

    def flush(self) -> list[AsrEvent]:
        """End of audio: decode what is buffered and return the last final, if it holds any speech."""
        events: list[AsrEvent] = []
        if self._buffer:
            events.extend(self._decode(bytes(self._buffer)))
            self._buffer.clear()
        final = self._final(self._call("FinalResult"))
        return [*events, final] if final is not None else events

    def _call(self, method: str, *args: bytes) -> Any:
        try:
            return getattr(self._kaldi, method)(*args)
        except Exception as exc:  # vosk raises bare Exception on decoder failure
            raise AsrError(f"Vosk {method} failed at {self.audio_s:.2f} s of audio: {exc}") from exc

    def _decode(self, chunk: bytes) -> list[AsrEvent]:
        self._tracker.add(chunk)
        self._fed_bytes += len(chunk)
        if self._call("AcceptWaveform", chunk):
            final = self._final(self._call("Result"))
            return [final] if final is not None else []
        last_speech = self._tracker.last_speech_end_s()
        in_utterance = last_speech is not None and last_speech > self._last_final_s
        if in_utterance and last_speech is not None and self.audio_s - last_speech >= self._endpoint_s:
            final = self._final(self._call("FinalResult"))
            return [final] if final is not None else []
        return self._partial(self._call("PartialResult"))

    def _heard(self, words: tuple[Word, ...]) -> tuple[Word, ...]:
        return tuple(w for w in words if self._tracker.has_speech_between(w.start_s - WORD_PAD_S, w.end_s + WORD_PAD_S))

    def _partial(self, raw: str) -> list[AsrEvent]:
        words = self._heard(_words(json.loads(raw).get("partial_result", [])))
        text = canonical_transcript(" ".join(w.text for w in words))
        if not text or text == self._last_partial:
            return []
        self._last_partial = text
        return [AsrPartial(text=text, at_s=round(self.audio_s, 3))]

    def _final(self, raw: str) -> AsrFinal | None:
        self._last_final_s = self.audio_s
        self._last_partial = ""
        words = self._heard(_words(json.loads(raw).get("result", [])))
        if not words:
            return None
        return AsrFinal(
            text=canonical_transcript(" ".join(w.text for w in words)),
            start_s=words[0].start_s,
            end_s=words[-1].end_s,
            words=words,
            confidence=round(sum(w.confidence for w in words) / len(words), 3),
        )
