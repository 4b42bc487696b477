"""The signal seam: every source of evidence is a :class:`Signal` that turns an :class:`Observation` into reasons.

Content rules, the learned content models, caller ID, time and speech statistics all have this one shape, and
every path that judges a call — the pre-screen before answering, the live session while listening, offline
screening for ``eval`` and ``screen`` — collects their reasons through :func:`assemble` and fuses them in
:func:`screening.scoring.fuse`. A new signal is one class and one entry in the engine's list; nothing else
changes. A signal looks only at the parts of the observation it needs and returns nothing when they are absent
(no transcript yet: no content reasons; no caller: no caller-ID reasons).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from asr.events import SpeechStats
from numbering import CallerNumber
from screening.verdict import Reason, ReasonCode


@dataclass(frozen=True, slots=True)
class Observation:
    """What is known about a call at one moment of its judgement."""

    caller: CallerNumber | None = None  # None: caller-ID signals stay silent (already judged, or unknown)
    at: datetime | None = None  # the call's arrival time; None: no time signals
    transcript: str | None = None  # normalised text heard so far; None: not listening (pre-screen)
    end_of_window: bool = False  # the listening window is over ("nothing about the business" can be judged)
    open_end: bool = False  # the transcript ends in a partial ASR hypothesis that may still change
    steered: bool = False  # the caller was asked to state the business
    stats: SpeechStats | None = None  # speech statistics of the window (at its end)


class Signal(Protocol):
    """One source of evidence. ``name`` identifies it in logs and benchmarks."""

    name: str

    def reasons(self, obs: Observation) -> Sequence[Reason]:
        """Weighted, explained reasons for what this signal sees in ``obs`` (empty when it sees nothing)."""
        ...


def assemble(signals: Iterable[Signal], obs: Observation, base: Sequence[Reason] = ()) -> tuple[Reason, ...]:
    """The reasons of all ``signals`` for ``obs``, after ``base`` (reasons judged earlier in the call)."""
    found = list(base)
    for signal in signals:
        found.extend(signal.reasons(obs))
    return tuple(found)


def has_code(reasons: Iterable[Reason], *codes: ReasonCode) -> bool:
    return any(r.code in codes for r in reasons)
