"""Sentence constructions: intent found from the shape of a sentence when the words themselves are not listed."""

from __future__ import annotations

from pathlib import Path

import pytest

from screening.engine import ScreeningEngine
from screening.errors import LexiconError
from screening.lexicon import load_lexicon, parse_constructions
from screening.verdict import Label, Verdict


def screen(engine: ScreeningEngine, text: str) -> Verdict:
    return engine.screen_transcript(text, None, None)


def pattern_evidence(verdict: Verdict, code: str) -> list[str]:
    reason = next((r for r in verdict.reasons if r.code == code), None)
    assert reason is not None, verdict
    return [e for e in reason.evidence if "(pattern " in e]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("你这个臭鱼烂虾也敢跟我顶嘴", "content.insult"),  # 你这个 + derogatory affix, noun not in any list
        ("你算哪根葱啊", "content.insult"),
        ("你怎么这么笨连话都听不明白", "content.insult"),
        ("信不信我掐死你", "content.threat"),  # verb + 死你, verb not in any list
        ("我让兄弟们把你胳膊打断", "content.threat"),
        ("你晚上回家路上给我当心点", "content.threat"),
        ("我已经知道你家地址了", "content.threat"),
        ("你上班穿黑色的还是肉色的", "content.sexual"),
        ("喂你的腰到底细不细啊", "content.sexual"),
        ("你有没有男朋友啊", "content.sexual"),
        ("周末出来喝一杯吧我请你吃饭", "content.sexual"),
        ("你给我念首唐诗听听", "content.prank"),
        ("喊我一声干爹我就挂", "content.prank"),
    ],
)
def test_constructions_catch_unlisted_wording(engine: ScreeningEngine, text: str, code: str) -> None:
    verdict = screen(engine, text)
    assert verdict.label is Label.HARASSMENT, verdict
    assert pattern_evidence(verdict, code), verdict


@pytest.mark.parametrize(
    "text",
    [
        "你这个手机死机了我要退",  # 你这个 + 死 is 死机, a product fault
        "不好意思打断你一下我的快递到哪了",  # 打断你 is an interruption
        "你等一下我去拿一下单子",
        "你好看一下我的订单发货没有",  # 你好 + 看: not "are you good-looking"
        "我想买一台太阳能热水器",  # 太阳 in a product name is not an absurd purchase
        "我儿子让我打这个电话说我的钱退了没有",
        "你们那个配送员每次都放门口",
    ],
)
def test_constructions_leave_real_customers_alone(engine: ScreeningEngine, text: str) -> None:
    assert screen(engine, text).label is Label.ALLOW


def test_business_constructions_count_as_business_context(engine: ScreeningEngine) -> None:
    verdict = screen(engine, "我在你们店里买的锅把手掉了能换吗")
    business = next(r for r in verdict.reasons if r.code == "content.business")
    assert any("(pattern purchase)" in e for e in business.evidence)
    assert verdict.label is Label.ALLOW


def test_angry_customer_with_insult_shape_and_business_is_not_harassment(engine: ScreeningEngine) -> None:
    verdict = screen(engine, "你是不是傻我都打了三次电话了退款还没到")
    assert verdict.label is not Label.HARASSMENT
    assert any(r.code == "content.complaint_context" for r in verdict.reasons)


def test_a_prank_dressed_as_an_order_does_not_count_as_business(engine: ScreeningEngine) -> None:
    verdict = screen(engine, "我要订十斤月亮包邮到家")
    assert verdict.label is Label.HARASSMENT
    prank = next(r for r in verdict.reasons if r.code == "content.prank")
    assert any(e.startswith("business words inside a prank") for e in prank.evidence)
    assert not any(r.code == "content.business" for r in verdict.reasons)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("# comment\nbad\tinsult\t0.5\t你(这个\n", r"c\.pat:2: pattern .* is not a valid regular expression"),
        ("x\tinsulting\t0.5\t你\n", r"c\.pat:1: unknown category 'insulting'"),
        ("x\tbusiness\t0.5\t订单\n", r"c\.pat:1: category business lowers suspicion"),
        ("x\taddress\t0\t客服\n", r"c\.pat:1: category address cannot be a construction"),
        ("x\tinsult\t0.5\t你\nx\tinsult\t0.5\t他\n", r"c\.pat:2: construction 'x' is already defined at c\.pat:1"),
        ("x\tinsult\t0.5\n", r"expected 'name category weight regex'"),
    ],
)
def test_constructions_file_is_validated(text: str, message: str) -> None:
    with pytest.raises(LexiconError, match=message):
        parse_constructions(text, "c.pat")


def test_deployment_can_add_constructions(tmp_path: Path) -> None:
    (tmp_path / "local.pat").write_text("car_wash\tbusiness\t-0.4\t洗(?:个|一下)?车\n", encoding="utf-8")
    lexicon = load_lexicon(tmp_path)
    names = {c.name for c in lexicon.constructions}
    assert "car_wash" in names and "kill_you" in names
    assert next(c for c in lexicon.constructions if c.name == "car_wash").source.endswith("local.pat:1")
