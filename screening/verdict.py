"""The screening core's output: a verdict with a score and the reasons behind it.

Screening decides, telephony acts: a :class:`Verdict` says *what* (label + score + reasons); the route the call
takes is derived from it by the call flow (:func:`telephony.flow.derive_route`). Every reason names its signal,
its weight and the evidence (matched words, counts, times) so that a manager can see why a call was treated as it
was.
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
    SPEECH = "speech"  # silence, open line — from ASR speech statistics
    CALLER_ID = "caller_id"
    TIME = "time"
    AGENT = "agent"  # an agent confirmed it
    SYSTEM = "system"  # fail-open and other internal reasons


class ReasonCode(enum.StrEnum):
    """Every reason a verdict can give. The values are stable: they are stored with call records, shown to
    managers, counted in reports and written into SIP headers (``agent.confirmed`` by the call flow)."""

    # content rules (screening.signals.content)
    SEXUAL = "content.sexual"
    INSULT = "content.insult"
    SWEARING = "content.swearing"
    THREAT = "content.threat"
    PRANK = "content.prank"
    MOCKING = "content.mocking"
    ROOM = "content.room"
    OFFTOPIC = "content.offtopic"  # words or shapes of talk with another purpose (聊聊, 你喜欢吃什么)
    NO_BUSINESS = "content.no_business"  # the rules heard nothing about the business over the whole window
    BUSINESS = "content.business"
    ENQUIRY = "content.enquiry"
    COMPLAINT_CONTEXT = "content.complaint_context"
    LINE_CHECK = "content.line_check"  # a window of greetings and checks of the line only: nothing said yet (weight 0)
    # learned content models (screening.signals.learned)
    LEARNED_ABUSE = "content.learned_abuse"  # abusive, sexual or threatening language
    LEARNED_HARASSMENT = "content.learned_harassment"  # harassment aimed at the listener (the call-level head)
    LEARNED_BUSINESS = "content.learned_business"
    LEARNED_NO_BUSINESS = "content.learned_no_business"
    LEARNED_CENTRE = "content.learned_centre"  # an adapted model's centre head: the centre's own examples' reading
    # speech statistics
    SILENCE = "speech.silence"
    OPEN_LINE = "speech.open_line"
    # caller ID (one per number list, plus the history signals)
    BLOCKLISTED = "caller.blocklisted"
    ALLOWLISTED = "caller.allowlisted"
    PAYPHONE = "caller.payphone"
    SWITCHBOARD = "caller.switchboard"
    LISTED = "caller.listed"  # a number list the vocabulary gained later (the evidence names it)
    ANONYMOUS = "caller.anonymous"
    REPEAT = "caller.repeat"
    PREFIX_BURST = "caller.prefix_burst"
    CALLER_AGENT_CONFIRMED = "caller.agent_confirmed"
    # time
    NIGHT = "time.night"
    NOON = "time.noon"
    # outside the screening core
    AGENT_CONFIRMED = "agent.confirmed"  # an agent transferred the call into the analysis queue
    FAIL_OPEN = "system.fail_open"

    @property
    def kind(self) -> SignalKind:
        """The signal family, from the code's prefix (``caller.`` → caller ID)."""
        prefix = self.value.split(".", 1)[0]
        return SignalKind.CALLER_ID if prefix == "caller" else SignalKind(prefix)


# The abuse the complaint guard caps when the caller talks business (:func:`screening.scoring.complaint_guard`;
# a centre's own examples never make an angry customer a harasser by content alone either), and the core of what
# the call flow counts as abusive content (``telephony.conversation.ABUSE``): one set, so that a learned signal
# added to one cannot be missing from the other. A signed reason counts only while its weight is positive (the
# centre head's push towards harassment, not its push towards legitimate): both readers test ``weight > 0``.
GUARDED_ABUSE = frozenset({ReasonCode.INSULT, ReasonCode.THREAT, ReasonCode.SWEARING, ReasonCode.LEARNED_ABUSE,
                           ReasonCode.LEARNED_HARASSMENT, ReasonCode.LEARNED_CENTRE})  # fmt: skip


@dataclass(frozen=True, slots=True)
class Reason:
    code: ReasonCode  # stable identifier, e.g. "content.insult", "caller.blocklisted", "time.night"
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
    reasons=(Reason(ReasonCode.FAIL_OPEN, SignalKind.SYSTEM, 0.0, "screening failed; the call goes to the agents"),),
)
