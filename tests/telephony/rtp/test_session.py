"""RtpSession on real loopback sockets: a raw UDP peer on the other side, no mocks."""

from __future__ import annotations

import itertools
import threading
from pathlib import Path

import numpy as np
import pytest

from telephony.media import Codec
from telephony.rtp.codecs import PcmaCodec, PcmuCodec
from telephony.rtp.packet import RtpPacket
from tests.telephony.rtp.pcap import udp_payloads
from tests.telephony.rtp.peer import RawPeer, read_frames, session_with_peer, stream

SIPP_PCAPS = Path("/usr/share/sip-tester")


def tone(seconds: float, freq: float = 440.0, level: float = 0.3) -> bytes:
    t = np.arange(int(8000 * seconds)) / 8000
    return (np.cos(2 * np.pi * freq * t) * level * 32767).astype("<i2").tobytes()


def test_pcmu_frames_read_equal_the_lossless_decode() -> None:
    codec = PcmuCodec()
    sent = [codec.encode(tone(0.02, 300 + 10 * i)) for i in range(40)]
    with session_with_peer(Codec.PCMU, rx_queue_frames=100) as (session, peer):
        peer.send(stream(sent, 0), ("127.0.0.1", session.params.local_port))
        frames = read_frames(session, 40)
        assert frames == [codec.decode(p) for p in sent]
        assert all(len(f) == 320 for f in frames)
        assert session.stats.packets_received == 40


def test_pcma_from_sipps_g711a_pcap_reframed_from_30ms_packets() -> None:
    packets = [RtpPacket.parse(p) for p in udp_payloads(SIPP_PCAPS / "g711a.pcap")]
    assert {len(p.payload) for p in packets} == {240}  # 30 ms packets: the session must re-frame to 20 ms
    expected = PcmaCodec().decode(b"".join(p.payload for p in packets))
    frames: list[bytes] = []
    with session_with_peer(Codec.PCMA) as (session, peer):
        for i in range(0, len(packets), 20):  # 20 packets = 30 frames at a time: a burst the socket buffer holds
            peer.send(packets[i : i + 20], ("127.0.0.1", session.params.local_port))
            frames += read_frames(session, len(packets[i : i + 20]) * 3 // 2)  # 240 samples = 1.5 frames
        frames += read_frames(session, len(expected) // 320 - len(frames))
        assert session.stats.packets_received == len(packets)
        assert session.stats.rx_overflow == 0
    assert b"".join(frames) == expected
    assert np.abs(np.frombuffer(expected, "<i2")).max() > 1000  # real audio, not just idle codes


@pytest.mark.parametrize(("codec", "law"), [(Codec.PCMU, PcmuCodec()), (Codec.PCMA, PcmaCodec())])
def test_played_audio_decodes_back_to_the_prompt(codec: Codec, law: PcmuCodec | PcmaCodec) -> None:
    prompt = tone(0.5, 700) + tone(0.31, 1100)  # 0.81 s: the last frame is partial and padded
    frames = -(-len(prompt) // 320)
    with session_with_peer(codec) as (session, peer):
        playback = session.play(prompt)
        captured = peer.capture(frames + 40)
        assert playback.wait(5.0)
    assert {p.payload_type for p in captured} == {int(codec)}
    silence = bytes([law.silence_byte]) * 160
    first = next(i for i, p in enumerate(captured) if p.payload != silence)
    heard = law.decode(b"".join(p.payload for p in captured[first : first + frames]))
    padded = prompt.ljust(frames * 320, b"\x00")
    assert heard == law.decode(law.encode(padded))
    assert all(p.payload == silence for p in captured[first + frames :])
    original = np.frombuffer(padded, "<i2").astype(float)
    error = original - np.frombuffer(heard, "<i2")
    assert 10 * np.log10(np.sum(original**2) / np.sum(error**2)) > 30  # G.711 quantisation only


@pytest.mark.parametrize(("codec", "idle"), [(Codec.PCMU, 0xFF), (Codec.PCMA, 0xD5)])
def test_sends_codec_silence_when_nothing_plays(codec: Codec, idle: int) -> None:
    with session_with_peer(codec) as (_, peer):
        packets = peer.capture(5)
    assert all(p.payload == bytes([idle]) * 160 and p.payload_type == int(codec) for p in packets)
    assert packets[0].marker and not any(p.marker for p in packets[1:])


def test_pacing_progresses_sequence_and_timestamp_per_frame() -> None:
    with session_with_peer(Codec.PCMU) as (_, peer):
        packets = peer.capture(25)
    seq_steps = {(b.sequence - a.sequence) % 65536 for a, b in itertools.pairwise(packets)}
    ts_steps = [(b.timestamp - a.timestamp) % 2**32 for a, b in itertools.pairwise(packets)]
    assert seq_steps == {1}
    # one frame per packet; a larger multiple of 160 only if the sender was starved and re-anchored
    assert all(step % 160 == 0 and step >= 160 for step in ts_steps)
    assert len({p.ssrc for p in packets}) == 1


def test_barge_in_cancel_stops_the_prompt_and_signals_done() -> None:
    with session_with_peer(Codec.PCMU) as (session, peer):
        playback = session.play(tone(5.0))
        peer.capture(3)
        assert not playback.done
        playback.cancel()
        assert playback.wait(0) and playback.done
        after = peer.capture(10)[-5:]  # a frame already taken may still go out; then only silence
        assert all(p.payload == b"\xff" * 160 for p in after)


def test_prompts_play_in_order_and_wait_times_out_while_playing() -> None:
    with session_with_peer(Codec.PCMU) as (session, _):
        first = session.play(tone(0.1))
        second = session.play(tone(0.1))
        assert not second.wait(0.0)
        assert first.wait(3.0) and second.wait(3.0)
        assert not first.cancelled and not second.cancelled


def test_wrong_payload_type_is_dropped_and_counted() -> None:
    with session_with_peer(Codec.PCMU) as (session, peer):
        to = ("127.0.0.1", session.params.local_port)
        peer.send(stream([b"\xd5" * 160] * 3, 8), to)  # PCMA when PCMU was negotiated
        peer.send(stream([b"\x00" * 20] * 2, 18, seq0=5), to)  # G.729
        peer.send(stream([b"\x11" * 160], 0, seq0=9), to)
        assert read_frames(session, 1) == [PcmuCodec().decode(b"\x11" * 160)]
        assert session.stats.wrong_payload_type == 5
        assert session.stats.packets_received == 1


def test_packets_from_an_unexpected_source_are_dropped_and_counted() -> None:
    intruder_host = RawPeer("127.0.0.2")  # another host on loopback
    intruder_port = RawPeer()  # the SDP host, but a different port after the first packet latched
    with session_with_peer(Codec.PCMU) as (session, peer):
        to = ("127.0.0.1", session.params.local_port)
        peer.send(stream([b"\x22" * 160], 0), to)
        assert read_frames(session, 1) == [PcmuCodec().decode(b"\x22" * 160)]
        intruder_host.send(stream([b"\x33" * 160] * 2, 0, seq0=1001), to)
        intruder_port.send(stream([b"\x44" * 160] * 2, 0, seq0=1001), to)
        peer.send(stream([b"\x55" * 160], 0, seq0=1001), to)
        assert read_frames(session, 1) == [PcmuCodec().decode(b"\x55" * 160)]
        assert session.stats.wrong_source == 4
    intruder_host.close()
    intruder_port.close()


def test_bad_packets_are_counted_not_raised() -> None:
    with session_with_peer(Codec.PCMU) as (session, peer):
        to = ("127.0.0.1", session.params.local_port)
        peer.send([b"", b"\x80\x00", b"\x40" + bytes(171), b"\x8f" + bytes(20)], to)
        peer.send(stream([b"\x66" * 160], 0), to)
        assert read_frames(session, 1) == [PcmuCodec().decode(b"\x66" * 160)]
        assert session.stats.bad_packets == 4


def test_dtmf_from_sipps_rfc2833_pcap_is_one_digit() -> None:
    packets = [RtpPacket.parse(p) for p in udp_payloads(SIPP_PCAPS / "dtmf_2833_1.pcap")]
    assert sum(1 for p in packets if p.payload[1] & 0x80) == 3  # the end packet is sent three times
    with session_with_peer(Codec.PCMU) as (session, peer):
        peer.send(packets, ("127.0.0.1", session.params.local_port))
        peer.send(stream([b"\x77" * 160], 0), ("127.0.0.1", session.params.local_port))
        read_frames(session, 1)  # the audio packet behind the digit proves all DTMF packets were processed
        assert session.dtmf() == "1"
        assert session.dtmf() == ""


def test_update_remote_moves_media_without_new_threads() -> None:
    new_peer = RawPeer()
    with session_with_peer(Codec.PCMU) as (session, peer):
        peer.capture(2)
        before = sorted(t.name for t in threading.enumerate() if t.name.startswith("call-test-"))
        assert before == ["call-test-rtp-rx", "call-test-rtp-tx"]
        session.update_remote(new_peer.host, new_peer.port, Codec.PCMA)
        moved = new_peer.capture(10)
        after = sorted(t.name for t in threading.enumerate() if t.name.startswith("call-test-"))
        assert after == before
        assert all(p.payload_type == 8 and p.payload == b"\xd5" * 160 for p in moved)
        seq = [p.sequence for p in moved]
        assert all((b - a) % 65536 == 1 for a, b in itertools.pairwise(seq))  # same stream, not doubled
        new_peer.send(stream([PcmaCodec().encode(tone(0.02))], 8, ssrc=99), ("127.0.0.1", session.params.local_port))
        assert read_frames(session, 1) == [PcmaCodec().decode(PcmaCodec().encode(tone(0.02)))]
    new_peer.close()


def test_stop_joins_threads_and_read_returns_none() -> None:
    with session_with_peer(Codec.PCMU) as (session, _):
        playback = session.play(tone(3.0))
    assert not [t for t in threading.enumerate() if t.name.startswith("call-test-")]
    assert session.read(0.5) is None
    assert playback.done and playback.cancelled


def test_seconds_since_last_packet_restarts_on_a_packet() -> None:
    with session_with_peer(Codec.PCMU) as (session, peer):
        threading.Event().wait(0.15)
        idle = session.seconds_since_last_packet
        peer.send(stream([b"\x01" * 160], 0), ("127.0.0.1", session.params.local_port))
        read_frames(session, 1)
        assert session.seconds_since_last_packet < idle


def test_intruder_traffic_does_not_count_as_media() -> None:
    intruder = RawPeer("127.0.0.2")
    with session_with_peer(Codec.PCMU) as (session, peer):
        to = ("127.0.0.1", session.params.local_port)
        peer.send(stream([b"\x01" * 160], 0), to)
        read_frames(session, 1)
        threading.Event().wait(0.15)
        idle = session.seconds_since_last_packet
        intruder.send(stream([b"\x01" * 160] * 3, 0, seq0=1001), to)
        peer.send([b"\x80"], to)  # a bad packet from the right peer is not media either
        threading.Event().wait(0.05)
        assert session.seconds_since_last_packet > idle
    intruder.close()


@pytest.mark.parametrize(("codec", "law"), [(Codec.PCMU, PcmuCodec()), (Codec.PCMA, PcmaCodec())])
def test_a_shipped_prompt_played_by_the_session_decodes_back_to_it(codec: Codec, law: PcmuCodec | PcmaCodec) -> None:
    from prompts import PromptLibrary, PromptName

    prompt = PromptLibrary.load().pcm16(PromptName.SIT)  # 0.99 s, keeps the test short; speech is the same path
    frames = -(-len(prompt) // 320)
    with session_with_peer(codec) as (session, peer):
        playback = session.play(prompt)
        captured = peer.capture(frames + 15)
        assert playback.wait(3.0)
    silence = bytes([law.silence_byte]) * 160
    first = next(i for i, p in enumerate(captured) if p.payload != silence)
    heard = law.decode(b"".join(p.payload for p in captured[first : first + frames]))
    assert heard == law.decode(law.encode(prompt.ljust(frames * 320, b"\x00")))
