"""SIP signalling for callscreen: message, transaction and dialog layers, transport, identity, SDP, REFER, REGISTER.

Why our own layers instead of pyVoIP 1.6.8's ``SIPClient`` (pyVoIP is only a development dependency, for the
tests below; nothing here imports it):
a trunk-mode endpoint that a PBX or proxy routes call-center traffic to cannot be built on it sanely. Its defects
sit in the core, not at an edge a subclass or patch could wrap — each is reproduced on plain pyVoIP in
``tests/telephony/test_pyvoip_sip_defects.py`` (parser) and shown fixed here by ``tests/telephony/test_endpoint.py``
and the sipp scenarios in ``tests/e2e/scenarios/``:

- one fixed peer: every reply goes to the constructor's server:port, not to the request's Via/source;
  ``start()`` always REGISTERs (no trunk mode) and blocks up to 30 s;
- the parser (``split(": ")``, case-sensitive names, first occurrence wins) drops compact headers, ``tel:``/``sips:``
  URIs, ``From:`` without a space, a second P-Asserted-Identity, an ``a=rtpmap`` for a payload type not on ``m=``,
  and every method but INVITE/ACK/BYE/CANCEL — silently, so OPTIONS qualify fails and REFER/NOTIFY are impossible;
- no transactions: no 100 Trying, no 2xx retransmission, a CANCEL gets 200 but never 487 and the call is still
  offered to the application; its BYE copies the INVITE's Vias; a hangup race sends a malformed ACK;
- digest only without qop over a wrong URI, no 407, a 403 to REGISTER does not raise (it prints).

Fixing these means replacing the parser, the transport, the call state and registration — i.e. all of
``SIP.py`` — so the layers are ours, kept small: :mod:`message` (parse/format), :mod:`headers` (URIs, Via),
:mod:`transaction` (RFC 3261 §17 timers, injected clock), :mod:`dialog` (CallLeg state machine), :mod:`transport`
(UDP, ``sip-rx``, ACL), :mod:`identity`, :mod:`sdp`, :mod:`refer`, :mod:`registration`. Media is
``telephony.rtp`` (its own note explains the same decision for pyVoIP's RTP).
"""

from telephony.sip.errors import (
    RegistrationError,
    SdpError,
    SipParseError,
    TelephonyError,
    TransferError,
    TransportError,
)
from telephony.sip.identity import CallerIdentity, IdentitySource, caller_identity
from telephony.sip.message import Headers, SipMessage, SipRequest, SipResponse, make_response, parse

__all__ = [
    "CallerIdentity",
    "Headers",
    "IdentitySource",
    "RegistrationError",
    "SdpError",
    "SipMessage",
    "SipParseError",
    "SipRequest",
    "SipResponse",
    "TelephonyError",
    "TransferError",
    "TransportError",
    "caller_identity",
    "make_response",
    "parse",
]
