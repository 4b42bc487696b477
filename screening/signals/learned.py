"""The learned content models as a :class:`~screening.signal.Signal`: probabilities in, explained reasons out.

The models (:mod:`screening.learned`) score a transcript with their heads — abusive language, harassment aimed at
the listener, business intent, another purpose, and for a centre's adapted model its own centre head — and say
which n-grams pushed each score. This signal turns those scores into
reasons a manager can read: every learned reason names the head's probability against its threshold and lists the
n-grams with their contribution (``傻逼 +0.83``), never a bare number. Weights are knobs (``learned_*`` in
``weights.txt``, weight = knob × probability); thresholds are the model's own (its manifest), because a model
adapted by a centre is calibrated anew.

The scorer is typed structurally (:class:`ContentScorer`), so the judgement depends on the shape of a model, not on
the training code. The complaint guard — swearing while talking business is an angry customer, not a harasser —
is applied where all content reasons meet, in :func:`screening.scoring.complaint_guard`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from screening.lexicon import Lexicon
from screening.signal import Observation
from screening.verdict import Reason, ReasonCode, SignalKind

NO_NGRAM = "no single n-gram stood out: the model's prior for this length of text"


class Contribution(Protocol):
    @property
    def ngram(self) -> str: ...  # "c:傻逼" (characters) or "p:sha bi" (pinyin syllables)

    @property
    def weight(self) -> float: ...  # its share of the head's logit


class HeadScore(Protocol):
    @property
    def prob(self) -> float: ...

    @property
    def evidence(self) -> Sequence[Contribution]: ...  # strongest first


class ContentScores(Protocol):
    @property
    def abusive(self) -> HeadScore: ...

    @property
    def aimed(self) -> HeadScore: ...

    @property
    def business(self) -> HeadScore: ...

    @property
    def offtopic(self) -> HeadScore | None: ...  # None: a model without that head (format 1)

    @property
    def centre(self) -> HeadScore | None: ...  # None: no centre head (every model but an adapted one)

    @property
    def model_id(self) -> str: ...


def model_knob(calibrated: Mapping[str, float], lexicon: Lexicon, name: str) -> float:
    """A knob's value for calls screened with a model: its own calibration (an adapted model's manifest
    ``fusion``) before the lexicon's."""
    return float(calibrated.get(name, lexicon.weight(name)))


class ContentScorer(Protocol):
    """A loaded model directory (:class:`screening.learned.model.ContentModel` has this shape)."""

    @property
    def model_id(self) -> str: ...

    @property
    def thresholds(self) -> Mapping[str, float]: ...  # "abusive", "harassment", "business", "no_business", "offtopic"

    @property
    def fusion(self) -> Mapping[str, float]: ...  # learned_* knobs calibrated for this model (adaptation), else {}

    def score(self, text: str) -> ContentScores: ...


def readable(contribution: Contribution) -> str:
    """``傻逼 +0.83``; pinyin features in brackets (``[sha bi] +0.41``) so a manager sees they were heard, not read."""
    kind, _, gram = contribution.ngram.partition(":")
    shown = f"[{gram}]" if kind == "p" else (gram or contribution.ngram)
    return f"{shown} {contribution.weight:+.2f}"


def _evidence(head: HeadScore, *, sign: float) -> tuple[str, ...]:
    """The n-grams that pushed the head in the direction of the reason (``sign`` +1 up, -1 down), never empty."""
    pushing = [c for c in head.evidence if c.weight * sign > 0]
    return tuple(readable(c) for c in pushing) or (NO_NGRAM,)


class LearnedContentSignal:
    """Reasons from the learned heads for the transcript so far; silent before there is enough text to judge."""

    name = "content_learned"

    def __init__(self, scorer: ContentScorer, lexicon: Lexicon, *, no_business_min_chars: int = 8) -> None:
        self.scorer = scorer
        self._lexicon = lexicon
        self._no_business_min_chars = no_business_min_chars

    def _threshold(self, head: str, knob: str) -> float:
        return float(self.scorer.thresholds.get(head, self._lexicon.weight(knob)))

    def _weight(self, knob: str) -> float:
        """A knob's value: the model's own calibration (an adapted model's manifest) before the lexicon's."""
        return model_knob(self.scorer.fusion, self._lexicon, knob)

    def reasons(self, obs: Observation) -> Sequence[Reason]:
        text = obs.transcript
        w = self._weight
        if not text or len(text) < w("learned_min_chars"):
            return ()
        scores = self.scorer.score(text)
        model = scores.model_id
        out: list[Reason] = []
        heads = (
            (ReasonCode.LEARNED_ABUSE, scores.abusive, "abusive", "learned_abuse",
             "abusive, sexual or threatening language"),
            (ReasonCode.LEARNED_HARASSMENT, scores.aimed, "harassment", "learned_harassment",
             "harassment aimed at the listener"),
        )  # fmt: skip
        for code, head, name, knob, what in heads:
            threshold = self._threshold(name, knob + "_min")
            if head.prob >= threshold:
                detail = f"{what} (model {model}: p={head.prob:.2f} ≥ {threshold:.2f})"
                out.append(Reason(code, SignalKind.CONTENT, round(w(knob) * head.prob, 3), detail,
                                  _evidence(head, sign=1.0)))  # fmt: skip
        business = scores.business
        threshold = self._threshold("business", "learned_business_min")
        if business.prob >= threshold:
            detail = f"talks about a customer-service matter (model {model}: p={business.prob:.2f} ≥ {threshold:.2f})"
            out.append(Reason(ReasonCode.LEARNED_BUSINESS, SignalKind.CONTENT,
                              round(w("learned_business") * business.prob, 3), detail,
                              _evidence(business, sign=1.0)))  # fmt: skip
        elif obs.end_of_window and business.prob < (
            no_business := self._threshold("no_business", "learned_no_business_max")
        ) and (other := self._other_purpose(scores, len(text))) is not None:
            detail = (f"nothing about a customer-service matter over the window "
                      f"(model {model}: p={business.prob:.2f} < {no_business:.2f}{other[0]})")  # fmt: skip
            out.append(Reason(ReasonCode.LEARNED_NO_BUSINESS, SignalKind.CONTENT,
                              round(w("learned_no_business") * (1 - business.prob), 3), detail, other[1]))  # fmt: skip
        centre = self._centre(scores.centre, model)
        return [*out, centre] if centre is not None else out

    def _centre(self, head: HeadScore | None, model: str) -> Reason | None:
        """The centre head's reading, signed: ``learned_centre_up × (2p − 1)`` towards harassment above p = 0.5,
        ``learned_centre_down × (1 − 2p)`` towards legitimate below it. Both 0 (the lexicon's values) unless an
        adapted model's calibration found, out of fold on the centre's rows, that trusting it gains. Its push
        towards harassment counts as abuse under the complaint guard (:data:`screening.verdict.GUARDED_ABUSE`)."""
        if head is None:
            return None
        towards = head.prob >= 0.5
        weight = round(self._weight("learned_centre_up" if towards else "learned_centre_down")
                       * abs(2 * head.prob - 1), 3)  # fmt: skip
        if weight == 0:
            return None
        reading = "harassment" if towards else "a legitimate call"
        detail = f"the centre's own examples read this as {reading} (model {model} centre head: p={head.prob:.2f})"
        return Reason(ReasonCode.LEARNED_CENTRE, SignalKind.CONTENT, weight if towards else -weight, detail,
                      _evidence(head, sign=1.0 if towards else -1.0))  # fmt: skip

    def _other_purpose(self, scores: ContentScores, chars: int) -> tuple[str, tuple[str, ...]] | None:
        """Whether a window without business said something else — (detail, evidence) — or only what says nothing.

        With the offtopic head, its own evidence decides at any length the models score: 讲个笑话 is another
        purpose, 喂你好 or a sentence cut off before its matter is not. A model without that head cannot tell them
        apart, so it waits for ``no_business_min_chars`` of text as before."""
        head = scores.offtopic
        if head is None:
            if chars < self._no_business_min_chars:
                return None
            return "", _evidence(scores.business, sign=-1.0)
        threshold = self._threshold("offtopic", "learned_offtopic_min")
        if head.prob < threshold:
            return None
        return f"; another purpose p={head.prob:.2f} ≥ {threshold:.2f}", _evidence(head, sign=1.0)
