"""RTP fixed header parse and serialize (RFC 3550 §5.1), each the other's inverse.

Every length the header announces (CSRC list, extension, padding) is checked against the bytes actually present
and a violation raises :class:`RtpParseError` naming it. Not here: RTCP (we send none and ignore what arrives,
which is harmless for one-port G.711 calls) and SRTP.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from telephony.rtp.errors import RtpParseError

RTP_VERSION = 2
HEADER_BYTES = 12
MAX_PAYLOAD_TYPE = 127
_HEADER = struct.Struct("!BBHII")
_EXTENSION = struct.Struct("!HH")


@dataclass(frozen=True, slots=True)
class RtpExtension:
    """A header extension (RFC 3550 §5.3.1): kept opaque, only so serialize() reproduces the packet."""

    profile: int
    data: bytes


@dataclass(frozen=True, slots=True)
class RtpPacket:
    payload_type: int
    sequence: int
    timestamp: int
    ssrc: int
    payload: bytes = b""
    marker: bool = False
    csrc: tuple[int, ...] = ()
    extension: RtpExtension | None = None
    padding: int = field(default=0)  # number of padding bytes incl. the count byte; 0 = no padding

    @classmethod
    def parse(cls, data: bytes) -> RtpPacket:
        if len(data) < HEADER_BYTES:
            raise RtpParseError(f"RTP packet too short: {len(data)} bytes, the fixed header needs {HEADER_BYTES}")
        first, second, sequence, timestamp, ssrc = _HEADER.unpack_from(data)
        version = first >> 6
        if version != RTP_VERSION:
            raise RtpParseError(f"RTP version {version}, expected {RTP_VERSION}")
        end = len(data)
        padding = 0
        if first & 0x20:
            padding = data[-1]
            if padding == 0 or padding > end - HEADER_BYTES:
                raise RtpParseError(f"RTP padding count {padding} does not fit in {end - HEADER_BYTES} bytes")
            end -= padding
        pos = HEADER_BYTES
        csrc_count = first & 0x0F
        if pos + 4 * csrc_count > end:
            raise RtpParseError(f"RTP CSRC count {csrc_count} needs {4 * csrc_count} bytes, {end - pos} present")
        csrc = struct.unpack_from(f"!{csrc_count}I", data, pos)
        pos += 4 * csrc_count
        extension = None
        if first & 0x10:
            if pos + _EXTENSION.size > end:
                raise RtpParseError(f"RTP extension header needs 4 bytes, {end - pos} present")
            profile, words = _EXTENSION.unpack_from(data, pos)
            pos += _EXTENSION.size
            if pos + 4 * words > end:
                raise RtpParseError(f"RTP extension length {words} words needs {4 * words} bytes, {end - pos} present")
            extension = RtpExtension(profile, bytes(data[pos : pos + 4 * words]))
            pos += 4 * words
        return cls(
            payload_type=second & 0x7F,
            sequence=sequence,
            timestamp=timestamp,
            ssrc=ssrc,
            payload=bytes(data[pos:end]),
            marker=bool(second & 0x80),
            csrc=tuple(csrc),
            extension=extension,
            padding=padding,
        )

    def serialize(self) -> bytes:
        if not 0 <= self.payload_type <= MAX_PAYLOAD_TYPE:
            raise ValueError(f"RTP payload type {self.payload_type} is outside 0..{MAX_PAYLOAD_TYPE}")
        if len(self.csrc) > 15:
            raise ValueError(f"RTP allows at most 15 CSRCs, got {len(self.csrc)}")
        if not 0 <= self.padding <= 255:
            raise ValueError(f"RTP padding {self.padding} is outside 0..255")
        first = (RTP_VERSION << 6) | len(self.csrc)
        if self.padding:
            first |= 0x20
        if self.extension is not None:
            first |= 0x10
        second = self.payload_type | (0x80 if self.marker else 0)
        parts = [_HEADER.pack(first, second, self.sequence, self.timestamp, self.ssrc)]
        parts.append(struct.pack(f"!{len(self.csrc)}I", *self.csrc))
        if self.extension is not None:
            if len(self.extension.data) % 4:
                raise ValueError(f"RTP extension data must be whole 32-bit words, got {len(self.extension.data)} bytes")
            parts.append(_EXTENSION.pack(self.extension.profile, len(self.extension.data) // 4))
            parts.append(self.extension.data)
        parts.append(self.payload)
        if self.padding:
            parts.append(bytes(self.padding - 1) + bytes([self.padding]))
        return b"".join(parts)
