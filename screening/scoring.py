"""Fusion: reasons in, one verdict out — a clamped sum of the weights, thresholds from configuration.

A sum keeps every verdict explainable: the score is exactly the listed weights added up (clamped to 0..1).
Three rules sit on top: time signals count only on top of other positive evidence (they never decide alone);
``harassment`` needs positive content, speech, caller-ID or agent evidence reaching the suspect threshold by itself;
and the complaint guard — when the caller talks about the business (rules or the business-intent model), abuse
from all content signals together counts at most ``complaint_abuse_cap``: an angry customer who swears is not a
harasser by content alone. The content rules apply that cap to their own reasons; here it also covers the learned
abuse model, which is why it sits in the one place where every signal's reasons meet.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from screening.config import ScreeningConfig
from screening.verdict import GUARDED_ABUSE, Label, Reason, ReasonCode, SignalKind, Verdict

EVIDENCE_KINDS = frozenset({SignalKind.CONTENT, SignalKind.SPEECH, SignalKind.CALLER_ID, SignalKind.AGENT})
ROUNDING = 0.005


def _clamp(value: float) -> float:
    return max(0.0, min(1.0, value))


def business_intent(reasons: list[Reason], guard_veto: float = 0.0) -> bool:
    """Whether the caller talks business, for the complaint guard: the model heard business, or the rules did —
    unless the model's own "no business" stands (not vetoed) and the rules' words weigh less than ``guard_veto``.
    At 0 (the default) any business word of the rules counts; a centre's adapted model may be calibrated to
    trust its own reading of a stray 寄 or 包 in a threat (``learned_guard_veto`` in its manifest)."""
    if any(r.code == ReasonCode.LEARNED_BUSINESS for r in reasons):
        return True
    if not any(r.code == ReasonCode.BUSINESS for r in reasons):
        return False
    model_none = any(r.code == ReasonCode.LEARNED_NO_BUSINESS and r.weight > 0 for r in reasons)
    rules_business = -sum(r.weight for r in reasons if r.code == ReasonCode.BUSINESS)
    return not model_none or rules_business >= guard_veto - ROUNDING


def complaint_guard(reasons: list[Reason], cap: float, guard_veto: float = 0.0) -> list[Reason]:
    """Scale all abuse reasons (rules and learned) down to ``cap`` together when there is business intent."""
    if not business_intent(reasons, guard_veto):
        return reasons
    total = sum(r.weight for r in reasons if r.code in GUARDED_ABUSE and r.weight > 0)
    if total <= cap + ROUNDING:  # the rules already capped their own (rounded to 3 places)
        return reasons
    scale = cap / total
    guarded: list[Reason] = []
    for reason in reasons:
        if reason.code in GUARDED_ABUSE and reason.weight > 0:
            reason = Reason(reason.code, reason.kind, round(reason.weight * scale, 3),
                            f"{reason.detail}; counted {scale:.0%}: said while talking about the business "
                            "(an angry customer)", reason.evidence)  # fmt: skip
        guarded.append(reason)
    return guarded


def business_conflict(reasons: list[Reason], veto: float) -> list[Reason]:
    """The two judges of business disagree; the one that heard business wins, and the other's "none" is shown but
    not counted. The rules heard clear business words (together weighing ``veto`` or more, negated) and the model
    none: a caller who says 退款 and 我的钱 talks business however the model reads the rest. A single weak word
    (one 钱 in a comment about money in general) does not overrule the model. The model heard business and the
    rules' word lists none: the lists know only the words they list (a dish, a fabric, a brand they lack), so their
    "nothing about the business over the window" does not count either. And when the rules found the window held
    only greetings and checks of the line (``content.line_check``: 喂喂有人吗), the model's "none" is not counted:
    the caller has not said anything yet, and a bad line is no evidence of harassment."""
    rules_business = -sum(r.weight for r in reasons if r.code == ReasonCode.BUSINESS)
    rules_win = veto > 0 and rules_business >= veto - ROUNDING
    model_wins = any(r.code == ReasonCode.LEARNED_BUSINESS for r in reasons)
    line_only = any(r.code == ReasonCode.LINE_CHECK for r in reasons)
    out: list[Reason] = []
    for r in reasons:
        if r.code == ReasonCode.LEARNED_NO_BUSINESS and line_only and r.weight > 0:
            r = Reason(r.code, r.kind, 0.0, f"{r.detail}; not counted: only greetings and checks of the line so far",
                       r.evidence)  # fmt: skip
        elif r.code == ReasonCode.LEARNED_NO_BUSINESS and rules_win:
            r = Reason(r.code, r.kind, 0.0, f"{r.detail}; not counted: the rules heard business words", r.evidence)
        elif r.code == ReasonCode.NO_BUSINESS and model_wins and r.weight > 0:
            r = Reason(r.code, r.kind, 0.0, f"{r.detail}; not counted: the model heard a customer-service matter",
                       r.evidence)  # fmt: skip
        out.append(r)
    return out


def fuse(
    reasons: Iterable[Reason],
    config: ScreeningConfig,
    *,
    final: bool = True,
    decided_at_s: float | None = None,
    complaint_abuse_cap: float = 1.0,
    no_business_veto: float = 0.0,
    guard_veto: float = 0.0,
) -> Verdict:
    """One verdict from every signal's reasons (see the module docstring for the rules)."""
    listed = complaint_guard(business_conflict(list(reasons), no_business_veto), complaint_abuse_cap, guard_veto)
    evidence = sum(r.weight for r in listed if r.kind is not SignalKind.TIME)
    has_evidence = any(r.weight > 0 and r.kind in EVIDENCE_KINDS for r in listed)
    shown: list[Reason] = []
    time_weight = 0.0
    for reason in listed:
        if reason.kind is SignalKind.TIME and not (has_evidence and evidence > 0):
            reason = Reason(reason.code, reason.kind, 0.0, reason.detail + " (not counted: no other evidence)",
                            reason.evidence)  # fmt: skip
        elif reason.kind is SignalKind.TIME:
            time_weight += reason.weight
        shown.append(reason)
    score = round(_clamp(evidence + time_weight), 3)
    if has_evidence and score >= config.harassment_threshold and evidence >= config.suspect_threshold:
        label = Label.HARASSMENT
    elif has_evidence and score >= config.suspect_threshold:
        label = Label.SUSPECT
    else:
        label = Label.ALLOW
    shown.sort(key=lambda r: -abs(r.weight))
    return Verdict(label, score, tuple(shown), final=final, decided_at_s=decided_at_s)


class Fusion:
    """:func:`fuse` bound to one engine's configuration and knobs — what the engine and its sessions call."""

    def __init__(self, config: ScreeningConfig, complaint_abuse_cap: float, no_business_veto: float = 0.0,
                 guard_veto: float = 0.0) -> None:  # fmt: skip
        self.config = config
        self.complaint_abuse_cap = complaint_abuse_cap
        self.no_business_veto = no_business_veto
        self.guard_veto = guard_veto

    @classmethod
    def from_knobs(cls, config: ScreeningConfig, weight: Callable[[str], float]) -> Fusion:
        """The fusion whose knobs are read through ``weight`` — the lexicon's, or a model's calibrated values before
        the lexicon's (:func:`screening.signals.learned.model_knob`): which knobs fusion reads is said here once."""
        return cls(config, weight("complaint_abuse_cap"), weight("learned_no_business_veto"),
                   weight("learned_guard_veto"))  # fmt: skip

    def __call__(self, reasons: Iterable[Reason], *, final: bool = True, decided_at_s: float | None = None) -> Verdict:
        return fuse(reasons, self.config, final=final, decided_at_s=decided_at_s,
                    complaint_abuse_cap=self.complaint_abuse_cap, no_business_veto=self.no_business_veto,
                    guard_veto=self.guard_veto)  # fmt: skip
