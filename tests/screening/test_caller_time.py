"""Caller-ID and time signals, through prescreen and the offline path."""

from __future__ import annotations

from datetime import timedelta

from numbering import normalize
from screening.config import ScreeningConfig, ScreenMode
from screening.engine import ScreeningEngine
from screening.history import InMemoryCallHistory
from screening.interfaces import CallContext, PreDecision
from screening.lexicon import Lexicon
from screening.numberlist import InMemoryNumberLists, ListEntry, ListName, MatchKind
from screening.verdict import Label
from tests.screening.conftest import DAYTIME, NIGHT, NOON

MOBILE = normalize("13812345678")
SWITCHBOARD_LINE = "075583210000"


def ctx(number: str, at: object = DAYTIME, call_id: str = "c1") -> CallContext:
    return CallContext(call_id=call_id, caller=normalize(number), at=at)  # type: ignore[arg-type]


def test_repeat_caller_fires_on_the_nth_call_in_the_window(engine: ScreeningEngine) -> None:
    codes = []
    for i in range(3):
        pre = engine.prescreen(ctx("13812345678", DAYTIME + timedelta(minutes=5 * i), f"c{i}"))
        codes.append({r.code for r in pre.verdict.reasons})
    assert "caller.repeat" not in codes[1]
    assert "caller.repeat" in codes[2]
    later = engine.prescreen(ctx("13812345678", DAYTIME + timedelta(hours=3)))
    assert "caller.repeat" not in {r.code for r in later.verdict.reasons}


def test_prefix_burst_from_one_switchboard_range(engine: ScreeningEngine) -> None:
    verdicts = []
    for i in range(5):
        number = f"07558321{1000 + i:04d}"
        verdicts.append(engine.prescreen(ctx(number, DAYTIME + timedelta(minutes=i), f"b{i}")).verdict)
    assert "caller.prefix_burst" not in {r.code for r in verdicts[3].reasons}
    burst = next(r for r in verdicts[4].reasons if r.code == "caller.prefix_burst")
    assert "5 calls" in burst.evidence[0]
    assert "1000" not in burst.evidence[0]  # evidence shows the range masked, not a full number


def test_mobile_numbers_do_not_form_bursts_by_default(engine: ScreeningEngine) -> None:
    for i in range(6):
        pre = engine.prescreen(ctx(f"1381234{i:04d}", DAYTIME, f"m{i}"))
    assert "caller.prefix_burst" not in {r.code for r in pre.verdict.reasons}


def test_anonymous_caller_raises_suspicion_but_does_not_decide(engine: ScreeningEngine) -> None:
    verdict = engine.screen_transcript("你好我想查一下我的订单到哪了", normalize("anonymous"), DAYTIME)
    assert "caller.anonymous" in {r.code for r in verdict.reasons}
    assert verdict.label is Label.ALLOW
    pre = engine.prescreen(ctx("anonymous"))
    assert pre.decision is PreDecision.SCREEN


def test_time_never_decides_alone(engine: ScreeningEngine) -> None:
    verdict = engine.screen_transcript("你好我想查一下话费", normalize("13812345678"), NIGHT)
    night = next(r for r in verdict.reasons if r.code == "time.night")
    assert night.weight == 0.0 and "not counted" in night.detail
    assert verdict.label is Label.ALLOW and verdict.score == 0.0


def test_night_and_noon_weigh_on_top_of_other_evidence(
    lexicon: Lexicon, lists: InMemoryNumberLists, history: InMemoryCallHistory
) -> None:
    config = ScreeningConfig(harassment_threshold=0.65)
    engine = ScreeningEngine(config, lists=lists, history=history, content_available=True, lexicon=lexicon)
    text = "你这种人"  # borderline: suspect in the afternoon, harassment at night or noon
    day = engine.screen_transcript(text, None, DAYTIME)
    night = engine.screen_transcript(text, None, NIGHT)
    noon = engine.screen_transcript(text, None, NOON)
    assert day.label is Label.SUSPECT
    assert night.label is Label.HARASSMENT and noon.label is Label.HARASSMENT
    assert night.score > day.score and noon.score > day.score
    assert "time.night" in {r.code for r in night.reasons}
    assert "time.noon" in {r.code for r in noon.reasons}


def test_blocklist_blocks_and_allowlist_lets_through(
    lexicon: Lexicon, lists: InMemoryNumberLists, history: InMemoryCallHistory
) -> None:
    lists.replace(
        [
            ListEntry(ListName.BLOCK, MatchKind.PREFIX, "+86755832", reason="school pay phones"),
            ListEntry(ListName.ALLOW, MatchKind.EXACT, "+8675583210000"),
        ],
        version=1,
    )
    engine = ScreeningEngine(ScreeningConfig(), lists=lists, history=history, content_available=True, lexicon=lexicon)
    blocked = engine.prescreen(ctx("075583219999"))
    assert blocked.decision is PreDecision.BLOCKED and blocked.verdict.label is Label.HARASSMENT
    reason = blocked.verdict.reasons[0]
    assert reason.code == "caller.blocklisted" and "school pay phones" in reason.evidence
    allowed = engine.prescreen(ctx(SWITCHBOARD_LINE))  # exact allow entry beats the prefix block
    assert allowed.decision is PreDecision.TO_AGENTS and allowed.verdict.label is Label.ALLOW


def test_payphone_and_agent_confirmations(
    lexicon: Lexicon, lists: InMemoryNumberLists, history: InMemoryCallHistory
) -> None:
    lists.replace([ListEntry(ListName.PAYPHONE, MatchKind.RANGE, "+861062000000-+861062009999")], version=1)
    history.note_confirmation("+8613812345678", DAYTIME - timedelta(days=2))
    engine = ScreeningEngine(ScreeningConfig(), lists=lists, history=history, content_available=True, lexicon=lexicon)
    pay = engine.screen_transcript("", normalize("01062001234"), DAYTIME)
    assert "caller.payphone" in {r.code for r in pay.reasons}
    confirmed = engine.screen_transcript("喂", MOBILE, DAYTIME)
    assert "caller.agent_confirmed" in {r.code for r in confirmed.reasons}
    assert confirmed.label is Label.SUSPECT


def test_modes_and_missing_model_decide_without_content(
    lexicon: Lexicon, lists: InMemoryNumberLists, history: InMemoryCallHistory
) -> None:
    def engine(mode: ScreenMode, available: bool = True) -> ScreeningEngine:
        config = ScreeningConfig(mode=mode)
        return ScreeningEngine(config, lists=lists, history=history, content_available=available, lexicon=lexicon)

    assert engine(ScreenMode.ALWAYS, available=False).prescreen(ctx("13812345678")).decision is PreDecision.NO_CONTENT
    assert engine(ScreenMode.OFF).prescreen(ctx("13812345678")).decision is PreDecision.NO_CONTENT
    assert engine(ScreenMode.NIGHT_NOON).prescreen(ctx("13812345678", DAYTIME)).decision is PreDecision.NO_CONTENT
    assert engine(ScreenMode.NIGHT_NOON).prescreen(ctx("13812345678", NIGHT)).decision is PreDecision.SCREEN
    assert engine(ScreenMode.SUSPICIOUS).prescreen(ctx("13912345678")).decision is PreDecision.NO_CONTENT
    assert engine(ScreenMode.SUSPICIOUS).prescreen(ctx("anonymous")).decision is PreDecision.SCREEN


def test_settings_section_is_the_screening_config() -> None:
    from callscreen.settings import Settings

    config = Settings().screening  # no mirror: the application's section is the core's own model
    assert isinstance(config, ScreeningConfig)
    assert config.mode is ScreenMode.ALWAYS and config.harassment_threshold == 0.75
