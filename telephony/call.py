"""One incoming call as the call flow sees it: answer, play, listen, transfer, hang up — over one dialog.

The endpoint's ``sip-rx`` thread feeds peer events in (``on_ack``, ``on_bye``, ``on_cancel``, ``on_reinvite``,
``on_notify``); the call's own thread (``call-<id>``) drives the flow through the :class:`CallControl` methods.
``ended`` is set exactly once, with the reason, and releases the media port. Every public method is safe to call
after the caller has gone: it simply does nothing (or reports ``CALL_ENDED``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from telephony.media import MediaParams, MediaSession, Playback
from telephony.sip.dialog import CallLeg, LegEvent, LegState, LocalParty
from telephony.sip.dtmf_info import info_digit
from telephony.sip.errors import SdpError
from telephony.sip.identity import CallerIdentity
from telephony.sip.message import SipRequest, SipResponse, make_response
from telephony.sip.refer import SIPFRAG_TYPE, PendingTransfer, TransferResult, refer_headers
from telephony.sip.sdp import MediaHosts, SdpChoice, SdpOffer, build_answer, choose, parse_offer
from telephony.vocabulary import EndReason

log = logging.getLogger(__name__)
REFER_ANSWER_TIMEOUT_S = 8.0
ACK_WAIT_S = 4.0


class MediaFactory(Protocol):
    """Creates one RTP session per answered call (the composition root wires the RTP package in)."""

    def acquire_port(self) -> int: ...

    def release_port(self, port: int) -> None: ...

    def create(self, params: MediaParams, name: str) -> MediaSession: ...


class Signalling(Protocol):
    """What a call needs from the endpoint: send replies and in-dialog requests, forget ended calls."""

    local: LocalParty

    def reply(self, request: SipRequest, response: SipResponse) -> None: ...

    def send_in_dialog(
        self, leg: CallLeg, request: SipRequest, on_result: Callable[[SipResponse | None], None]
    ) -> None: ...

    def call_ended(self, call: Call) -> None: ...


class CallEndedError(Exception):
    """The caller went away (BYE, CANCEL) while the flow was acting on the call."""


@dataclass(frozen=True, slots=True)
class CallInfo:
    call_id: str
    identity: CallerIdentity
    arrived_at: datetime
    called_user: str | None
    source: tuple[str, int]
    referred_by: str | None
    dialled: str | None = None  # the hotline the caller dialled (selects the profile; stored with the record)


class Call:
    def __init__(
        self,
        invite: SipRequest,
        info: CallInfo,
        signalling: Signalling,
        media_factory: MediaFactory,
        *,
        notify_timeout_s: float = 10.0,
        local: LocalParty | None = None,
        media_hosts: MediaHosts | None = None,
    ) -> None:
        self.invite = invite
        self.info = info
        self.local = local or signalling.local  # this dialog's transport and address (Contact, Via)
        self.leg = CallLeg(invite, self.local)
        self.offer: SdpOffer = parse_offer(invite.body)  # SdpError → the endpoint answers 488
        self.choice: SdpChoice = choose(self.offer)
        hosts = media_hosts or MediaHosts(signalling.local.host)
        self._media_host = hosts.for_offer(self.offer.host)  # SdpError (IPv6 offered, none here) → 488
        self._signalling = signalling
        self._media_factory = media_factory
        self._notify_timeout = notify_timeout_s
        self._lock = threading.RLock()
        self.ended = threading.Event()
        self.confirmed = threading.Event()  # the ACK for our 200 arrived
        self.end_reason: EndReason | None = None
        self.media: MediaSession | None = None
        self._port: int | None = None
        self._answer_sdp = b""
        self._transfer: PendingTransfer | None = None
        self._info_digits = ""  # keys from SIP INFO, merged with RFC 4733 digits by dtmf()

    @property
    def call_id(self) -> str:
        return self.info.call_id

    @property
    def answered(self) -> bool:
        return self.leg.state in (LegState.ANSWERED, LegState.CONFIRMED)

    def _reply(self, status: int, **kwargs: object) -> None:
        response = make_response(self.invite, status, to_tag=self.leg.local_tag, **kwargs)  # type: ignore[arg-type]
        self._signalling.reply(self.invite, response)

    # --- driven by the call flow -------------------------------------------------------------------------
    def ring(self) -> None:
        with self._lock:
            if self.leg.state is LegState.PROCEEDING:
                self._reply(180)

    def answer(self) -> None:
        with self._lock:
            if self.leg.state is not LegState.PROCEEDING:
                raise CallEndedError(f"cannot answer in state {self.leg.state.value}")
            port = self._media_factory.acquire_port()
            params = MediaParams(self._media_host, port, self.offer.host, self.offer.port, self.choice.codec,
                                 self.choice.dtmf_payload_type)
            media = self._media_factory.create(params, f"call-{self.call_id[:12]}")
            media.start()
            self._port, self.media = port, media
            self._answer_sdp = build_answer(self._media_host, port, self.choice)
            self.leg.transition(LegEvent.ANSWER)
            self._reply(200, body=self._answer_sdp, content_type="application/sdp",
                        extra=(("Contact", self.local.contact), ("Allow", ALLOW)))

    def play(self, pcm16: bytes) -> Playback:
        if self.media is None:
            raise CallEndedError("no media: the call is not answered")
        return self.media.play(pcm16)

    def reject(self, status: int, reason: EndReason, extra: tuple[tuple[str, str], ...] = ()) -> None:
        with self._lock:
            if self.leg.transition(LegEvent.REJECT) is not None:
                self._reply(status, extra=extra)
                self._end(reason)

    def redirect(self, target: str, reason: EndReason) -> None:
        """302 before answer: the caller's proxy/PBX re-routes the call (the most robust 'to agents')."""
        self.reject(302, reason, extra=(("Contact", f"<{target}>"),))

    def hangup(self, reason: EndReason) -> None:
        with self._lock:
            if self.leg.state is LegState.PROCEEDING:
                self.reject(480, reason)
                return
            if self.leg.transition(LegEvent.HANGUP) is None:
                self._end(reason)
                return
            bye = self.leg.request("BYE")
        self._signalling.send_in_dialog(self.leg, bye, self._on_bye_answered)
        self._end(reason)

    def transfer(
        self, target: str, verdict: str | None, embedded: tuple[tuple[str, str], ...] = ()
    ) -> TransferResult:
        """Blind transfer; blocks until the outcome is known (see :mod:`telephony.sip.refer`).

        ``embedded`` are headers for the agent's INVITE, carried in the Refer-To URI (RFC 3261 §19.1.1)."""
        pending = PendingTransfer()
        self.confirmed.wait(ACK_WAIT_S)  # a REFER before the ACK races the caller's own ACK (§13.3.1.4)
        with self._lock:
            if self.ended.is_set() or not self.answered:
                pending.on_call_ended()
                return pending.wait(0, 0)
            self._transfer = pending
            refer = self.leg.request("REFER", refer_headers(target, self.local.contact, verdict,
                                                                embedded))
        self._signalling.send_in_dialog(self.leg, refer, pending.on_refer_response)
        result = pending.wait(REFER_ANSWER_TIMEOUT_S, self._notify_timeout)
        log.info("call=%s transfer to %s: %s %s", self.call_id, target, result.outcome.value, result.status or "")
        return result

    def dtmf(self) -> str:
        """Keys the caller pressed since the last call, whichever way they came (RFC 4733 RTP or SIP INFO)."""
        with self._lock:
            digits, self._info_digits = self._info_digits, ""
            media = self.media
        return digits + (media.dtmf() if media is not None else "")

    # --- driven by the peer (sip-rx thread) -------------------------------------------------------------
    def on_info(self, request: SipRequest) -> None:
        digit = info_digit(request)
        if digit is not None:
            with self._lock:
                self._info_digits += digit
            log.debug("call=%s DTMF by SIP INFO", self.call_id)  # the key itself may be a PIN: not logged

    def on_ack(self) -> None:
        with self._lock:
            self.leg.transition(LegEvent.ACK)
        self.confirmed.set()

    def on_cancel(self) -> bool:
        """True when the CANCEL took effect (487 sent); False once answered (it then has no effect, §9.2)."""
        with self._lock:
            if self.leg.transition(LegEvent.CANCEL) is None:
                return False
            self._reply(487)
            self._end(EndReason.CANCEL)
            return True

    def on_bye(self) -> None:
        with self._lock:
            self.leg.transition(LegEvent.BYE)
            self._end(EndReason.CALLER_BYE)

    def on_ack_timeout(self) -> None:
        with self._lock:
            if self.leg.transition(LegEvent.ACK_TIMEOUT) is not None:
                self._end(EndReason.NO_ACK)

    def on_reinvite(self, request: SipRequest) -> SipResponse:
        """Re-INVITE: same RTP threads, new remote address (pyVoIP 1.6.8 started a second pair of threads)."""
        with self._lock:
            if request.body and self.media is not None:
                offer = parse_offer(request.body)
                choice = choose(offer)
                if (":" in offer.host) != (":" in self._media_host) and not offer.on_hold:
                    raise SdpError("media cannot move between IPv4 and IPv6 within a call")
                if not offer.on_hold:
                    self.media.update_remote(offer.host, offer.port, choice.codec)
            self.leg.transition(LegEvent.INVITE)
            return make_response(request, 200, to_tag=self.leg.local_tag, body=self._answer_sdp,
                                 content_type="application/sdp", extra=(("Contact", self.local.contact),))

    def on_notify(self, request: SipRequest) -> None:
        content_type = (request.headers.get("Content-Type") or "").lower()
        if self._transfer is not None and content_type.startswith(SIPFRAG_TYPE):
            self._transfer.on_notify(request)

    def _on_bye_answered(self, response: SipResponse | None) -> None:
        with self._lock:
            self.leg.transition(LegEvent.BYE_ANSWERED)

    def _end(self, reason: EndReason) -> None:
        with self._lock:
            if self.ended.is_set():
                return
            self.end_reason = reason
            if self.media is not None:
                self.media.stop()
            if self._port is not None:
                self._media_factory.release_port(self._port)
                self._port = None
            if self._transfer is not None:
                self._transfer.on_call_ended()
            self.ended.set()
            self.confirmed.set()  # nobody waits for an ACK of an ended call
        log.info("call=%s ended: %s", self.call_id, reason)
        self._signalling.call_ended(self)


ALLOW = "INVITE, ACK, BYE, CANCEL, OPTIONS, NOTIFY, INFO, UPDATE"
