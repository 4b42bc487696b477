"""What the call flow does to a call, as small verbs (jambonz style): PlayPrompt, PlaySit, Pause, Transfer, Hangup.

Each verb states its precondition (``needs_answered_call``) and can be cancelled from another thread (barge-in,
shutdown). :func:`run_verbs` runs a list in order and stops early when the caller hangs up. The auto-analysis queue
and the line-fault treatment are just lists (:func:`analysis_queue`, :func:`line_fault`). Verbs talk to a
:class:`CallControl`, never to SIP or RTP directly.
"""

from __future__ import annotations

import enum
import threading
from collections.abc import Mapping, Sequence
from typing import Protocol

from telephony.media import Playback
from telephony.sip.refer import TransferOutcome, TransferResult

WAIT_SLICE_S = 0.1


class Deterrent(enum.StrEnum):
    """What a confirmed harasser gets (setting ``screening.blocked_policy``); SPEC §1's options."""

    ANALYSIS = "analysis"  # auto-analysis queue: notice, SIT, "analysis complete", hang up (:func:`analysis_queue`)
    LINE_FAULT = "line_fault"  # "line fault, please call later" prompt, hang up (:func:`line_fault`)
    REJECT = "reject"  # 603 Decline before answering (an answered call gets the analysis queue instead)


class ActionError(Exception):
    """A verb's precondition does not hold (e.g. playing audio on an unanswered call)."""


class CallControl(Protocol):
    ended: threading.Event

    @property
    def answered(self) -> bool: ...

    def answer(self) -> None: ...

    def play(self, pcm16: bytes) -> Playback: ...

    def transfer(
        self, target: str, verdict: str | None, embedded: tuple[tuple[str, str], ...] = ()
    ) -> TransferResult: ...

    def hangup(self, reason: str) -> None: ...


class Verb(Protocol):
    needs_answered_call: bool

    def run(self, call: CallControl, prompts: Mapping[str, bytes]) -> bool:
        """Do it; True when it completed, False when cut short (caller gone, cancelled)."""
        ...

    def cancel(self) -> None: ...


class _Cancellable:
    needs_answered_call = True

    def __init__(self) -> None:
        self._cancelled = threading.Event()

    def cancel(self) -> None:
        self._cancelled.set()

    def _wait(self, call: CallControl, playback: Playback | None, seconds: float | None) -> bool:
        """Block until the playback finished / the time passed; False if the caller left or we were cancelled."""
        waited = 0.0
        while not call.ended.is_set() and not self._cancelled.is_set():
            if playback is not None and playback.wait(WAIT_SLICE_S):
                return not call.ended.is_set()
            if playback is None:
                self._cancelled.wait(WAIT_SLICE_S)
            waited += WAIT_SLICE_S
            if seconds is not None and waited >= seconds:
                return True
        if playback is not None:
            playback.cancel()
        return False


class PlayPrompt(_Cancellable):
    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name

    def run(self, call: CallControl, prompts: Mapping[str, bytes]) -> bool:
        if self.name not in prompts:
            raise ActionError(f"prompt {self.name!r} is not in the prompt library")
        return self._wait(call, call.play(prompts[self.name]), None)

    def __repr__(self) -> str:
        return f"PlayPrompt({self.name!r})"


class PlaySit(PlayPrompt):
    """The special information tone (ITU-T E.180) — 'this line is being analysed'."""

    def __init__(self) -> None:
        super().__init__("sit")


class Pause(_Cancellable):
    def __init__(self, ms: int) -> None:
        super().__init__()
        self.ms = ms

    def run(self, call: CallControl, prompts: Mapping[str, bytes]) -> bool:
        return self._wait(call, None, self.ms / 1000)


class Transfer(_Cancellable):
    def __init__(self, target: str, verdict: str | None, embedded: tuple[tuple[str, str], ...] = ()) -> None:
        super().__init__()
        self.target = target
        self.verdict = verdict
        self.embedded = embedded  # headers for the agent's INVITE (verdict, score, call reference)
        self.result: TransferResult | None = None

    def run(self, call: CallControl, prompts: Mapping[str, bytes]) -> bool:
        self.result = call.transfer(self.target, self.verdict, self.embedded)
        return self.result.succeeded


class Hangup(_Cancellable):
    needs_answered_call = False

    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason

    def run(self, call: CallControl, prompts: Mapping[str, bytes]) -> bool:
        call.hangup(self.reason)
        return True


def analysis_queue() -> list[Verb]:
    """SPEC §1 option B: notice, special information tone, 'analysis complete, please hang up', hang up."""
    return [PlayPrompt("analysis_notice"), Pause(300), PlaySit(), Pause(300), PlayPrompt("analysis_done"),
            Hangup("analysis_done")]


def line_fault() -> list[Verb]:
    """SPEC §1 option A: the polite mechanical 'line fault' prompt, then hang up."""
    return [PlayPrompt("line_fault"), Hangup("line_fault")]


def run_verbs(verbs: Sequence[Verb], call: CallControl, prompts: Mapping[str, bytes]) -> bool:
    """Run in order; False as soon as one is cut short. Raises :class:`ActionError` on a broken precondition."""
    for verb in verbs:
        if call.ended.is_set():
            return False
        if verb.needs_answered_call and not call.answered:
            raise ActionError(f"{verb!r} needs an answered call")
        if not verb.run(call, prompts):
            return False
    return True


TRANSFER_OK = frozenset({TransferOutcome.COMPLETED, TransferOutcome.ACCEPTED})
