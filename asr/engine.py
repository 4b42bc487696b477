"""The process's ASR engine: one shared model, a pool of decoding threads, one stream per call.

Threads, not processes: Vosk is called through cffi, which releases the GIL for the duration of each C call, and
``AcceptWaveform`` is where the time goes. Measured on this project's 2-core machine (``bench/asr_bench.py``,
figures in BENCHMARKS.md): two threads decoding two streams on one model finish in ~0.6 of the serial time,
the same speed-up as two processes — so the GIL is not the bottleneck, and threads keep one model in memory.

Streams wait in one ready queue (``queue.SimpleQueue``) and ``workers`` threads named ``asr-worker-N`` take them
in turn, each decoding at most 0.2 s of one stream before putting it back, so one long backlog cannot
starve the other calls. Nothing polls: idle workers block on the queue.
"""

from __future__ import annotations

import logging
import queue
import threading
from types import TracebackType

from asr.errors import AsrError
from asr.model import SharedModel
from asr.recognizer import Recognizer
from asr.stream import EngineStream

log = logging.getLogger(__name__)

JOIN_TIMEOUT_S = 5.0


class AsrEngine:
    """Implements :class:`asr.events.TranscriberFactory`. Create once per process (``build_service``)."""

    def __init__(self, model: SharedModel, *, workers: int, queue_frames: int, endpoint_silence_ms: int) -> None:
        if workers < 1 or queue_frames < 1 or endpoint_silence_ms < 1:
            raise ValueError(
                f"AsrEngine needs workers, queue_frames and endpoint_silence_ms ≥ 1 "
                f"(got {workers}, {queue_frames}, {endpoint_silence_ms})"
            )
        self.model = model
        self._queue_frames = queue_frames
        self._endpoint_silence_ms = endpoint_silence_ms
        self._ready: queue.SimpleQueue[EngineStream | None] = queue.SimpleQueue()
        self._closed = False
        self._threads = [
            threading.Thread(target=self._run, name=f"asr-worker-{n}", daemon=True) for n in range(1, workers + 1)
        ]
        for thread in self._threads:
            thread.start()

    def open_stream(self, call_id: str) -> EngineStream:
        if self._closed:
            raise AsrError(f"call {call_id}: the ASR engine is shut down")
        recognizer = Recognizer(self.model, endpoint_silence_ms=self._endpoint_silence_ms)
        return EngineStream(call_id, recognizer, self._ready.put, self._queue_frames)

    def close(self) -> None:
        """Stop the workers after the streams already queued; idempotent."""
        if self._closed:
            return
        self._closed = True
        for _ in self._threads:
            self._ready.put(None)
        for thread in self._threads:
            thread.join(JOIN_TIMEOUT_S)

    def __enter__(self) -> AsrEngine:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _run(self) -> None:
        while (stream := self._ready.get()) is not None:
            try:
                stream.work()
            except Exception:  # fail-open boundary: a bug in one stream must not kill the worker for all calls
                log.exception("call %s: ASR worker failed on this stream", stream.call_id)
