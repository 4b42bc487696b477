"""A centre's own decision thresholds and fusion knobs, chosen by cross-validation on its own rows.

Adapting the heads (:func:`screening.learned.train.adapt_heads`) moves the n-gram weights of the centre's
wording, but what turns scores into a verdict stays the base's: the heads' thresholds, and how far the rules'
business words overrule the model — the veto on "no business" (``learned_no_business_veto``) and the complaint
guard (``learned_guard_veto``). Where a centre's harassment is written in words the rules read as business
(an assistant query that says 帮我查, a threat about a parcel), refitting weights cannot help: the rules win.

So :func:`calibrate` asks the centre's file: it splits the rows into folds, adapts the heads on all but one fold,
scores the one left out, and then tries every combination of :data:`GRID` on those out-of-fold verdicts — the full
fusion with the rules, exactly as ``eval`` screens a transcript. It keeps the base's values unless the combination
with the highest out-of-fold F0.5 (precision first) raises the F1 by :data:`MIN_GAIN` while flagging no more
legitimate rows and no more angry customers (legit rows in which the rules hear abuse) than the base's values do —
so precision can only rise and the complaint guard's purpose is kept. Two fit strengths are tried the same way
(:data:`screening.learned.build.STRENGTHS`): the gentle default and a firmer one that counts the centre's rows more
against the replayed shipped examples. A file with fewer than :data:`MIN_ANGRY` angry customers may only make the
judgement stricter, with the gentle fit: it cannot show what a looser one does to them (measured: an enquiry-only
file let a looser "no business" and the firm fit flag short swearing reviews of other sources). The grid is fixed in
advance (the base values and steps either way), not tuned to any measuring set. A file with fewer than
:data:`MIN_PER_LABEL` rows of either label is too small to say anything and keeps the base's.

The *centre head* (:func:`screening.learned.train.fit_centre`, fitted in every fold on that fold's rows alone, so
its out-of-fold scores are honest) is weighed the same way: its pull towards harassment (``learned_centre_up``) and
towards legitimate (``learned_centre_down``) are tried on :data:`CENTRE_GRID`, on top of the base's values and on
top of the best values found without it, then refined one value at a time (every axis of both grids,
:data:`REFINE_ROUNDS` passes), and kept only by the same rule — and, since out of fold on the centre's file cannot
show what the head does to talk unlike that file, only if it flags no more of the shipped call-style examples'
legitimate rows (enquiries, complaints, angry customers; the head never sees them) than the base's values do. It is
the shift a base that never saw a centre's kind of talk needs (a base without reviews reads every review as "no
business"; a few hundred rows move its big weights too little). With fewer than :data:`MIN_ANGRY` angry customers it
may only clear calls (``learned_centre_up`` stays 0).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import product
from typing import Any, TypeVar

from screening.config import ScreeningConfig
from screening.learned.data import Example, stratified_folds
from screening.learned.figures import precision_recall_f1
from screening.learned.model import ContentModel, ContentScores
from screening.lexicon import Lexicon
from screening.scoring import Fusion
from screening.signal import Observation
from screening.signals.content import ContentAnalyzer, RuleContentSignal
from screening.signals.learned import LearnedContentSignal, model_knob
from screening.text.normalize import normalize_text
from screening.verdict import Label, Reason, ReasonCode

FOLDS = 3
MIN_PER_LABEL = 10
# A file with fewer angry customers than this cannot vouch for a looser judgement: only stricter values and the
# gentle fit are tried (an enquiry line's file says nothing about what swearing does to a looser "no business").
MIN_ANGRY = 5
# the direction in which each value makes the judgement stricter (fewer flags)
STRICTER = {"harassment": 1, "no_business": -1, "offtopic": 1, "learned_no_business_veto": -1,
            "learned_guard_veto": -1, "learned_centre_up": -1, "learned_centre_down": 1}
MIN_GAIN = 0.01  # out-of-fold F1 a calibration must gain over the base's values to replace them
THRESHOLD_AXES = ("harassment", "no_business", "offtopic")
STAND_IN = {"harassment": "learned_harassment_min", "no_business": "learned_no_business_max",
            "offtopic": "learned_offtopic_min"}  # the knob the signal reads for a model without that threshold
CENTRE_AXES = ("learned_centre_up", "learned_centre_down")
FUSION_AXES = ("learned_no_business_veto", "learned_guard_veto", *CENTRE_AXES)
# The rules' business words weigh at most 0.6 together (business_floor), so 1.0 means "never overrule the model".
GRID: dict[str, tuple[float, ...]] = {
    "harassment": (0.6, 0.7, 0.8),
    "no_business": (0.1, 0.2, 0.3, 0.4, 0.5),
    "offtopic": (0.4, 0.5, 0.6, 0.7, 0.8),
    "learned_no_business_veto": (0.2, 0.4, 0.6, 1.0),
    "learned_guard_veto": (0.0, 0.4, 1.0),
}
# tried after GRID, on top of its best values and the base's (a product with GRID would be 16 times the work)
CENTRE_GRID: dict[str, tuple[float, ...]] = {
    "learned_centre_up": (0.0, 0.25, 0.5, 0.75, 1.0),
    "learned_centre_down": (0.0, 0.25, 0.5, 0.75, 1.0),
}
REFINE_ROUNDS = 3  # passes of one-value-at-a-time moves from the best, once the centre head has a weight
RULE_ABUSE = frozenset({ReasonCode.INSULT, ReasonCode.THREAT, ReasonCode.SWEARING})

Adapter = Callable[[Sequence[Example]], ContentModel]


@dataclass(frozen=True, slots=True)
class Scored:
    """One of the centre's rows, screened out of fold: the rules' reasons and the fold model's scores."""

    text: str
    truth: int
    angry: bool  # legit, and the rules hear abuse in it: an angry customer
    rules: tuple[Reason, ...]
    scores: ContentScores


@dataclass(frozen=True, slots=True)
class Tally:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    angry_flagged: int = 0

    @property
    def f1(self) -> float:
        return 2 * self.tp / (2 * self.tp + self.fp + self.fn) if self.tp else 0.0

    @property
    def f_half(self) -> float:
        """F0.5: precision weighs twice what recall does."""
        return 1.25 * self.tp / (1.25 * self.tp + 0.25 * self.fn + self.fp) if self.tp else 0.0

    def as_dict(self) -> dict[str, float | int]:
        return {**precision_recall_f1(self.tp, self.fp, self.fn), "fp": self.fp, "angry_flagged": self.angry_flagged}


class _Fixed:
    """A scorer handing back the row's precomputed scores under a candidate's thresholds and knobs."""

    def __init__(self, model_id: str, thresholds: Mapping[str, float], fusion: Mapping[str, float]) -> None:
        self.model_id = model_id
        self.thresholds = thresholds
        self.fusion = fusion
        self.current: ContentScores | None = None

    def score(self, text: str) -> ContentScores:
        assert self.current is not None
        return self.current


def folds(rows: Sequence[Example], k: int, seed: int) -> list[int]:
    """A fold number per row, stratified by label and seeded."""
    return stratified_folds([int(e.harassment or 0) for e in rows], k, seed)


def rule_reasons(texts: Sequence[str], lexicon: Lexicon, config: ScreeningConfig) -> list[tuple[Reason, ...]]:
    rules = RuleContentSignal(ContentAnalyzer(lexicon, no_business_min_chars=config.no_business_min_chars))
    return [tuple(rules.reasons(Observation(transcript=t, end_of_window=True))) for t in texts]


def is_angry(truth: int, rules: Sequence[Reason]) -> bool:
    """A legitimate row in which the rules hear abuse: an angry customer, whom the complaint guard protects."""
    return not truth and any(r.code in RULE_ABUSE and r.weight > 0 for r in rules)


def out_of_fold(rows: Sequence[Example], texts: Sequence[str], rules: Sequence[tuple[Reason, ...]],
                adapter: Adapter, seed: int, guard: Sequence[tuple[str, tuple[Reason, ...]]] = ()
                ) -> tuple[list[Scored], list[Scored]]:  # fmt: skip
    """Every row scored by heads adapted on the other folds (the rules do not depend on the fold); and every
    ``guard`` row (legitimate talk none of the centre's rows are) scored by each of the fold models."""
    fold_of = folds(rows, FOLDS, seed)
    scored: list[Scored | None] = [None] * len(rows)
    guarded: list[Scored] = []
    for k in range(FOLDS):
        model = adapter([e for e, f in zip(rows, fold_of, strict=True) if f != k])
        for i, e in enumerate(rows):
            if fold_of[i] == k:
                truth = int(e.harassment or 0)
                scored[i] = Scored(texts[i], truth, is_angry(truth, rules[i]), rules[i], model.score(texts[i]))
        guarded.extend(Scored(text, 0, is_angry(0, said), said, model.score(text)) for text, said in guard)
    return [s for s in scored if s is not None], guarded


def guard_rows(rows: Sequence[Example], lexicon: Lexicon, config: ScreeningConfig
               ) -> list[tuple[str, tuple[Reason, ...]]]:  # fmt: skip
    """The legitimate ones of ``rows`` with their rules' reasons, to be scored per fold (:func:`out_of_fold`)."""
    texts = [normalize_text(e.text) for e in rows if e.harassment == 0]
    return list(zip(texts, rule_reasons(texts, lexicon, config), strict=True))


def tally(rows: Sequence[Scored], thresholds: Mapping[str, float], fusion: Mapping[str, float], lexicon: Lexicon,
          config: ScreeningConfig) -> Tally:  # fmt: skip
    """The full fusion's verdicts on the scored rows under one candidate."""
    fixed = _Fixed("calibration", thresholds, fusion)
    signal = LearnedContentSignal(fixed, lexicon, no_business_min_chars=config.no_business_min_chars)
    fused = Fusion.from_knobs(config, lambda name: model_knob(fusion, lexicon, name))
    tp = fp = fn = angry = 0
    for row in rows:
        fixed.current = row.scores
        reasons = [*row.rules, *signal.reasons(Observation(transcript=row.text, end_of_window=True))]
        flagged = fused(reasons).label is Label.HARASSMENT
        tp += flagged and bool(row.truth)
        fp += flagged and not row.truth
        fn += (not flagged) and bool(row.truth)
        angry += flagged and row.angry
    return Tally(tp, fp, fn, angry)


# ((out-of-fold F0.5, −values moved), fit index, values, tally): the ranking key first
Candidate = tuple[tuple[float, int], int, dict[str, float], "Tally"]


@dataclass(frozen=True, slots=True)
class Calibration:
    thresholds: dict[str, float]  # the model's thresholds to write (all heads)
    fusion: dict[str, float]  # the fusion knobs to write (the base's when its values are kept)
    strength: int  # index into the adapters tried: the fit the final model uses
    report: dict[str, Any]


def calibrate(base: ContentModel, rows: Sequence[Example], adapters: Sequence[tuple[str, Adapter]],
              lexicon: Lexicon, config: ScreeningConfig, seed: int, guard: Sequence[Example] = ()
              ) -> Calibration:  # fmt: skip
    """The centre's fit strength, thresholds and fusion knobs (see the module docstring): the first adapter with
    the base's values when the file is too small or nothing does clearly better out of fold. ``guard``: rows
    none of the centre's are (the shipped call-style examples), whose legitimate ones a value that trusts the
    centre head must flag no more of than the base's values do."""
    base_thresholds = dict(base.thresholds)
    base_fusion = {name: model_knob(base.fusion, lexicon, name) for name in FUSION_AXES}
    defaults = {name: float(base_thresholds.get(name, lexicon.weight(STAND_IN[name]))) for name in THRESHOLD_AXES}
    defaults |= base_fusion
    kept = Calibration(base_thresholds, dict(base.fusion), 0, {"chosen": "base", "strength": adapters[0][0]})
    counts = [sum(1 for e in rows if (e.harassment or 0) == label) for label in (0, 1)]
    if min(counts) < MIN_PER_LABEL:
        return Calibration(kept.thresholds, kept.fusion, 0, kept.report | {
            "why": f"fewer than {MIN_PER_LABEL} rows of a label ({counts[0]} legit, {counts[1]} harassment)"})
    texts = [normalize_text(e.text) for e in rows]
    rules = rule_reasons(texts, lexicon, config)
    angry = sum(is_angry(int(e.harassment or 0), r) for e, r in zip(rows, rules, strict=True))
    guarded = guard_rows(guard, lexicon, config)

    def axis(name: str, grid: Mapping[str, tuple[float, ...]]) -> tuple[float, ...]:
        return tuple(sorted(v for v in {*grid[name], defaults[name]}
                            if angry >= MIN_ANGRY or (v - defaults[name]) * STRICTER[name] >= 0))  # fmt: skip

    axes = [axis(name, GRID) for name in GRID]
    centre_axes = [axis(name, CENTRE_GRID) for name in CENTRE_GRID]
    start: Tally | None = None
    best: Candidate | None = None
    # a firmer fit too follows the centre's rows further than the base into what they do not show
    tried = adapters if angry >= MIN_ANGRY else adapters[:1]
    for index, (_, adapter) in enumerate(tried):
        scored, guard_scored = out_of_fold(rows, texts, rules, adapter, seed, guarded)

        def run(values: Mapping[str, float], scored: Sequence[Scored] = scored) -> Tally:
            thresholds = base_thresholds | {k: values[k] for k in THRESHOLD_AXES}
            return tally(scored, thresholds, {k: values[k] for k in FUSION_AXES}, lexicon, config)

        if start is None:
            start = run(defaults)
            best = ((start.f_half, 0), 0, defaults, start)
        assert best is not None
        guard_start = run(defaults, guard_scored)

        def judge(values: dict[str, float], index: int = index, start: Tally = start,
                  guard_scored: Sequence[Scored] = guard_scored, guard_start: Tally = guard_start,
                  run: Callable[..., Tally] = run) -> Candidate | None:  # fmt: skip
            """The candidate, or None when it flags more than the base's values — on the centre's rows, and
            when it weighs the centre head, on the guard rows the head never saw."""
            if any(values[name] > 0 for name in CENTRE_AXES) and guard_scored:
                kept = run(values, guard_scored)
                if kept.fp > guard_start.fp or kept.angry_flagged > guard_start.angry_flagged:
                    return None
            return _candidate(index, values, run(values), start, defaults)

        fit_best: Candidate | None = None  # this fit's best without the centre head: an anchor for it
        for combo in product(*axes):
            fit_best = _better(fit_best, judge(defaults | dict(zip(GRID, combo, strict=True))))
        best = _better(best, fit_best)
        if not any(s.scores.centre is not None for s in scored):
            continue
        anchors = (defaults, *((fit_best[2],) if fit_best is not None else ()))
        fit_best = None
        for anchor, combo in product(anchors, product(*centre_axes)):
            fit_best = _better(fit_best, judge(anchor | dict(zip(CENTRE_GRID, combo, strict=True))))
        # a head that clears what the base would flag lets looser thresholds find more: move one value at a time
        # from this fit's best with the centre head until nothing gains
        every = dict(zip(GRID, axes, strict=True)) | dict(zip(CENTRE_GRID, centre_axes, strict=True))
        for _ in range(REFINE_ROUNDS if fit_best is not None else 0):
            assert fit_best is not None
            moved_from = fit_best
            for name, choices in every.items():
                for value in choices:
                    fit_best = _better(fit_best, judge(fit_best[2] | {name: value}))
            if fit_best is moved_from:
                break
        best = _better(best, fit_best)
    assert start is not None and best is not None
    _, index, values, got = best
    report: dict[str, Any] = {"folds": FOLDS, "rows": len(rows), "angry_rows": angry, "base_values": defaults,
                              "out_of_fold_base_values": start.as_dict()}  # fmt: skip
    if got.f1 < start.f1 + MIN_GAIN:
        return Calibration(kept.thresholds, kept.fusion, 0, kept.report | report | {
            "why": f"nothing gains {MIN_GAIN} F1 out of fold without more false or angry flags"})
    report |= {"chosen": values, "strength": adapters[index][0], "out_of_fold_chosen": got.as_dict()}
    thresholds = base_thresholds | {k: values[k] for k in THRESHOLD_AXES}
    return Calibration(thresholds, dict(base.fusion) | {k: values[k] for k in FUSION_AXES}, index, report)


Best = TypeVar("Best", Candidate, Candidate | None)


def _better(best: Best, found: Candidate | None) -> Best | Candidate:
    """``found`` when it ranks above ``best`` (or there is no best yet), else ``best``: ties keep the incumbent,
    the one found first."""
    return found if found is not None and (best is None or found[0] > best[0]) else best


def _candidate(index: int, values: dict[str, float], got: Tally, start: Tally, defaults: Mapping[str, float]
               ) -> Candidate | None:  # fmt: skip
    """The candidate ranked by out-of-fold F0.5 — precision first, as the product's worst error is a legitimate
    caller sent to the deterrent (ranked by F1, a chit-chat-versus-reviews centre chose a looser "no business" and
    flagged 9.3 % of its angry reviewers on the other half; by F0.5, 2.7 %: BENCHMARKS.md) — ties going to the one
    that moves fewer values (a firmer fit counts as a move); None when it flags more legitimate rows or more angry
    customers than the base's values."""
    if got.fp > start.fp or got.angry_flagged > start.angry_flagged:
        return None
    moved = index + sum(1 for name, value in values.items() if value != defaults[name])
    return (got.f_half, -moved), index, values, got
