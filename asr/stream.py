"""One call's stream on the shared engine: a bounded audio queue in front of a :class:`Recognizer`.

The SIP/RTP thread calls :meth:`EngineStream.accept` with frames as they arrive; it only appends to a queue and,
if the stream is idle, hands it to the engine's ready queue — decoding happens on an ``asr-worker-N`` thread. At
most one worker owns a stream at a time (``_scheduled``), so the recogniser never sees two threads.

Overflow policy: the queue (plus the audio a worker is decoding right now) is bounded by ``queue_frames`` 20 ms
frames. Audio past the bound is refused with :class:`AsrOverloadError` and the stream stays ``lagging`` from then
on: its transcript has a hole, so the call flow must fail open rather than decide on it.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable

from asr.errors import AsrError, AsrOverloadError
from asr.events import BYTES_PER_SECOND, FRAME_BYTES, AsrEvent, SpeechStats
from asr.recognizer import Recognizer

log = logging.getLogger(__name__)

MAX_TAKE_BYTES = 2 * 1600  # a worker decodes at most 0.2 s of one stream before giving others a turn

Schedule = Callable[["EngineStream"], None]
Release = Callable[[Recognizer | None], None]  # the engine takes the recogniser back (None: it failed, drop it)


def _keep(recognizer: Recognizer | None) -> None:
    """The default release: nothing to give back (a stream made outside an engine)."""


class EngineStream:
    """Implements :class:`asr.events.TranscriberStream`. Made by :meth:`asr.engine.AsrEngine.open_stream`."""

    def __init__(self, call_id: str, recognizer: Recognizer, schedule: Schedule, queue_frames: int) -> None:
        self.call_id = call_id
        self._recognizer: Recognizer | None = recognizer
        self.on_release: Release = _keep  # the engine sets it: takes the recogniser back
        self._released = False
        self._schedule = schedule
        self._limit_bytes = queue_frames * FRAME_BYTES
        self._lock = threading.Lock()
        self._pending: deque[bytes] = deque()
        self._pending_bytes = 0
        self._inflight_bytes = 0
        self._scheduled = False
        self._finishing = False
        self._closed = False
        self._lagging = False
        self._error: AsrError | None = None
        self._events: list[AsrEvent] = []
        self._stats = recognizer.stats()
        self._done = threading.Event()

    # -- caller side (SIP/RTP or CLI thread) ---------------------------------------------------------------
    def accept(self, pcm16: bytes) -> None:
        with self._lock:
            self._raise_if_unusable()
            backlog = self._pending_bytes + self._inflight_bytes + len(pcm16)
            if backlog > self._limit_bytes:
                self._lagging = True
                log.warning(
                    "call %s: ASR fell %.2f s behind real time (limit %.2f s); stream marked lagging",
                    self.call_id,
                    backlog / BYTES_PER_SECOND,
                    self._limit_s,
                )
                raise AsrOverloadError(
                    f"call {self.call_id}: ASR is {backlog / BYTES_PER_SECOND:.2f} s behind real time, "
                    f"over the {self._limit_s:.2f} s bound (asr.queue_frames)"
                )
            self._pending.append(pcm16)
            self._pending_bytes += len(pcm16)
            self._wake()

    def poll(self) -> list[AsrEvent]:
        with self._lock:
            if self._error is not None:
                raise self._error
            events, self._events = self._events, []
        return events

    def finish(self, timeout_s: float | None = None) -> list[AsrEvent]:
        """Decode everything accepted and flush; raise :class:`AsrOverloadError` if that takes over ``timeout_s``."""
        with self._lock:
            self._raise_if_unusable(allow_lagging=True)
            self._finishing = True
            self._done.clear()
            self._wake()
        if not self._done.wait(timeout_s):
            raise AsrOverloadError(f"call {self.call_id}: ASR did not finish within {timeout_s} s")
        return self.poll()

    def stats(self) -> SpeechStats:
        """Speech statistics over the audio decoded so far."""
        with self._lock:
            return self._stats

    @property
    def lagging(self) -> bool:
        return self._lagging

    @property
    def backlog_s(self) -> float:
        """Audio accepted but not yet decoded, in seconds — how far behind real time the decoder is."""
        with self._lock:
            return (self._pending_bytes + self._inflight_bytes) / BYTES_PER_SECOND

    def close(self) -> None:
        """End of the call: decoding stops here (audio still queued is dropped, not decoded)."""
        with self._lock:
            self._closed = True
            self._pending.clear()
            self._pending_bytes = 0
            idle = not self._scheduled  # a busy worker hands the recogniser back when its batch is done
            self._done.set()
        if idle:
            self._give_back()

    def _give_back(self) -> None:
        """Return the recogniser to the engine exactly once (reset for reuse, or dropped after an error)."""
        with self._lock:
            if self._released:
                return
            self._released = True
            recognizer, self._recognizer = self._recognizer, None
            failed = self._error is not None
        self.on_release(None if failed else recognizer)

    @property
    def _limit_s(self) -> float:
        return self._limit_bytes / BYTES_PER_SECOND

    def _raise_if_unusable(self, *, allow_lagging: bool = False) -> None:
        if self._closed:
            raise AsrError(f"call {self.call_id}: ASR stream is closed")
        if self._error is not None:
            raise self._error
        if self._lagging and not allow_lagging:
            raise AsrOverloadError(f"call {self.call_id}: ASR stream fell behind real time earlier; fail open")

    def _wake(self) -> None:
        """Hand the stream to the worker pool unless a worker has it already (lock held)."""
        if not self._scheduled:
            self._scheduled = True
            self._schedule(self)

    # -- worker side ---------------------------------------------------------------------------------------
    def work(self) -> None:
        """Decode one batch on the calling worker thread, then reschedule or go idle."""
        with self._lock:
            recognizer = self._recognizer
            batch = self._take()
            flush = self._finishing and not self._pending
        if recognizer is None:
            return
        try:
            events = recognizer.feed(batch) if batch else []
            if flush:
                events += recognizer.flush()
            stats = recognizer.stats()
            error: AsrError | None = None
        except AsrError as exc:
            log.error("call %s: ASR decoding failed: %s", self.call_id, exc)
            events, stats, error = [], self._stats, exc
        with self._lock:
            self._inflight_bytes = 0
            self._events.extend(events)
            self._stats = stats
            self._error = self._error or error
            give_back = self._closed or error is not None
            if give_back or flush:
                self._scheduled = False
                self._finishing = False
                self._done.set()
            elif self._pending or self._finishing:
                self._schedule(self)  # back of the ready queue: other streams get a turn
            else:
                self._scheduled = False
        if give_back:
            self._give_back()

    def _take(self) -> bytes:
        parts: list[bytes] = []
        size = 0
        while self._pending and size < MAX_TAKE_BYTES:
            part = self._pending.popleft()
            parts.append(part)
            size += len(part)
        self._pending_bytes -= size
        self._inflight_bytes = size
        return b"".join(parts)
