"""Why telephony.sip replaces pyVoIP's SIP parser: each defect on plain pyVoIP 1.6.8, next to ours handling it.

Cheap in-process reproductions of the measurements in the pyVoIP notes: pyVoIP's ``SIPMessage`` raises (and its
SIP thread then silently drops the request) or loses information; ours parses the same bytes. These tests assert
pyVoIP's *current* behaviour — if a release fixes one, its test fails and telephony/sip/__init__.py's note should
be revisited. (Transport-level defects — replies to a fixed server:port, no 100 Trying, no 487, no 200 OK
retransmission — are covered by tests/telephony/test_endpoint.py and the sipp scenarios against our endpoint.)
"""

from __future__ import annotations

import warnings
from typing import Any

import pytest

from telephony.sip.identity import caller_identity
from telephony.sip.message import SipRequest, parse
from telephony.sip.sdp import choose, parse_offer

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import pyVoIP.VoIP  # noqa: F401  (pyVoIP 1.6.8 needs VoIP imported before SIP: circular import)
    from pyVoIP import SIP as PYVOIP_SIP

SDP = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n" \
      "a=rtpmap:0 PCMU/8000\r\n"


def invite(from_line: str = 'From: "C" <sip:13812345678@carrier.example>;tag=1', extra: str = "",
           body: str = SDP, method: str = "INVITE") -> bytes:
    return (f"{method} sip:sales@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-1\r\n"
            f"{from_line}\r\nTo: <sip:sales@127.0.0.1>\r\nCall-ID: d1\r\nCSeq: 1 {method}\r\n"
            f"Contact: <sip:c@127.0.0.1:5070>\r\n{extra}Content-Type: application/sdp\r\n"
            f"Content-Length: {len(body)}\r\n\r\n{body}").encode()


def pyvoip(data: bytes) -> Any:
    return PYVOIP_SIP.SIPMessage(data)


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("tel: URI in From", invite('From: "C" <tel:+8613812345678>;tag=1')),
        ("sips: URI in From", invite('From: "C" <sips:13812345678@carrier.example>;tag=1')),
        ("no space after the colon", invite('From:"C" <sip:13812345678@carrier.example>;tag=1')),
        ("OPTIONS", invite(method="OPTIONS", body="")),
        ("a=rtpmap for a PT not on m=", invite(body=SDP + "a=rtpmap:18 G729/8000\r\n")),
    ],
)
def test_pyvoip_drops_what_we_parse(name: str, data: bytes) -> None:
    with pytest.raises(Exception):  # noqa: B017 — pyVoIP raises assorted types; the SIP thread drops them all
        pyvoip(data)
    ours = parse(data)
    assert isinstance(ours, SipRequest), name
    if ours.body:
        assert choose(parse_offer(ours.body)).codec.name == "PCMU"
    assert caller_identity(ours.headers).number.normalized == "+8613812345678" or ours.method == "OPTIONS"


def test_pyvoip_loses_compact_headers() -> None:
    data = invite(from_line='f: "C" <sip:13812345678@carrier.example>;tag=1')
    message = pyvoip(data)
    assert "From" not in message.headers  # then gen_ringing raises KeyError: the call is dropped
    assert caller_identity(parse(data).headers).number.normalized == "+8613812345678"


def test_pyvoip_keeps_only_the_first_pai_and_truncates_values() -> None:
    extra = ("P-Asserted-Identity: <sip:anonymous@anonymous.invalid>\r\n"
             "P-Asserted-Identity: <tel:+8613812345678>\r\nSubject: Re: hello\r\n")
    message = pyvoip(invite(extra=extra))
    assert message.headers["P-Asserted-Identity"] == "<sip:anonymous@anonymous.invalid>"
    assert message.headers["Subject"] == "Re"
    ours = parse(invite(extra=extra))
    assert ours.headers.get_all("P-Asserted-Identity")[1] == "<tel:+8613812345678>"
    assert ours.headers.get("Subject") == "Re: hello"
    assert caller_identity(ours.headers).number.normalized == "+8613812345678"  # the tel: PAI is used


def test_pyvoip_header_names_are_case_sensitive() -> None:
    data = invite(extra="p-asserted-identity: <tel:+8613812345678>\r\n",
                  from_line="From: <sip:anonymous@anonymous.invalid>;tag=1")
    assert "P-Asserted-Identity" not in pyvoip(data).headers
    assert caller_identity(parse(data).headers).number.normalized == "+8613812345678"
