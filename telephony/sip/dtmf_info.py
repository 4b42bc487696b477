"""DTMF carried in SIP INFO (the legacy, package-less way many PBXs and phones still send keys).

Two bodies are common: ``application/dtmf-relay`` (Cisco's, ``Signal=1\\r\\nDuration=160``) and
``application/dtmf`` (the bare digit). Neither is an RFC 6086 Info Package, so the INFO carries no ``Info-Package``
header; the dialog answers 200 as before and the digit joins those decoded from RFC 4733 telephone-events
(``telephony.rtp.dtmf``) in one stream of call events. Anything else in an INFO is ignored (still 200: the INFO
itself was fine, RFC 6086 §4.2.2 reserves 469 for a *declared* package we do not support).
"""

from __future__ import annotations

from telephony.sip.message import SipRequest

DTMF_RELAY = "application/dtmf-relay"
DTMF_BARE = "application/dtmf"
DIGITS = "0123456789*#ABCD"
_EVENT_CODES = {str(i): d for i, d in enumerate(DIGITS)}  # some senders put the RFC 4733 event number: 10 = *


def _digit(value: str) -> str | None:
    value = value.strip().upper()
    if len(value) == 1 and value in DIGITS:
        return value
    return _EVENT_CODES.get(value)


def info_digit(request: SipRequest) -> str | None:
    """The key pressed, from an INFO's body; None when the INFO carries no (valid) DTMF."""
    content_type = (request.headers.get("Content-Type") or "").split(";")[0].strip().lower()
    text = request.body.decode("ascii", errors="replace")
    if content_type == DTMF_BARE:
        return _digit(text)
    if content_type != DTMF_RELAY:
        return None
    for line in text.splitlines():
        name, sep, value = line.partition("=")
        if sep and name.strip().lower() == "signal":
            return _digit(value)
    return None
