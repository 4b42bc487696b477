"""Outgoing audio: prompts queued for the paced sender, each with a completion signal.

The sender takes one 20 ms frame per tick; a prompt is ``done`` once its last frame has been sent (or it was
cancelled — barge-in), so the call flow can ``wait`` for the end of a prompt instead of sleeping len/8000 seconds
as pyVoIP's API forced. The queue holds at most ``MAX_QUEUED`` prompts; the bytes are the caller's.
"""

from __future__ import annotations

import threading
from collections import deque

from asr.events import FRAME_BYTES
from telephony.rtp.errors import RtpError

MAX_QUEUED = 32


class PromptPlayback:
    """One queued piece of audio; implements ``telephony.media.Playback``."""

    def __init__(self, pcm16: bytes) -> None:
        if len(pcm16) % 2:
            raise ValueError(f"16-bit PCM needs an even number of bytes, got {len(pcm16)}")
        self._pcm = memoryview(pcm16)
        self._pos = 0
        self._done = threading.Event()
        self.cancelled = False
        self.frames_sent = 0

    def wait(self, timeout: float | None = None) -> bool:
        return self._done.wait(timeout)

    def cancel(self) -> None:
        self.cancelled = True
        self._done.set()

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def _next_frame(self) -> bytes:
        frame = bytes(self._pcm[self._pos : self._pos + FRAME_BYTES])
        self._pos += FRAME_BYTES
        return frame.ljust(FRAME_BYTES, b"\x00")  # the last partial frame is padded with silence

    @property
    def _exhausted(self) -> bool:
        return self._pos >= len(self._pcm)

    def _mark_sent(self) -> None:
        self.frames_sent += 1
        if self._exhausted:
            self._done.set()


class PlaybackQueue:
    """Thread-safe FIFO of prompts; the sender thread calls :meth:`take` and :meth:`sent`."""

    def __init__(self) -> None:
        self._items: deque[PromptPlayback] = deque()
        self._lock = threading.Lock()

    def enqueue(self, pcm16: bytes) -> PromptPlayback:
        playback = PromptPlayback(pcm16)
        if not pcm16:
            playback.cancel()  # nothing to play: done at once, not an error
            return playback
        with self._lock:
            self._items = deque(p for p in self._items if not p.done)
            if len(self._items) >= MAX_QUEUED:
                raise RtpError(f"playback queue full: {MAX_QUEUED} prompts already queued")
            self._items.append(playback)
        return playback

    def take(self) -> tuple[bytes, PromptPlayback] | None:
        """The next frame to send and the prompt it belongs to, or None when nothing is playing."""
        with self._lock:
            while self._items and (self._items[0].done or self._items[0]._exhausted):
                self._items.popleft()
            if not self._items:
                return None
            playback = self._items[0]
            return playback._next_frame(), playback

    @staticmethod
    def sent(playback: PromptPlayback) -> None:
        if not playback.cancelled:
            playback._mark_sent()

    def cancel_all(self) -> None:
        with self._lock:
            for playback in self._items:
                playback.cancel()
            self._items.clear()
