from __future__ import annotations

import pytest

from telephony.rtp.dtmf import DtmfReceiver, TelephoneEvent
from telephony.rtp.errors import RtpParseError
from telephony.rtp.packet import RtpPacket


def event_packets(event: int, ts: int, *, seq0: int = 0, ends: int = 3, ssrc: int = 5) -> list[RtpPacket]:
    """An RFC 4733 event as senders emit it: start with marker, updates, then the end packet three times."""
    out = [RtpPacket(101, seq0, ts, ssrc, TelephoneEvent(event, False, 10, 0).serialize(), marker=True)]
    out += [RtpPacket(101, seq0 + i, ts, ssrc, TelephoneEvent(event, False, 10, 160 * i).serialize()) for i in (1, 2)]
    out += [RtpPacket(101, seq0 + 3, ts, ssrc, TelephoneEvent(event, True, 10, 480).serialize())] * ends
    return out


def feed(receiver: DtmfReceiver, packets: list[RtpPacket]) -> str:
    return "".join(d for p in packets for d in receiver.feed(p))


def test_parse_every_field() -> None:
    event = TelephoneEvent.parse(bytes.fromhex("018a08c0"))  # from sipp's dtmf_2833_1.pcap
    assert event == TelephoneEvent(event=1, end=True, volume=10, duration=0x08C0)
    assert event.serialize() == bytes.fromhex("018a08c0")
    assert event.digit == "1"


def test_end_packet_repeated_three_times_gives_one_digit() -> None:
    assert feed(DtmfReceiver(), event_packets(5, ts=1000)) == "5"


def test_sequence_of_digits_including_star_pound_and_a_repeat() -> None:
    packets = event_packets(10, 0) + event_packets(11, 800, seq0=10) + event_packets(11, 1600, seq0=20)
    assert feed(DtmfReceiver(), packets) == "*##"


def test_lost_end_packets_report_the_digit_when_the_next_event_starts() -> None:
    packets = event_packets(7, 0, ends=0) + event_packets(8, 800, seq0=10)
    assert feed(DtmfReceiver(), packets) == "78"


def test_lost_marker_packet_still_reports_the_digit() -> None:
    assert feed(DtmfReceiver(), event_packets(3, 0)[1:]) == "3"


def test_flash_event_is_not_a_digit() -> None:
    assert feed(DtmfReceiver(), event_packets(16, 0)) == ""


def test_short_payload_raises_exact_error() -> None:
    with pytest.raises(RtpParseError, match="telephone-event payload too short: 3 bytes, needs 4"):
        DtmfReceiver().feed(RtpPacket(101, 0, 0, 0, b"\x01\x8a\x08"))
