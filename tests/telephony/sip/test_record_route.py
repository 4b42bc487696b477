"""Responses that establish a dialog carry the request's Record-Route set, in order (RFC 3261 §12.1.1)."""

from __future__ import annotations

from telephony.sip.message import SipRequest, make_response, parse

INVITE = (
    b"INVITE sip:callscreen@127.0.0.1:5062 SIP/2.0\r\n"
    b"Record-Route: <sip:127.0.0.1:5070;lr;ftag=abc>\r\n"
    b"Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKlb1\r\n"
    b"Record-Route: <sip:10.0.0.1;lr>, <sip:10.0.0.2;lr>\r\n"
    b"Via: SIP/2.0/UDP 127.0.0.1:5090;branch=z9hG4bKcaller;rport\r\n"
    b"From: <sip:13812345678@carrier.example>;tag=1\r\n"
    b"To: <sip:callscreen@127.0.0.1>\r\n"
    b"Call-ID: rr-1@127.0.0.1\r\n"
    b"CSeq: 1 INVITE\r\n"
    b"Content-Length: 0\r\n\r\n"
)


def _request(data: bytes) -> SipRequest:
    message = parse(data)
    assert isinstance(message, SipRequest)
    return message


def _record_routes(status: int, data: bytes = INVITE) -> list[str]:
    response = make_response(_request(data), status, to_tag="t1")
    return [value for name, value in response.headers.items if name == "Record-Route"]


def test_ringing_and_ok_copy_the_route_set_in_order() -> None:
    expected = ["<sip:127.0.0.1:5070;lr;ftag=abc>", "<sip:10.0.0.1;lr>, <sip:10.0.0.2;lr>"]
    assert _record_routes(180) == expected
    assert _record_routes(200) == expected


def test_trying_errors_and_non_invite_responses_do_not() -> None:
    assert _record_routes(100) == []
    assert _record_routes(486) == []
    options = INVITE.replace(b"INVITE sip:", b"OPTIONS sip:").replace(b"CSeq: 1 INVITE", b"CSeq: 1 OPTIONS")
    assert _record_routes(200, options) == []
