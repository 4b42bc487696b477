"""A caller on a bad line, or one who has not reached the matter yet, says only 喂, 有人吗, 听得到吗. SPEC: people who
are confused and short calls simply cut off stay allowed. Such a window is not "no business" for the rules or the
model (``content.line_check``); line talk in front of a prank, an insult or chit-chat changes nothing."""

from __future__ import annotations

import pytest

from screening.config import ScreeningConfig
from screening.engine import ScreeningEngine
from screening.learned.model import ContentModel
from screening.verdict import Label, ReasonCode, Verdict


@pytest.fixture(scope="module")
def engine() -> ScreeningEngine:
    return ScreeningEngine.offline(ScreeningConfig(), ContentModel.shipped())


def _codes(verdict: Verdict) -> dict[ReasonCode, float]:
    return {r.code: r.weight for r in verdict.reasons}


@pytest.mark.parametrize(
    "text",
    [
        "喂喂喂喂有人吗",  # the model alone read these as "another purpose" at p ≥ 0.5: harassment before
        "喂喂能听到我说话吗",
        "有人吗有人吗",
        "喂听不清你大点声",
        "您好在不在呀",
        "喂你说什么我听不清",
    ],
)
def test_only_checking_the_line_is_never_harassment(engine: ScreeningEngine, text: str) -> None:
    verdict = engine.screen_transcript(text, None, None)
    codes = _codes(verdict)
    assert verdict.label is Label.ALLOW, verdict
    assert ReasonCode.LINE_CHECK in codes and codes[ReasonCode.LINE_CHECK] == 0
    assert codes.get(ReasonCode.NO_BUSINESS, 0) == 0 and codes.get(ReasonCode.LEARNED_NO_BUSINESS, 0) == 0
    line = next(r for r in verdict.reasons if r.code is ReasonCode.LINE_CHECK)
    assert line.evidence and all(word in text for word in line.evidence)


@pytest.mark.parametrize(
    "text",
    [
        "喂喂你猜猜我是谁",  # a prank behind a greeting
        "喂你好你个傻逼",  # an insult
        "在吗在吗美女陪我聊聊",  # chit-chat with the agent
        "你好你看过罗生门吗",  # a topic of its own: more than a few characters besides the greeting
    ],
)
def test_line_talk_in_front_of_something_else_does_not_clear_it(engine: ScreeningEngine, text: str) -> None:
    verdict = engine.screen_transcript(text, None, None)
    assert verdict.label is Label.HARASSMENT, verdict
    assert ReasonCode.LINE_CHECK not in _codes(verdict)


def test_line_talk_is_judged_only_when_the_window_is_over(engine: ScreeningEngine) -> None:
    """On a partial transcript nothing is judged about business yet, so no line check either: the caller may go on."""
    from screening.lexicon import load_lexicon
    from screening.signals.content import ContentAnalyzer

    analyzer = ContentAnalyzer(load_lexicon(None))
    assert not [r for r in analyzer.analyse("喂喂有人吗", end_of_window=False).reasons
                if r.code is ReasonCode.LINE_CHECK]  # fmt: skip
    assert [r for r in analyzer.analyse("喂喂有人吗", end_of_window=True).reasons if r.code is ReasonCode.LINE_CHECK]
