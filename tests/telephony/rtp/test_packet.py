from __future__ import annotations

import pytest

from telephony.rtp.errors import RtpParseError
from telephony.rtp.packet import RtpExtension, RtpPacket

# A real PCMU packet header as sipp's rtp_stream sends it: V=2, M=1, PT=0, seq 0x1234, ts 0xdeadbeef, SSRC 0x01020304
SIPP_LIKE = bytes.fromhex("8080 1234 deadbeef 01020304") + b"\xff" * 160


def test_parse_every_field() -> None:
    p = RtpPacket.parse(SIPP_LIKE)
    assert (p.payload_type, p.marker, p.sequence, p.timestamp, p.ssrc) == (0, True, 0x1234, 0xDEADBEEF, 0x01020304)
    assert p.payload == b"\xff" * 160
    assert (p.csrc, p.extension, p.padding) == ((), None, 0)


def test_serialize_is_the_inverse_of_parse() -> None:
    assert RtpPacket.parse(SIPP_LIKE).serialize() == SIPP_LIKE


def test_round_trip_with_csrc_extension_and_padding() -> None:
    packet = RtpPacket(
        payload_type=8,
        sequence=65535,
        timestamp=2**32 - 1,
        ssrc=7,
        payload=b"\xd5" * 160,
        marker=False,
        csrc=(1, 2, 3),
        extension=RtpExtension(0xBEDE, b"\x10\xaa\x00\x00"),
        padding=4,
    )
    data = packet.serialize()
    assert data[0] == 0b1011_0011  # V=2, P=1, X=1, CC=3
    assert len(data) == 12 + 12 + 4 + 4 + 160 + 4
    assert RtpPacket.parse(data) == packet
    assert RtpPacket.parse(data).serialize() == data


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "RTP packet too short: 0 bytes, the fixed header needs 12"),
        (SIPP_LIKE[:11], "RTP packet too short: 11 bytes, the fixed header needs 12"),
        (b"\x40" + SIPP_LIKE[1:], "RTP version 1, expected 2"),
        (b"\x00" + SIPP_LIKE[1:], "RTP version 0, expected 2"),
        (b"\x82" + SIPP_LIKE[1:12] + b"\x00" * 4, "RTP CSRC count 2 needs 8 bytes, 4 present"),
        (b"\x90" + SIPP_LIKE[1:12] + b"\xbe\xde", "RTP extension header needs 4 bytes, 2 present"),
        (
            b"\x90" + SIPP_LIKE[1:12] + b"\xbe\xde\x00\x02\x00\x00\x00\x00",
            "RTP extension length 2 words needs 8 bytes, 4 present",
        ),
        (b"\xa0" + SIPP_LIKE[1:12] + b"\x00\x00", "RTP padding count 0 does not fit in 2 bytes"),
        (b"\xa0" + SIPP_LIKE[1:12] + b"\x00\x09", "RTP padding count 9 does not fit in 2 bytes"),
    ],
    ids=["empty", "header-11", "version-1", "version-0", "csrc", "ext-header", "ext-body", "pad-zero", "pad-long"],
)
def test_truncated_and_malformed_variants_raise_exact_errors(data: bytes, message: str) -> None:
    with pytest.raises(RtpParseError) as excinfo:
        RtpPacket.parse(data)
    assert str(excinfo.value) == message
    assert isinstance(excinfo.value, ValueError)


def test_header_only_packet_has_empty_payload() -> None:
    assert RtpPacket.parse(SIPP_LIKE[:12]).payload == b""


@pytest.mark.parametrize(
    ("packet", "message"),
    [
        (RtpPacket(payload_type=128, sequence=0, timestamp=0, ssrc=0), "payload type 128"),
        (RtpPacket(payload_type=0, sequence=0, timestamp=0, ssrc=0, csrc=tuple(range(16))), "at most 15 CSRCs"),
        (RtpPacket(payload_type=0, sequence=0, timestamp=0, ssrc=0, extension=RtpExtension(1, b"abc")), "whole 32-bit"),
    ],
)
def test_serialize_refuses_unrepresentable_packets(packet: RtpPacket, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        packet.serialize()
