"""SIP transactions over UDP (RFC 3261 §17): retransmission, matching and timeouts — no dialog state here.

Server side: a retransmitted request gets the last response again; a final response to INVITE (2xx included, as
§13.3.1.4 asks of the UAS core) is retransmitted from T1, doubling up to T2, until the ACK arrives, and given up
at 64·T1 (then the ``on_ack_timeout`` callback tells the dialog layer). Client side (BYE, REFER, NOTIFY answers,
REGISTER): the request is retransmitted the same way until a final response, or reported as timed out at 64·T1.
pyVoIP 1.6.8 had none of this: no 100 Trying, no 200 OK retransmission (a lost UDP 200 = a failed call).

Pure and clock-driven: the layer never sleeps or opens sockets. It returns bytes to send and is ticked by the
endpoint's timer thread with an injected :class:`Clock`, so tests drive time by hand.

Timers live in a heap keyed by each transaction's next due time, so a tick touches only what is due. A finished
server transaction is kept for 2·64·T1 to absorb retransmissions, so at 50 new calls/s the layer holds thousands;
scanning all of them on every tick (the endpoint ticks after every response it sends) cost more CPU than the
calls themselves and made the node refuse calls (BENCHMARKS.md "Capacity", ``bench/sip_rate.py``).
"""

from __future__ import annotations

import enum
import heapq
import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from telephony.sip.headers import BRANCH_MAGIC, CSeq, Via, tag_of
from telephony.sip.message import SipRequest, SipResponse

T1 = 0.5  # RTT estimate, §17.1.1.1
T2 = 4.0  # cap on non-INVITE / 2xx retransmit interval
TIMEOUT_FACTOR = 64  # 64·T1: Timers B, F, H, J
Address = tuple[str, int]


class Clock(Protocol):
    def monotonic(self) -> float: ...


class RequestMatch(enum.Enum):
    NEW = "new"  # hand it to the dialog layer
    RETRANSMISSION = "retransmission"  # already handled; resend ``last`` if any
    ACK_FOR_2XX = "ack_for_2xx"  # ends 2xx retransmission; the dialog confirms
    ACK_ABSORBED = "ack_absorbed"  # ACK of a non-2xx final: the transaction swallows it (§17.2.1)
    STRAY_ACK = "stray_ack"  # ACK matching nothing: dropped without reply (ACK is never answered)


@dataclass(frozen=True, slots=True)
class Outgoing:
    data: bytes
    address: Address


@dataclass
class _Retransmit:
    data: bytes
    address: Address
    next_at: float
    interval: float
    deadline: float
    cap: float = T2

    def due(self, now: float) -> bool:
        return now >= self.next_at

    def advance(self) -> None:
        self.interval = min(self.interval * 2, self.cap)
        self.next_at += self.interval


ServerKey = tuple[str, ...]


@dataclass
class ServerTransaction:
    branch: str
    method: str
    call_id: str
    cseq: int
    address: Address
    expires_at: float
    last: Outgoing | None = None
    status: int = 0
    retransmit: _Retransmit | None = None
    key: ServerKey = ()
    due: float | None = None  # the time of this transaction's live entry in the timer heap


@dataclass
class ClientTransaction:
    branch: str
    method: str
    on_result: Callable[[SipResponse | None], None]
    retransmit: _Retransmit
    provisional: list[int] = field(default_factory=list)
    call_id: str = ""
    due: float | None = None  # the time of this transaction's live entry in the timer heap


Transaction = ServerTransaction | ClientTransaction


def server_key(request: SipRequest, method: str | None = None) -> ServerKey:
    """The server transaction a request belongs to (RFC 3261 §17.2.3).

    With an RFC 3261 branch (the magic cookie and something after it): branch + the top Via's sent-by + method,
    ACK counting as INVITE. Without one (RFC 2543 peers, or a branch that is only the cookie, RFC 4475 §3.2.1):
    Request-URI, From tag, Call-ID, CSeq number, the whole top Via and the method. ``method`` overrides the
    request's own (CANCEL looks up the INVITE it cancels). The To tag of the 2543 rule is left out: the ACK and
    CANCEL of a dialog-creating INVITE carry a tag the INVITE had not.
    """
    method = method or request.method
    method = "INVITE" if method == "ACK" else method
    top = request.headers.get_all("Via")[0]
    via = Via.parse(top)
    if via.branch.startswith(BRANCH_MAGIC) and len(via.branch) > len(BRANCH_MAGIC):
        return ("3261", via.branch, via.sent_by, method)
    number = CSeq.parse(request.headers.get("CSeq") or "").number
    from_tag = tag_of(request.headers.get("From") or "") or ""
    return ("2543", request.uri, from_tag, request.call_id, str(number), " ".join(top.split()), method)


def _top_branch(message: SipRequest | SipResponse) -> str:
    vias = message.headers.get_all("Via")
    return Via.parse(vias[0]).branch if vias else ""


class TransactionLayer:
    def __init__(
        self, clock: Clock, *, t1: float = T1, on_ack_timeout: Callable[[str, int], None] | None = None
    ) -> None:
        self._clock = clock
        self._t1 = t1
        self._on_ack_timeout = on_ack_timeout
        self._server: dict[ServerKey, ServerTransaction] = {}
        self._invites: dict[tuple[str, int], ServerTransaction] = {}  # (Call-ID, CSeq) → INVITE, for ACK of 2xx
        self._client: dict[tuple[str, str], ClientTransaction] = {}
        # (due time, tie-breaker, transaction); an entry whose time is not its transaction's ``due`` is stale
        self._timers: list[tuple[float, int, Transaction]] = []
        self._order = itertools.count()
        self._lock = threading.Lock()

    @property
    def timeout(self) -> float:
        return TIMEOUT_FACTOR * self._t1

    def on_request(self, request: SipRequest, source: Address) -> tuple[RequestMatch, Outgoing | None]:
        cseq = CSeq.parse(request.headers.get("CSeq") or "")
        now = self._clock.monotonic()
        with self._lock:
            if request.method == "ACK":
                # The ACK of a 2xx is a transaction of its own, matched by dialog (Call-ID, CSeq); the ACK of a
                # non-2xx belongs to the INVITE's transaction and must match it by §17.2.3 (branch + sent-by,
                # or the RFC 2543 rule) — an ACK from elsewhere does not stop our retransmissions.
                invite = self._invites.get((request.call_id, cseq.number))
                if invite is None or (invite.status >= 300 and self._server.get(server_key(request)) is not invite):
                    return RequestMatch.STRAY_ACK, None
                was_pending = invite.retransmit is not None
                invite.retransmit = None
                invite.expires_at = min(invite.expires_at, now + self.timeout)
                self._plan(invite)
                if 200 <= invite.status < 300:
                    return (RequestMatch.ACK_FOR_2XX if was_pending else RequestMatch.RETRANSMISSION), None
                return RequestMatch.ACK_ABSORBED, None
            key = server_key(request)
            existing = self._server.get(key)
            if existing is not None:
                return RequestMatch.RETRANSMISSION, existing.last
            expires = now + 2 * self.timeout
            txn = ServerTransaction(
                _top_branch(request), request.method, request.call_id, cseq.number, source, expires, key=key
            )
            self._server[key] = txn
            self._plan(txn)
            if request.method == "INVITE":
                self._invites[(request.call_id, cseq.number)] = txn
            return RequestMatch.NEW, None

    def invite_status(self, call_id: str, cseq: int) -> int:
        with self._lock:
            txn = self._invites.get((call_id, cseq))
            return txn.status if txn else 0

    def respond(self, request: SipRequest, response: SipResponse, address: Address) -> Outgoing:
        """Record ``response`` as the transaction's answer; final INVITE answers are retransmitted until ACK."""
        out = Outgoing(response.format(), address)
        now = self._clock.monotonic()
        with self._lock:
            txn = self._server.get(server_key(request))
            if txn is None:
                return out
            txn.last, txn.status, txn.address = out, response.status, address
            if request.method == "INVITE" and response.status >= 200:
                txn.retransmit = _Retransmit(out.data, address, now + self._t1, self._t1, now + self.timeout)
                self._plan(txn)
        return out

    def request(
        self, request: SipRequest, address: Address, on_result: Callable[[SipResponse | None], None]
    ) -> Outgoing:
        """Start a non-INVITE client transaction; ``on_result`` gets the final response, or None at 64·T1."""
        out = Outgoing(request.format(), address)
        now = self._clock.monotonic()
        retransmit = _Retransmit(out.data, address, now + self._t1, self._t1, now + self.timeout)
        txn = ClientTransaction(_top_branch(request), request.method, on_result, retransmit, call_id=request.call_id)
        with self._lock:
            self._client[(txn.branch, txn.method)] = txn
            self._plan(txn)
        return out

    def abandon(self, call_id: str) -> int:
        """Stop every client transaction of a dialog the far end has ended (its BYE): nobody will answer them.

        Without this a REFER or NOTIFY in flight when the caller hung up was retransmitted to the caller's
        Contact for 64·T1 (≈ 32 s). The owners hear ``None``, as at a timeout. Returns how many were stopped.
        """
        with self._lock:
            keys = [key for key, txn in self._client.items() if txn.call_id == call_id and txn.method != "BYE"]
            dropped = [self._client.pop(key) for key in keys]
        for txn in dropped:
            txn.on_result(None)
        return len(dropped)

    def on_response(self, response: SipResponse) -> bool:
        """Match a response to our request; True when it belonged to a client transaction."""
        method = CSeq.parse(response.headers.get("CSeq") or "").method
        key = (_top_branch(response), method)
        with self._lock:
            txn = self._client.get(key)
            if txn is None:
                return False
            if response.status < 200:
                txn.provisional.append(response.status)
                txn.retransmit.interval = txn.retransmit.cap / 2  # §17.1.2.2: keep going at T2 after a 1xx
                return True
            del self._client[key]
        txn.on_result(response)
        return True

    def _plan(self, txn: Transaction) -> None:
        """Put ``txn``'s next timer on the heap unless it has an entry due no later (lock held).

        An entry that comes due early (the ACK stopped the retransmissions it was for) is harmless: the tick finds
        nothing to do and plans the transaction again. One that would come late is never left: an earlier time
        replaces it, and the old entry goes stale."""
        if isinstance(txn, ServerTransaction):
            rt = txn.retransmit
            when = txn.expires_at if rt is None else min(rt.next_at, rt.deadline)
        else:
            when = min(txn.retransmit.next_at, txn.retransmit.deadline)
        if txn.due is None or when < txn.due:
            txn.due = when
            heapq.heappush(self._timers, (when, next(self._order), txn))

    def _due(self, now: float) -> list[Transaction]:
        """Pop the live transactions whose timer is due, each once (lock held)."""
        due: list[Transaction] = []
        while self._timers and self._timers[0][0] <= now:
            when, _, txn = heapq.heappop(self._timers)
            if txn.due != when:
                continue  # superseded by an earlier entry, already handled
            txn.due = None
            current = (
                self._server.get(txn.key)
                if isinstance(txn, ServerTransaction)
                else (self._client.get((txn.branch, txn.method)))
            )
            if current is txn:
                due.append(txn)
        return due

    def tick(self) -> list[Outgoing]:
        """Due retransmissions; fires timeouts (callbacks run outside the lock)."""
        now = self._clock.monotonic()
        sends: list[Outgoing] = []
        ack_timeouts: list[tuple[str, int]] = []
        failed: list[ClientTransaction] = []
        with self._lock:
            for txn in self._due(now):
                if isinstance(txn, ServerTransaction):
                    rt = txn.retransmit
                    if rt is not None and now >= rt.deadline:
                        txn.retransmit = None
                        ack_timeouts.append((txn.call_id, txn.cseq))
                    elif rt is not None and rt.due(now):
                        sends.append(Outgoing(rt.data, rt.address))
                        rt.advance()
                    if txn.retransmit is None and now >= txn.expires_at:
                        del self._server[txn.key]
                        self._invites.pop((txn.call_id, txn.cseq), None)
                        continue
                elif now >= txn.retransmit.deadline:
                    del self._client[(txn.branch, txn.method)]
                    failed.append(txn)
                    continue
                elif txn.retransmit.due(now):
                    sends.append(Outgoing(txn.retransmit.data, txn.retransmit.address))
                    txn.retransmit.advance()
                self._plan(txn)
        for call_id, cseq in ack_timeouts:
            if self._on_ack_timeout is not None:
                self._on_ack_timeout(call_id, cseq)
        for ctx in failed:
            ctx.on_result(None)
        return sends

    def next_deadline(self) -> float | None:
        with self._lock:
            while self._timers and self._timers[0][2].due != self._timers[0][0]:
                heapq.heappop(self._timers)  # stale: its transaction has an earlier entry, or none
            return self._timers[0][0] if self._timers else None

    def __len__(self) -> int:
        with self._lock:
            return len(self._server) + len(self._client)
