"""What the call flow does to a call, as small verbs (jambonz style): PlayPrompt, PlaySit, Pause, Hangup.

Each verb states its precondition (``needs_answered_call``) and can be cancelled from another thread (barge-in,
shutdown). :func:`run_verbs` runs a list in order and stops early when the caller hangs up. The auto-analysis queue
and the line-fault treatment are just lists (:func:`analysis_queue`, :func:`line_fault`). Verbs talk to a
:class:`CallControl`, never to SIP or RTP directly. Transferring to the agents (with its retry and fallback) is
not a verb: it is the TO_AGENTS state of :mod:`telephony.flow_runner`, whose outcome decides what happens next.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from telephony.media import Playback
from telephony.sip.refer import TransferResult
from telephony.vocabulary import EndReason

WAIT_SLICE_S = 0.1


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

    def hangup(self, reason: EndReason) -> None: ...


class Verb(Protocol):
    needs_answered_call: bool

    def run(self, call: CallControl, prompts: Mapping[str, bytes]) -> bool:
        """Do it; True when it completed, False when cut short (caller gone, cancelled)."""
        ...

    def cancel(self) -> None: ...


@dataclass
class MediaWatch:
    """The media timeout while prompts play: a caller whose RTP stopped (gone without a BYE) is not played to
    for the rest of the queue. ``silence`` says how long no packet has arrived; ``fired`` once it passed
    ``limit_s``."""

    silence: Callable[[], float]
    limit_s: float
    fired: bool = False

    def expired(self) -> bool:
        if not self.fired and self.silence() >= self.limit_s:
            self.fired = True
        return self.fired


class _Cancellable:
    needs_answered_call = True

    def __init__(self) -> None:
        self._cancelled = threading.Event()
        self.watch: MediaWatch | None = None  # set by run_verbs

    def cancel(self) -> None:
        self._cancelled.set()

    def _wait(self, call: CallControl, playback: Playback | None, seconds: float | None) -> bool:
        """Block until the playback finished / the time passed; False if the caller left, the media went silent
        past the watch's limit, or we were cancelled."""
        waited = 0.0
        while not call.ended.is_set() and not self._cancelled.is_set():
            if self.watch is not None and self.watch.expired():
                break
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


class Hangup(_Cancellable):
    needs_answered_call = False

    def __init__(self, reason: EndReason) -> None:
        super().__init__()
        self.reason = reason

    def run(self, call: CallControl, prompts: Mapping[str, bytes]) -> bool:
        call.hangup(self.reason)
        return True


def analysis_queue() -> list[Verb]:
    """The auto-analysis queue: notice, special information tone, 'analysis complete, please hang up', hang up."""
    return [PlayPrompt("analysis_notice"), Pause(300), PlaySit(), Pause(300), PlayPrompt("analysis_done"),
            Hangup(EndReason.ANALYSIS_DONE)]


def line_fault() -> list[Verb]:
    """The line-fault treatment: the polite mechanical 'line fault' prompt, then hang up."""
    return [PlayPrompt("line_fault"), Hangup(EndReason.LINE_FAULT)]


def run_verbs(verbs: Sequence[Verb], call: CallControl, prompts: Mapping[str, bytes], *,
              watch: MediaWatch | None = None) -> bool:
    """Run in order; False as soon as one is cut short. Raises :class:`ActionError` on a broken precondition.

    With ``watch``, silence on the wire past its limit ends the call with ``MEDIA_TIMEOUT`` mid-prompt, as it
    does while listening.
    """
    for verb in verbs:
        if call.ended.is_set():
            return False
        if verb.needs_answered_call and not call.answered:
            raise ActionError(f"{verb!r} needs an answered call")
        if isinstance(verb, _Cancellable):
            verb.watch = watch
        if not verb.run(call, prompts):
            if watch is not None and watch.fired and not call.ended.is_set():
                call.hangup(EndReason.MEDIA_TIMEOUT)
            return False
    return True

