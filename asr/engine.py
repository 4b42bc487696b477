"""The process's ASR engine: one shared model, a pool of decoding threads, one stream per call.

Threads, not processes: Vosk is called through cffi, which releases the GIL for the duration of each C call, and
``AcceptWaveform`` is where the time goes. Measured on this project's 2-core machine (``bench/asr_bench.py``,
figures in BENCHMARKS.md): two threads decoding two streams on one model finish in ~0.6 of the serial time,
the same speed-up as two processes — so the GIL is not the bottleneck, and threads keep one model in memory.

Streams wait in one ready queue (``queue.SimpleQueue``) and ``workers`` threads named ``asr-worker-N`` take them
in turn, each decoding at most 0.2 s of one stream before putting it back, so one long backlog cannot
starve the other calls. Nothing polls: idle workers block on the queue.

Two capacity decisions live here:

- **Recognisers are reused** (``FinalResult()`` + ``Reset()``): a closed call's recogniser goes back to a small
  pool and the next call takes it, so a call does not pay for building a decoder (the lattice and the lazily
  expanded graph caches that made a fresh recogniser's first 1.2 s of audio cost 1.5–1.9 CPU-seconds). A
  recogniser whose decoding failed is never reused.
- **Pooled recognisers are retired** after ``retire_after_s`` of decoded audio: each one expands its own copy of
  the lookahead graph lazily and keeps it, and with new speech that cache keeps growing (BENCHMARKS.md, the
  60-minute runs: +0.80 MB/min after an hour). A recogniser past the bound is not reset but handed to one
  ``asr-retire`` thread, which frees it and warms a fresh one into the pool — off the call path: the call that
  ended only drops a reference, and the next call takes another spare or, if none, builds one as before.
- **Admission control**: at most ``max_streams`` streams are open at once — the number the node's cores decode in
  real time, from ``bench/asr_bench.py`` (BENCHMARKS.md). One more would make *every* call's decoder fall behind
  and fail open, so :meth:`AsrEngine.open_stream` refuses it with :class:`AsrCapacityError` instead, and the call
  flow screens that call on caller ID and time only. The same happens when the open streams are already more than
  ``admit_backlog_s`` behind real time: on a shared or busier node the measured capacity is too high, and the
  backlog is the decoders saying so.
"""

from __future__ import annotations

import contextlib
import ctypes
import enum
import logging
import queue
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Any

from asr.errors import AsrCapacityError, AsrError
from asr.events import BYTES_PER_SECOND, SAMPLE_RATE
from asr.model import SharedModel
from asr.recognizer import Recognizer
from asr.stream import EngineStream

log = logging.getLogger(__name__)

JOIN_TIMEOUT_S = 5.0
PREWARM_S = 2.0  # silence each pre-warmed recogniser decodes before its first call
UNLIMITED = 0
NEVER = 0.0  # retire_after_s: pooled recognisers are kept for the life of the process


def _trim_heap() -> None:
    """Hand the pages a freed recogniser left in glibc's arenas back to the OS (``malloc_trim``).

    Without it the freed graph cache stays resident and only a later recogniser reuses it: the engine bench with
    six pooled recognisers and varied speech ended at 1,742 MB with retirement alone and at 1,233 MB with this
    after each one (BENCHMARKS.md "Bounded recogniser pool"). A no-op where the C library has no ``malloc_trim``.
    """
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


class _Warm(enum.Enum):
    """What warming one recogniser came to."""

    ADDED = enum.auto()  # in the pool
    NO_ROOM = enum.auto()  # the pool is full (or the engine closed): nothing more to warm
    FAILED = enum.auto()  # building or decoding it failed (logged)


class AsrEngine:
    """Implements :class:`asr.events.TranscriberFactory`. Create once per process (``build_service``)."""

    def __init__(
        self,
        model: SharedModel,
        *,
        workers: int,
        queue_frames: int,
        endpoint_silence_ms: int,
        max_streams: int = UNLIMITED,
        vad_gate: bool = True,
        admit_backlog_s: float = 0.0,
        prewarm: int = 0,
        retire_after_s: float = NEVER,
        on_prewarmed: Callable[[int, bool], None] | None = None,
    ) -> None:
        if workers < 1 or queue_frames < 1 or endpoint_silence_ms < 1 or max_streams < 0 or retire_after_s < 0:
            raise ValueError(
                f"AsrEngine needs workers, queue_frames and endpoint_silence_ms ≥ 1 and max_streams, "
                f"retire_after_s ≥ 0 (got {workers}, {queue_frames}, {endpoint_silence_ms}, {max_streams}, "
                f"{retire_after_s})"
            )
        self.model = model
        self.max_streams = max_streams
        self.admit_backlog_s = admit_backlog_s
        self._streams: set[EngineStream] = set()  # open streams, for the backlog check at admission
        self._queue_frames = queue_frames
        self._endpoint_silence_ms = endpoint_silence_ms
        self._vad_gate = vad_gate
        self._ready: queue.SimpleQueue[EngineStream | None] = queue.SimpleQueue()
        self._closed = False
        self._lock = threading.Lock()
        self._open = 0
        self._spare: list[tuple[Any, float]] = []  # reset Vosk recognisers (and their clocks) for the next calls
        self._pool_size = max_streams or 2 * workers
        self.created = 0  # Vosk recognisers built so far (the pool keeps this near max_streams)
        self.retire_after_s = retire_after_s
        self.retired = 0  # pooled recognisers freed after ``retire_after_s`` of decoded audio
        self._retiring: queue.SimpleQueue[Any] = queue.SimpleQueue()  # recognisers to free; None stops the thread
        self._retire_pending = 0  # handed over and not yet freed and replaced (under _lock, signalled by _retire_idle)
        self._retire_idle = threading.Condition(self._lock)
        self._retirer: threading.Thread | None = None
        if retire_after_s:
            self._retirer = threading.Thread(target=self._run_retire, name="asr-retire", daemon=True)
            self._retirer.start()
        self._threads = [
            threading.Thread(target=self._run, name=f"asr-worker-{n}", daemon=True) for n in range(1, workers + 1)
        ]
        for thread in self._threads:
            thread.start()
        if prewarm > 0:
            threading.Thread(target=self._prewarm, args=(prewarm, on_prewarmed), name="asr-prewarm",
                             daemon=True).start()  # fmt: skip
        elif on_prewarmed is not None:
            on_prewarmed(0, False)

    @property
    def pooled(self) -> int:
        """Reset recognisers waiting in the pool (for /metrics; a snapshot, the pool changes under calls)."""
        with self._lock:
            return len(self._spare)

    def _prewarm(self, count: int, done: Callable[[int, bool], None] | None) -> None:
        """Fill the pool before the first calls: a new node's first calls would each build a recogniser at once.

        A fresh recogniser's first 1.2 s of speech cost 0.66–0.68 CPU-s; after ``PREWARM_S`` of silence and a
        reset, 0.23 (measured, BENCHMARKS.md "Capacity"). The silence costs ~0.57 CPU-s per recogniser, here, at
        start, instead of inside a caller's listening window. ``done(warmed, failed)`` is told when it ends, however
        it ends — ``count`` built, the pool full (early calls gave theirs back) or a build failed — since the node
        reports itself not ready for calls until then (``callscreen.service``).
        """
        warmed, failed, outcome = 0, True, _Warm.ADDED
        try:
            while warmed < count and (outcome := self._warm_one("pre-warming")) is _Warm.ADDED:
                warmed += 1
            failed = warmed < count and outcome is _Warm.FAILED
        finally:
            if done is not None:
                done(warmed, failed)

    def _warm_one(self, why: str) -> _Warm:
        """Build one recogniser, decode ``PREWARM_S`` of silence, reset it and put it in the pool if there is room.

        An optimisation only: a failure is logged and calls build their own recognisers instead (the path every
        call had before there was a pool).
        """
        try:
            kaldi = self.model.new_recognizer(SAMPLE_RATE)
            kaldi.AcceptWaveform(bytes(int(PREWARM_S * BYTES_PER_SECOND)))
            kaldi.FinalResult()
            kaldi.Reset()
        except Exception:
            log.warning("%s a Vosk recogniser failed", why, exc_info=True)
            return _Warm.FAILED
        with self._lock:
            if self._closed or len(self._spare) >= self._pool_size:
                return _Warm.NO_ROOM
            self.created += 1
            self._spare.append((kaldi, PREWARM_S))
        return _Warm.ADDED

    def _run_retire(self) -> None:
        """The ``asr-retire`` thread: free each retired recogniser (its graph cache with it), then warm a new one.

        One thread for all retirements, so a burst of them cannot start threads or take more than one core's share
        from the decoders; it ends on :meth:`close`.
        """
        while (kaldi := self._retiring.get()) is not None:
            try:
                del kaldi  # the last reference: Vosk frees the recogniser and its expanded graph here
                _trim_heap()
                with self._lock:
                    replace = not self._closed
                if replace:
                    self._warm_one("replacing a retired")
            except Exception:  # fail open: the next call builds its own recogniser
                log.exception("retiring a Vosk recogniser failed")
            finally:
                with self._lock:
                    self._retire_pending -= 1
                    self._retire_idle.notify_all()

    def wait_retirements(self, timeout_s: float) -> bool:
        """Block until every retired recogniser has been freed and replaced (or ``timeout_s``); True if so.

        For tests and benches, which need to know the pool is settled; the call path never waits for it.
        """
        with self._lock:
            return self._retire_idle.wait_for(lambda: self._retire_pending == 0, timeout_s)

    @property
    def open_streams(self) -> int:
        with self._lock:
            return self._open

    def open_stream(self, call_id: str) -> EngineStream:
        with self._lock:
            streams = list(self._streams)
        behind = max((s.backlog_s for s in streams), default=0.0)  # each takes its stream's lock: not under ours
        with self._lock:
            if self._closed:
                raise AsrError(f"call {call_id}: the ASR engine is shut down")
            if self.max_streams and self._open >= self.max_streams:
                raise AsrCapacityError(
                    f"call {call_id}: all {self.max_streams} decoder slots are busy (asr.max_streams)"
                )
            if self.admit_backlog_s and behind > self.admit_backlog_s:
                # The cores are not keeping up right now (other load, or a costlier model than measured): one
                # more stream would push every call further behind, towards failing open.
                raise AsrCapacityError(
                    f"call {call_id}: decoders are {behind:.2f} s behind real time (asr.admit_backlog_s)"
                )
            self._open += 1
            kaldi, kaldi_s = self._spare.pop() if self._spare else (None, 0.0)
        try:
            if kaldi is None:
                kaldi = self.model.new_recognizer(SAMPLE_RATE)
                with self._lock:
                    self.created += 1
            recognizer = Recognizer(self.model, endpoint_silence_ms=self._endpoint_silence_ms, kaldi=kaldi,
                                    kaldi_s=kaldi_s, gate=self._vad_gate)
        except BaseException:
            with self._lock:
                self._open -= 1
            raise
        stream = EngineStream(call_id, recognizer, self._ready.put, self._queue_frames)
        stream.on_release = lambda rec: self._release(stream, rec)
        with self._lock:
            self._streams.add(stream)
        return stream

    def _release(self, stream: EngineStream, recognizer: Recognizer | None) -> None:
        """A stream is done: free its slot and keep its recogniser (reset) for the next call unless it failed or has
        decoded ``retire_after_s`` of audio — then it goes to the ``asr-retire`` thread, not back to the pool."""
        kaldi_s = recognizer.decoder_s if recognizer is not None else 0.0
        kaldi = recognizer.detach() if recognizer is not None else None
        retire = kaldi is not None and bool(self.retire_after_s) and kaldi_s >= self.retire_after_s
        if kaldi is not None and not retire:
            try:
                # ``FinalResult`` first, even when the call ended before its own (an early verdict, a fail-open, a
                # hang-up): it is what makes Vosk free the decoder and the feature pipeline. ``Reset`` alone keeps
                # the pipeline and appends the next call's audio to it (Vosk drops it only after 600 s of audio),
                # so the next caller was decoded with the previous callers' feature and i-vector statistics, and a
                # pooled recogniser held 66 MB more and spent 2.1× the CPU per call (bench/recogniser_memory.py,
                # BENCHMARKS.md "Capacity"). The expanded graph caches — what makes reuse cheap — survive it.
                kaldi.FinalResult()
                kaldi.Reset()
            except Exception:  # a recogniser that cannot reset is dropped; the next call builds a fresh one
                log.warning("Vosk recogniser reset failed; dropping it", exc_info=True)
                kaldi = None
        retired = 0
        with self._lock:
            self._open -= 1
            self._streams.discard(stream)
            if kaldi is not None and not self._closed:  # closed: it dies here, with the engine's other recognisers
                if retire:
                    self.retired += 1
                    self._retire_pending += 1
                    self._retiring.put(kaldi)  # freeing a large graph cache takes time: not on this thread
                    retired = self.retired
                elif len(self._spare) < self._pool_size:
                    self._spare.append((kaldi, kaldi_s))
        if retired:
            log.info("retiring a pooled Vosk recogniser after %.0f s of decoded audio (asr.retire_after_s; "
                     "%d so far)", kaldi_s, retired)

    def close(self) -> None:
        """Stop the workers after the streams already queued; idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._spare.clear()
        for _ in self._threads:
            self._ready.put(None)
        self._retiring.put(None)
        for thread in self._threads:
            thread.join(JOIN_TIMEOUT_S)
        if self._retirer is not None:
            self._retirer.join(JOIN_TIMEOUT_S)

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
