"""The complaint guard on swearing about a thing bought: an angry customer is not a harasser by content alone.

Reviews and complaints swear about food, clothes and rooms the business word lists do not name (米饭, 衬衫, 房间);
the rules then heard "nothing about the business" and the model read the swearing as "no business", and such
customers went to the deterrent. Aimed insults, threats and sexual talk must still count.
"""

from __future__ import annotations

import json

import pytest

from callscreen.cli import main
from screening.config import ScreeningConfig
from screening.engine import ScreeningEngine
from screening.scoring import fuse
from screening.verdict import Label, Reason, ReasonCode, SignalKind, Verdict
from tests.conftest import REPO

COMPLAINTS = REPO / "tests" / "data" / "screening" / "swearing_complaints.tsv"


def codes(verdict: Verdict) -> dict[str, float]:
    return {r.code: r.weight for r in verdict.reasons}


def test_eval_allows_swearing_complaints_and_still_flags_aimed_abuse(capsys: pytest.CaptureFixture[str]) -> None:
    """As a user sees it: `callscreen eval` (rules + the shipped model) on complaints that swear about a dish, a
    garment or a room — none to the deterrent — and on insults at the listener, threats and advances — all."""
    assert main(["eval", str(COMPLAINTS), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    by_subtype = result["by_subtype"]
    assert by_subtype["angry_complaint"] == {"n": 24, "harassment": 0}
    for kind in ("insult", "threat", "sexual"):
        assert by_subtype[kind]["harassment"] == by_subtype[kind]["n"] > 0, kind
    assert result["precision"] == 1.0 and result["recall"] == 1.0


def test_a_thing_sworn_about_makes_a_complaint(engine: ScreeningEngine) -> None:
    verdict = engine.screen_transcript("这衬衫穿一次就起球真他妈恶心", None, None)
    assert verdict.label is Label.ALLOW
    found = codes(verdict)
    assert found["content.complaint_context"] < 0 and found["content.business"] <= -0.4
    assert "content.no_business" not in found
    swearing = next(r for r in verdict.reasons if r.code == "content.swearing")
    assert any(e.endswith("→product") for e in swearing.evidence), swearing.evidence


def test_a_thing_talked_about_without_swearing_is_not_business(engine: ScreeningEngine) -> None:
    """People chat about food and clothes: the words count only with swearing, so chit-chat stays off topic."""
    verdict = engine.screen_transcript("我跟你说我昨天吃的饺子味道特别好你吃饭了没有", None, None)
    assert "content.business" not in codes(verdict)
    assert codes(verdict)["content.no_business"] > 0


def test_an_insult_aimed_at_the_listener_stays_aimed(engine: ScreeningEngine) -> None:
    verdict = engine.screen_transcript("你真是个废物连句话都说不清楚", None, None)
    assert verdict.label is Label.HARASSMENT
    assert codes(verdict)["content.insult"] > 0.5


@pytest.mark.parametrize("text", ["米饭难吃是吧我找人弄死你", "你穿的裙子是什么颜色的今天晚上一个人吗"])
def test_threats_and_advances_are_not_excused_by_a_product_word(engine: ScreeningEngine, text: str) -> None:
    verdict = engine.screen_transcript(text, None, None)
    assert verdict.label is Label.HARASSMENT
    assert "content.complaint_context" not in codes(verdict) and "content.business" not in codes(verdict)


NO_BUSINESS = Reason(ReasonCode.NO_BUSINESS, SignalKind.CONTENT, 0.3, "nothing about the business", ("9 characters",))
ABUSE = Reason(ReasonCode.LEARNED_ABUSE, SignalKind.CONTENT, 0.5, "abusive language", ("恶心 +1.2",))
MODEL_BUSINESS = Reason(ReasonCode.LEARNED_BUSINESS, SignalKind.CONTENT, -0.1, "a customer-service matter", ("x",))


def test_the_rules_none_does_not_count_when_the_model_heard_business() -> None:
    """The two judges of business disagree: the model heard a matter the word lists lack, so the rules' "nothing
    about the business" is shown with weight 0 (and the guard caps the abuse)."""
    config = ScreeningConfig()
    heard = fuse([NO_BUSINESS, ABUSE, MODEL_BUSINESS], config, complaint_abuse_cap=0.2)
    shown = next(r for r in heard.reasons if r.code is ReasonCode.NO_BUSINESS)
    assert shown.weight == 0.0 and "not counted" in shown.detail
    assert heard.score == pytest.approx(0.1)
    alone = fuse([NO_BUSINESS, ABUSE], config, complaint_abuse_cap=0.2)
    assert alone.score == pytest.approx(0.8) and alone.label is Label.HARASSMENT
