"""A RECOGNISER DOUBLE for tests only: replays a scripted transcript at the ASR boundary.

It implements :class:`asr.events.TranscriberStream`, but its clock is the *audio it was given*: an utterance
scripted at 1.0 s is only produced after 1.0 s of caller audio arrived through SIP/RTP/G.711, so a call whose
audio path is broken produces no transcript. It also keeps every frame it accepted, so tests can compare what
callscreen heard with what the caller sent. Content verdicts then come from the real screening engine.
Never used outside tests; the real path is ``asr.engine.AsrEngine`` (tested with real Vosk elsewhere).
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field

from asr.errors import AsrCapacityError, AsrOverloadError
from asr.events import FRAME_BYTES, SAMPLE_RATE, AsrEvent, AsrFinal, SpeechStats


@dataclass(frozen=True, slots=True)
class Utterance:
    at_s: float  # seconds of caller audio after which the utterance is "recognised"
    text: str


class ReplayStream:
    def __init__(self, call_id: str, script: tuple[Utterance, ...], fail_at_s: float | None = None) -> None:
        self.call_id = call_id
        self._fail_at_s = fail_at_s
        self._pending = sorted(script, key=lambda u: u.at_s)
        self.audio = bytearray()
        self.closed = False

    @property
    def audio_s(self) -> float:
        return len(self.audio) / 2 / SAMPLE_RATE

    def accept(self, pcm16: bytes) -> None:
        if self._fail_at_s is not None and self.audio_s >= self._fail_at_s:
            raise AsrOverloadError("fault injected by the test: recogniser fell behind")  # fault injection
        self.audio += pcm16

    def poll(self) -> list[AsrEvent]:
        ready = [u for u in self._pending if u.at_s <= self.audio_s]
        self._pending = [u for u in self._pending if u.at_s > self.audio_s]
        return [AsrFinal(u.text, max(0.0, u.at_s - 1.0), u.at_s, (), 1.0) for u in ready]

    def finish(self, timeout_s: float | None = None) -> list[AsrEvent]:
        return self.poll()

    def stats(self) -> SpeechStats:
        seconds = self.audio_s
        speech = seconds if self.audio.strip(b"\x00") else 0.0
        return SpeechStats(seconds, speech, speech / seconds if seconds else 0.0, 0.0 if speech else seconds,
                           0.0 if speech else None, -20.0 if speech else -math.inf, -6.0, 0.0)

    @property
    def lagging(self) -> bool:
        return False

    @property
    def backlog_s(self) -> float:
        return 0.0  # decodes inline: never behind

    def close(self) -> None:
        self.closed = True


@dataclass
class ReplayTranscriberFactory:
    script: tuple[Utterance, ...] = ()
    fail_at_s: float | None = None  # fault injection: accept() raises once this much audio arrived
    max_streams: int | None = None  # admission control as the engine's: streams open at once (None: no limit)
    streams: list[ReplayStream] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def open_stream(self, call_id: str) -> ReplayStream:
        with self._lock:
            if self.max_streams is not None and sum(not s.closed for s in self.streams) >= self.max_streams:
                raise AsrCapacityError(f"call {call_id}: all {self.max_streams} decoder slots are busy")
            stream = ReplayStream(call_id, self.script, self.fail_at_s)
            self.streams.append(stream)
        return stream

    def close(self) -> None:
        pass  # no workers to stop


FRAME = FRAME_BYTES
