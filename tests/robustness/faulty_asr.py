"""FAULT-INJECTION DOUBLES at the ASR boundary, for tests and `bench/fault_run.py` only.

Two places a recogniser can break:

- :class:`FaultyTranscribers` — the ``TranscriberFactory`` the composition root takes, with a switchable
  fault: raise in ``open_stream``, in ``accept`` (a non-ASR exception: a bug), or in ``poll``. With the fault
  cleared it delegates to the replay recogniser double, so "recovers when the fault clears" is testable in the same
  service.
- :func:`slow_engine` — the REAL ``AsrEngine`` / ``EngineStream`` / ``Recognizer`` with only the Vosk decoder
  replaced by one that is slower than real time (or hangs). The back-pressure that turns "falls behind" into
  ``AsrOverloadError`` is then the product's own code, not the double's.
"""

from __future__ import annotations

import enum
import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from asr.engine import AsrEngine
from asr.errors import AsrError
from asr.events import SAMPLE_RATE, SAMPLE_WIDTH, AsrEvent, SpeechStats, TranscriberStream
from asr.model import SharedModel
from tests.telephony.replay_recognizer import ReplayTranscriberFactory


class Fault(enum.Enum):
    NONE = "none"
    OPEN = "open"  # open_stream raises
    ACCEPT = "accept"  # accept raises a non-ASR exception (a bug in the recogniser)
    POLL = "poll"  # poll raises an AsrError (decoder failure)


class _FaultyStream:
    def __init__(self, inner: TranscriberStream, switch: FaultyTranscribers) -> None:
        self._inner = inner
        self._switch = switch

    def accept(self, pcm16: bytes) -> None:
        if self._switch.fault is Fault.ACCEPT:
            raise RuntimeError("fault injected by the test: recogniser crashed in accept")
        self._inner.accept(pcm16)

    def poll(self) -> list[AsrEvent]:
        if self._switch.fault is Fault.POLL:
            raise AsrError("fault injected by the test: decoder failed")
        return self._inner.poll()

    def finish(self, timeout_s: float | None = None) -> list[AsrEvent]:
        return self._inner.finish(timeout_s)

    def stats(self) -> SpeechStats:
        return self._inner.stats()

    @property
    def lagging(self) -> bool:
        return self._inner.lagging

    @property
    def backlog_s(self) -> float:
        return self._inner.backlog_s

    def close(self) -> None:
        self._inner.close()


@dataclass
class FaultyTranscribers:
    healthy: ReplayTranscriberFactory
    fault: Fault = Fault.NONE
    opened: int = 0

    def open_stream(self, call_id: str) -> TranscriberStream:
        self.opened += 1
        if self.fault is Fault.OPEN:
            raise RuntimeError("fault injected by the test: recogniser could not open a stream")
        return _FaultyStream(self.healthy.open_stream(call_id), self)

    def close(self) -> None:
        self.healthy.close()


@dataclass
class SlowDecoder:
    """Stands in for ``vosk.KaldiRecognizer``: takes ``slowdown`` × the audio's duration to decode it, and
    blocks on ``hang`` once ``hang_after_s`` of audio were decoded (a decoder stuck in C)."""

    slowdown: float
    hang: threading.Event
    hang_after_s: float | None = None
    decoded_s: float = 0.0

    def AcceptWaveform(self, chunk: bytes) -> bool:  # noqa: N802 (vosk's name)
        seconds = len(chunk) / (SAMPLE_RATE * SAMPLE_WIDTH)
        if self.hang_after_s is not None and self.decoded_s >= self.hang_after_s:
            self.hang.wait()
        time.sleep(seconds * self.slowdown)
        self.decoded_s += seconds
        return False

    def PartialResult(self) -> str:  # noqa: N802
        return json.dumps({"partial": "", "partial_result": []})

    def Result(self) -> str:  # noqa: N802
        return json.dumps({"text": "", "result": []})

    def FinalResult(self) -> str:  # noqa: N802
        return self.Result()


@dataclass
class SlowModel:
    """The part of :class:`asr.model.SharedModel` the recogniser uses, handing out slow decoders."""

    slowdown: float
    hang_after_s: float | None = None
    hang: threading.Event = field(default_factory=threading.Event)
    path: Path = Path("slow-model")

    def new_recognizer(self, sample_rate: int) -> Any:
        return SlowDecoder(self.slowdown, self.hang, self.hang_after_s)


def slow_engine(slowdown: float, *, queue_frames: int = 50, hang_after_s: float | None = None,
                workers: int = 2) -> tuple[AsrEngine, SlowModel]:
    """The real engine over a decoder ``slowdown`` times slower than real time. Release ``model.hang`` and close
    the engine when done."""
    model = SlowModel(slowdown, hang_after_s)
    engine = AsrEngine(cast(SharedModel, model), workers=workers, queue_frames=queue_frames, endpoint_silence_ms=500)
    return engine, model
