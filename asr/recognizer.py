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
- The same VAD gates the decoder (``gate``): between utterances — before the first speech, and once an utterance
  has been finalised — audio the VAD calls silence or steady line noise is not decoded at all (decoding it cost
  0.11–0.15 CPU-s per second, BENCHMARKS.md). When speech starts, the last ``PREROLL_MS`` of the skipped audio is
  decoded first, in the pieces ungated decoding would have given, so the decoder sees each utterance's onset and
  the words do not change (the bench clips give the same transcripts with and without the gate,
  ``tests/asr/test_vad_gate.py``). Inside an utterance nothing is skipped. Vosk's word times then count only the
  audio it saw; :meth:`Recognizer._real_s` maps them back to the stream's time, which the events report.
- What opens the gate is a :class:`GateVad`: by default the stream's own energy VAD, which is computed for every
  chunk anyway (statistics, word filter, endpoint), so gating costs nothing more. Another VAD can be put in its
  place (``gate_vad``) — ``bench/vad_compare.py`` measures a library VAD there against the energy one, on the same
  decoder and pre-roll, which is how the energy VAD was chosen (BENCHMARKS.md "Capacity").
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable
from typing import Any, Protocol

from asr.errors import AsrError
from asr.events import BYTES_PER_SECOND, SAMPLE_RATE, SAMPLE_WIDTH, AsrEvent, AsrFinal, AsrPartial, SpeechStats, Word
from asr.model import SharedModel
from asr.speech_stats import SpeechStatsTracker
from asr.text_norm import canonical_transcript

CHUNK_MS = 100
CHUNK_BYTES = SAMPLE_RATE * CHUNK_MS // 1000 * SAMPLE_WIDTH
WORD_PAD_S = 0.15  # Vosk's word times are frame-subsampled; allow this much slack against VAD segments
DEFAULT_ENDPOINT_SILENCE_MS = 600
PREROLL_MS = 1000  # skipped audio decoded before a detected onset: weak onsets, and the context Vosk expects
PREROLL_CHUNKS = PREROLL_MS // CHUNK_MS


class GateVad(Protocol):
    """What the gate asks of a VAD: it sees every chunk of the stream, and says where the latest speech it heard
    ended (stream seconds, None before any). :class:`asr.speech_stats.SpeechStatsTracker` is one."""

    def add(self, pcm16: bytes) -> None: ...

    def last_speech_end_s(self) -> float | None: ...


def _words(items: list[dict[str, Any]], real_s: Callable[[float], float]) -> tuple[Word, ...]:
    return tuple(
        Word(
            text=canonical_transcript(str(item["word"])),
            start_s=round(real_s(float(item["start"])), 3),
            end_s=round(real_s(float(item["end"])), 3),
            confidence=round(float(item.get("conf", 1.0)), 3),
        )
        for item in items
    )


class Recognizer:
    """Decode one stream. Owned by one thread at a time (the engine guarantees it)."""

    def __init__(
        self,
        model: SharedModel,
        *,
        endpoint_silence_ms: int = DEFAULT_ENDPOINT_SILENCE_MS,
        kaldi: Any = None,
        kaldi_s: float = 0.0,
        gate: bool = False,
        gate_vad: GateVad | None = None,
    ) -> None:
        """``kaldi``: a reset Vosk recogniser to reuse (from the engine's pool), which has decoded ``kaldi_s``
        seconds before — Vosk's word times keep counting across ``Reset()`` (measured: exactly the audio it was
        fed), so they are shifted back by that much. None builds a fresh recogniser.

        ``gate_vad``: the VAD that opens the gate, fed every chunk; None = the stream's energy VAD. Only the gate
        asks it: statistics, the word filter and the endpoint stay on the energy VAD, so a different gate can only
        change what the decoder is shown, never which words are kept."""
        self._kaldi: Any = kaldi if kaldi is not None else model.new_recognizer(SAMPLE_RATE)
        self._base_s = kaldi_s if kaldi is not None else 0.0
        self._endpoint_s = endpoint_silence_ms / 1000
        self._gate = gate
        self._skipped: deque[bytes] = deque(maxlen=PREROLL_CHUNKS)  # the latest gated-off chunks (pre-roll)
        self._decoded_bytes = 0  # audio the decoder has seen (≤ _fed_bytes when the gate skipped some)
        # (decoder time, stream time − decoder time) from there on
        self._shifts: list[tuple[float, float]] = [(self._base_s, -self._base_s)]
        self.skipped_s = 0.0  # audio the gate kept from the decoder
        self._tracker = SpeechStatsTracker()
        self._gate_vad: GateVad | None = gate_vad
        self._buffer = bytearray()
        self._fed_bytes = 0
        self._last_final_s = 0.0
        self._last_partial = ""

    @property
    def audio_s(self) -> float:
        return self._fed_bytes / BYTES_PER_SECOND

    def stats(self) -> SpeechStats:
        return self._tracker.stats()

    @property
    def decoder_s(self) -> float:
        """The Vosk recogniser's own clock: all audio it has been fed, this call's and earlier calls'."""
        return self._base_s + self._decoded_bytes / BYTES_PER_SECOND

    def detach(self) -> Any:
        """Hand the Vosk recogniser over (to be reset and reused); this Recognizer must not be used after."""
        kaldi, self._kaldi = self._kaldi, None
        return kaldi

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

    def _real_s(self, decoder_s: float) -> float:
        """A decoder time (audio it saw) as stream time (all audio, skipped included)."""
        shift = -self._base_s
        for start, offset in self._shifts:
            if start > decoder_s + 1e-6:
                break
            shift = offset
        return decoder_s + shift

    def _between_utterances(self) -> bool:
        """True while nothing is being said and the last utterance is finalised: the gate may skip audio."""
        last_speech = (self._gate_vad or self._tracker).last_speech_end_s()
        if last_speech is None:
            return True
        return self._last_final_s >= last_speech and self.audio_s - last_speech > CHUNK_MS / 1000

    def _preroll(self, chunk: bytes) -> list[bytes]:
        """Speech starts after a gap: the skipped pieces to decode before ``chunk`` (none without a gap).

        Handed to the decoder one ``CHUNK_MS`` piece at a time, as ungated decoding gives them: Vosk's words depend
        on how the audio is cut into pieces (most likely its online i-vector, taken from the audio given so far),
        and the pre-roll joined into one piece changed the words under line noise although the decoder saw every
        sample (bench/vad_compare.py; tests/asr/test_vad_gate.py).
        """
        if not (self._gate and self._skipped):
            return []
        pieces = list(self._skipped)
        self._skipped.clear()
        preroll_s = sum(len(piece) for piece in pieces) / BYTES_PER_SECOND
        stream_start = self.audio_s - len(chunk) / BYTES_PER_SECOND - preroll_s
        decoder_start = self.decoder_s
        self._shifts.append((decoder_start, stream_start - decoder_start))
        self.skipped_s -= preroll_s
        return pieces

    def _accept(self, chunk: bytes) -> bool:
        self._decoded_bytes += len(chunk)
        return bool(self._call("AcceptWaveform", chunk))

    def _vosk_final(self) -> list[AsrEvent]:
        final = self._final(self._call("Result"))
        return [final] if final is not None else []

    def _decode(self, chunk: bytes) -> list[AsrEvent]:
        self._tracker.add(chunk)
        if self._gate and self._gate_vad is not None:
            self._gate_vad.add(chunk)
        self._fed_bytes += len(chunk)
        if self._gate and self._between_utterances():
            self._skipped.append(chunk)
            self.skipped_s += len(chunk) / BYTES_PER_SECOND
            return []
        events: list[AsrEvent] = []
        for piece in self._preroll(chunk):  # the gap before the speech: only Vosk's own endpoint can end it
            if self._accept(piece):
                events += self._vosk_final()
        if self._accept(chunk):
            return events + self._vosk_final()
        last_speech = self._tracker.last_speech_end_s()
        in_utterance = last_speech is not None and last_speech > self._last_final_s
        if in_utterance and last_speech is not None and self.audio_s - last_speech >= self._endpoint_s:
            final = self._final(self._call("FinalResult"))
            return events + ([final] if final is not None else [])
        return events + self._partial(self._call("PartialResult"))

    def _heard(self, words: tuple[Word, ...]) -> tuple[Word, ...]:
        return tuple(w for w in words if self._tracker.has_speech_between(w.start_s - WORD_PAD_S, w.end_s + WORD_PAD_S))

    def _partial(self, raw: str) -> list[AsrEvent]:
        words = self._heard(_words(json.loads(raw).get("partial_result", []), self._real_s))
        text = canonical_transcript(" ".join(w.text for w in words))
        if not text or text == self._last_partial:
            return []
        self._last_partial = text
        return [AsrPartial(text=text, at_s=round(self.audio_s, 3))]

    def _final(self, raw: str) -> AsrFinal | None:
        self._last_final_s = self.audio_s
        self._last_partial = ""
        words = self._heard(_words(json.loads(raw).get("result", []), self._real_s))
        if not words:
            return None
        return AsrFinal(
            text=canonical_transcript(" ".join(w.text for w in words)),
            start_s=words[0].start_s,
            end_s=words[-1].end_s,
            words=words,
            confidence=round(sum(w.confidence for w in words) / len(words), 3),
        )
