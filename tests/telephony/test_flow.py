"""The screening flow's state machine: every (state, event) pair, from one table."""

from __future__ import annotations

import itertools

import pytest

from telephony.flow import FlowError, FlowEvent, FlowMachine, FlowState, next_state

S, E = FlowState, FlowEvent
EXPECTED: dict[tuple[FlowState, FlowEvent], FlowState] = {
    (S.PRESCREEN, E.ALLOWLISTED): S.TO_AGENTS,
    (S.PRESCREEN, E.BLOCKED): S.DETERRING,
    (S.PRESCREEN, E.AGENT_CONFIRMED): S.DETERRING,
    (S.PRESCREEN, E.SCREEN): S.LISTENING,
    (S.PRESCREEN, E.NO_CONTENT): S.DECIDING,
    (S.PRESCREEN, E.SHUTDOWN): S.TO_AGENTS,
    (S.PRESCREEN, E.CALLER_GONE): S.DONE,
    (S.PRESCREEN, E.ERROR): S.FAIL_OPEN,
    (S.LISTENING, E.VERDICT): S.DECIDING,
    (S.LISTENING, E.MEDIA_TIMEOUT): S.DONE,
    (S.LISTENING, E.SHUTDOWN): S.TO_AGENTS,
    (S.LISTENING, E.CALLER_GONE): S.DONE,
    (S.LISTENING, E.ERROR): S.FAIL_OPEN,
    (S.LISTENING, E.UNSURE): S.CHALLENGING,  # suspect, or nothing about the business: the question
    (S.LISTENING, E.AGENT_KEY): S.TO_AGENTS,  # pressed 1
    (S.CHALLENGING, E.VERDICT): S.DECIDING,
    (S.CHALLENGING, E.AGENT_KEY): S.TO_AGENTS,
    (S.CHALLENGING, E.CALLER_GONE): S.DONE,
    (S.CHALLENGING, E.MEDIA_TIMEOUT): S.DONE,
    (S.CHALLENGING, E.SHUTDOWN): S.TO_AGENTS,
    (S.CHALLENGING, E.ERROR): S.FAIL_OPEN,
    (S.DECIDING, E.ANGRY): S.TO_AGENTS,  # angry customer: the senior agents, never the deterrent
    (S.DECIDING, E.ALLOW): S.TO_AGENTS,
    (S.DECIDING, E.HARASSMENT): S.DETERRING,
    (S.DECIDING, E.CALLER_GONE): S.DONE,
    (S.DECIDING, E.ERROR): S.FAIL_OPEN,
    (S.TO_AGENTS, E.ROUTED): S.DONE,
    (S.TO_AGENTS, E.CALLER_GONE): S.DONE,
    (S.TO_AGENTS, E.ERROR): S.DONE,
    (S.DETERRING, E.ROUTED): S.DONE,
    (S.DETERRING, E.MEDIA_TIMEOUT): S.DONE,
    (S.DETERRING, E.CALLER_GONE): S.DONE,
    (S.DETERRING, E.ERROR): S.FAIL_OPEN,
    (S.FAIL_OPEN, E.FAILED_OVER): S.TO_AGENTS,
    (S.FAIL_OPEN, E.CALLER_GONE): S.DONE,
    (S.FAIL_OPEN, E.ERROR): S.DONE,
}


@pytest.mark.parametrize(("state", "event"), list(itertools.product(FlowState, FlowEvent)))
def test_every_state_event_pair(state: FlowState, event: FlowEvent) -> None:
    expected = EXPECTED.get((state, event))
    if expected is None:
        with pytest.raises(FlowError):
            next_state(state, event)
    else:
        assert next_state(state, event) is expected


def test_invalid_event_fails_open_instead_of_raising() -> None:
    machine = FlowMachine("c1")
    machine.handle(FlowEvent.SCREEN)
    assert machine.handle(FlowEvent.ROUTED) is FlowState.FAIL_OPEN  # not valid while listening
    assert machine.failed_open
    assert machine.handle(FlowEvent.FAILED_OVER) is FlowState.TO_AGENTS
    assert machine.handle(FlowEvent.ROUTED) is FlowState.DONE
    assert machine.handle(FlowEvent.SCREEN) is FlowState.DONE  # DONE is terminal


def test_nothing_leaves_done() -> None:
    assert all((FlowState.DONE, event) not in EXPECTED for event in FlowEvent)
