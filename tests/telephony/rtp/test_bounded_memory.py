"""Acceptance: memory per call stays bounded when the peer sends a 2^31 timestamp jump and floods far-ahead packets."""

from __future__ import annotations

import tracemalloc

from telephony.media import Codec
from telephony.rtp.codecs import PcmuCodec
from telephony.rtp.packet import RtpPacket
from tests.telephony.rtp.peer import read_frames, session_with_peer, stream, wait_until

FLOOD = 2000


def test_timestamp_jump_and_far_ahead_flood_keep_memory_bounded() -> None:
    with session_with_peer(Codec.PCMU, jitter_frames=16, rx_queue_frames=50) as (session, peer):
        to = ("127.0.0.1", session.params.local_port)
        peer.send(stream([b"\x10" * 160] * 5, 0, seq0=100, ts0=0), to)
        assert len(read_frames(session, 5)) == 5
        tracemalloc.start()
        try:
            base, _ = tracemalloc.get_traced_memory()
            # one packet 2^31 samples (≈ 74 hours) ahead, then a flood of packets each far ahead of the last
            peer.send([RtpPacket(0, 105, 2**31, 0x1234, b"\x20" * 160)], to)
            flood = [
                RtpPacket(0, (106 + 40 * i) % 65536, (2**31 + 2**28 * i) % 2**32, 0x1234, b"\x30" * 160)
                for i in range(FLOOD)
            ]
            for i in range(0, FLOOD, 100):  # in bursts the socket buffer holds, so every packet is processed
                peer.send(flood[i : i + 100], to)

                def arrived(expected: int = 5 + 1 + i + 100) -> bool:
                    return session.stats.packets_received == expected

                assert wait_until(arrived)
                assert session.stats.buffered_frames <= 16 + 50
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        stats = session.stats
        assert stats.packets_received == 5 + 1 + FLOOD
        assert stats.buffered_frames <= 16 + 50
        assert peak - base < 2_000_000  # pyVoIP's buffer would allocate 2 GB for the first packet alone
        # the call is still alive: ordinary audio after the storm is delivered verbatim
        last = (106 + 40 * (FLOOD - 1)) % 65536
        peer.send(stream([b"\x40" * 160] * 3, 0, seq0=last + 1, ts0=0), to)
        frames = read_frames(session, 50 + 3 + 1, timeout=0.5)  # what the flood left queued, then ours
        assert frames[-3:] == [PcmuCodec().decode(b"\x40" * 160)] * 3
