"""The conversation's decisions, as pure functions of the content verdict (the judgement itself is in screening/).

The handbook: steer a caller back to the business before judging, and never treat an angry customer as a
harasser. So, from the reasons the screening core gave:

* **angry customer** — a customer-service matter (business, enquiry, complaint) said with anger or swearing, and
  nothing sexual or threatening: the senior agents, whatever the caller-ID and time signals say;
* **unsure** after the first window — the verdict is suspect, or nothing about the business was said, or it is
  harassment without one abusive word: ask the question and listen again (:func:`unsure`);
* **harassment needs abusive content** — on a listened call, a harassment verdict without any abusive-content
  reason (only silence, an open line, "nothing about the business", night, repeat, anonymous…) is *suspect*, not
  harassment: silence on a bad line alone never sends a caller to the deterrent (:func:`without_abuse_evidence`).
  Calls screened on caller ID alone (no model, screening off, blocklisted) are not affected.
"""

from __future__ import annotations

from dataclasses import replace

from screening.verdict import GUARDED_ABUSE, Label, ReasonCode, Verdict

BUSINESS = frozenset({ReasonCode.BUSINESS, ReasonCode.ENQUIRY, ReasonCode.COMPLAINT_CONTEXT,
                      ReasonCode.LEARNED_BUSINESS})  # fmt: skip
ANGER = frozenset({ReasonCode.SWEARING, ReasonCode.INSULT, ReasonCode.LEARNED_ABUSE})
NOT_A_CUSTOMER = frozenset({ReasonCode.SEXUAL, ReasonCode.THREAT, ReasonCode.PRANK})
# abusive content: what the complaint guard counts as abuse (the screening core's one set, the adapted centre head's
# push towards harassment included), plus what no customer says; counted only with a positive weight (:func:`abusive`)
ABUSE = GUARDED_ABUSE | NOT_A_CUSTOMER | {ReasonCode.MOCKING}


def _codes(verdict: Verdict) -> set[str]:
    return {reason.code for reason in verdict.reasons if reason.weight != 0 or reason.code in BUSINESS}


def said_business(verdict: Verdict) -> bool:
    return bool(_codes(verdict) & BUSINESS)


def abusive(verdict: Verdict) -> bool:
    """Abusive content pushing towards harassment; a signed reason pushing towards legitimate (a centre head that
    reads a customer) is no abuse, as under the complaint guard."""
    return any(reason.code in ABUSE and reason.weight > 0 for reason in verdict.reasons)


def angry_customer(verdict: Verdict) -> bool:
    codes = _codes(verdict)
    return bool(codes & BUSINESS) and bool(codes & ANGER) and not codes & NOT_A_CUSTOMER


def unsure(verdict: Verdict) -> bool:
    """Ask the question? Not for a clear customer, an angry customer, or abuse that speaks for itself."""
    if angry_customer(verdict):
        return False
    if verdict.label is Label.HARASSMENT:
        return not abusive(verdict)
    return verdict.label is Label.SUSPECT or not said_business(verdict)


def without_abuse_evidence(verdict: Verdict) -> Verdict:
    """A listened call's harassment verdict with no abusive content becomes suspect (to the agents, flagged)."""
    if verdict.label is Label.HARASSMENT and not abusive(verdict):
        return replace(verdict, label=Label.SUSPECT)
    return verdict
