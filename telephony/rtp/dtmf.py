"""RFC 4733 telephone-event receive: DTMF digits from RTP.

A sender repeats each event's packets while the key is held and sends the end packet (E bit) three times
(RFC 4733 §2.5.1.4), all with the event's start timestamp. A digit is therefore reported once per event timestamp,
when the first end packet arrives; if every end packet is lost, the next event (a new timestamp) reports it.
pyVoIP reported a digit only on packets with the marker bit — lost with the first packet. Not here: sending DTMF
and SIP INFO digits (signalling's job).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from telephony.rtp.errors import RtpParseError
from telephony.rtp.packet import RtpPacket

EVENT_CODES = "0123456789*#ABCD"  # RFC 4733 §3.2 events 0-15; 16 (flash) and above are not digits
_EVENT = struct.Struct("!BBH")


@dataclass(frozen=True, slots=True)
class TelephoneEvent:
    event: int
    end: bool
    volume: int
    duration: int

    @classmethod
    def parse(cls, payload: bytes) -> TelephoneEvent:
        if len(payload) < _EVENT.size:
            raise RtpParseError(f"telephone-event payload too short: {len(payload)} bytes, needs {_EVENT.size}")
        event, flags, duration = _EVENT.unpack_from(payload)
        return cls(event=event, end=bool(flags & 0x80), volume=flags & 0x3F, duration=duration)

    def serialize(self) -> bytes:
        return _EVENT.pack(self.event, (0x80 if self.end else 0) | (self.volume & 0x3F), self.duration)

    @property
    def digit(self) -> str | None:
        return EVENT_CODES[self.event] if self.event < len(EVENT_CODES) else None


class DtmfReceiver:
    """Turns a stream of telephone-event packets into digits, each exactly once."""

    def __init__(self) -> None:
        self._open: tuple[int, int, str | None] | None = None  # (ssrc, timestamp, digit) of the unfinished event
        self._finished: tuple[int, int] | None = None  # (ssrc, timestamp) of the last event already reported

    def feed(self, packet: RtpPacket) -> list[str]:
        """Digits completed by this packet (usually zero or one). Raises RtpParseError on a short payload."""
        event = TelephoneEvent.parse(packet.payload)
        key = (packet.ssrc, packet.timestamp)
        if key == self._finished:
            return []  # a repeated end packet, or a late packet of an event already reported
        digits: list[str] = []
        if self._open is not None and self._open[:2] != key:
            digits += self._close()  # previous event never saw its end packet
        if event.end:
            self._open = None
            self._finished = key
            if event.digit is not None:
                digits.append(event.digit)
        else:
            self._open = (*key, event.digit)
        return digits

    def _close(self) -> list[str]:
        assert self._open is not None
        ssrc, timestamp, digit = self._open
        self._open = None
        self._finished = (ssrc, timestamp)
        return [digit] if digit is not None else []
