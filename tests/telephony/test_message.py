"""SIP message parse/format: real messages from tests/data/sip/, every field asserted, round trips, exact errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from telephony.sip.errors import SipParseError
from telephony.sip.headers import CSeq, NameAddr, Uri, Via
from telephony.sip.message import SipRequest, SipResponse, make_response, parse

DATA = Path(__file__).parent.parent / "data" / "sip"


def load(name: str) -> bytes:
    return (DATA / name).read_bytes()


def test_compact_lowercase_and_repeated_headers() -> None:
    message = parse(load("invite_compact_tel.sip"))
    assert isinstance(message, SipRequest)
    assert message.method == "INVITE"
    assert message.uri == "sip:sales@10.0.0.5:5060;user=phone"
    h = message.headers
    assert h.get("from") == '"Zhang San" <tel:+8613812345678>;tag=abc123'  # f: without a space after the colon
    assert h.get("Call-ID") == h.get("i") == "compact-call-1@10.0.0.9"
    assert h.get("Max-Forwards") == "69"
    assert h.get_all("Via") == [
        "SIP/2.0/UDP 10.0.0.9:5070;branch=z9hG4bK-compact-1;rport",
        "SIP/2.0/UDP [2001:db8::7]:5062;branch=z9hG4bK-ipv6-2",
    ]
    assert h.get_all("P-Asserted-Identity") == [  # both kept, in order (pyVoIP kept only the first)
        "<sip:+8613812345678@carrier.example;user=phone>",
        "<tel:+8613812345678>",
    ]
    assert h.get("Subject") == "Re: hello"  # pyVoIP truncated this to "Re"
    assert h.get("X-Unknown-Header") == "kept: as is"
    assert [name for name, _ in h.items][:6] == ["Via", "Via", "From", "To", "Call-ID", "CSeq"]
    assert message.body.startswith(b"v=0") and len(message.body) == int(h.get("Content-Length") or 0)


def test_parse_format_round_trip() -> None:
    for name in ("invite_compact_tel.sip", "invite_anonymous.sip", "invite_rpid.sip", "options.sip"):
        first = parse(load(name))
        again = parse(first.format())
        assert again == first, name


def test_response_copies_vias_in_order_and_adds_tag() -> None:
    request = parse(load("invite_compact_tel.sip"))
    assert isinstance(request, SipRequest)
    response = make_response(request, 180, to_tag="xyz")
    assert isinstance(parse(response.format()), SipResponse)
    assert response.headers.get_all("Via") == request.headers.get_all("Via")
    assert response.headers.get("To") == "<sip:sales@10.0.0.5>;tag=xyz"
    assert make_response(request, 100, to_tag="xyz").headers.get("To") == "<sip:sales@10.0.0.5>"


def test_structured_values() -> None:
    request = parse(load("invite_compact_tel.sip"))
    vias = [Via.parse(v) for v in request.headers.get_all("Via")]
    assert (vias[0].host, vias[0].port, vias[0].branch, "rport" in vias[0].params) == (
        "10.0.0.9", 5070, "z9hG4bK-compact-1", True)
    assert (vias[1].host, vias[1].port) == ("2001:db8::7", 5062)
    assert vias[0].stamped(("192.0.2.1", 40000)).response_address() == ("192.0.2.1", 40000)
    assert vias[1].stamped(("192.0.2.1", 40000)).response_address() == ("192.0.2.1", 5062)  # no rport: Via port
    sender = NameAddr.parse(request.headers.get("From") or "")
    assert (sender.display, sender.uri.scheme, sender.uri.user, sender.tag) == (
        "Zhang San", "tel", "+8613812345678", "abc123")
    assert Uri.parse("sips:caller@10.0.0.9:5071").port == 5071
    assert CSeq.parse(request.headers.get("CSeq") or "") == CSeq(1, "INVITE")
    assert str(NameAddr.parse('"A \\"B\\"" <sip:1@h>;tag=1').display) == 'A "B"'


@pytest.mark.parametrize(
    ("data", "message", "line"),
    [
        (b"INVITE sip:a@b SIP/2.0\r\nVia SIP/2.0/UDP h\r\n\r\n", "header line without a name and colon", 2),
        (b"HELLO\r\n\r\n", "bad request line", 1),
        (b"SIP/2.0 2OO OK\r\n\r\n", "bad status line", 1),
        (b"\r\n\r\n", "empty message", None),
    ],
)
def test_bad_input_names_the_line(data: bytes, message: str, line: int | None) -> None:
    with pytest.raises(SipParseError, match=message) as info:
        parse(data)
    if line is not None:
        assert info.value.line == line


def test_truncated_body_is_an_error() -> None:
    whole = load("invite_compact_tel.sip")
    with pytest.raises(SipParseError, match="truncated datagram"):
        parse(whole[:-20])


def test_folded_header_is_unfolded() -> None:
    message = parse(b"OPTIONS sip:a@b SIP/2.0\r\nSubject: first\r\n  second\r\nContent-Length: 0\r\n\r\n")
    assert message.headers.get("Subject") == "first second"
