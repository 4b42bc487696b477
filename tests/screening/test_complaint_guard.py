"""Fusion of the two judges of business: the rules' "nothing about the business" and the model's reading."""

from __future__ import annotations

import pytest

from screening.config import ScreeningConfig
from screening.scoring import fuse
from screening.verdict import Label, Reason, ReasonCode, SignalKind

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
