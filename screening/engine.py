"""The screening engine: the :class:`~screening.interfaces.Screener` the call flow talks to.

It owns the lexicon and the signals (loaded once, shared by all calls) and reads the number lists and the call
history it is given. Every judgement — :meth:`prescreen` before answering, the :class:`ScreeningSession` while
listening, :meth:`screen_transcript` offline — collects reasons from the same :attr:`signals` through
:func:`screening.signal.assemble` and fuses them with the same :class:`~screening.scoring.Fusion`.
``content_available`` is False when no ASR model is loaded: calls are then decided on caller ID and time alone
(``PreDecision.NO_CONTENT``), never answered just to listen to nothing.

The learned content model can be replaced while calls run (:meth:`set_scorer`): a session keeps the signals it
opened with, so a call never changes model half-way, and the next call uses the new one.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from asr.events import SpeechStats
from numbering import CallerNumber, mask
from screening.config import ScreeningConfig, ScreenMode
from screening.history import InMemoryCallHistory
from screening.interfaces import CallContext, CallHistory, PreDecision, PreScreen
from screening.lexicon import Lexicon, load_lexicon
from screening.numberlist import InMemoryNumberLists, NumberLists
from screening.scoring import Fusion
from screening.session import ScreeningSession
from screening.signal import Observation, Signal, assemble, has_code
from screening.signals.caller_id import CallerIdSignal
from screening.signals.content import ContentAnalyzer, RuleContentSignal
from screening.signals.learned import ContentScorer, LearnedContentSignal, model_knob
from screening.signals.speech import SpeechSignal
from screening.signals.time_pattern import TimeSignal, in_watch_window
from screening.text.normalize import normalize_text
from screening.verdict import Label, Reason, ReasonCode, SignalKind, Verdict

logger = logging.getLogger(__name__)


class ScreeningEngine:
    def __init__(
        self,
        config: ScreeningConfig,
        *,
        lists: NumberLists,
        history: CallHistory,
        content_available: bool,
        lexicon: Lexicon | None = None,
        scorer: ContentScorer | None = None,
    ) -> None:
        self.config = config
        self.lists = lists
        self.history = history
        self.content_available = content_available
        self.lexicon = lexicon if lexicon is not None else load_lexicon(config.lexicon_dir)
        self._caller_id = CallerIdSignal(lists, history, config, self.lexicon)
        self._time = TimeSignal(config, self.lexicon)
        analyzer = ContentAnalyzer(self.lexicon, no_business_min_chars=config.no_business_min_chars)
        self._rules = RuleContentSignal(analyzer)
        self._speech = SpeechSignal(self.lexicon, min_duration_s=config.silence_min_s)
        self._active: tuple[tuple[Signal, ...], Fusion] = ((), self._fusion_for(None))
        self.set_scorer(scorer)

    @classmethod
    def offline(cls, config: ScreeningConfig, scorer: ContentScorer | None = None) -> ScreeningEngine:
        """An engine with empty in-memory lists and history, for offline screening (``eval``, ``screen``)."""
        return cls(config, lists=InMemoryNumberLists(), history=InMemoryCallHistory(), content_available=True,
                   scorer=scorer)  # fmt: skip

    @property
    def signals(self) -> tuple[Signal, ...]:
        """Every signal, in the order their reasons are listed (before fusion sorts them by weight)."""
        return self._active[0]

    def _fusion_for(self, scorer: ContentScorer | None) -> Fusion:
        """The fusion for calls screened with ``scorer``: the lexicon's knobs, except the learned ones the
        model's manifest calibrates (an adapted model: how far the rules' business words overrule it)."""
        own = scorer.fusion if scorer is not None else {}
        return Fusion.from_knobs(self.config, lambda name: model_knob(own, self.lexicon, name))

    @property
    def scorer(self) -> ContentScorer | None:
        learned = next((s for s in self._active[0] if isinstance(s, LearnedContentSignal)), None)
        return learned.scorer if learned is not None else None

    def set_scorer(self, scorer: ContentScorer | None) -> None:
        """Use ``scorer`` (a validated, loaded model) for calls opened from now on; None: rules only."""
        learned: tuple[Signal, ...] = ()
        if scorer is not None:
            min_chars = self.config.no_business_min_chars
            learned = (LearnedContentSignal(scorer, self.lexicon, no_business_min_chars=min_chars),)
        # one assignment: a call that reads the pair sees the old signals and fusion or the new ones, never a mix
        self._active = ((self._caller_id, self._time, self._rules, *learned, self._speech), self._fusion_for(scorer))

    def prescreen(self, ctx: CallContext) -> PreScreen:
        """Caller ID and time, before answering. Notes the call in the history after counting earlier ones."""
        signals, fusion = self._active
        base = assemble(signals, Observation(caller=ctx.caller, at=ctx.at))
        self.history.note_call(ctx.caller.normalized, ctx.at)
        caller_reasons = tuple(r for r in base if r.kind is SignalKind.CALLER_ID)
        if has_code(caller_reasons, ReasonCode.ALLOWLISTED):
            verdict = Verdict(Label.ALLOW, 0.0, caller_reasons, final=True)
            decision = PreDecision.TO_AGENTS
        elif has_code(caller_reasons, ReasonCode.BLOCKLISTED):
            verdict = fusion(base, final=True)
            decision = PreDecision.BLOCKED
        elif self._content_due(ctx, caller_reasons):
            verdict = fusion(base, final=False)
            decision = PreDecision.SCREEN
        else:
            verdict = fusion(base, final=True)
            decision = PreDecision.NO_CONTENT
        logger.info("call=%s caller=%s prescreen %s %s", ctx.call_id, mask(ctx.caller.normalized), decision.value,
                    verdict.summary())  # fmt: skip
        return PreScreen(decision, verdict)

    def _content_due(self, ctx: CallContext, caller_reasons: tuple[Reason, ...]) -> bool:
        mode = self.config.mode
        if not self.content_available or mode is ScreenMode.OFF:
            return False
        if mode is ScreenMode.NIGHT_NOON:
            return in_watch_window(ctx.at, self.config)
        if mode is ScreenMode.SUSPICIOUS:
            return any(r.weight > 0 for r in caller_reasons)
        return True

    def open_session(self, ctx: CallContext, pre: PreScreen) -> ScreeningSession:
        base = tuple(r for r in pre.verdict.reasons if r.kind is not SignalKind.SYSTEM)
        signals, fusion = self._active
        return ScreeningSession(base, signals, fusion, self.config)

    def screen_transcript(
        self,
        text: str,
        caller: CallerNumber | None,
        at: datetime | None,
        *,
        stats: SpeechStats | None = None,
    ) -> Verdict:
        """Offline screening of a whole transcript as one finished listening window (eval, ``screen``).

        Reads the lists and history but does not note the call, so evaluating a file does not create repeat callers.
        Without ``at`` the lists are read as of now and no time reason is given.
        """
        signals, fusion = self._active
        moment = at if at is not None else datetime.now(UTC)
        caller_reasons = assemble(signals, Observation(caller=caller, at=moment))
        caller_reasons = tuple(r for r in caller_reasons if r.kind is SignalKind.CALLER_ID)
        if has_code(caller_reasons, ReasonCode.ALLOWLISTED):
            return Verdict(Label.ALLOW, 0.0, caller_reasons, final=True)
        obs = Observation(at=at, transcript=normalize_text(text), end_of_window=True, stats=stats)
        return fusion(assemble(signals, obs, caller_reasons), final=True)
