"""The screening engine: the :class:`~screening.interfaces.Screener` the call flow talks to.

It owns the lexicon and the compiled matcher (loaded once, shared by all calls) and reads the number lists and the
call history it is given. ``content_available`` is False when no ASR model is loaded: calls are then decided on
caller ID and time alone (``PreDecision.NO_CONTENT``), never answered just to listen to nothing.
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
from screening.scoring import fuse
from screening.session import ScreeningSession
from screening.signals.caller_id import CallerFacts, caller_facts
from screening.signals.content import ContentAnalyzer
from screening.signals.speech import speech_reasons
from screening.signals.time_pattern import in_watch_window, time_reasons
from screening.text.normalize import normalize_text
from screening.verdict import Label, Verdict

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
    ) -> None:
        self.config = config
        self.lists = lists
        self.history = history
        self.content_available = content_available
        self.lexicon = lexicon if lexicon is not None else load_lexicon(config.lexicon_dir)
        self._analyzer = ContentAnalyzer(self.lexicon, no_business_min_chars=config.no_business_min_chars)

    @classmethod
    def offline(cls, config: ScreeningConfig) -> ScreeningEngine:
        """An engine with empty in-memory lists and history, for offline screening (``eval``, ``screen``)."""
        return cls(config, lists=InMemoryNumberLists(), history=InMemoryCallHistory(), content_available=True)

    def _caller(self, caller: CallerNumber | None, at: datetime) -> CallerFacts:
        return caller_facts(
            caller, at, lists=self.lists, history=self.history, config=self.config, lexicon=self.lexicon
        )

    def prescreen(self, ctx: CallContext) -> PreScreen:
        """Caller ID and time, before answering. Notes the call in the history after counting earlier ones."""
        facts = self._caller(ctx.caller, ctx.at)
        self.history.note_call(ctx.caller.normalized, ctx.at)
        base = facts.reasons + tuple(time_reasons(ctx.at, self.config, self.lexicon))
        if facts.allowlisted:
            verdict = Verdict(Label.ALLOW, 0.0, facts.reasons, final=True)
            decision = PreDecision.TO_AGENTS
        elif facts.blocklisted:
            verdict = fuse(base, self.config, final=True)
            decision = PreDecision.BLOCKED
        elif self._content_due(ctx, facts):
            verdict = fuse(base, self.config, final=False)
            decision = PreDecision.SCREEN
        else:
            verdict = fuse(base, self.config, final=True)
            decision = PreDecision.NO_CONTENT
        logger.info("call=%s caller=%s prescreen %s %s", ctx.call_id, mask(ctx.caller.normalized), decision.value,
                    verdict.summary())  # fmt: skip
        return PreScreen(decision, verdict)

    def _content_due(self, ctx: CallContext, facts: CallerFacts) -> bool:
        mode = self.config.mode
        if not self.content_available or mode is ScreenMode.OFF:
            return False
        if mode is ScreenMode.NIGHT_NOON:
            return in_watch_window(ctx.at, self.config)
        if mode is ScreenMode.SUSPICIOUS:
            return facts.suspicious
        return True

    def open_session(self, ctx: CallContext, pre: PreScreen) -> ScreeningSession:
        base = tuple(r for r in pre.verdict.reasons if not r.code.startswith("system."))
        return ScreeningSession(base, self._analyzer, self.lexicon, self.config)

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
        """
        moment = at if at is not None else datetime.now(UTC)
        facts = self._caller(caller, moment)
        if facts.allowlisted:
            return Verdict(Label.ALLOW, 0.0, facts.reasons, final=True)
        normal = normalize_text(text)
        content = self._analyzer.analyse(normal, end_of_window=True)
        speech = () if normal else tuple(
            speech_reasons(stats, self.lexicon, min_duration_s=self.config.silence_min_s)
        )
        times = tuple(time_reasons(at, self.config, self.lexicon)) if at is not None else ()
        return fuse(facts.reasons + times + content.reasons + speech, self.config, final=True)
