"""Which hotline the caller dialled: a configured header (X-Dialed-Number, Diversion), else R-URI, else To."""

from __future__ import annotations

from telephony.endpoint import dialled_number
from telephony.sip.message import Headers, SipRequest


def _invite(uri: str, *headers: tuple[str, str]) -> SipRequest:
    return SipRequest("INVITE", uri, Headers((("To", "<sip:screen@pbx>"), *headers)))


def test_request_uri_user_names_the_hotline_in_trunk_mode() -> None:
    assert dialled_number(_invite("sip:4008001234@callscreen:5060"), None) == "4008001234"
    assert dialled_number(_invite("sip:+864008001234@cs;user=phone"), None) == "+864008001234"


def test_a_configured_header_wins_raw_digits_or_a_name_addr() -> None:
    plain = _invite("sip:screen@cs", ("X-Dialed-Number", "400-800-1234"))
    assert dialled_number(plain, "X-Dialed-Number") == "4008001234"
    diverted = _invite("sip:screen@cs", ("Diversion", "<sip:8008005678@pbx>;reason=unconditional;counter=1"))
    assert dialled_number(diverted, "Diversion") == "8008005678"
    assert dialled_number(diverted, None) is None  # header not configured: R-URI and To name no number


def test_without_the_header_the_to_user_then_nothing() -> None:
    to_only = SipRequest("INVITE", "sip:screen@cs", Headers((("To", "<tel:+8640080012340>"),)))
    assert dialled_number(to_only, "X-Dialed-Number") == "+8640080012340"
    assert dialled_number(_invite("sip:sales@cs"), "X-Dialed-Number") is None
