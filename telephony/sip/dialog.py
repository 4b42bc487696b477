"""One call leg as a dialog (RFC 3261 §12): identifiers, CSeq spaces, route set — and its state machine.

Pure: no sockets, no threads. States change only through :meth:`CallLeg.transition`, which looks the event up in
the current state's dispatch table and logs ``call=… PROCEEDING→CANCELLED (CANCEL)``. Events are SIP methods
received from the peer (``INVITE`` = re-INVITE, ``ACK``, ``BYE``, ``CANCEL``) and local decisions in lower case
(``answer``, ``reject``, ``hangup``, ``bye_answered``, ``ack_timeout``). An event missing from the table means
"not valid now" and returns ``None`` (the endpoint answers 481 or ignores it). Transaction states never appear
here (see :mod:`telephony.sip.transaction`).
"""

from __future__ import annotations

import enum
import logging
import secrets
from dataclasses import dataclass

from telephony.sip.headers import NameAddr, Via, new_branch, new_tag
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


LIVE_STATES = frozenset({LegState.PROCEEDING, LegState.ANSWERED, LegState.CONFIRMED, LegState.TERMINATING})

# state -> {event: next state}. A missing entry: the event is not valid in that state.
DISPATCH: dict[LegState, dict[str, LegState]] = {
    LegState.IDLE: {"INVITE": LegState.PROCEEDING},
    LegState.PROCEEDING: {
        "CANCEL": LegState.CANCELLED,
        "answer": LegState.ANSWERED,
        "reject": LegState.FAILED,
    },
    LegState.ANSWERED: {
        "ACK": LegState.CONFIRMED,
        "BYE": LegState.TERMINATED,  # §15: a BYE before the ACK ends the dialog too
        "hangup": LegState.TERMINATING,
        "ack_timeout": LegState.FAILED,
    },
    LegState.CONFIRMED: {
        "INVITE": LegState.CONFIRMED,  # re-INVITE: same leg, media may move
        "ACK": LegState.CONFIRMED,
        "BYE": LegState.TERMINATED,
        "hangup": LegState.TERMINATING,
    },
    LegState.TERMINATING: {
        "BYE": LegState.TERMINATED,  # BYE crossed ours
        "bye_answered": LegState.TERMINATED,
    },
    LegState.TERMINATED: {},
    LegState.CANCELLED: {"ACK": LegState.CANCELLED},
    LegState.FAILED: {"ACK": LegState.FAILED},
}


@dataclass(frozen=True, slots=True)
class LocalParty:
    """How we appear in this dialog: the Via sent-by and the Contact URI."""

    host: str
    port: int
    user: str = "callscreen"

    @property
    def contact(self) -> str:
        return f"<sip:{self.user}@{self.host}:{self.port}>"

    def via(self) -> str:
        return str(Via("UDP", self.host, self.port, {"branch": new_branch(), "rport": ""}))


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
        self.history: list[tuple[LegState, str, LegState]] = []
        self.transition("INVITE")

    def transition(self, event: str) -> LegState | None:
        """Apply ``event``; return the new state, or None when the event is not valid in the current state."""
        target = DISPATCH[self.state].get(event)
        if target is None:
            log.debug("call=%s %s ignores %s", self.call_id, self.state.value, event)
            return None
        if target is not self.state:
            log.info("call=%s %s→%s (%s)", self.call_id, self.state.value, target.value, event)
            self.history.append((self.state, event, target))
            self.state = target
        return target

    @property
    def live(self) -> bool:
        return self.state in LIVE_STATES

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
