"""The receive pipeline of one call, without the socket: bytes + source address in, 20 ms PCM frames out.

Order of checks (each failure counted and dropped, logged at DEBUG, never raised — STYLE §7): parse → payload
type (negotiated codec or telephone-event) → source address (the SDP host; the first accepted packet latches the
exact host:port, symmetric-RTP style, so a third party cannot inject audio) → jitter ring → G.711 decode →
re-framing to 320-byte frames (peers may send 10 or 30 ms packets). A lost packet becomes one frame of silence of
the previous packet's length, so the audio's timing survives a loss. Everything here is bounded by the jitter ring.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from asr.events import FRAME_BYTES
from telephony.media import Codec
from telephony.rtp.codecs import codec_for
from telephony.rtp.dtmf import DtmfReceiver
from telephony.rtp.errors import RtpParseError
from telephony.rtp.jitter import JitterBuffer, Released
from telephony.rtp.packet import RtpPacket

log = logging.getLogger(__name__)

ANY_HOST = "0.0.0.0"  # SDP c= of a call on hold / not yet known: accept the first sender
Address = tuple[str, int]


@dataclass(slots=True)
class InboundCounters:
    accepted: int = 0
    bad_packets: int = 0
    wrong_source: int = 0
    wrong_payload_type: int = 0


class InboundStream:
    def __init__(self, codec: Codec, dtmf_payload_type: int | None, remote_host: str, jitter_frames: int) -> None:
        self.counters = InboundCounters()
        self.jitter = JitterBuffer(jitter_frames)
        self.dtmf = DtmfReceiver()
        self._dtmf_pt = dtmf_payload_type
        self._pending = bytearray()
        self._last_len = FRAME_BYTES
        self.retarget(remote_host, codec)

    def retarget(self, remote_host: str, codec: Codec) -> None:
        """New SDP (re-INVITE): expect packets from ``remote_host`` in ``codec``; relatch on the next packet."""
        self._codec = codec_for(int(codec))
        self._host = remote_host
        self._latched: Address | None = None

    def receive(self, data: bytes, source: Address) -> tuple[list[bytes], list[str]]:
        """Frames and DTMF digits this datagram completes."""
        try:
            packet = RtpPacket.parse(data)
        except RtpParseError as exc:
            self.counters.bad_packets += 1
            log.debug("rtp drop from %s:%s: %s", source[0], source[1], exc)
            return [], []
        pt = packet.payload_type
        if pt != self._codec.payload_type and pt != self._dtmf_pt:
            self.counters.wrong_payload_type += 1
            log.debug("rtp drop: payload type %d not negotiated", pt)
            return [], []
        if not self._source_ok(source):
            self.counters.wrong_source += 1
            log.debug("rtp drop: unexpected source %s:%s", source[0], source[1])
            return [], []
        self.counters.accepted += 1
        if pt == self._dtmf_pt:
            return self._dtmf(packet)
        return self._frames(self.jitter.push(packet)), []

    def flush(self) -> list[bytes]:
        """The stream paused: release what the jitter ring holds (a final partial frame is padded)."""
        frames = self._frames(self.jitter.flush())
        if self._pending:
            frames.append(bytes(self._pending).ljust(FRAME_BYTES, b"\x00"))
            self._pending.clear()
        return frames

    def _source_ok(self, source: Address) -> bool:
        if self._latched is not None:
            return source == self._latched
        if self._host not in (ANY_HOST, source[0]):
            return False
        self._latched = source
        return True

    def _dtmf(self, packet: RtpPacket) -> tuple[list[bytes], list[str]]:
        try:
            return [], self.dtmf.feed(packet)
        except RtpParseError as exc:
            self.counters.bad_packets += 1
            log.debug("rtp drop: %s", exc)
            return [], []

    def _frames(self, released: Released) -> list[bytes]:
        for packet in released:
            if packet is None:
                self._pending += bytes(self._last_len)
            else:
                pcm = self._codec.decode(packet.payload)
                self._last_len = len(pcm) or self._last_len
                self._pending += pcm
        count = len(self._pending) // FRAME_BYTES
        frames = [bytes(self._pending[i * FRAME_BYTES : (i + 1) * FRAME_BYTES]) for i in range(count)]
        del self._pending[: count * FRAME_BYTES]
        return frames
