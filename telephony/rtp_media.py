"""The real :class:`telephony.call.MediaFactory`: ports from an :class:`RtpPortPool`, one :class:`RtpSession` each.

Kept apart from :mod:`telephony.call` so signalling can be tested with any media and the composition root wires
the RTP package in one place.
"""

from __future__ import annotations

from telephony.media import MediaParams, MediaSession
from telephony.rtp import RtpPortPool, RtpSession


class RtpMediaFactory:
    def __init__(self, pool: RtpPortPool, *, jitter_frames: int = 16, rx_queue_frames: int = 50) -> None:
        self._pool = pool
        self._jitter_frames = jitter_frames
        self._rx_queue_frames = rx_queue_frames

    def acquire_port(self) -> int:
        return self._pool.acquire()

    def release_port(self, port: int) -> None:
        self._pool.release(port)

    def create(self, params: MediaParams, name: str) -> MediaSession:
        return RtpSession(params, jitter_frames=self._jitter_frames, rx_queue_frames=self._rx_queue_frames, name=name)
