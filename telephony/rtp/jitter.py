"""A fixed-capacity jitter buffer: a ring of packets indexed by sequence number modulo its capacity.

Pure (no clock, no socket): ``push`` returns what can be released in order, ``None`` standing for a lost packet.
Memory depends only on ``capacity`` — never on the timestamps or sequence numbers a peer sends (pyVoIP's buffer
was a BytesIO written at ``timestamp - first_timestamp`` and allocated 190 MB for one forged packet).

Policies (RFC 3550 appendix A.1 limits), each counted in :class:`JitterStats`:
- ordered / reordered — packets within the window are slotted and released in sequence order;
- late-drop — a packet up to ``MAX_MISORDER`` behind what was already released is dropped;
- restart-reset — further behind, a jump of ``MAX_DROPOUT`` or more ahead, or a new SSRC means the sender restarted:
  release what is held and start over at the new packet;
- far-ahead-evict — a packet ``capacity`` or more ahead evicts the oldest slots (releasing held packets, holes
  between them as ``None``) until it fits; once nothing is held the window jumps to the packet, and the skipped
  sequence numbers are counted as lost, not replayed as silence — one forged packet costs at most ``capacity``
  releases;
- seq-wrap — all comparisons are modulo 2^16 (``seq_delta``), so 65535 → 0 is just the next packet.
Not here: timestamp-based playout. Callscreen feeds a recogniser, which needs ordered audio, not a playout clock.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from telephony.rtp.packet import RtpPacket
from telephony.rtp.seqmath import seq_delta, uint16_add

MAX_MISORDER = 100
MAX_DROPOUT = 3000
MAX_CAPACITY = 1024


class JitterEvent(enum.Enum):
    """What ``push`` did with a packet (the last outcome is kept in ``JitterBuffer.last_event`` for tests/logs)."""

    BUFFERED = "buffered"
    DUPLICATE = "duplicate"
    LATE_DROP = "late-drop"
    RESTART_RESET = "restart-reset"
    FAR_AHEAD_EVICT = "far-ahead-evict"


@dataclass(slots=True)
class JitterStats:
    late: int = 0
    duplicates: int = 0
    lost: int = 0
    resets: int = 0
    evicted: int = 0


Released = list[RtpPacket | None]


class JitterBuffer:
    def __init__(self, capacity: int = 16) -> None:
        if capacity < 2 or capacity & (capacity - 1) or capacity > MAX_CAPACITY:
            # a power of two divides 2^16, so the ring stays consistent across the sequence-number wrap
            raise ValueError(f"jitter capacity must be a power of two in 2..{MAX_CAPACITY}, got {capacity}")
        self.capacity = capacity
        self._slots: list[RtpPacket | None] = [None] * capacity
        self._next: int | None = None  # sequence number to release next
        self._ssrc: int | None = None
        self._held = 0
        self.stats = JitterStats()
        self.last_event = JitterEvent.BUFFERED

    def __len__(self) -> int:
        return self._held

    def push(self, packet: RtpPacket) -> Released:
        out: Released = []
        if self._next is None or packet.ssrc != self._ssrc:
            if self._next is not None:
                self._restart(out)
            self._start(packet.sequence, packet.ssrc)
        assert self._next is not None
        delta = seq_delta(packet.sequence, self._next)
        self.last_event = JitterEvent.BUFFERED
        if -MAX_MISORDER <= delta < 0:
            self.stats.late += 1
            self.last_event = JitterEvent.LATE_DROP
            return out
        if delta < 0 or delta >= MAX_DROPOUT:
            self._restart(out)
            self._start(packet.sequence, packet.ssrc)
        elif delta >= self.capacity:
            self._evict_until(packet.sequence, out)
        slot = packet.sequence % self.capacity
        held = self._slots[slot]
        if held is not None:  # within the window the slot can only hold the same sequence number
            self.stats.duplicates += 1
            self.last_event = JitterEvent.DUPLICATE
            return out
        self._slots[slot] = packet
        self._held += 1
        self._release_contiguous(out)
        return out

    def flush(self) -> Released:
        """Release everything held, holes between held packets as ``None`` (used when the stream pauses)."""
        out: Released = []
        while self._held:
            self._pop_head(out)
        return out

    def _start(self, sequence: int, ssrc: int) -> None:
        self._next = sequence
        self._ssrc = ssrc

    def _restart(self, out: Released) -> None:
        out.extend(self.flush())
        self.stats.resets += 1
        self.last_event = JitterEvent.RESTART_RESET

    def _evict_until(self, sequence: int, out: Released) -> None:
        assert self._next is not None
        while self._held and seq_delta(sequence, self._next) >= self.capacity:
            self._pop_head(out)
        gap = seq_delta(sequence, self._next)
        if gap >= self.capacity:  # nothing held any more: jump, without replaying the gap as silence
            self.stats.lost += gap
            self._next = sequence
        self.stats.evicted += 1
        self.last_event = JitterEvent.FAR_AHEAD_EVICT

    def _pop_head(self, out: Released) -> None:
        assert self._next is not None
        slot = self._next % self.capacity
        packet = self._slots[slot]
        self._slots[slot] = None
        if packet is None:
            self.stats.lost += 1
        else:
            self._held -= 1
        out.append(packet)
        self._next = uint16_add(self._next, 1)

    def _release_contiguous(self, out: Released) -> None:
        assert self._next is not None
        while self._slots[self._next % self.capacity] is not None:
            self._pop_head(out)
