"""One call leg as a dialog (RFC 3261 §12): identifiers, CSeq spaces, route set — and its state machine.

Pure: no sockets, no threads. States change only through :meth:`CallLeg.transition`, which looks the event up in
the current state's dispatch table and logs ``call=… PROCEEDING→CANCELLED (CANCEL)``. Events are SIP methods
received from the peer (``INVITE`` = re-INVITE, ``ACK``, ``BYE``, ``CANCEL``) and local decisions in lower case
(``answer``, ``reject``, ``hangup``, ``bye_answered``, ``ack_timeout``), together :class:`LegEvent`. An event
missing from the table means "not valid now" and returns ``None`` (the endpoint answers 481 or ignores it).
Transaction states never appear here (see :mod:`telephony.sip.transaction`).
"""

from __future__ import annotations

import enum
import logging
import secrets
from dataclasses import dataclass

from telephony.sip.headers import NameAddr, Transport, Via, new_branch, new_tag
from telephony.sip.message import Headers, SipRequest

log = logging.getLogger(__name__)
MAX_FORWARDS = "70"


class LegState(enum.Enum):
    IDLE = "IDLE"
    PROCEEDING = "PROCEEDING"  # INVITE received, 100/180 sent
    ANSWERED = "ANSWERED"  # 200 OK sent, waiting for ACK
    CONFIRMED = "CONFIRMED"  # ACK received: media flows
    TERMINATING = "TERMINATING"  # our BYE sent
    TERMINATED = "TERMINATED"
    CANCELLED = "CANCELLED"  # CANCEL before answer: 487 sent
    FAILED = "FAILED"  # rejected / redirected before answer, or our 200 OK was never ACKed


class LegEvent(enum.StrEnum):
    """What moves a leg: SIP methods from the peer (upper case) and our own decisions (lower case)."""

    INVITE = "INVITE"  # the initial INVITE, or a re-INVITE on a confirmed leg
    ACK = "ACK"
    BYE = "BYE"
    CANCEL = "CANCEL"
    ANSWER = "answer"  # we sent 200 OK
    REJECT = "reject"  # we sent a final non-2xx (or a 302) before answering
    HANGUP = "hangup"  # we sent BYE
    BYE_ANSWERED = "bye_answered"  # our BYE got its final response (or timed out)
    ACK_TIMEOUT = "ack_timeout"  # our 200 OK was never ACKed (§13.3.1.4)


_L, _V = LegState, LegEvent
# state -> {event: next state}. A missing entry: the event is not valid in that state.
DISPATCH: dict[LegState, dict[LegEvent, LegState]] = {
    _L.IDLE: {_V.INVITE: _L.PROCEEDING},
    _L.PROCEEDING: {
        _V.CANCEL: _L.CANCELLED,
        _V.ANSWER: _L.ANSWERED,
        _V.REJECT: _L.FAILED,
    },
    _L.ANSWERED: {
        _V.ACK: _L.CONFIRMED,
        _V.BYE: _L.TERMINATED,  # §15: a BYE before the ACK ends the dialog too
        _V.HANGUP: _L.TERMINATING,
        _V.ACK_TIMEOUT: _L.FAILED,
    },
    _L.CONFIRMED: {
        _V.INVITE: _L.CONFIRMED,  # re-INVITE: same leg, media may move
        _V.ACK: _L.CONFIRMED,
        _V.BYE: _L.TERMINATED,
        _V.HANGUP: _L.TERMINATING,
    },
    _L.TERMINATING: {
        _V.BYE: _L.TERMINATED,  # BYE crossed ours
        _V.BYE_ANSWERED: _L.TERMINATED,
    },
    _L.TERMINATED: {},
    _L.CANCELLED: {_V.ACK: _L.CANCELLED},
    _L.FAILED: {_V.ACK: _L.FAILED},
}


@dataclass(frozen=True, slots=True)
class LocalParty:
    """How we appear in this dialog: the Via sent-by and the Contact URI, for the transport the INVITE came on.

    The far end sends its in-dialog requests (BYE, re-INVITE, NOTIFY) to our Contact, and a plain ``sip:host:port``
    means UDP to it (RFC 3263 §4.1): a call that arrived over TCP would hear its BYE come back over another
    transport. So over TCP the Contact says ``;transport=tcp``, and over TLS it is a ``sips:`` URI at the TLS port
    (RFC 3261 §8.1.1.8, §12.1.1, §26.2.2: a sips URI is reached over TLS only, hop by hop). IPv6 hosts are
    bracketed (§25.1 ``IPv6reference``).
    """

    host: str
    port: int
    user: str = "callscreen"
    transport: Transport = Transport.UDP

    @property
    def contact(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        if self.transport is Transport.TLS:
            return f"<sips:{self.user}@{host}:{self.port}>"
        suffix = ";transport=tcp" if self.transport is Transport.TCP else ""
        return f"<sip:{self.user}@{host}:{self.port}{suffix}>"

    def via(self) -> str:
        return str(Via(self.transport.value, self.host, self.port, {"branch": new_branch(), "rport": ""}))


class CallLeg:
    """The UAS side of one dialog created by an incoming INVITE."""

    def __init__(self, invite: SipRequest, local: LocalParty) -> None:
        self.call_id = invite.call_id
        self.local = local
        self.local_tag = new_tag()
        self.remote = NameAddr.parse(invite.headers.get("From") or "")
        self.local_addr = invite.headers.get("To") or ""
        contact = invite.headers.get_all("Contact")
        self.remote_target = str(NameAddr.parse(contact[0]).uri) if contact else str(self.remote.uri)
        self.route_set = invite.headers.get_all("Record-Route")  # UAS keeps the order as received (§12.1.1)
        self.local_cseq = secrets.randbelow(2**15) + 1
        self.state = LegState.IDLE
        self.history: list[tuple[LegState, LegEvent, LegState]] = []
        self.transition(LegEvent.INVITE)

    def transition(self, event: LegEvent) -> LegState | None:
        """Apply ``event``; return the new state, or None when the event is not valid in the current state."""
        target = DISPATCH[self.state].get(event)
        if target is None:
            log.debug("call=%s %s ignores %s", self.call_id, self.state.value, event)
            return None
        if target is not self.state:
            log.info("call=%s %s→%s (%s)", self.call_id, self.state.value, target.value, event.value)
            self.history.append((self.state, event, target))
            self.state = target
        return target

    def request(self, method: str, extra: tuple[tuple[str, str], ...] = (), body: bytes = b"") -> SipRequest:
        """An in-dialog request from us (BYE, REFER): our tag in From, the peer's in To, next local CSeq."""
        self.local_cseq += 1
        local_from = self.local_addr if ";tag=" in self.local_addr else f"{self.local_addr};tag={self.local_tag}"
        items: list[tuple[str, str]] = [
            ("Via", self.local.via()),
            *(("Route", route) for route in self.route_set),
            ("Max-Forwards", MAX_FORWARDS),
            ("From", local_from),
            ("To", str(self.remote)),
            ("Call-ID", self.call_id),
            ("CSeq", f"{self.local_cseq} {method}"),
            ("Contact", self.local.contact),
            *extra,
        ]
        return SipRequest(method, self.remote_target, Headers(tuple(items)), body)

    def next_hop(self, fallback: tuple[str, int]) -> tuple[str, int]:
        """Where in-dialog requests go: the first route if any (loose routing), else the remote target."""
        target = NameAddr.parse(self.route_set[0]).uri if self.route_set else NameAddr.parse(self.remote_target).uri
        if not target.host:
            return fallback
        return target.host, target.port or 5060
