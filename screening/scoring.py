"""Fusion: reasons in, one verdict out — a clamped sum of the weights, thresholds from configuration.

A sum keeps every verdict explainable: the score is exactly the listed weights added up (clamped to 0..1).
Two rules sit on top: time signals count only on top of other positive evidence (they never decide alone), and
``harassment`` needs positive content, speech, caller-ID or agent evidence reaching the suspect threshold by itself.
"""

from __future__ import annotations

from collections.abc import Iterable

from screening.config import ScreeningConfig
from screening.verdict import Label, Reason, SignalKind, Verdict

EVIDENCE_KINDS = frozenset({SignalKind.CONTENT, SignalKind.SPEECH, SignalKind.CALLER_ID, SignalKind.AGENT})


def _clamp(value: float) -> float:
    return max(0.0, min(1.0, value))


def fuse(
    reasons: Iterable[Reason], config: ScreeningConfig, *, final: bool = True, decided_at_s: float | None = None
) -> Verdict:
    listed = list(reasons)
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
