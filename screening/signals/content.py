"""Content signals: what the caller said, as weighted reasons with the matched words as evidence.

Pure: text in, reasons out. The text is the transcript so far (finals and the current partial), normalised.
``end_of_window`` says the listening window is over, which is when "nothing about the business" can be judged;
``steered`` says the caller was asked to state the business and still did not; ``open_end`` that the text ends in
a partial hypothesis that may still change.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from screening.constructions import ConstructionHit, find_constructions
from screening.lexicon import Category, Lexicon
from screening.signals.patterns import counting_runs, repetitions
from screening.signals.targeting import Target, target_of
from screening.text.matcher import Hit, TermMatcher
from screening.verdict import Reason, SignalKind

CATEGORY_CAP = 1.0  # one category never contributes more than this
NONSENSE_SHARE = 0.5  # repeated syllables making up this share of the text are all the caller said
ABUSE = frozenset({Category.INSULT, Category.CURSE, Category.SWEAR, Category.THREAT})
# talk that shows another purpose than the business; with no business at all it makes "no interest" clearer.
# Laughter is left out: angry customers laugh bitterly too (呵呵你们真行).
INTENT_CODES = ("content.sexual", "content.prank", "content.room", "content.offtopic")
INTENT_MIN = 0.25  # weak words (晚上, 一个人) alone are not another purpose
BUSINESS_MIN = 0.1  # one vague word (车, 寄) is not yet talk about the business
CODES = {
    Category.SEXUAL: ("content.sexual", "sexual talk or advances"),
    Category.INSULT: ("content.insult", "insults aimed at the agent"),
    Category.CURSE: ("content.insult", "insults aimed at the agent"),
    Category.SWEAR: ("content.swearing", "swearing not aimed at the agent"),
    Category.THREAT: ("content.threat", "threats"),
    Category.PRANK: ("content.prank", "prank or nonsense talk"),
    Category.MOCKING: ("content.mocking", "laughter or mocking"),
    Category.ROOM: ("content.room", "talking to others in the room"),
    Category.OFFTOPIC: ("content.offtopic", "talk with no interest in the business"),
    Category.BUSINESS: ("content.business", "talks about the business"),
    Category.COMPLAINT: ("content.business", "talks about the business"),
    Category.ENQUIRY: ("content.enquiry", "asks a question"),
}


@dataclass(frozen=True, slots=True)
class ContentFacts:
    """What the content analysis found, beyond the reasons: for early decisions and the no-business rule."""

    reasons: tuple[Reason, ...]
    has_business: bool
    has_abuse: bool
    speech_chars: int


def _evidence(hit: Hit, target: Target | None = None) -> str:
    shown = hit.matched if hit.matched == hit.term.text else f"{hit.matched}≈{hit.term.text} ({hit.via.value})"
    return f"{shown}→{target.value}" if target is not None else shown


def _shape_evidence(shape: ConstructionHit) -> str:
    return f"{shape.matched} (pattern {shape.construction.name})"


class ContentAnalyzer:
    def __init__(self, lexicon: Lexicon, *, no_business_min_chars: int = 8) -> None:
        self._lexicon = lexicon
        self._matcher = TermMatcher(lexicon.terms)
        self._min_chars = no_business_min_chars

    def analyse(self, text: str, *, end_of_window: bool, steered: bool = False, open_end: bool = False) -> ContentFacts:
        hits = self._matcher.find(text)
        w = self._lexicon.weight
        weights: dict[str, float] = defaultdict(float)
        evidence: dict[str, list[str]] = defaultdict(list)
        details: dict[str, str] = {}
        business = [h for h in hits if h.term.category in (Category.BUSINESS, Category.COMPLAINT)]
        business_evidence = [h.matched for h in business]
        business_weight = sum(h.term.weight for h in business)
        shapes = find_constructions(self._lexicon.constructions, text, open_end=open_end)
        for shape in shapes:
            category = Category(shape.construction.category)
            if category in (Category.BUSINESS, Category.COMPLAINT):
                business_evidence.append(_shape_evidence(shape))
                business_weight += shape.construction.weight
                continue
            code, detail = CODES[category]
            weights[code] += shape.construction.weight
            evidence[code].append(_shape_evidence(shape))
            details[code] = detail
        if any(s.construction.category == Category.PRANK for s in shapes) and business_evidence:
            # a prank dressed up as an order (买一辆坦克包邮吗): its business words are part of the joke
            evidence["content.prank"].append("business words inside a prank: " + "|".join(business_evidence))
            business, business_evidence, business_weight = [], [], 0.0
        for hit in hits:
            category = hit.term.category
            if category is Category.ADDRESS:
                continue
            code, detail = CODES[category]
            weight = hit.term.weight
            target: Target | None = None
            if category is Category.INSULT:
                target = target_of(hit, text, hits)
                if target is Target.PRODUCT:
                    code, detail = CODES[Category.SWEAR]
                    weight *= w("insult_product_target")
                elif target is Target.UNKNOWN:
                    weight *= w("insult_unknown_target")
            weights[code] += weight
            evidence[code].append(_evidence(hit, target))
            details[code] = detail
        self._patterns(text, weights, evidence, details)
        reasons = {code: max(-CATEGORY_CAP, min(CATEGORY_CAP, weight)) for code, weight in weights.items()
                   if code != "content.business"}  # fmt: skip
        has_business = bool(business_evidence) and business_weight <= -BUSINESS_MIN
        abuse_codes = ("content.insult", "content.threat", "content.swearing")
        abuse = sum(reasons.get(code, 0.0) for code in abuse_codes)
        out: list[Reason] = []
        if has_business and abuse > 0:
            cap = w("complaint_abuse_cap")
            scale = min(1.0, cap / abuse)
            for code in abuse_codes:
                if code in reasons:
                    reasons[code] = round(reasons[code] * scale, 3)
            out.append(
                Reason(
                    "content.complaint_context", SignalKind.CONTENT, w("complaint_context"),
                    "swearing inside a complaint about the business: not abuse of the agent",
                    tuple(business_evidence),
                )
            )  # fmt: skip
        for code, weight in reasons.items():
            out.append(Reason(code, SignalKind.CONTENT, round(weight, 3), details[code], tuple(evidence[code])))
        if has_business:
            total = max(w("business_floor"), business_weight)
            out.append(
                Reason(
                    "content.business", SignalKind.CONTENT, round(total, 3), "talks about the business",
                    tuple(business_evidence),
                )
            )  # fmt: skip
        elif end_of_window and len(text) >= self._min_chars:
            intent = sum(reasons.get(code, 0.0) for code in INTENT_CODES) >= INTENT_MIN
            name = "no_business_after_steering" if steered else "no_business_with_intent" if intent else "no_business"
            detail = "nothing about the business" + (", even after steering" if steered else "")
            out.append(
                Reason("content.offtopic", SignalKind.CONTENT, w(name), detail + " over the listening window",
                       (f"{len(text)} characters",))
            )  # fmt: skip
        return ContentFacts(tuple(_merge(out)), has_business, abuse > 0, len(text))

    def _patterns(
        self, text: str, weights: dict[str, float], evidence: dict[str, list[str]], details: dict[str, str]
    ) -> None:
        for runs, name in ((repetitions(text), "repetition"), (counting_runs(text), "counting")):
            if runs:
                mostly = sum(len(run) for run in runs) >= NONSENSE_SHARE * len(text)
                weights["content.prank"] += self._lexicon.weight(
                    "repetition_only" if mostly and name == "repetition" else name
                )
                evidence["content.prank"].extend(f"{name}:{run}" for run in runs)
                details["content.prank"] = CODES[Category.PRANK][1]


def _merge(reasons: list[Reason]) -> list[Reason]:
    """One reason per code (the no-business rule may add to an existing content.offtopic)."""
    merged: dict[str, Reason] = {}
    for reason in reasons:
        if reason.code in merged:
            old = merged[reason.code]
            merged[reason.code] = Reason(
                old.code, old.kind, round(min(CATEGORY_CAP, old.weight + reason.weight), 3),
                old.detail + "; " + reason.detail, old.evidence + reason.evidence,
            )  # fmt: skip
        else:
            merged[reason.code] = reason
    return list(merged.values())
