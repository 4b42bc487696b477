"""A call's listening window: early decisions, the end of the window, silence, and steering."""

from __future__ import annotations

import math

from asr.events import AsrFinal, AsrPartial, SpeechStats
from numbering import normalize
from screening.engine import ScreeningEngine
from screening.interfaces import CallContext, PreDecision
from screening.session import ScreeningSession
from screening.verdict import Label
from tests.screening.conftest import DAYTIME


def open_call(engine: ScreeningEngine, number: str = "13812345678") -> ScreeningSession:
    ctx = CallContext(call_id="s1", caller=normalize(number), at=DAYTIME)
    pre = engine.prescreen(ctx)
    assert pre.decision is PreDecision.SCREEN and not pre.verdict.final
    return engine.open_session(ctx, pre)


def final(text: str, start: float, end: float) -> AsrFinal:
    return AsrFinal(text=text, start_s=start, end_s=end, words=(), confidence=0.9)


def stats(duration: float, speech: float, first: float | None) -> SpeechStats:
    return SpeechStats(
        duration_s=duration, speech_s=speech, speech_ratio=speech / duration, longest_silence_s=duration - speech,
        first_speech_s=first, rms_dbfs=-20.0 if speech else -math.inf, peak_dbfs=-6.0, clipping_ratio=0.0,
    )  # fmt: skip


def test_strong_abuse_decides_early_on_a_partial(engine: ScreeningEngine) -> None:
    session = open_call(engine)
    assert session.on_asr(AsrPartial("你个", 0.6)) is None  # too early and too weak
    verdict = session.on_asr(AsrPartial("你个傻逼客服", 1.8))
    assert verdict is not None and verdict.final and verdict.label is Label.HARASSMENT
    assert verdict.decided_at_s == 1.8
    assert session.on_asr(final("你个傻逼客服", 0.2, 2.0)) is None  # decided once
    assert session.finish(8.0) is verdict


def test_no_early_decision_on_a_partial_before_min_listen(engine: ScreeningEngine) -> None:
    session = open_call(engine)
    assert session.on_asr(AsrPartial("草泥马", 0.5)) is None
    assert session.on_asr(final("草泥马", 0.1, 0.9)) is not None  # a finished utterance may decide at once


def test_clear_business_allows_early_on_a_final(engine: ScreeningEngine) -> None:
    session = open_call(engine)
    assert session.on_asr(AsrPartial("我想查一下", 1.0)) is None
    verdict = session.on_asr(final("我想查一下我的订单什么时候发货", 0.3, 2.5))
    assert verdict is not None and verdict.label is Label.ALLOW and verdict.final


def test_partial_revision_replaces_the_old_hypothesis(engine: ScreeningEngine) -> None:
    session = open_call(engine)
    session.on_asr(AsrPartial("你妈", 0.4))  # misheard
    session.on_asr(AsrPartial("你吗", 0.7))  # revised
    session.on_asr(final("是你吗我想问一下积分", 0.1, 1.5))
    assert session.transcript == "是你吗我想问一下积分"
    assert session.finish(8.0).label is Label.ALLOW


def test_silence_call_at_the_end_of_the_window(engine: ScreeningEngine) -> None:
    session = open_call(engine)
    assert session.on_speech(stats(8.0, 0.0, None)) is None
    verdict = session.finish(8.0)
    silence = next(r for r in verdict.reasons if r.code == "speech.silence")
    assert silence.weight > 0 and "8.0 s" in silence.evidence[0]
    assert verdict.label is Label.SUSPECT  # silence alone: flagged for the agent, not deterred


def test_silence_from_a_repeat_caller_is_harassment(engine: ScreeningEngine) -> None:
    for i in range(2):
        engine.prescreen(CallContext(call_id=f"p{i}", caller=normalize("13812345678"), at=DAYTIME))
    session = open_call(engine)
    session.on_speech(stats(8.0, 0.0, None))
    verdict = session.finish(8.0)
    assert verdict.label is Label.HARASSMENT
    assert {"speech.silence", "caller.repeat"} <= {r.code for r in verdict.reasons}


def test_steering_question_is_a_second_chance(engine: ScreeningEngine) -> None:
    ignored = open_call(engine)
    ignored.on_asr(final("我跟你说我昨天晚上做了个梦", 0.2, 3.0))
    ignored.on_steering(4.0)
    ignored.on_asr(final("没什么事就是随便聊两句", 5.0, 7.0))
    steered = ignored.finish(9.0)
    answered = open_call(engine, "13912345678")
    answered.on_asr(final("我跟你说我昨天晚上做了个梦", 0.2, 3.0))
    answered.on_steering(4.0)
    answered.on_asr(final("哦我是想问我的快递到哪了", 5.0, 7.0))
    assert answered.finish(9.0).label is Label.ALLOW
    offtopic = next(r for r in steered.reasons if r.code == "content.no_business")
    assert "even after steering" in offtopic.detail
    assert steered.label is not Label.ALLOW


def test_a_construction_that_looks_ahead_waits_for_the_partial_to_grow(engine: ScreeningEngine) -> None:
    session = open_call(engine)
    assert session.on_asr(AsrPartial("你这个死", 1.2)) is None
    assert not any(r.code == "content.insult" for r in session.provisional(1.2).reasons)  # 死机 or 死丫头?
    session.on_asr(AsrPartial("你这个死丫头片子", 1.6))
    insult = next(r for r in session.provisional(1.6).reasons if r.code == "content.insult")
    assert any("(pattern you_affixed_noun)" in e for e in insult.evidence)
    other = open_call(engine, "13912345678")
    other.on_asr(final("你这个死机的手机我要退货", 0.2, 2.4))
    assert not any(r.code == "content.insult" for r in other.provisional(2.4).reasons)
