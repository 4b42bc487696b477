"""Runs the screening flow of :mod:`telephony.flow` on one call: the I/O behind each state.

Talks only to protocols: a :class:`screening.interfaces.Screener`, an :class:`asr.events.TranscriberFactory`
(``None`` when no model is loaded: caller-ID/time mode), a :class:`screening.interfaces.CallRecorder`, the prompt
library (name → 8 kHz 16-bit PCM) and the :class:`telephony.call.Call`. Every exception in a state's work is
logged with ``exc_info`` and fails open; the call record is written in ``finally``, whatever happened.
Routing to agents: answer + REFER (verdict in ``X-Callscreen-Verdict``), retried once and then to the fallback
URI; before answer (allowlisted with ``redirect_before_answer``, or failing open early) a 302 does it.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Protocol

from asr.errors import AsrCapacityError, AsrOverloadError
from asr.events import BYTES_PER_SECOND, TranscriberFactory, TranscriberStream
from numbering import normalize
from screening.interfaces import (
    CallContext,
    CallRecord,
    CallRecorder,
    PreDecision,
    PreScreen,
    Route,
    Screener,
    ScreeningInput,
)
from screening.verdict import FAIL_OPEN, Label, Reason, ReasonCode, SignalKind, Verdict
from telephony.actions import MediaWatch, PlayPrompt, analysis_queue, line_fault, run_verbs
from telephony.call import Call, CallEndedError
from telephony.conversation import angry_customer, unsure, without_abuse_evidence
from telephony.flow import FlowEvent, FlowMachine, FlowState, derive_route
from telephony.listening import ListenLimits, challenge, listen
from telephony.sip.refer import REF_HEADER, ROUTE_HEADER, SCORE_HEADER, VERDICT_HEADER, TransferOutcome
from telephony.vocabulary import Deterrent, EndReason, end_reason_text
from telephony.wallclock import WallClock, system_clock

log = logging.getLogger(__name__)
AGENT_CONFIRMED = Verdict(
    Label.HARASSMENT,
    1.0,
    (
        Reason(
            ReasonCode.AGENT_CONFIRMED, SignalKind.AGENT, 1.0, "an agent transferred the call into the analysis queue"
        ),
    ),
)
_PRE_EVENTS = {
    PreDecision.TO_AGENTS: FlowEvent.ALLOWLISTED,
    PreDecision.BLOCKED: FlowEvent.BLOCKED,
    PreDecision.SCREEN: FlowEvent.SCREEN,
    PreDecision.NO_CONTENT: FlowEvent.NO_CONTENT,
}


# States in which nothing has been routed yet: if the caller left meanwhile, the call is abandoned — unless the
# step itself ended it for its own reason (no RTP) or failed (which fails open and is recorded as such).
_SCREENING = (FlowState.PRESCREEN, FlowState.LISTENING, FlowState.CHALLENGING, FlowState.DECIDING)
_KEEP_WHEN_GONE = (FlowEvent.MEDIA_TIMEOUT, FlowEvent.ERROR)


class CallObserver(Protocol):
    """What the flow reports for monitoring (the Prometheus metrics implement it); never caller data."""

    def call_started(self) -> None: ...

    def call_finished(self, route: str, verdict: str) -> None: ...

    def decision(self, stage: str, seconds: float) -> None: ...

    def failed_open(self, reason: str) -> None: ...

    def asr_lag(self, seconds: float) -> None: ...

    def admission_refused(self) -> None:
        """A call screened on caller ID and time only: no decoder slot was free (admission control)."""
        ...


class NullObserver:
    """Observes nothing: the default, and the base of observers that watch one thing (tests)."""

    def call_started(self) -> None:
        pass

    def call_finished(self, route: str, verdict: str) -> None:
        pass

    def decision(self, stage: str, seconds: float) -> None:
        pass

    def failed_open(self, reason: str) -> None:
        pass

    def asr_lag(self, seconds: float) -> None:
        pass

    def admission_refused(self) -> None:
        pass


class Ladder(Protocol):
    """The graduated response (records.policy), asked before deterring: which step this offence takes."""

    def step_for(self, caller: str | None) -> tuple[int | None, bool]:
        """(step number, play the recorded-call notice); (None, False) when the count is unavailable."""
        ...


@dataclass(frozen=True, slots=True)
class FlowPolicy:
    agents_uri: str
    fallback_uri: str | None = None
    senior_agents_uri: str | None = None  # angry customers; None: the agents
    analysis_user: str = "analysis"
    deterrent: Deterrent = Deterrent.ANALYSIS
    redirect_before_answer: bool = False  # allowlisted callers: 302 to the agents instead of answer + REFER
    limits: ListenLimits = field(default_factory=ListenLimits)
    transfer_attempts: int = 2  # per target, when the REFER went unanswered (a refusal moves to the next target)
    answer_delay_s: float = 0.0  # ringing before answering (the caller hears ringback; a CANCEL still lands)


def new_call_ref() -> str:
    """A short, unguessable call reference an agent can quote (10 lowercase hex digits)."""
    return secrets.token_hex(5)


@dataclass
class _CallState:
    ctx: CallContext
    flow: FlowMachine
    pre: PreScreen | None = None
    verdict: Verdict = FAIL_OPEN
    end_reason: EndReason | None = None
    end_detail: str = ""  # the SIP status of a failed transfer

    def end(self, reason: EndReason, detail: str = "") -> EndReason:
        """Note why the call ends (the last word counts); returns ``reason`` for the hang-up."""
        self.end_reason, self.end_detail = reason, detail
        return reason
    transcript: list[str] = field(default_factory=list)
    confirmed_by: str | None = None
    ref: str = field(default_factory=new_call_ref)
    stream: TranscriberStream | None = None  # kept open from the first window into the challenge
    ladder_step: int | None = None
    admitted: bool = False  # a decoder slot was free: the content was listened to
    open_error: Exception | None = None  # the recogniser broke opening the stream: raised once answered

    def close_stream(self) -> None:
        if self.stream is not None:
            self.stream.close()
            self.stream = None


def agent_headers(verdict: Verdict, ref: str, route: Route | None = None) -> tuple[tuple[str, str], ...]:
    """What the agent's phone receives in the transferred INVITE: verdict, score, call reference (and the route
    when it is not the plain one: ``angry_customer``)."""
    headers = [(VERDICT_HEADER, verdict.label.value), (SCORE_HEADER, f"{verdict.score:.2f}"), (REF_HEADER, ref)]
    if route is Route.ANGRY_CUSTOMER:
        headers.append((ROUTE_HEADER, route.value))
    return tuple(headers)


class FlowRunner:
    def __init__(
        self,
        screener: Screener,
        transcribers: TranscriberFactory | None,
        recorder: CallRecorder,
        prompts: Mapping[str, bytes],
        policy: FlowPolicy,
        node: str,
        observer: CallObserver | None = None,
        ladder: Ladder | None = None,
        wall_clock: WallClock = system_clock,
    ) -> None:
        self._observer: CallObserver = observer or NullObserver()
        self._ladder = ladder
        self._wall_clock = wall_clock
        self._screener = screener
        self._transcribers = transcribers
        self._recorder = recorder
        self._prompts = prompts
        self._policy = policy
        self._node = node
        self.shutdown = threading.Event()
        self._in_flight = 0  # runs not finished yet — their record may still be on its way to the database
        self._idle = threading.Condition()
        self._steps: dict[FlowState, Callable[[Call, _CallState], FlowEvent]] = {
            FlowState.PRESCREEN: self._prescreen,
            FlowState.LISTENING: self._listen,
            FlowState.CHALLENGING: self._challenge,
            FlowState.DECIDING: self._decide,
            FlowState.TO_AGENTS: self._to_agents,
            FlowState.DETERRING: self._deter,
            FlowState.FAIL_OPEN: self._fail_open,
        }

    def run(self, call: Call) -> None:
        with self._idle:
            self._in_flight += 1
        try:
            self._run(call)
        finally:
            with self._idle:
                self._in_flight -= 1
                self._idle.notify_all()

    def wait_idle(self, timeout_s: float) -> bool:
        """Until every run has finished — recorded included; False at the timeout.

        A call leaves the endpoint's active calls when its signalling ends, but its flow records it just after:
        a shutdown that stopped there lost the last record whenever the machine was slow (the crash-safety test
        lost 1 of 12 under load that way).
        """
        with self._idle:
            return self._idle.wait_for(lambda: self._in_flight == 0, timeout=timeout_s)

    def _run(self, call: Call) -> None:
        info = call.info
        ctx = CallContext(info.call_id, info.identity.number, info.arrived_at, info.called_user,
                          f"{info.source[0]}:{info.source[1]}", info.referred_by)
        flow = FlowMachine(call.call_id)
        state = _CallState(ctx, flow)
        self._observer.call_started()
        try:
            while flow.state is not FlowState.DONE:
                try:
                    event = self._steps[flow.state](call, state)
                except CallEndedError:  # the caller left while we acted (CANCEL before answer, BYE mid-verb)
                    if not call.ended.is_set():
                        log.exception("call=%s in %s: call control misused; failing open", call.call_id,
                                      flow.state.value)
                    event = FlowEvent.CALLER_GONE if call.ended.is_set() else FlowEvent.ERROR
                except Exception as exc:  # fail-open boundary: logged, recorded, caller goes to the agents
                    log.exception("call=%s failed in %s; failing open", call.call_id, flow.state.value)
                    self._observer.failed_open("asr_overload" if isinstance(exc, AsrOverloadError)
                                               else flow.state.value)
                    event = FlowEvent.ERROR
                if call.ended.is_set() and flow.state in _SCREENING and event not in _KEEP_WHEN_GONE:
                    event = FlowEvent.CALLER_GONE  # gone before any routing: whatever the step concluded is moot
                flow.handle(event)
        finally:
            state.close_stream()  # also frees the slot of a caller who left before listening
            if not call.ended.is_set():
                call.hangup(state.end_reason or EndReason.FLOW_DONE)
            self._record(call, state, flow)

    def _route(self, st: _CallState) -> Route:
        return derive_route(st.flow.history, suspect=st.verdict.label is Label.SUSPECT,
                            deterrent=self._policy.deterrent)

    # --- states -------------------------------------------------------------------------------------------
    def _prescreen(self, call: Call, st: _CallState) -> FlowEvent:
        call.ring()
        if self._policy.analysis_user and st.ctx.called_user == self._policy.analysis_user:
            st.verdict = AGENT_CONFIRMED
            st.confirmed_by = f"agent:{st.ctx.referred_by}" if st.ctx.referred_by else "agent"
            return FlowEvent.AGENT_CONFIRMED
        if self.shutdown.is_set():
            return FlowEvent.SHUTDOWN
        started = time.monotonic()
        st.pre = self._screener.prescreen(st.ctx)
        self._observer.decision("prescreen", time.monotonic() - started)
        st.verdict = st.pre.verdict
        event = _PRE_EVENTS[st.pre.decision]
        if self._policy.answer_delay_s > 0 and call.ended.wait(self._policy.answer_delay_s):
            return FlowEvent.CALLER_GONE
        if event is FlowEvent.SCREEN and self._transcribers is None:
            return FlowEvent.NO_CONTENT
        if event is FlowEvent.SCREEN:
            return self._admit(call, st)
        return event

    def _admit(self, call: Call, st: _CallState) -> FlowEvent:
        """Take a decoder slot for the call, or screen it on caller ID and time only when none is free.

        Admission control: past the decoders' measured capacity one more stream would make every call's decoder
        fall behind and fail open; refusing the newcomer keeps the others screened and still judges it on the
        pre-screen (lists, history, time), which is what caller-ID mode does for every call.
        """
        assert self._transcribers is not None
        try:
            st.stream = self._transcribers.open_stream(call.call_id)
            st.admitted = True
        except AsrCapacityError as exc:
            log.warning("call=%s screened on caller ID and time only: %s", call.call_id, exc)
            self._observer.admission_refused()
            return FlowEvent.NO_CONTENT
        except Exception as exc:  # noqa: BLE001 — a broken recogniser, not a full one: fail open once answered,
            st.open_error = exc  # by transfer to the agents, as when it breaks mid-call (not a 302 before answering)
        return FlowEvent.SCREEN

    def _listen(self, call: Call, st: _CallState) -> FlowEvent:
        assert st.pre is not None
        call.answer()
        if st.open_error is not None:
            raise st.open_error  # the fail-open boundary in _run logs it and transfers the caller to the agents
        assert st.stream is not None  # the decoder slot taken at admission
        stream = st.stream
        answered = time.monotonic()
        can_challenge = self._policy.limits.challenge_answer_s > 0 and bool(self._prompts.get("challenge"))
        session = self._screener.open_session(st.ctx, st.pre)
        outcome = listen(call, stream, session, self._prompts, self._policy.limits, self.shutdown,
                         finish_stream=not can_challenge)
        self._observer.asr_lag(stream.backlog_s)  # how far decoding trailed the audio
        if outcome.verdict is not None:
            self._observer.decision("content", time.monotonic() - answered)
        st.transcript = outcome.transcript
        if outcome.verdict is not None:
            st.verdict = outcome.verdict
        if outcome.event is FlowEvent.VERDICT and can_challenge and unsure(st.verdict):
            log.info("call=%s unsure after the first window (%s): asking the question", call.call_id,
                     st.verdict.summary())
            return FlowEvent.UNSURE  # the stream stays open for the second window
        st.close_stream()
        if outcome.event is FlowEvent.MEDIA_TIMEOUT:
            call.hangup(st.end(EndReason.MEDIA_TIMEOUT))
        return outcome.event

    def _challenge(self, call: Call, st: _CallState) -> FlowEvent:
        assert st.pre is not None and st.stream is not None
        session = self._screener.open_session(st.ctx, st.pre)  # fresh, fed the first window's words first
        try:
            outcome = challenge(call, st.stream, session, self._prompts, self._policy.limits, self.shutdown,
                                st.transcript)
        finally:
            st.close_stream()
        st.transcript = [*st.transcript, *outcome.transcript]
        if outcome.verdict is not None:
            st.verdict = outcome.verdict
        if outcome.event is FlowEvent.MEDIA_TIMEOUT:
            call.hangup(st.end(EndReason.MEDIA_TIMEOUT))
        return outcome.event

    def _decide(self, call: Call, st: _CallState) -> FlowEvent:
        if any(state is FlowState.LISTENING for state, _, _ in st.flow.history):  # the caller was heard
            if angry_customer(st.verdict):  # never the deterrent, never a rung of the ladder
                if st.verdict.label is Label.HARASSMENT:
                    st.verdict = replace(st.verdict, label=Label.SUSPECT)
                return FlowEvent.ANGRY
            st.verdict = without_abuse_evidence(st.verdict)
        return FlowEvent.HARASSMENT if st.verdict.label is Label.HARASSMENT else FlowEvent.ALLOW

    def _fail_open(self, call: Call, st: _CallState) -> FlowEvent:
        st.verdict = FAIL_OPEN
        return FlowEvent.FAILED_OVER

    def _to_agents(self, call: Call, st: _CallState) -> FlowEvent:
        route = self._route(st)
        targets = [self._policy.agents_uri] + ([self._policy.fallback_uri] if self._policy.fallback_uri else [])
        if route is Route.ANGRY_CUSTOMER and self._policy.senior_agents_uri:
            targets.insert(0, self._policy.senior_agents_uri)  # the agents stay the fallback
        if not call.answered and (self._policy.redirect_before_answer or self._route(st) is Route.FAIL_OPEN):
            call.redirect(targets[0], st.end(EndReason.REDIRECT))
            return FlowEvent.ROUTED
        if not call.answered:
            call.answer()
        for target in targets:
            for attempt in range(1, self._policy.transfer_attempts + 1):
                result = call.transfer(target, st.verdict.summary(), agent_headers(st.verdict, st.ref, route))
                if result.succeeded:
                    call.hangup(st.end(EndReason.TRANSFER_OK if target == targets[0]
                                       else EndReason.TRANSFER_FALLBACK_OK))
                    return FlowEvent.ROUTED
                if result.outcome is TransferOutcome.CALL_ENDED:
                    st.end(call.end_reason or EndReason.CALLER_BYE)
                    return FlowEvent.ROUTED
                log.warning("call=%s transfer to %s failed (attempt %d): %s %s", call.call_id, target, attempt,
                            result.outcome.value, result.status or "")
                st.end(EndReason.TRANSFER_FAILED, str(result.status or result.outcome.value))
                if result.outcome is not TransferOutcome.TIMEOUT:
                    break  # refused: asking the same target again will not help; try the next one
        log.error("call=%s could not be transferred to any agents target; apologising and ending the call",
                  call.call_id)
        apology = self._prompts.get("transfer_failed")
        if apology is not None and not call.ended.is_set():  # never a silent drop: the caller hears why
            call.play(apology).wait(len(apology) / BYTES_PER_SECOND + 1.0)
        call.hangup(EndReason.TRANSFER_FAILED)
        return FlowEvent.ROUTED

    def _deter(self, call: Call, st: _CallState) -> FlowEvent:
        route = self._route(st)
        if route is Route.REJECTED:
            call.reject(603, st.end(EndReason.REJECTED))
            return FlowEvent.ROUTED
        if not call.answered:
            call.answer()
        verbs, done = ((line_fault(), EndReason.LINE_FAULT) if route is Route.LINE_FAULT
                       else (analysis_queue(), EndReason.ANALYSIS_DONE))
        if self._ladder is not None and st.confirmed_by is None:
            st.ladder_step, notice = self._ladder.step_for(call.info.identity.number.normalized)
            if notice and self._prompts.get("recorded_notice"):  # first offence: the recorded-call notice first
                verbs = [PlayPrompt("recorded_notice"), *verbs]
        media = call.media
        watch = None if media is None else MediaWatch(lambda: media.seconds_since_last_packet,
                                                      self._policy.limits.media_timeout_s)
        completed = run_verbs(verbs, call, self._prompts, watch=watch)
        st.end(done if completed else call.end_reason or EndReason.CALLER_BYE)
        return FlowEvent.ROUTED

    # --- record -------------------------------------------------------------------------------------------
    def _screening_input(self, st: _CallState) -> ScreeningInput | None:
        """What the judgement saw, for shadow replay (no audio); None when the call never reached prescreen."""
        if st.pre is None:
            return None
        listened = st.pre.decision is PreDecision.SCREEN and st.admitted
        return ScreeningInput(" ".join(st.transcript), listened=listened)

    def _record(self, call: Call, st: _CallState, flow: FlowMachine) -> None:
        verdict = FAIL_OPEN if flow.failed_open else st.verdict
        route = self._route(st)
        flagged = verdict.label is not Label.ALLOW
        record = CallRecord(
            call_id=call.call_id,
            started_at=call.info.arrived_at,
            caller=call.info.identity.number,
            route=route,
            verdict=verdict,
            node=self._node,
            ended_at=self._wall_clock(),
            transcript=" ".join(st.transcript) if flagged else "",
            confirmed_by=st.confirmed_by,
            end_reason=(end_reason_text(st.end_reason, st.end_detail) if st.end_reason is not None
                        else call.end_reason or ""),
            called_user=call.info.called_user,
            ref=st.ref,
            ladder_step=st.ladder_step,
            hotline=normalize(call.info.dialled).normalized if call.info.dialled else None,
            screening_input=self._screening_input(st),
            extra={
                "identity_source": call.info.identity.source.value,
                "withheld": str(call.info.identity.withheld).lower(),
                "flow": ">".join(target.value for _, _, target in flow.history),
            },
        )
        self._observer.call_finished(record.route.value, verdict.label.value)
        try:
            self._recorder.record(record)
        except Exception:  # the recorder must not raise; if it does, say so loudly and keep the call path alive
            log.exception("call=%s could not be recorded", call.call_id)
        log.info("call=%s done: route=%s verdict=%s end=%s", call.call_id, record.route.value, verdict.summary(),
                 record.end_reason)
