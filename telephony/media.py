"""The contract between SIP signalling (``telephony.sip``) and media (``telephony.rtp``).

Signalling negotiates SDP and decides *when*; media moves audio. A :class:`MediaSession` is one call's RTP leg:
16-bit linear PCM at 8 kHz in both directions (G.711 stays inside ``telephony.rtp``), a bounded receive path
whatever the peer sends, paced playback with a completion signal, RFC 4733 DTMF, and the time of the last packet
so the call flow can enforce a media timeout.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Protocol


class Codec(enum.IntEnum):
    """Static RTP payload types we speak (RFC 3551)."""

    PCMU = 0
    PCMA = 8


@dataclass(frozen=True, slots=True)
class MediaParams:
    """What SDP negotiation settled for one call."""

    local_host: str
    local_port: int
    remote_host: str
    remote_port: int
    codec: Codec
    dtmf_payload_type: int | None = 101


class Playback(Protocol):
    """A prompt being played. ``wait`` returns True when it finished (or was cancelled), False on timeout."""

    def wait(self, timeout: float | None = None) -> bool: ...

    def cancel(self) -> None: ...

    @property
    def done(self) -> bool: ...


class MediaSession(Protocol):
    def start(self) -> None: ...

    def read(self, timeout: float) -> bytes | None:
        """Next 20 ms frame of received audio (320 bytes, 16-bit LE), or None if none arrived within ``timeout``."""
        ...

    def play(self, pcm16: bytes) -> Playback:
        """Queue audio (8 kHz mono 16-bit) behind anything already playing."""
        ...

    def dtmf(self) -> str:
        """Digits received since the last call."""
        ...

    @property
    def seconds_since_last_packet(self) -> float: ...

    def update_remote(self, host: str, port: int, codec: Codec) -> None:
        """A re-INVITE moved the peer's media: keep the same threads, send elsewhere."""
        ...

    def stop(self) -> None: ...
