"""The screening core's output: a verdict with a score and the reasons behind it.

Screening decides, telephony acts: a :class:`Verdict` says *what* (label + score + reasons); the route the call
takes is derived from it and from policy in :mod:`screening.policy`. Every reason names its signal, its weight
and the evidence (matched words, counts, times) so that a manager can see why a call was treated as it was.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Label(enum.StrEnum):
    ALLOW = "allow"
    SUSPECT = "suspect"  # to agents, flagged, so an agent can confirm
    HARASSMENT = "harassment"


class SignalKind(enum.StrEnum):
    CONTENT = "content"
    SPEECH = "speech"  # silence, open line, shouting — from ASR speech statistics
    CALLER_ID = "caller_id"
    TIME = "time"
    AGENT = "agent"  # an agent confirmed it
    SYSTEM = "system"  # fail-open and other internal reasons


@dataclass(frozen=True, slots=True)
class Reason:
    code: str  # stable identifier, e.g. "content.insult", "caller.blocklisted", "time.night"
    kind: SignalKind
    weight: float  # contribution to the score (may be negative for business intent, allowlist …)
    detail: str  # one human-readable sentence
    evidence: tuple[str, ...] = ()  # matched words, counts, times


@dataclass(frozen=True, slots=True)
class Verdict:
    label: Label
    score: float  # 0..1
    reasons: tuple[Reason, ...] = field(default=())
    final: bool = True  # False while listening: a provisional verdict that may still change
    decided_at_s: float | None = None  # seconds into the listening window, None before listening

    def summary(self) -> str:
        """Short form for a SIP header or a log line: ``harassment;score=0.91;reasons=content.insult,time.night``."""
        codes = ",".join(r.code for r in self.reasons) or "none"
        return f"{self.label.value};score={self.score:.2f};reasons={codes}"


FAIL_OPEN = Verdict(
    label=Label.ALLOW,
    score=0.0,
    reasons=(Reason("system.fail_open", SignalKind.SYSTEM, 0.0, "screening failed; the call goes to the agents"),),
)
