"""Call talk that is not harassment: checking the line, a number read out, two words heard across a boundary, the
handling of the call.

A caller on a bad line, or one who has not reached the matter yet, says only 喂, 有人吗, 听得到吗. SPEC: people who
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
        "嗯嗯好的谢谢您啊",  # the other end of a call: thanks and goodbye
        "明白了辛苦你了再见",
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


@pytest.mark.parametrize(
    "text",
    [
        "我的手机号是一三八零零一三八零零零",  # 138 is the commonest mobile prefix: 三八 in it is no insult
        "我是一五九零零一二三四五六这个号码的机主",  # 一二三四五六 inside a number is not counting
        "卡号后面是二五零八三八",
    ],
)
def test_a_number_read_out_is_not_words_or_counting(engine: ScreeningEngine, text: str) -> None:
    verdict = engine.screen_transcript(text, None, None)
    codes = _codes(verdict)
    assert ReasonCode.INSULT not in codes and ReasonCode.PRANK not in codes, verdict


def test_words_and_counting_outside_a_number_still_count(engine: ScreeningEngine) -> None:
    assert ReasonCode.INSULT in _codes(engine.screen_transcript("你这个三八", None, None))
    counting = engine.screen_transcript("一二三四五六七八九十", None, None)
    assert ReasonCode.PRANK in _codes(counting) and counting.label is Label.HARASSMENT


def test_a_sound_match_across_two_everyday_words_is_not_an_insult(engine: ScreeningEngine) -> None:
    """这边太吵 holds 边太 (bian tai, as 变态) across 这边 | 太吵; 星级标准 holds 星级标 (as 心机婊) before 标准."""
    for text in ("我这边太吵了你再说一遍", "酒店设施符合星级标准价格也合适"):
        assert ReasonCode.INSULT not in _codes(engine.screen_transcript(text, None, None)), text
    # the same sound where no everyday word is split is still heard as the insult (an ASR homophone)
    misheard = engine.screen_transcript("你这个便太", None, None)
    assert ReasonCode.INSULT in _codes(misheard) and misheard.label is Label.HARASSMENT


@pytest.mark.parametrize(
    "text",
    [
        "你稍微等会儿我把发票翻出来",
        "这个号是我闺女写给我的我也不太会弄",
        "前几天打过一次说让我等通知",
        "行那我等你们电话谢谢啦",
        "我在公交车上有点吵你说慢点",
    ],
)
def test_handling_the_call_is_not_another_purpose(engine: ScreeningEngine, text: str) -> None:
    """Waiting, who gave the number, an earlier call, goodbye, a noisy place: the shipped model learned these from
    call-handling rows (screening/learned/train.py: PROCEDURE_FRAMES); these lines are not among its frames."""
    verdict = engine.screen_transcript(text, None, None)
    assert verdict.label is not Label.HARASSMENT, verdict


def test_an_insult_the_caller_aims_at_himself_or_someone_else_is_not_abuse_of_the_agent(
    engine: ScreeningEngine,
) -> None:
    """我这个猪脑子 (scolding himself) counts nothing; 那个骗子真不是东西 (the fraudster, not the agent) is swearing,
    not an insult aimed at the agent; 你这个猪脑子 still is."""
    assert ReasonCode.INSULT not in _codes(engine.screen_transcript("我这个猪脑子又忘了带卡", None, None))
    third = _codes(engine.screen_transcript("那个骗子真不是东西骗了我的钱", None, None))
    assert ReasonCode.INSULT not in third and ReasonCode.SWEARING in third
    assert ReasonCode.INSULT in _codes(engine.screen_transcript("你这个猪脑子", None, None))


def test_a_caller_reporting_that_someone_scolded_him_is_no_prank(engine: ScreeningEngine) -> None:
    """骂我 alone was a prank word (pranksters ask the agent to scold them); 有人骂我 is a report."""
    assert ReasonCode.PRANK not in _codes(engine.screen_transcript("昨天有个人打电话来骂我", None, None))
    assert ReasonCode.PRANK in _codes(engine.screen_transcript("美女你骂我一句嘛", None, None))


def test_the_callers_own_partner_or_illness_is_not_harassment(engine: ScreeningEngine) -> None:
    """我女朋友生日 (an order of flowers) and 挂个急诊 (a hospital line) were harassment: 女朋友 alone counted as
    sexual, and the hospital's words were no business words. Asking the agent about hers still counts."""
    for text in ("我男朋友生日想订个蛋糕能送到吗", "我头疼得厉害能挂个急诊吗"):
        assert engine.screen_transcript(text, None, None).label is not Label.HARASSMENT, text
    asked = engine.screen_transcript("美女你有男朋友吗", None, None)
    assert ReasonCode.SEXUAL in _codes(asked) and asked.label is Label.HARASSMENT
