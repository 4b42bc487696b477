"""The screening call flow as a pure state machine (SPEC §2, style guide §6).

``PRESCREEN`` (caller ID + time, no media) → ``LISTENING`` (ASR, bounded window) → ``DECIDING`` →
``TO_AGENTS`` | ``DETERRING`` → ``DONE``. Any error in a working state → ``FAIL_OPEN`` → ``TO_AGENTS``: a broken
screener never costs a customer the call. ``TRANSITIONS`` is the whole truth; a pair missing from it raises
:class:`FlowError` (which the runner treats as an error, i.e. it fails open). The runner that performs the I/O of
each state is :mod:`telephony.flow_runner`.
"""

from __future__ import annotations

import enum
import logging

log = logging.getLogger(__name__)


class FlowState(enum.Enum):
    PRESCREEN = "PRESCREEN"
    LISTENING = "LISTENING"
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
    (_S.LISTENING, _E.MEDIA_TIMEOUT): _S.DONE,
    (_S.LISTENING, _E.SHUTDOWN): _S.TO_AGENTS,
    (_S.DECIDING, _E.ALLOW): _S.TO_AGENTS,
    (_S.DECIDING, _E.HARASSMENT): _S.DETERRING,
    (_S.TO_AGENTS, _E.ROUTED): _S.DONE,
    (_S.DETERRING, _E.ROUTED): _S.DONE,
    (_S.DETERRING, _E.MEDIA_TIMEOUT): _S.DONE,
    (_S.FAIL_OPEN, _E.FAILED_OVER): _S.TO_AGENTS,
}
WORKING = (_S.PRESCREEN, _S.LISTENING, _S.DECIDING, _S.DETERRING)
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
