"""Screening of one call while it is being listened to (the :class:`ContentSession` of the call flow).

The transcript grows with ASR events: finished utterances plus the current partial hypothesis. Every update is
re-scored from scratch (a few hundred string searches), so a partial that is revised simply replaces the old one.
Reasons come from the engine's signals through :func:`screening.signal.assemble` and are fused by the engine's
:class:`~screening.scoring.Fusion`; the signals are fixed when the session opens, so a model reloaded meanwhile
is used from the next call on and never changes a call half-way.

Early decision: strong evidence makes the verdict final before the window ends — harassment once the score
reaches ``early_threshold`` (on a partial only after ``min_listen_s`` of audio), and allow once a finished
utterance is clearly about the business (rules or the business-intent model) with nothing suspicious in it.
Otherwise :meth:`finish` decides at the window's end.
"""

from __future__ import annotations

from collections.abc import Sequence

from asr.events import AsrEvent, AsrFinal, SpeechStats
from screening.config import ScreeningConfig
from screening.scoring import Fusion
from screening.signal import Observation, Signal, assemble, has_code
from screening.text.normalize import normalize_text
from screening.verdict import Label, Reason, ReasonCode, SignalKind, Verdict

BUSINESS_INTENT = (ReasonCode.BUSINESS, ReasonCode.LEARNED_BUSINESS)


class ScreeningSession:
    def __init__(
        self, base: tuple[Reason, ...], signals: Sequence[Signal], fusion: Fusion, config: ScreeningConfig
    ) -> None:
        self._base = base  # caller-ID and time reasons from the pre-screen
        self._signals = tuple(signals)
        self._fuse = fusion
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

    def _listening(self) -> tuple[Reason, ...]:
        obs = Observation(transcript=self.transcript, open_end=bool(self._partial))
        return assemble(self._signals, obs, self._base)

    def provisional(self, at_s: float) -> Verdict:
        return self._fuse(self._listening(), final=False, decided_at_s=at_s)

    def finish(self, elapsed_s: float) -> Verdict:
        if self._decided is not None:
            return self._decided
        obs = Observation(transcript=self.transcript, end_of_window=True, steered=self._steered, stats=self._stats)
        self._decided = self._fuse(assemble(self._signals, obs, self._base), final=True, decided_at_s=elapsed_s)
        return self._decided

    def _maybe_decide(self, at_s: float, *, is_final: bool) -> Verdict | None:
        reasons = self._listening()
        verdict = self._fuse(reasons, final=True, decided_at_s=at_s)
        strong = verdict.label is Label.HARASSMENT and verdict.score >= self._config.early_threshold
        if strong and (is_final or at_s >= self._config.min_listen_s):
            self._decided = verdict
            return verdict
        suspicious = any(r.weight > 0 and r.kind is not SignalKind.TIME for r in verdict.reasons)
        business = has_code(reasons, *BUSINESS_INTENT)
        if is_final and self._config.early_allow and business and not suspicious:
            self._decided = verdict
            return verdict
        return None
