"""Content signals: what the caller said, as weighted reasons with the matched words as evidence.

Pure: text in, reasons out. The text is the transcript so far (finals and the current partial), normalised.
``end_of_window`` says the listening window is over, which is when "nothing about the business" can be judged;
``steered`` says the caller was asked to state the business and still did not; ``open_end`` that the text ends in
a partial hypothesis that may still change.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from screening.constructions import ConstructionHit, find_constructions
from screening.lexicon import Category, Lexicon
from screening.signal import Observation
from screening.signals.patterns import FILLERS, counting_runs, numbers_given, repetitions
from screening.signals.targeting import Target, target_of
from screening.text.matcher import Hit, TermMatcher
from screening.verdict import Reason, ReasonCode, SignalKind

ABUSE = frozenset({Category.INSULT, Category.CURSE, Category.SWEAR, Category.THREAT})
# talk that shows another purpose than the business; with no business at all it makes "no interest" clearer.
# Laughter is left out: angry customers laugh bitterly too (呵呵你们真行).
INTENT_CODES = (ReasonCode.SEXUAL, ReasonCode.PRANK, ReasonCode.ROOM, ReasonCode.OFFTOPIC)
ABUSE_CODES = (ReasonCode.INSULT, ReasonCode.THREAT, ReasonCode.SWEARING)
LINE_REST = 4  # characters a window of line talk may hold besides it (see _line_only)
CODES = {
    Category.SEXUAL: (ReasonCode.SEXUAL, "sexual talk or advances"),
    Category.INSULT: (ReasonCode.INSULT, "insults aimed at the agent"),
    Category.CURSE: (ReasonCode.INSULT, "insults aimed at the agent"),
    Category.SWEAR: (ReasonCode.SWEARING, "swearing not aimed at the agent"),
    Category.THREAT: (ReasonCode.THREAT, "threats"),
    Category.PRANK: (ReasonCode.PRANK, "prank or nonsense talk"),
    Category.MOCKING: (ReasonCode.MOCKING, "laughter or mocking"),
    Category.ROOM: (ReasonCode.ROOM, "talking to others in the room"),
    Category.OFFTOPIC: (ReasonCode.OFFTOPIC, "talk with no interest in the business"),
    Category.BUSINESS: (ReasonCode.BUSINESS, "talks about the business"),
    Category.COMPLAINT: (ReasonCode.BUSINESS, "talks about the business"),
    Category.ENQUIRY: (ReasonCode.ENQUIRY, "asks a question"),
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
        text = _numbers_masked(text)
        hits = self._matcher.find(text)
        w = self._lexicon.weight
        weights: dict[ReasonCode, float] = defaultdict(float)
        evidence: dict[ReasonCode, list[str]] = defaultdict(list)
        details: dict[ReasonCode, str] = {}
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
        prank = any(s.construction.category == Category.PRANK for s in shapes)
        if prank and business_evidence:
            # a prank dressed up as an order (买一辆坦克包邮吗): its business words are part of the joke
            evidence[ReasonCode.PRANK].append("business words inside a prank: " + "|".join(business_evidence))
            business, business_evidence, business_weight = [], [], 0.0
        for hit in hits:
            category = hit.term.category
            if category in (Category.ADDRESS, Category.PRODUCT, Category.LINE):
                continue
            code, detail = CODES[category]
            weight = hit.term.weight
            target: Target | None = None
            if category is Category.INSULT:
                target = target_of(hit, text, hits)
                if target is Target.SELF:
                    continue  # scolding himself is no abuse of anyone on the line
                if target in (Target.PRODUCT, Target.THIRD):
                    code, detail = CODES[Category.SWEAR]
                    weight *= w("insult_product_target")
                elif target is Target.UNKNOWN:
                    weight *= w("insult_unknown_target")
            weights[code] += weight
            evidence[code].append(_evidence(hit, target))
            details[code] = detail
        self._patterns(text, weights, evidence, details)
        things = [h for h in hits if h.term.category is Category.PRODUCT]
        if things and not prank and _swearing_only(weights):
            # swearing with the thing it is about (裤子…恶心, 难吃死了): an angry customer, as with a business word
            business_evidence += [h.matched for h in things]
            business_weight += sum(h.term.weight for h in things)
        cap = w("category_cap")
        reasons: dict[ReasonCode, float] = {code: max(-cap, min(cap, weight)) for code, weight in weights.items()
                   if code is not ReasonCode.BUSINESS}  # fmt: skip
        has_business = bool(business_evidence) and business_weight <= -w("business_min")
        abuse_codes = ABUSE_CODES
        abuse = sum(reasons.get(code, 0.0) for code in abuse_codes)
        out: list[Reason] = []
        if has_business and abuse > 0:
            scale = min(1.0, w("complaint_abuse_cap") / abuse)
            for code in abuse_codes:
                if code in reasons:
                    reasons[code] = round(reasons[code] * scale, 3)
            out.append(
                Reason(
                    ReasonCode.COMPLAINT_CONTEXT, SignalKind.CONTENT, w("complaint_context"),
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
                    ReasonCode.BUSINESS, SignalKind.CONTENT, round(total, 3), "talks about the business",
                    tuple(business_evidence),
                )
            )  # fmt: skip
        elif end_of_window and not any(value > 0 for value in reasons.values()) and (
            line := _line_only(text, hits, self._min_chars)
        ):
            # 喂喂能听到我说话吗: a caller on a bad line, or one who has not reached the matter yet (SPEC: people who
            # are confused, and short calls simply cut off, stay allowed). Not "no business": nothing was said. Only
            # when nothing else was heard: 喂喂你猜我是谁 is a prank with a greeting in front.
            out.append(
                Reason(ReasonCode.LINE_CHECK, SignalKind.CONTENT, 0.0,
                       "only greetings and checks of the line over the listening window: nothing said yet",
                       tuple(line))
            )  # fmt: skip
        elif end_of_window and len(text) >= self._min_chars:
            intent = sum(reasons.get(code, 0.0) for code in INTENT_CODES) >= w("intent_min")
            name = "no_business_after_steering" if steered else "no_business_with_intent" if intent else "no_business"
            detail = "nothing about the business" + (", even after steering" if steered else "")
            out.append(
                Reason(ReasonCode.NO_BUSINESS, SignalKind.CONTENT, w(name), detail + " over the listening window",
                       (f"{len(text)} characters",))
            )  # fmt: skip
        return ContentFacts(tuple(_merge(out, cap)), has_business, abuse > 0, len(text))

    def _patterns(
        self,
        text: str,
        weights: dict[ReasonCode, float],
        evidence: dict[ReasonCode, list[str]],
        details: dict[ReasonCode, str],
    ) -> None:
        for runs, name in ((repetitions(text), "repetition"), (counting_runs(text), "counting")):
            if runs:
                mostly = sum(len(run) for run in runs) >= self._lexicon.weight("nonsense_share") * len(text)
                weights[ReasonCode.PRANK] += self._lexicon.weight(
                    "repetition_only" if mostly and name == "repetition" else name
                )
                evidence[ReasonCode.PRANK].extend(f"{name}:{run}" for run in runs)
                details[ReasonCode.PRANK] = CODES[Category.PRANK][1]


def _numbers_masked(text: str) -> str:
    """``text`` with every number read out (:func:`numbers_given`) as the digit class ``0``, which no word list or
    nonsense pattern matches: the caller gave a phone, order or ID number. Same length, so evidence stays aligned;
    the learned models see the text as it was."""
    spans = numbers_given(text)
    if not spans:
        return text
    chars = list(text)
    for start, end in spans:
        chars[start:end] = "0" * (end - start)
    return "".join(chars)


def _line_only(text: str, hits: Sequence[Hit], min_chars: int) -> list[str]:
    """The line talk of ``text`` (its evidence) when that is all it holds: what is left once the greetings and
    checks of the line and the fillers (喂, 嗯) are taken out is at most :data:`LINE_REST` characters (我说话 of
    喂喂能听到我说话吗, 请问) and shorter than ``min_chars``, the length from which a window without business words
    counts as "no business". Empty otherwise: 你好你看过罗生门吗 is chit-chat with a greeting in front."""
    line = [h for h in hits if h.term.category is Category.LINE]
    if not line:
        return []
    covered = set().union(*(range(h.start, h.end) for h in line))
    rest = [ch for i, ch in enumerate(text) if i not in covered and ch not in FILLERS]
    return [h.matched for h in line] if len(rest) <= min(LINE_REST, min_chars - 1) else []


def _swearing_only(weights: dict[ReasonCode, float]) -> bool:
    """Swearing or insults, and no threat or sexual talk: what a product word may turn into a complaint. A threat
    counts whatever it is said about, and 你穿的裙子 is not a review."""
    return any(weights.get(code, 0.0) > 0 for code in (ReasonCode.INSULT, ReasonCode.SWEARING)) and not any(
        weights.get(code, 0.0) > 0 for code in (ReasonCode.THREAT, ReasonCode.SEXUAL)
    )


def _merge(reasons: list[Reason], cap: float) -> list[Reason]:
    """One reason per code."""
    merged: dict[ReasonCode, Reason] = {}
    for reason in reasons:
        if reason.code in merged:
            old = merged[reason.code]
            merged[reason.code] = Reason(
                old.code, old.kind, round(min(cap, old.weight + reason.weight), 3),
                old.detail + "; " + reason.detail, old.evidence + reason.evidence,
            )  # fmt: skip
        else:
            merged[reason.code] = reason
    return list(merged.values())


class RuleContentSignal:
    """The hand-written content rules (word lists, constructions, nonsense patterns) as a :class:`Signal`."""

    name = "content_rules"

    def __init__(self, analyzer: ContentAnalyzer) -> None:
        self._analyzer = analyzer

    def reasons(self, obs: Observation) -> Sequence[Reason]:
        if obs.transcript is None:
            return ()
        facts = self._analyzer.analyse(
            obs.transcript, end_of_window=obs.end_of_window, steered=obs.steered, open_end=obs.open_end
        )
        return facts.reasons
