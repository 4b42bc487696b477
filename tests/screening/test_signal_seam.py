"""The signal seam: one reason vocabulary, one knob table, one assembly path, and the learned signal through it.

The learned model here is a small scorer written for the test (the real one is trained in screening/learned);
the signal only depends on the scorer's shape, and these tests pin what the signal does with any scorer: every
learned reason explains itself, thresholds come from the model, swearing while talking business is capped.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field

import pytest

from asr.events import AsrFinal
from numbering import normalize
from screening.config import ScreeningConfig
from screening.engine import ScreeningEngine
from screening.errors import LexiconError
from screening.history import InMemoryCallHistory
from screening.interfaces import CallContext
from screening.knobs import KNOBS
from screening.lexicon import Lexicon, parse_weights
from screening.numberlist import InMemoryNumberLists, ListEntry, ListName, MatchKind
from screening.signal import Observation
from screening.signals.caller_id import LIST_CODES
from screening.signals.learned import NO_NGRAM, LearnedContentSignal
from screening.verdict import Label, ReasonCode
from telephony.flow_runner import AGENT_CONFIRMED
from tests.screening.conftest import DAYTIME

LEARNED = {ReasonCode.LEARNED_ABUSE, ReasonCode.LEARNED_HARASSMENT, ReasonCode.LEARNED_BUSINESS,
           ReasonCode.LEARNED_NO_BUSINESS}  # fmt: skip


HEADS = ("abusive", "harassment", "business")


@dataclass(frozen=True)
class Contribution:
    ngram: str
    weight: float


@dataclass(frozen=True)
class Head:
    prob: float
    evidence: tuple[Contribution, ...] = ()


@dataclass(frozen=True)
class Scores:
    abusive: Head
    aimed: Head
    business: Head
    model_id: str = "test-model"
    offtopic: Head | None = None  # a format-1 model: no offtopic head
    centre: Head | None = None  # no centre head (only an adapted model has one)


@dataclass
class WordScorer:
    """Scores by marker words: each word found adds its contribution to the head (a linear model in miniature)."""

    words: dict[str, tuple[str, float]]  # word -> (head, logit contribution)
    thresholds: Mapping[str, float] = field(default_factory=lambda: dict.fromkeys(HEADS, 0.5))
    model_id: str = "test-model"
    calls: int = 0
    fusion: Mapping[str, float] = field(default_factory=dict)

    def score(self, text: str) -> Scores:
        self.calls += 1
        heads: dict[str, list[Contribution]] = {"abusive": [], "harassment": [], "business": []}
        for word, (name, weight) in self.words.items():
            if word in text:
                heads[name].append(Contribution(f"c:{word}", weight))

        def head(name: str) -> Head:
            found = sorted(heads[name], key=lambda c: -abs(c.weight))
            return Head(min(1.0, max(0.0, 0.1 + sum(c.weight for c in found))), tuple(found))

        return Scores(head("abusive"), head("harassment"), head("business"), self.model_id)


SCORER = WordScorer(
    {"垃圾": ("abusive", 0.85), "滚": ("harassment", 0.8), "退款": ("business", 0.8), "订单": ("business", 0.5)}
)


def _engine(lexicon: Lexicon, scorer: WordScorer | None = SCORER) -> ScreeningEngine:
    return ScreeningEngine(ScreeningConfig(), lists=InMemoryNumberLists(), history=InMemoryCallHistory(),
                           content_available=True, lexicon=lexicon, scorer=scorer)  # fmt: skip


def _final(text: str) -> AsrFinal:
    return AsrFinal(text, 0.0, 2.0, (), 1.0)


# --- vocabulary and knobs


def test_reason_codes_are_one_enum_and_keep_their_stored_values() -> None:
    assert AGENT_CONFIRMED.reasons[0].code is ReasonCode.AGENT_CONFIRMED
    assert ReasonCode.AGENT_CONFIRMED == "agent.confirmed"  # telephony's header value and stored records
    assert len({c.value for c in ReasonCode}) == len(ReasonCode)
    assert ReasonCode("content.offtopic") is ReasonCode.OFFTOPIC


def test_every_knob_has_a_packaged_value_within_its_range(lexicon: Lexicon) -> None:
    assert set(lexicon.weights) == set(KNOBS)
    for name, knob in KNOBS.items():
        assert knob.low <= lexicon.weight(name) <= knob.high, name
    assert {knob for _, knob in LIST_CODES.values()} <= set(KNOBS)
    assert set(LIST_CODES) == set(ListName)  # a new list needs a reason code and a knob (else it counts 0)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("night 0.1\nintent_min -0.2\n", r"w\.txt:2: weight -0\.2 is outside \[0, 1\]"),
        ("night 0.1\n\nnight 0.2\n", r"w\.txt:3: 'night' is already set at w\.txt:1"),
        ("learned_min_chars 5000\n", r"w\.txt:1: weight 5000\.0 is outside \[0, 1000\]"),
        ("nigth 0.1\n", r"w\.txt:1: unknown weight name 'nigth'"),
    ],
)
def test_knob_table_refuses_bad_values_with_file_and_line(text: str, message: str) -> None:
    with pytest.raises(LexiconError, match=message):
        parse_weights(text, "w.txt")


def test_list_without_a_weight_counts_zero_instead_of_failing_the_prescreen(lexicon: Lexicon) -> None:
    weights = {k: v for k, v in lexicon.weights.items() if k != "payphone"}
    thin = dataclasses.replace(lexicon, weights=weights)
    lists = InMemoryNumberLists()
    lists.replace([ListEntry(ListName.PAYPHONE, MatchKind.PREFIX, "+86755")], version=1)
    engine = ScreeningEngine(ScreeningConfig(), lists=lists, history=InMemoryCallHistory(), content_available=True,
                             lexicon=thin)  # fmt: skip
    pre = engine.prescreen(CallContext("c1", normalize("075512345678"), DAYTIME))
    payphone = [r for r in pre.verdict.reasons if r.code is ReasonCode.PAYPHONE]
    assert payphone and payphone[0].weight == 0.0


# --- one assembly path


def test_prescreen_session_and_offline_screening_share_the_signals(lexicon: Lexicon) -> None:
    scorer = WordScorer(dict(SCORER.words))
    engine = _engine(lexicon, scorer)
    names = [s.name for s in engine.signals]
    assert names == ["caller_id", "time", "content_rules", "content_learned", "speech"]
    caller = normalize("13812345678")
    pre = engine.prescreen(CallContext("c1", caller, DAYTIME))
    assert scorer.calls == 0  # no transcript before answering: content signals stay silent
    session = engine.open_session(CallContext("c1", caller, DAYTIME), pre)
    text = "喂喂能听到吗我是老张"
    assert session.on_asr(_final(text)) is None
    live = session.finish(8.0)
    offline = engine.screen_transcript(text, caller, DAYTIME)
    assert scorer.calls >= 2
    assert [r.code for r in live.reasons] == [r.code for r in offline.reasons]
    assert live.score == offline.score
    assert ReasonCode.LEARNED_NO_BUSINESS in {r.code for r in offline.reasons}


def test_a_session_keeps_the_model_it_opened_with(lexicon: Lexicon) -> None:
    engine = _engine(lexicon, None)
    caller = normalize("13812345678")
    pre = engine.prescreen(CallContext("c1", caller, DAYTIME))
    before = engine.open_session(CallContext("c1", caller, DAYTIME), pre)
    engine.set_scorer(SCORER)
    after = engine.open_session(CallContext("c2", caller, DAYTIME), pre)
    for session in (before, after):
        session.on_asr(_final("你就是个垃圾"))
    assert not LEARNED & {r.code for r in before.finish(8.0).reasons}
    assert ReasonCode.LEARNED_ABUSE in {r.code for r in after.finish(8.0).reasons}
    assert engine.scorer is SCORER


# --- the learned signal


@pytest.mark.parametrize(
    "text",
    ["你这个垃圾", "滚", "我要退款", "订单退款垃圾", "今天天气真好我们聊聊天吧", "哈哈哈哈哈哈哈哈哈哈", "滚垃圾订单"],
)
def test_every_learned_reason_explains_itself(lexicon: Lexicon, text: str) -> None:
    signal = LearnedContentSignal(SCORER, lexicon)
    reasons = signal.reasons(Observation(transcript=text, end_of_window=True))
    for reason in reasons:
        assert reason.code in LEARNED
        assert reason.evidence, reason
        assert "test-model" in reason.detail and "p=" in reason.detail
        assert all(e == NO_NGRAM or e.rsplit(" ", 1)[1][0] in "+-" for e in reason.evidence)


def test_learned_evidence_names_the_ngrams_and_their_contribution(lexicon: Lexicon) -> None:
    signal = LearnedContentSignal(SCORER, lexicon)
    reasons = {r.code: r for r in signal.reasons(Observation(transcript="你这个垃圾", end_of_window=True))}
    assert reasons[ReasonCode.LEARNED_ABUSE].evidence == ("垃圾 +0.85",)
    assert reasons[ReasonCode.LEARNED_ABUSE].weight == pytest.approx(lexicon.weight("learned_abuse") * 0.95)
    nothing = signal.reasons(Observation(transcript="今天天气真好我们聊聊天吧", end_of_window=True))
    assert [r.code for r in nothing] == [ReasonCode.LEARNED_NO_BUSINESS]
    assert nothing[0].evidence == (NO_NGRAM,)


def test_thresholds_are_the_models_own(lexicon: Lexicon) -> None:
    strict = WordScorer(dict(SCORER.words), thresholds={"abusive": 0.99, "harassment": 0.99, "business": 0.99})
    reasons = LearnedContentSignal(strict, lexicon).reasons(Observation(transcript="你这个垃圾"))
    assert reasons == []


def test_short_partials_are_not_scored(lexicon: Lexicon) -> None:
    scorer = WordScorer(dict(SCORER.words))
    assert LearnedContentSignal(scorer, lexicon).reasons(Observation(transcript="滚")) == ()
    assert scorer.calls == 0
    assert LearnedContentSignal(scorer, lexicon).reasons(Observation(transcript=None)) == ()


def test_swearing_with_business_intent_is_never_harassment_by_content_alone(lexicon: Lexicon) -> None:
    # the scorer is sure of abuse and of harassment, and also that the caller is talking about a refund
    loud = WordScorer({"垃圾": ("abusive", 0.9), "滚": ("harassment", 0.9), "退款": ("business", 0.9)})
    engine = _engine(lexicon, loud)
    angry = engine.screen_transcript("滚你们这垃圾东西我要退款", normalize("13812345678"), DAYTIME)
    assert angry.label is not Label.HARASSMENT
    abuse = [r for r in angry.reasons if r.code in {ReasonCode.LEARNED_ABUSE, ReasonCode.LEARNED_HARASSMENT,
                                                    ReasonCode.INSULT, ReasonCode.SWEARING, ReasonCode.THREAT}]
    assert abuse and sum(r.weight for r in abuse) <= lexicon.weight("complaint_abuse_cap") + 0.01
    assert any("talking about the business" in r.detail for r in abuse)
    hostile = engine.screen_transcript("滚你们这垃圾东西", normalize("13812345678"), DAYTIME)
    assert hostile.label is Label.HARASSMENT  # the same words without a business matter


def test_the_shipped_model_explains_every_learned_reason_with_ngrams() -> None:
    """With the real shipped model over a few hundred call-style utterances, harassment and legitimate: every
    learned reason that reaches a verdict lists n-grams with signed contributions, none falls back to 'nothing'."""
    import csv
    import re
    from importlib import resources

    from screening.learned.model import ContentModel

    engine = ScreeningEngine.offline(ScreeningConfig(), ContentModel.shipped())
    table = resources.files("screening.learned") / "call_examples.tsv"
    rows = list(csv.DictReader(table.read_text(encoding="utf-8").splitlines(), delimiter="\t"))
    seen: dict[ReasonCode, int] = {}
    for row in rows:
        for reason in engine.screen_transcript(row["text"], None, None).reasons:
            if reason.code in LEARNED:
                seen[reason.code] = seen.get(reason.code, 0) + 1
                assert reason.evidence and NO_NGRAM not in reason.evidence, (row["text"], reason)
                assert all(re.fullmatch(r".+ [+-]\d+\.\d\d", item) for item in reason.evidence), reason
    assert len(rows) > 200 and set(seen) == LEARNED, seen  # every kind of learned reason was exercised


@pytest.mark.parametrize("swear", ["他妈的", "操", "卧槽", "妈的", "垃圾", "傻逼", "你们是不是有病", "去你的"])
def test_angry_customers_are_not_harassers_with_the_shipped_model(swear: str) -> None:
    from screening.learned.model import ContentModel

    engine = ScreeningEngine.offline(ScreeningConfig(), ContentModel.shipped())
    matters = ["快递三天了还没到", "我要退款", "订单取消不了", "手机用两天就坏了", "你们乱扣我话费", "宽带又断网了"]
    for text in [swear + m for m in matters] + [m + swear for m in matters]:
        verdict = engine.screen_transcript(text, normalize("13812345678"), DAYTIME)
        assert verdict.label is not Label.HARASSMENT, (text, verdict.summary())


def test_early_decisions_on_partials_still_work_with_the_shipped_model() -> None:
    """Abuse ends listening on a partial hypothesis (after min_listen_s); a clear enquiry ends it on its final."""
    from asr.events import AsrPartial
    from screening.learned.model import ContentModel

    model = ContentModel.shipped()
    caller = normalize("13812345678")
    for text in ("我操你妈你个臭婊子", "你这个贱人我要弄死你"):
        engine = ScreeningEngine.offline(ScreeningConfig(), model)
        ctx = CallContext("c1", caller, DAYTIME)
        session = engine.open_session(ctx, engine.prescreen(ctx))
        decided = None
        for end in range(2, len(text) + 1):
            decided = session.on_asr(AsrPartial(text[:end], 0.4 * end))
            if decided is not None:
                break
        assert decided is not None and decided.label is Label.HARASSMENT and decided.final, text
        assert end < len(text) and decided.decided_at_s is not None and decided.decided_at_s >= 1.0, (text, end)
    engine = ScreeningEngine.offline(ScreeningConfig(), model)
    ctx = CallContext("c2", caller, DAYTIME)
    session = engine.open_session(ctx, engine.prescreen(ctx))
    allowed = session.on_asr(_final("我想查一下我的快递到哪了"))
    assert allowed is not None and allowed.label is Label.ALLOW
    assert ReasonCode.LEARNED_BUSINESS in {r.code for r in allowed.reasons}


def test_a_models_own_fusion_knobs_decide_how_far_the_rules_business_words_overrule_it(lexicon: Lexicon) -> None:
    """An adapted model carries its centre's calibration: with ``learned_guard_veto`` raised, a stray business
    word of the rules (快递) no longer makes a threat the model reads as no business an angry complaint — while
    the model's own business reading (退款) still guards the swearing customer, and a model without knobs screens
    as the lexicon says."""
    words = {"垃圾": ("abusive", 0.9), "滚": ("harassment", 0.9), "退款": ("business", 0.9)}
    plain = WordScorer(dict(words))
    calibrated = WordScorer(dict(words), fusion={"learned_guard_veto": 1.0, "learned_no_business_veto": 1.0})
    caller = normalize("13812345678")
    threat = "滚你们这帮垃圾我给你寄个快递等着收吧"
    before = _engine(lexicon, plain).screen_transcript(threat, caller, DAYTIME)
    after = _engine(lexicon, calibrated).screen_transcript(threat, caller, DAYTIME)
    assert ReasonCode.BUSINESS in {r.code for r in before.reasons}
    assert before.label is not Label.HARASSMENT and after.label is Label.HARASSMENT, (before, after)
    angry = _engine(lexicon, calibrated).screen_transcript("滚你们这垃圾东西我要退款", caller, DAYTIME)
    assert angry.label is not Label.HARASSMENT
    # a session opened after set_scorer uses the new model's knobs with its signals
    engine = _engine(lexicon, plain)
    engine.set_scorer(calibrated)
    pre = engine.prescreen(CallContext("c1", caller, DAYTIME))
    session = engine.open_session(CallContext("c1", caller, DAYTIME), pre)
    session.on_asr(_final(threat))
    assert session.finish(8.0).label is Label.HARASSMENT
