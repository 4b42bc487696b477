"""The screening call flow as a pure state machine, table-driven.

``PRESCREEN`` (caller ID + time, no media) → ``LISTENING`` (ASR, bounded window) [→ ``CHALLENGING`` when
unsure: a question and a second window] → ``DECIDING`` → ``TO_AGENTS`` (the senior agents for an angry customer)
| ``DETERRING`` → ``DONE``. The agent key (1) goes straight to ``TO_AGENTS`` from either window.
Any error in a working state → ``FAIL_OPEN`` → ``TO_AGENTS``: a broken
screener never costs a customer the call. ``TRANSITIONS`` is the whole truth; a pair missing from it raises
:class:`FlowError` (which the runner treats as an error, i.e. it fails open). The runner that performs the I/O of
each state is :mod:`telephony.flow_runner`.

The call flow's vocabulary is enums only: states and events here, :class:`telephony.vocabulary.EndReason` (why a
call ended) and :class:`telephony.vocabulary.Deterrent` beside them, :class:`screening.interfaces.Route` for the
record. :func:`derive_route` is the one place a call's route is decided, from the flow's history.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Sequence

from screening.interfaces import Route
from telephony.vocabulary import Deterrent

log = logging.getLogger(__name__)


class FlowState(enum.Enum):
    PRESCREEN = "PRESCREEN"
    LISTENING = "LISTENING"
    CHALLENGING = "CHALLENGING"  # unsure after the first window: the question, then a second window
    DECIDING = "DECIDING"
    TO_AGENTS = "TO_AGENTS"
    DETERRING = "DETERRING"
    FAIL_OPEN = "FAIL_OPEN"
    DONE = "DONE"


class FlowEvent(enum.Enum):
    ALLOWLISTED = "allowlisted"  # pre-screen: straight to agents
    BLOCKED = "blocked"  # pre-screen: confirmed source
    AGENT_CONFIRMED = "agent_confirmed"  # the call arrived on the analysis extension
    SCREEN = "screen"  # pre-screen: answer and listen
    NO_CONTENT = "no_content"  # decide on caller ID/time only
    VERDICT = "verdict"  # listening produced a final verdict
    UNSURE = "unsure"  # after the first window: suspect, or nothing about the business — ask the question
    AGENT_KEY = "agent_key"  # the caller pressed 1 ("…或按1转人工服务")
    ANGRY = "angry"  # decided: a customer-service matter said in anger — the senior agents, never the deterrent
    ALLOW = "allow"  # decided: allow or suspect
    HARASSMENT = "harassment"  # decided: harassment
    ROUTED = "routed"  # transfer / deterrent finished
    FAILED_OVER = "failed_over"  # fail-open bookkeeping done, now to the agents
    CALLER_GONE = "caller_gone"  # BYE or CANCEL from the caller
    MEDIA_TIMEOUT = "media_timeout"  # no RTP for too long
    SHUTDOWN = "shutdown"  # the service is stopping: hand the call to the agents
    ERROR = "error"  # an exception in the state's work


class FlowError(Exception):
    def __init__(self, state: FlowState, event: FlowEvent) -> None:
        super().__init__(f"event {event.value} is not valid in state {state.value}")
        self.state = state
        self.event = event


_S, _E = FlowState, FlowEvent
TRANSITIONS: dict[tuple[FlowState, FlowEvent], FlowState] = {
    (_S.PRESCREEN, _E.ALLOWLISTED): _S.TO_AGENTS,
    (_S.PRESCREEN, _E.BLOCKED): _S.DETERRING,
    (_S.PRESCREEN, _E.AGENT_CONFIRMED): _S.DETERRING,
    (_S.PRESCREEN, _E.SCREEN): _S.LISTENING,
    (_S.PRESCREEN, _E.NO_CONTENT): _S.DECIDING,
    (_S.PRESCREEN, _E.SHUTDOWN): _S.TO_AGENTS,
    (_S.LISTENING, _E.VERDICT): _S.DECIDING,
    (_S.LISTENING, _E.UNSURE): _S.CHALLENGING,
    (_S.LISTENING, _E.AGENT_KEY): _S.TO_AGENTS,
    (_S.LISTENING, _E.MEDIA_TIMEOUT): _S.DONE,
    (_S.LISTENING, _E.SHUTDOWN): _S.TO_AGENTS,
    (_S.CHALLENGING, _E.VERDICT): _S.DECIDING,
    (_S.CHALLENGING, _E.AGENT_KEY): _S.TO_AGENTS,
    (_S.CHALLENGING, _E.MEDIA_TIMEOUT): _S.DONE,
    (_S.CHALLENGING, _E.SHUTDOWN): _S.TO_AGENTS,
    (_S.DECIDING, _E.ALLOW): _S.TO_AGENTS,
    (_S.DECIDING, _E.ANGRY): _S.TO_AGENTS,
    (_S.DECIDING, _E.HARASSMENT): _S.DETERRING,
    (_S.TO_AGENTS, _E.ROUTED): _S.DONE,
    (_S.DETERRING, _E.ROUTED): _S.DONE,
    (_S.DETERRING, _E.MEDIA_TIMEOUT): _S.DONE,
    (_S.FAIL_OPEN, _E.FAILED_OVER): _S.TO_AGENTS,
}
WORKING = (_S.PRESCREEN, _S.LISTENING, _S.CHALLENGING, _S.DECIDING, _S.DETERRING)
for _state in WORKING:
    TRANSITIONS[(_state, _E.ERROR)] = _S.FAIL_OPEN
for _state in (*WORKING, _S.TO_AGENTS, _S.FAIL_OPEN):
    TRANSITIONS[(_state, _E.CALLER_GONE)] = _S.DONE
# Failing while already failing open or transferring: nothing safer is left — end, logged and recorded.
TRANSITIONS[(_S.TO_AGENTS, _E.ERROR)] = _S.DONE
TRANSITIONS[(_S.FAIL_OPEN, _E.ERROR)] = _S.DONE


def next_state(state: FlowState, event: FlowEvent) -> FlowState:
    try:
        return TRANSITIONS[(state, event)]
    except KeyError:
        raise FlowError(state, event) from None


class FlowMachine:
    def __init__(self, call_id: str) -> None:
        self.call_id = call_id
        self.state = FlowState.PRESCREEN
        self.history: list[tuple[FlowState, FlowEvent, FlowState]] = []

    def handle(self, event: FlowEvent) -> FlowState:
        """Apply ``event``; an invalid pair is itself an error and fails open (or ends a failing call)."""
        try:
            target = next_state(self.state, event)
        except FlowError as exc:
            log.error("call=%s %s", self.call_id, exc)
            target = next_state(self.state, FlowEvent.ERROR) if self.state is not FlowState.DONE else self.state
            event = FlowEvent.ERROR
        log.info("call=%s flow %s→%s (%s)", self.call_id, self.state.value, target.value, event.value)
        self.history.append((self.state, event, target))
        self.state = target
        return target

    @property
    def failed_open(self) -> bool:
        return any(target is FlowState.FAIL_OPEN for _, _, target in self.history)


History = Sequence[tuple[FlowState, FlowEvent, FlowState]]


def derive_route(history: History, *, suspect: bool, deterrent: Deterrent) -> Route:
    """Where the call went, from the path it took — the only place a route is decided.

    ``suspect``: the verdict that sent the call to the agents was SUSPECT (the agents see the flag).
    ``deterrent``: the configured treatment of harassers. An agent-confirmed call always gets the analysis
    queue, and ``reject`` (603) is only possible before answering, i.e. when the call was not listened to.
    The runner asks this while the call is in progress too: the history then ends in the current state.
    """
    events = {event for _, event, _ in history}
    visited = {target for _, _, target in history}
    if FlowEvent.MEDIA_TIMEOUT in events:
        return Route.MEDIA_TIMEOUT
    if FlowState.FAIL_OPEN in visited:
        return Route.FAIL_OPEN
    if FlowState.TO_AGENTS in visited:
        if FlowEvent.ANGRY in events:
            return Route.ANGRY_CUSTOMER
        return Route.AGENTS_FLAGGED if suspect else Route.AGENTS
    if FlowState.DETERRING in visited:
        if FlowEvent.AGENT_CONFIRMED in events:
            return Route.ANALYSIS
        if deterrent is Deterrent.REJECT:
            return Route.ANALYSIS if FlowState.LISTENING in visited else Route.REJECTED
        return Route.LINE_FAULT if deterrent is Deterrent.LINE_FAULT else Route.ANALYSIS
    return Route.ABANDONED
