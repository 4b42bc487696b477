"""SDP offer/answer: codec choice in offer order, telephone-event, tolerance pyVoIP 1.6.8 lacked."""

from __future__ import annotations

import pytest

from telephony.media import Codec
from telephony.sip.errors import SdpError
from telephony.sip.sdp import MediaHosts, SdpChoice, build_answer, choose, parse_offer

OFFER = b"""v=0\r
o=- 1 1 IN IP4 10.0.0.9\r
s=-\r
c=IN IP4 10.0.0.9\r
t=0 0\r
m=audio 40000 RTP/AVP 8 0 96\r
a=rtpmap:8 PCMA/8000\r
a=rtpmap:96 telephone-event/8000\r
a=rtpmap:18 G729/8000\r
a=fmtp:96 0-16\r
a=sendrecv\r
"""


def test_offer_order_is_respected_and_dynamic_dtmf_pt_is_found() -> None:
    offer = parse_offer(OFFER)
    assert (offer.host, offer.port, offer.payload_types) == ("10.0.0.9", 40000, (8, 0, 96))
    assert 18 not in offer.rtpmap  # rtpmap for a PT that is not on m= is ignored (pyVoIP dropped the INVITE)
    assert choose(offer) == SdpChoice(Codec.PCMA, 96)
    assert choose(offer, allowed=(Codec.PCMU,)) == SdpChoice(Codec.PCMU, 96)


def test_media_level_connection_and_hold() -> None:
    body = OFFER.replace(b"a=sendrecv", b"c=IN IP4 0.0.0.0\r\na=sendonly")
    offer = parse_offer(body)
    assert offer.host == "0.0.0.0" and offer.on_hold


def test_no_common_codec_and_no_audio_are_clear_errors() -> None:
    with pytest.raises(SdpError, match="no common audio codec"):
        choose(parse_offer(OFFER.replace(b"RTP/AVP 8 0 96", b"RTP/AVP 18")))
    with pytest.raises(SdpError, match="no audio stream"):
        parse_offer(b"v=0\r\nm=video 5000 RTP/AVP 96\r\n")


def test_answer_lists_only_the_chosen_codec_and_dtmf() -> None:
    answer = build_answer("127.0.0.1", 12000, SdpChoice(Codec.PCMA, 96), session_id=7).decode()
    assert "m=audio 12000 RTP/AVP 8 96" in answer
    assert "a=rtpmap:8 PCMA/8000" in answer and "a=rtpmap:96 telephone-event/8000" in answer
    again = parse_offer(answer.encode())
    assert choose(again) == SdpChoice(Codec.PCMA, 96)


def test_an_ipv6_offer_gets_an_ipv6_answer_or_a_clear_error() -> None:
    """RFC 4566 §5.7: ``c=<nettype> <addrtype> <connection-address>``, addrtype IP6 for an IPv6 address."""
    offer = parse_offer(OFFER.replace(b"IN IP4 10.0.0.9", b"IN IP6 2001:db8::9"))
    assert offer.host == "2001:db8::9" and not offer.on_hold
    hosts = MediaHosts("192.0.2.1", "2001:db8::1")
    assert hosts.for_offer(offer.host) == "2001:db8::1" and hosts.for_offer("10.0.0.9") == "192.0.2.1"
    answer = build_answer(hosts.for_offer(offer.host), 41000, choose(offer), session_id=7).decode()
    assert "o=callscreen 7 7 IN IP6 2001:db8::1\r\n" in answer and "c=IN IP6 2001:db8::1\r\n" in answer
    with pytest.raises(SdpError, match="no IPv6 address"):
        MediaHosts("192.0.2.1").for_offer(offer.host)  # the endpoint answers 488, not an unreachable IP4 answer
    assert parse_offer(OFFER.replace(b"IN IP4 10.0.0.9", b"IN IP6 ::")).on_hold  # "::" is IPv6's 0.0.0.0
