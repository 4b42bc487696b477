"""SIP INFO DTMF bodies as PBXs send them: application/dtmf-relay (Signal=…) and application/dtmf (bare digit)."""

from __future__ import annotations

import pytest

from telephony.sip.dtmf_info import info_digit
from telephony.sip.message import Headers, SipRequest


def _info(content_type: str, body: str) -> SipRequest:
    return SipRequest("INFO", "sip:x@y", Headers((("Content-Type", content_type),)), body.encode())


@pytest.mark.parametrize(("content_type", "body", "digit"), [
    ("application/dtmf-relay", "Signal=1\r\nDuration=160\r\n", "1"),
    ("application/dtmf-relay", "signal= *\nduration=100", "*"),
    ("Application/DTMF-Relay; charset=x", "Duration=100\r\nSignal=#\r\n", "#"),
    ("application/dtmf-relay", "Signal=11\r\n", "#"),  # RFC 4733 event number form
    ("application/dtmf", "9", "9"),
    ("application/dtmf-relay", "Signal=\r\n", None),
    ("application/dtmf-relay", "Signal=Z\r\n", None),
    ("application/dtmf-relay", "Duration=160", None),
    ("text/plain", "Signal=1", None),
    ("", "Signal=1", None),
])  # fmt: skip
def test_info_bodies(content_type: str, body: str, digit: str | None) -> None:
    assert info_digit(_info(content_type, body)) == digit
