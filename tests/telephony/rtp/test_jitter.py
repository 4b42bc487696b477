"""Jitter buffer tests, one per named policy (STYLE §11)."""

from __future__ import annotations

import pytest

from telephony.rtp.jitter import MAX_DROPOUT, JitterBuffer, JitterEvent, Released
from telephony.rtp.packet import RtpPacket


def pkt(seq: int, ssrc: int = 1, ts: int | None = None) -> RtpPacket:
    seq %= 65536
    return RtpPacket(payload_type=0, sequence=seq, timestamp=(seq * 160 if ts is None else ts) % 2**32, ssrc=ssrc)


def seqs(released: Released) -> list[int | None]:
    return [None if p is None else p.sequence for p in released]


def push_all(jb: JitterBuffer, order: list[int]) -> list[int | None]:
    out: list[int | None] = []
    for s in order:
        out += seqs(jb.push(pkt(s)))
    return out


def test_ordered_packets_are_released_at_once() -> None:
    jb = JitterBuffer(16)
    assert push_all(jb, list(range(100, 140))) == list(range(100, 140))
    assert len(jb) == 0
    assert jb.stats.lost == jb.stats.late == jb.stats.resets == 0


def test_reordered_packets_come_out_in_sequence_order() -> None:
    jb = JitterBuffer(16)
    assert push_all(jb, [10, 12, 11, 15, 13, 14, 16]) == [10, 11, 12, 13, 14, 15, 16]
    assert jb.stats.lost == 0


def test_late_drop_after_release() -> None:
    jb = JitterBuffer(16)
    push_all(jb, [10, 11, 12])
    assert seqs(jb.push(pkt(11))) == []
    assert jb.last_event is JitterEvent.LATE_DROP
    assert jb.stats.late == 1


def test_duplicate_in_window_is_dropped() -> None:
    jb = JitterBuffer(16)
    push_all(jb, [10, 12])
    assert seqs(jb.push(pkt(12))) == []
    assert jb.last_event is JitterEvent.DUPLICATE
    assert jb.stats.duplicates == 1


def test_restart_reset_when_far_behind() -> None:
    jb = JitterBuffer(16)
    push_all(jb, [5000, 5001, 5003])  # 5003 held waiting for 5002
    out = seqs(jb.push(pkt(100)))
    assert out == [None, 5003, 100]  # what was held is released, then the new stream starts
    assert jb.last_event is JitterEvent.RESTART_RESET
    assert push_all(jb, [101, 102]) == [101, 102]


def test_restart_reset_on_new_ssrc() -> None:
    jb = JitterBuffer(16)
    push_all(jb, [7, 8])
    assert seqs(jb.push(pkt(40000, ssrc=2))) == [40000]
    assert jb.stats.resets == 1


def test_restart_reset_on_a_jump_beyond_max_dropout() -> None:
    jb = JitterBuffer(16)
    push_all(jb, [1, 2])
    assert seqs(jb.push(pkt(3 + MAX_DROPOUT))) == [3 + MAX_DROPOUT]  # next expected is 3
    assert jb.stats.resets == 1


def test_far_ahead_evict_releases_the_oldest_to_make_room() -> None:
    jb = JitterBuffer(16)
    push_all(jb, [0, 2, 3])  # 1 missing: 2 and 3 held
    assert len(jb) == 2
    out = seqs(jb.push(pkt(1 + 16)))  # 17 is capacity ahead of next (1): oldest slot must go
    assert out == [None, 2, 3]
    assert jb.last_event is JitterEvent.FAR_AHEAD_EVICT
    assert len(jb) == 1
    assert push_all(jb, list(range(4, 17))) == list(range(4, 18))
    assert jb.stats.lost == 1


def test_far_ahead_evict_does_not_replay_a_big_gap_as_silence() -> None:
    jb = JitterBuffer(16)
    push_all(jb, [0])
    out = seqs(jb.push(pkt(2000)))  # below MAX_DROPOUT: a jump, not a reset
    assert out == [2000]  # nothing was held: the window jumps, no 1999 silence markers
    assert jb.stats.lost == 1999
    assert jb.stats.resets == 0
    assert push_all(jb, [1999, 2001]) == [2001]  # behind the jump is late now
    assert jb.stats.late == 1


def test_seq_wrap_is_just_the_next_packet() -> None:
    jb = JitterBuffer(16)
    order = [65533, 65534, 0, 65535, 1, 2]
    assert push_all(jb, order) == [65533, 65534, 65535, 0, 1, 2]
    assert jb.stats.resets == jb.stats.late == jb.stats.lost == 0


def test_flush_releases_held_packets_with_holes() -> None:
    jb = JitterBuffer(16)
    push_all(jb, [0, 2, 4])
    assert seqs(jb.flush()) == [None, 2, None, 4]
    assert len(jb) == 0


def test_timestamp_jump_of_2_pow_31_changes_nothing() -> None:
    jb = JitterBuffer(16)
    assert seqs(jb.push(pkt(1, ts=0))) == [1]
    assert seqs(jb.push(pkt(2, ts=2**31))) == [2]
    assert len(jb) == 0


@pytest.mark.parametrize("capacity", [0, 1, 3, 12, 2048])
def test_capacity_must_be_a_power_of_two(capacity: int) -> None:
    with pytest.raises(ValueError, match=f"power of two in 2..1024, got {capacity}"):
        JitterBuffer(capacity)
