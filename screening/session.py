"""Screening of one call while it is being listened to (the :class:`ContentSession` of the call flow).

The transcript grows with ASR events: finished utterances plus the current partial hypothesis. Every update is
re-scored from scratch (a few hundred string searches), so a partial that is revised simply replaces the old one.
Early decision: strong evidence makes the verdict final before the window ends — harassment once the score reaches
``early_threshold`` (on a partial only after ``min_listen_s`` of audio), and allow once a finished utterance is
clearly about the business with nothing suspicious in it. Otherwise :meth:`finish` decides at the window's end.
"""

from __future__ import annotations

from asr.events import AsrEvent, AsrFinal, SpeechStats
from screening.config import ScreeningConfig
from screening.lexicon import Lexicon
from screening.scoring import fuse
from screening.signals.content import ContentAnalyzer
from screening.signals.speech import speech_reasons
from screening.text.normalize import normalize_text
from screening.verdict import Label, Reason, SignalKind, Verdict


class ScreeningSession:
    def __init__(
        self, base: tuple[Reason, ...], analyzer: ContentAnalyzer, lexicon: Lexicon, config: ScreeningConfig
    ) -> None:
        self._base = base  # caller-ID and time reasons from the pre-screen
        self._analyzer = analyzer
        self._lexicon = lexicon
        self._config = config
        self._finals: list[str] = []
        self._partial = ""
        self._stats: SpeechStats | None = None
        self._steered = False
        self._decided: Verdict | None = None

    @property
    def transcript(self) -> str:
        return "".join(self._finals) + self._partial

    @property
    def decided(self) -> Verdict | None:
        return self._decided

    def on_asr(self, event: AsrEvent) -> Verdict | None:
        if self._decided is not None:
            return None
        if isinstance(event, AsrFinal):
            self._finals.append(normalize_text(event.text))
            self._partial = ""
            at_s = event.end_s
        else:
            self._partial = normalize_text(event.text)
            at_s = event.at_s
        return self._maybe_decide(at_s, is_final=isinstance(event, AsrFinal))

    def on_speech(self, stats: SpeechStats) -> Verdict | None:
        """Speech statistics only matter at the end of the window (silence cannot be judged earlier)."""
        self._stats = stats
        return None

    def on_steering(self, at_s: float) -> None:
        self._steered = True

    def provisional(self, at_s: float) -> Verdict:
        facts = self._analyzer.analyse(self.transcript, end_of_window=False, open_end=bool(self._partial))
        return fuse(self._base + facts.reasons, self._config, final=False, decided_at_s=at_s)

    def finish(self, elapsed_s: float) -> Verdict:
        if self._decided is not None:
            return self._decided
        facts = self._analyzer.analyse(self.transcript, end_of_window=True, steered=self._steered)
        speech = () if self.transcript else tuple(
            speech_reasons(self._stats, self._lexicon, min_duration_s=self._config.silence_min_s)
        )
        self._decided = fuse(self._base + facts.reasons + speech, self._config, final=True, decided_at_s=elapsed_s)
        return self._decided

    def _maybe_decide(self, at_s: float, *, is_final: bool) -> Verdict | None:
        facts = self._analyzer.analyse(self.transcript, end_of_window=False, open_end=bool(self._partial))
        verdict = fuse(self._base + facts.reasons, self._config, final=True, decided_at_s=at_s)
        strong = verdict.label is Label.HARASSMENT and verdict.score >= self._config.early_threshold
        if strong and (is_final or at_s >= self._config.min_listen_s):
            self._decided = verdict
            return verdict
        suspicious = any(r.weight > 0 and r.kind is not SignalKind.TIME for r in verdict.reasons)
        if is_final and self._config.early_allow and facts.has_business and not suspicious:
            self._decided = verdict
            return verdict
        return None
