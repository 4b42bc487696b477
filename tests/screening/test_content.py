"""Content signals, through the engine's offline path: what was said decides, and the reasons say why."""

from __future__ import annotations

import pytest

from screening.engine import ScreeningEngine
from screening.verdict import Label, Verdict


def codes(verdict: Verdict) -> dict[str, float]:
    return {r.code: r.weight for r in verdict.reasons}


def screen(engine: ScreeningEngine, text: str) -> Verdict:
    return engine.screen_transcript(text, None, None)


@pytest.mark.parametrize(
    ("text", "heard"),
    [
        ("你个傻逼听到没有", "傻逼"),
        ("你个沙比听到没有", "沙比≈傻逼 (pinyin)"),  # ASR homophone
        ("你个煞笔听到没有", "煞笔≈傻逼 (pinyin)"),  # deliberate spelling
        ("你個傻逼聽到沒有", "傻逼"),  # traditional characters
        ("曹尼玛你再挂一个试试", "曹尼玛≈草泥马 (pinyin)"),
        ("ＳＢ客服你会说话吗", "sb"),  # full-width Latin abbreviation
    ],
)
def test_abuse_is_found_through_homophones_and_variant_spellings(
    engine: ScreeningEngine, text: str, heard: str
) -> None:
    verdict = screen(engine, text)
    assert verdict.label is Label.HARASSMENT
    insult = next(r for r in verdict.reasons if r.code == "content.insult")
    assert any(e.startswith(heard) for e in insult.evidence), insult.evidence


def test_fuzzy_initials_catch_dialect_pronunciations(engine: ScreeningEngine) -> None:
    # 弄死你 said as "long si ni" (n/l merged) — a three-syllable term matches at the fuzzy level
    verdict = screen(engine, "信不信我找人龙死你")
    assert verdict.label is Label.HARASSMENT
    threat = next(r for r in verdict.reasons if r.code == "content.threat")
    assert any("(fuzzy)" in e for e in threat.evidence)


def test_homophones_of_harmless_phrases_do_not_match(engine: ScreeningEngine) -> None:
    assert screen(engine, "喂是你吗我想查一下订单").label is Label.ALLOW  # 你吗 sounds like 你妈
    assert "content.business" in codes(screen(engine, "我的订单号是二零二六一一五六"))  # 五六 ≠ 物流 by sound


def test_abuse_aimed_at_agent_is_harassment(engine: ScreeningEngine) -> None:
    verdict = screen(engine, "你这个垃圾废物听不懂人话")
    assert verdict.label is Label.HARASSMENT
    assert any(e.endswith("→agent") for e in next(r for r in verdict.reasons if r.code == "content.insult").evidence)


@pytest.mark.parametrize(
    "text",
    [
        "垃圾产品垃圾服务我要退货退款",
        "我操你们这个质量也太垃圾了吧刚买三天就坏了",
        "你们这个傻逼系统怎么又让我重新注册",
        "他妈的快递等了一个星期还没到",
    ],
)
def test_swearing_about_a_product_is_a_complaint_not_harassment(engine: ScreeningEngine, text: str) -> None:
    verdict = screen(engine, text)
    assert verdict.label is Label.ALLOW, verdict
    assert codes(verdict).get("content.business", 0) < 0


def test_agent_insult_inside_a_real_complaint_is_capped_below_harassment(engine: ScreeningEngine) -> None:
    verdict = screen(engine, "你是不是傻逼啊我的快递丢了三天了")
    assert verdict.label is not Label.HARASSMENT
    assert codes(verdict)["content.complaint_context"] < 0


def test_off_topic_rambling_vs_slow_real_enquiry(engine: ScreeningEngine) -> None:
    rambling = screen(engine, "今天天气真好啊我跟你说我昨天去钓鱼了钓了好大一条鱼你吃饭了没有")
    assert rambling.label is Label.HARASSMENT
    assert "content.no_business" in codes(rambling)
    slow = screen(engine, "嗯那个我是想问问就是那个怎么说呢我妈的手机话费怎么交")
    assert slow.label is Label.ALLOW
    assert "content.no_business" not in codes(slow) and "content.offtopic" not in codes(slow)


def test_short_cut_off_call_is_not_off_topic(engine: ScreeningEngine) -> None:
    verdict = screen(engine, "喂你好")
    assert verdict.label is Label.ALLOW
    assert "content.no_business" not in codes(verdict)


NONSENSE = ["喂喂喂阿巴阿巴阿巴", "嘎嘎嘎嘎嘎嘎", "叽里呱啦叽里呱啦叽里呱啦", "一二三四五六七八九十"]


@pytest.mark.parametrize("text", NONSENSE)
def test_nonsense_repetition_and_counting_are_pranks(engine: ScreeningEngine, text: str) -> None:
    verdict = screen(engine, text)
    assert "content.prank" in codes(verdict)
    assert verdict.label is not Label.ALLOW


@pytest.mark.parametrize("text", ["喂喂喂喂听得见吗喂喂喂喂我查一下话费", "好的好的好的谢谢谢谢再见再见再见"])
def test_fillers_and_politeness_are_not_nonsense(engine: ScreeningEngine, text: str) -> None:
    verdict = screen(engine, text)
    assert "content.prank" not in codes(verdict)


def test_laughter_and_talking_to_the_room(engine: ScreeningEngine) -> None:
    verdict = screen(engine, "快快快你跟她说你跟她说哈哈哈")
    assert {"content.room", "content.mocking"} <= codes(verdict).keys()
    assert verdict.label is Label.HARASSMENT


@pytest.mark.parametrize("text", ["九十七九十八九十九一百一百零一", "三百二十一三百二十二三百二十三三百二十四"])
def test_counting_with_written_out_numbers_is_a_prank(engine: ScreeningEngine, text: str) -> None:
    verdict = screen(engine, text)
    prank = next(r for r in verdict.reasons if r.code == "content.prank")
    assert any(e.startswith("counting:") for e in prank.evidence)
    assert verdict.label is Label.HARASSMENT


def test_numbers_that_do_not_count_are_not_counting(engine: ScreeningEngine) -> None:
    verdict = screen(engine, "我等了二十三十分钟了我的订单号是一二八三九五")
    assert "content.prank" not in codes(verdict)


@pytest.mark.parametrize(
    "text",
    [
        "你到底能不能帮我把这个事情说清楚",  # 到底能 sounds like 低能
        "你是不是有什么误会我说的是上个月",  # 是有 sounds like 室友
        "我想问下子那个事情",  # 下子 sounds like 瞎子
        "我刚打过来一次又被挂断了",  # 刚打 sounds like 戆大
        "我家孩子在学习你们能不能别打了",  # 学习 sounds like 血洗
        "我四处打听都没人知道",  # 四处 sounds like 私处
        "事实就是你们没有告诉我",  # 事实 sounds like 食屎
        "你们都比别家贵一倍",  # 都比 sounds like 逗比
        "我想把书架放到另一个房间",  # 书架/另一 sound like 暑假/灵异
        "袋子破了东西都掉出来了你们怎么送包裹的",  # 袋子/送包 sound like 呆子/怂包
        "等了一个月了还没退",  # 没退 sounds like 美腿
        "我看你也不太懂这个问题",  # 看你 sounds like 砍你
        "你们营业厅周末几点开放",  # 开放 sounds like 开房
        "我的出生日期填错了能改吗",  # 出生 sounds like 畜生
        "东西坏成这样你们必须赔我",  # 赔我 sounds like 陪我
        "主叫号码怎么显示不出来",  # 主叫 sounds like 猪叫
        "我亲手签收的你说没收到",  # 亲手 sounds like 禽兽
    ],
)
def test_common_phrases_that_sound_like_abuse_are_not_abuse(engine: ScreeningEngine, text: str) -> None:
    verdict = screen(engine, text)
    assert not any(r.weight > 0 and "pinyin" in " ".join(r.evidence) for r in verdict.reasons), verdict
    assert verdict.label is not Label.HARASSMENT
