"""The SIP endpoint: transport + transactions + dialogs + calls, with one request pipeline.

Every incoming request reads like Kamailio's main route: sanity (400) → transaction (retransmission? ACK?) →
in-dialog (to-tag: route to the call or 481) → by method: INVITE (capacity 503, SDP 488, then 100 Trying and a new
call thread), OPTIONS 200 (503 while the node is not ready for calls: a load balancer's probe), CANCEL 200 + 487 on
the INVITE, methods we know but do not serve 405, anything else 501. No request is dropped without a definite reply
(ACK is never answered, by definition). Responses go to their client transaction. The call flow itself is not here:
``on_call`` runs it on the call's own thread.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from numbering import mask
from telephony.call import ALLOW, Call, CallInfo, MediaFactory
from telephony.sip.dialog import CallLeg, LocalParty
from telephony.sip.errors import SdpError, SipParseError
from telephony.sip.headers import CSeq, NameAddr, Transport, Via, tag_of
from telephony.sip.identity import caller_identity
from telephony.sip.message import SIP_VERSION, SipMessage, SipRequest, SipResponse, make_response
from telephony.sip.sdp import MediaHosts
from telephony.sip.transaction import Clock, Outgoing, RequestMatch, ServerKey, TransactionLayer, server_key
from telephony.sip.transport import Address, UdpTransport
from telephony.sip.validate import Refusal, check
from telephony.wallclock import WallClock, system_clock

log = logging.getLogger(__name__)
REQUIRED_HEADERS = ("Via", "From", "To", "Call-ID", "CSeq")
KNOWN_UNSERVED = frozenset({"REGISTER", "SUBSCRIBE", "PUBLISH", "MESSAGE", "PRACK", "REFER"})
IN_DIALOG_OK = frozenset({"INFO", "UPDATE", "OPTIONS"})
TICK_MAX_S = 0.2


class MonotonicClock:
    def monotonic(self) -> float:
        return time.monotonic()


def _digits(text: str) -> str | None:
    kept = "".join(ch for ch in text if ch.isdigit() or ch == "+")
    return kept or None


def dialled_number(request: SipRequest, header: str | None) -> str | None:
    """The hotline the caller dialled: the configured header (``X-Dialed-Number: 4008001234`` or a name-addr
    such as ``Diversion: <sip:4008001234@pbx>;reason=unconditional``), else the Request-URI user, else the To user.
    Digits only (a leading ``+`` kept); None when nothing names a number."""
    candidates: list[str] = []
    if header and request.headers.get(header):
        candidates.append(request.headers.get(header) or "")
    candidates += [f"<{request.uri}>", request.headers.get("To") or ""]
    for raw in candidates:
        if "sip:" in raw.lower() or "tel:" in raw.lower():
            try:
                user = NameAddr.parse(raw.split(",")[0]).uri.user
            except SipParseError:
                continue
            number = _digits(user or "")
        else:
            number = _digits(raw)
        if number:
            return number
    return None


class SipEndpoint:
    def __init__(
        self,
        transport: UdpTransport,
        local: LocalParty,
        media_factory: MediaFactory,
        on_call: Callable[[Call], None],
        *,
        max_calls: int = 50,
        clock: Clock | None = None,
        wall_clock: WallClock = system_clock,
        notify_timeout_s: float = 10.0,
        dialled_header: str | None = None,
        unready: Callable[[], str | None] = lambda: None,
    ) -> None:
        self.local = local
        # Why the node should not be sent calls yet (its recogniser pool still warming), or None: an OPTIONS probe
        # is answered 503 with it, so Kamailio's dispatcher sends the calls elsewhere. An INVITE that comes anyway
        # is taken as ever — readiness steers the load balancer, it never refuses a caller.
        self.unready = unready
        # Media addresses per family: the IPv4 one we advertise, the IPv6 one the transport listens on (if any).
        self._media_hosts = MediaHosts(local.host, transport.ipv6_host)
        self._dialled_header = dialled_header
        self._transport = transport
        self._media_factory = media_factory
        self._on_call = on_call
        self._max_calls = max_calls
        self._notify_timeout = notify_timeout_s
        self._wall_clock = wall_clock  # a call's arrival time; ``clock`` (monotonic) drives the timers
        self._tx = TransactionLayer(clock or MonotonicClock(), on_ack_timeout=self._ack_timeout)
        self._calls: dict[str, Call] = {}
        self._by_branch: dict[ServerKey, Call] = {}  # INVITE server transaction → call, for CANCEL
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._timer: threading.Thread | None = None
        self.accepting = True

    # --- lifecycle --------------------------------------------------------------------------------------
    def start(self) -> None:
        self._transport.start(self.handle)
        self._timer = threading.Thread(target=self._run_timers, name="sip-timers", daemon=True)
        self._timer.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._timer is not None:
            self._timer.join(timeout=2)
        self._transport.stop()

    def active_calls(self) -> list[Call]:
        with self._lock:
            return list(self._calls.values())

    def _run_timers(self) -> None:
        while not self._stop.is_set():
            for out in self._tx.tick():
                self._transport.send(out.data, out.address)
            deadline = self._tx.next_deadline()
            wait = TICK_MAX_S if deadline is None else max(0.0, min(TICK_MAX_S, deadline - time.monotonic()))
            self._wake.wait(wait)
            self._wake.clear()

    # --- Signalling protocol (used by Call) ---------------------------------------------------------------
    def reply(self, request: SipRequest, response: SipResponse) -> None:
        address = Via.parse(request.headers.get_all("Via")[0]).response_address()
        out = self._tx.respond(request, response, address)
        self._transport.send(out.data, out.address)
        self._wake.set()

    def send_in_dialog(
        self, leg: CallLeg, request: SipRequest, on_result: Callable[[SipResponse | None], None]
    ) -> None:
        call = self._calls.get(leg.call_id)
        fallback = call.info.source if call else (self.local.host, self.local.port)
        address = leg.next_hop(fallback)
        if (leg.local.transport is not Transport.UDP and call is not None and not self._transport.connected(address)
                and self._transport.connected(call.info.source)):
            # A PBX that connects from another port than its Contact's (the usual case: it listens on 5060/5061):
            # the request goes over the connection the call came on, not in the clear and not through a new one.
            address = call.info.source
        out = self._tx.request(request, address, on_result)
        self._transport.send(out.data, out.address)
        self._wake.set()

    def send_request(
        self, request: SipRequest, address: Address, on_result: Callable[[SipResponse | None], None]
    ) -> None:
        """An out-of-dialog request from us (REGISTER) as a client transaction."""
        out = self._tx.request(request, address, on_result)
        self._transport.send(out.data, out.address)
        self._wake.set()

    def call_ended(self, call: Call) -> None:
        with self._lock:
            self._calls.pop(call.call_id, None)
            self._by_branch = {b: c for b, c in self._by_branch.items() if c is not call}

    # --- pipeline ---------------------------------------------------------------------------------------
    def handle(self, message: SipMessage, source: Address) -> None:
        if isinstance(message, SipResponse):
            self._tx.on_response(message)
            return
        if message.version != SIP_VERSION:  # RFC 3261 §8.2.2 … and before any other check (RFC 4475 §3.1.2.16)
            log.info("505 to %s from %s:%s: %s", message.method[:20], source[0], source[1], message.version)
            if message.method != "ACK" and "Via" in message.headers:
                self._send_direct(make_response(message, 505), message, source)
            return
        missing = [h for h in REQUIRED_HEADERS if h not in message.headers]
        try:
            if missing:
                raise SipParseError(f"missing {', '.join(missing)}")
            CSeq.parse(message.headers.get("CSeq") or "")
            Via.parse(message.headers.get_all("Via")[0])
            match, last = self._tx.on_request(message, source)
        except SipParseError as exc:
            log.info("400 to %s from %s:%s: %s", message.method, source[0], source[1], exc)
            if message.method != "ACK" and "Via" not in missing:
                self._send_direct(make_response(message, 400), message, source)
            return
        self._dispatch(message, source, match, last)

    def _dispatch(self, request: SipRequest, source: Address, match: RequestMatch, last: Outgoing | None) -> None:
        if match is RequestMatch.RETRANSMISSION:
            if last is not None:
                self._transport.send(last.data, last.address)
            return
        if match is RequestMatch.ACK_FOR_2XX:
            call = self._calls.get(request.call_id)
            if call is not None:
                call.on_ack()
            return
        if match in (RequestMatch.ACK_ABSORBED, RequestMatch.STRAY_ACK):
            return
        refusal = check(request)
        if refusal is not None:
            log.info("%d to %s from %s:%s: %s", refusal.status, request.method[:20], source[0], source[1],
                     refusal.warning)
            if request.method != "ACK":
                self.reply(request, make_response(request, refusal.status, extra=refusal.headers()))
            return
        self._route(request, source)

    def _route(self, request: SipRequest, source: Address) -> None:
        to_tag = tag_of(request.headers.get("To") or "")
        method = request.method
        if to_tag is not None:
            self._in_dialog(request)
        elif method == "INVITE":
            self._new_invite(request, source)
        elif method == "CANCEL":
            self._cancel(request)
        elif method == "OPTIONS":
            self._options(request)
        elif method in KNOWN_UNSERVED or method in ("BYE", "NOTIFY", "INFO", "UPDATE"):
            status = 481 if method in ("BYE", "NOTIFY", "INFO", "UPDATE") else 405
            self.reply(request, make_response(request, status, extra=(("Allow", ALLOW),)))
        else:
            self.reply(request, make_response(request, 501, extra=(("Allow", ALLOW),)))

    def _options(self, request: SipRequest) -> None:
        reason = self.unready()
        if reason is None:
            self.reply(request, make_response(request, 200, to_tag="opt", extra=(("Allow", ALLOW),)))
            return
        refusal = Refusal(503, f"not ready for calls: {reason}", (("Retry-After", "5"), ("Allow", ALLOW)))
        self.reply(request, make_response(request, 503, to_tag="opt", extra=refusal.headers()))

    def _in_dialog(self, request: SipRequest) -> None:
        call = self._calls.get(request.call_id)
        if call is None:
            self.reply(request, make_response(request, 481))
            return
        method = request.method
        if method == "BYE":
            self.reply(request, make_response(request, 200))
            self._tx.abandon(call.call_id)
            call.on_bye()
        elif method == "INVITE":
            try:
                self.reply(request, call.on_reinvite(request))
            except SdpError as exc:
                log.info("call=%s re-INVITE refused: %s", call.call_id, exc)
                self.reply(request, make_response(request, 488))
        elif method == "NOTIFY":
            self.reply(request, make_response(request, 200))
            call.on_notify(request)
        elif method == "INFO":
            self.reply(request, make_response(request, 200))
            call.on_info(request)
        elif method in IN_DIALOG_OK:
            self.reply(request, make_response(request, 200, extra=(("Allow", ALLOW),)))
        else:
            self.reply(request, make_response(request, 405 if method in KNOWN_UNSERVED else 501,
                                              extra=(("Allow", ALLOW),)))

    def _new_invite(self, request: SipRequest, source: Address) -> None:
        self.reply(request, make_response(request, 100))
        with self._lock:
            busy = not self.accepting or len(self._calls) >= self._max_calls
        if busy:
            log.warning("503 to INVITE call=%s: %d calls active (max %d)", request.call_id, len(self._calls),
                        self._max_calls)
            self.reply(request, make_response(request, 503, to_tag="busy", extra=(("Retry-After", "5"),)))
            return
        info = self._call_info(request, source)
        try:
            call = Call(request, info, self, self._media_factory, notify_timeout_s=self._notify_timeout,
                        local=self._local_for(source), media_hosts=self._media_hosts)
        except (SdpError, SipParseError) as exc:
            log.info("488 to INVITE call=%s: %s", request.call_id, exc)
            self.reply(request, make_response(request, 488, to_tag="sdp"))
            return
        with self._lock:
            self._calls[call.call_id] = call
            self._by_branch[server_key(request)] = call
        log.info("call=%s INVITE from %s (%s) to %s", call.call_id, mask(info.identity.number.normalized),
                 info.identity.source.value, info.called_user)
        threading.Thread(target=self._on_call, args=(call,), name=f"call-{call.call_id[:12]}", daemon=True).start()

    def _local_for(self, source: Address) -> LocalParty:
        """How we appear in the dialog this request creates: its transport, and our address in its family.

        Over IPv4 the configured address stays (``public_host`` behind NAT); over IPv6 it is the IPv6 address the
        request reached."""
        transport, (host, port) = self._transport.arrival(source)
        if ":" not in host:
            host = self.local.host
        return LocalParty(host, port, self.local.user, transport)

    def _call_info(self, request: SipRequest, source: Address) -> CallInfo:
        try:
            called_user = NameAddr.parse(request.headers.get("To") or "").uri.user
        except SipParseError:
            called_user = None
        referred = request.headers.get("Referred-By")
        return CallInfo(request.call_id, caller_identity(request.headers), self._wall_clock(), called_user,
                        source, referred, dialled_number(request, self._dialled_header))

    def _cancel(self, request: SipRequest) -> None:
        call = self._by_branch.get(server_key(request, "INVITE"))
        if call is None:
            self.reply(request, make_response(request, 481))
            return
        self.reply(request, make_response(request, 200, to_tag=call.leg.local_tag))
        call.on_cancel()

    def _ack_timeout(self, call_id: str, cseq: int) -> None:
        call = self._calls.get(call_id)
        if call is not None:
            log.warning("call=%s our final response was never ACKed", call_id)
            call.on_ack_timeout()

    def _send_direct(self, response: SipResponse, request: SipRequest, source: Address) -> None:
        try:
            address = Via.parse(request.headers.get_all("Via")[0]).reply_address(source)
        except SipParseError:
            address = source
        self._transport.send(response.format(), address)
