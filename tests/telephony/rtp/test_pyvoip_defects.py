"""Why telephony.rtp replaces pyVoIP's RTP: each defect shown on plain pyVoIP 1.6.8, next to ours doing it right.

These tests assert pyVoIP's *current* behaviour; if a pyVoIP release fixes one, its test fails and the note in
telephony/rtp/session.py should be revisited.
"""

from __future__ import annotations

import tracemalloc
import warnings
from types import ModuleType

import numpy as np

from telephony.rtp.codecs import PcmaCodec, PcmuCodec
from telephony.rtp.jitter import JitterBuffer
from telephony.rtp.packet import RtpPacket

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import pyVoIP.VoIP  # noqa: F401  (pyVoIP 1.6.8 needs VoIP imported before RTP: circular import)
    from pyVoIP import RTP as PYVOIP_RTP


def _audioop() -> ModuleType:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import audioop
    return audioop


def _client(payload_type: int) -> PYVOIP_RTP.RTPClient:
    pt = PYVOIP_RTP.PayloadType(payload_type)
    return PYVOIP_RTP.RTPClient({payload_type: pt}, "127.0.0.1", 0, "127.0.0.1", 0, PYVOIP_RTP.TransmitType.SENDRECV)


def test_pyvoip_encodes_pcma_with_the_mu_law_encoder() -> None:
    audioop = _audioop()
    linear8 = bytes(range(0, 256, 16)) * 10  # pyVoIP's write_audio takes 8-bit unsigned PCM
    signed8 = audioop.bias(linear8, 1, -128)
    theirs = _client(8).encode_packet(linear8)
    assert theirs == audioop.lin2ulaw(signed8, 1)  # μ-law bytes in a packet labelled PT 8
    assert theirs != audioop.lin2alaw(signed8, 1)
    assert _client(8).encode_packet(b"\x80" * 160) == b"\xff" * 160  # "silence" that is loud in A-law
    ours = PcmaCodec()
    assert ours.encode(audioop.lin2lin(signed8, 1, 2)) == audioop.lin2alaw(signed8, 1)
    assert ours.encode(bytes(320)) == b"\xd5" * 160


def test_pyvoip_decodes_to_8_bit_and_loses_quiet_speech() -> None:
    quiet = (np.sin(np.arange(160) / 5) * 200).astype("<i2").tobytes()  # speech 44 dB below full scale
    payload = PcmuCodec().encode(quiet)
    client = _client(0)
    message = PYVOIP_RTP.RTPMessage(RtpPacket(0, 1, 0, 1, payload).serialize(), client.assoc)
    client.parse_pcmu(message)
    theirs = client.pmin.read(160)
    assert len(theirs) == 160  # one byte per sample
    assert len(set(theirs)) <= 5  # the whole waveform collapses onto a handful of 8-bit levels
    ours = np.frombuffer(PcmuCodec().decode(payload), "<i2")
    assert len(set(ours.tolist())) > 40
    assert PcmuCodec().decode(payload) == _audioop().ulaw2lin(payload, 2)


def test_pyvoip_jitter_buffer_allocates_for_a_timestamp_jump() -> None:
    jump = 2_000_000  # bounded to keep the test cheap; a 2^31 jump would try to allocate 2 GB
    manager = PYVOIP_RTP.RTPPacketManager()
    manager.write(1000, b"\x80" * 160)
    tracemalloc.start()
    try:
        manager.write(1000 + jump, b"\x80" * 160)
        _, theirs_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(manager.buffer.getbuffer()) >= jump
    assert theirs_peak >= jump

    ours = JitterBuffer(16)
    ours.push(RtpPacket(0, 1, 1000, 1, b"\xff" * 160))
    tracemalloc.start()
    try:
        ours.push(RtpPacket(0, 2, 1000 + 2**31, 1, b"\xff" * 160))
        _, ours_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert ours_peak < 10_000


def test_pyvoip_jitter_buffer_grows_with_the_call_ours_does_not() -> None:
    manager = PYVOIP_RTP.RTPPacketManager()
    ours = JitterBuffer(16)
    for i in range(500):  # 10 s of audio, never read
        manager.write(i * 160, b"\x80" * 160)
        ours.push(RtpPacket(0, i, i * 160, 1, b"\xff" * 160))
    assert len(manager.log) == 500  # every packet of the call kept, plus the BytesIO copy
    assert len(ours) == 0  # released as soon as it is in order; at most `capacity` ever held
