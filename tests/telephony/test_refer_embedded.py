"""RFC 3261 §19.1.1: headers embedded in the Refer-To URI reach the agent's INVITE, escaped as the grammar says.

§25.1: ``headers = "?" header *( "&" header )``, ``header = hname "=" hvalue``, where hname and hvalue are
``1*( hnv-unreserved / unreserved / escaped )`` — so ``;``, ``=``, ``&``, ``%``, spaces and non-ASCII in a value
must be %HH-escaped, while ``[ ] / ? : + $`` and the mark characters may stay as they are.
"""

from __future__ import annotations

import re

from screening.verdict import Label, Reason, ReasonCode, SignalKind, Verdict
from telephony.flow_runner import agent_headers, new_call_ref
from telephony.sip.refer import (
    REF_HEADER,
    SCORE_HEADER,
    VERDICT_HEADER,
    embedded_headers,
    refer_headers,
    with_embedded_headers,
)

# hname / hvalue characters allowed unescaped (RFC 3261 §25.1: hnv-unreserved / unreserved) plus escapes.
HNV = r"(?:[A-Za-z0-9\-_.!~*'()\[\]/?:+$]|%[0-9A-Fa-f]{2})+"
HEADERS_GRAMMAR = re.compile(rf"^{HNV}={HNV}?(?:&{HNV}={HNV}?)*$")


def test_values_are_escaped_per_the_grammar_and_round_trip() -> None:
    embedded = (("X-Callscreen-Verdict", "suspect;score=0.55"), ("X-Note", "a&b=c 100% 投诉"), ("X-Path", "/a:b+$"))
    uri = with_embedded_headers("sip:agents@pbx.example;transport=udp", embedded)
    base, _, query = uri.partition("?")
    assert base == "sip:agents@pbx.example;transport=udp"
    assert HEADERS_GRAMMAR.match(query), query
    assert "suspect%3Bscore%3D0.55" in query and "a%26b%3Dc%20100%25%20" in query and "/a:b+$" in query
    assert embedded_headers(f"<{uri}>") == list(embedded)


def test_a_target_that_already_has_headers_is_extended_with_an_ampersand() -> None:
    uri = with_embedded_headers("sip:agents@pbx?Priority=urgent", ((REF_HEADER, "ab12"),))
    assert uri == "sip:agents@pbx?Priority=urgent&X-Callscreen-Ref=ab12"
    assert with_embedded_headers("sip:agents@pbx", ()) == "sip:agents@pbx"
    assert embedded_headers("sip:agents@pbx") == []


def test_the_refer_carries_verdict_score_and_reference_inside_refer_to() -> None:
    verdict = Verdict(Label.SUSPECT, 0.5, (Reason(ReasonCode.LEARNED_NO_BUSINESS, SignalKind.CONTENT, 0.2, "x"),))
    ref = new_call_ref()
    assert re.fullmatch(r"[0-9a-f]{10}", ref) and ref != new_call_ref()
    headers = dict(refer_headers("sip:agents@pbx", "<sip:callscreen@h>", verdict.summary(),
                                 agent_headers(verdict, ref)))
    assert headers["Refer-To"].startswith("<sip:agents@pbx?") and headers["Refer-To"].endswith(">")
    assert embedded_headers(headers["Refer-To"]) == [(VERDICT_HEADER, "suspect"), (SCORE_HEADER, "0.50"),
                                                     (REF_HEADER, ref)]
    assert headers[VERDICT_HEADER] == verdict.summary()  # the PBX still gets the full summary on the REFER
