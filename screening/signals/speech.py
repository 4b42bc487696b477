"""Speech-activity signals from the ASR layer's statistics: silence calls and open lines.

Only the amount and timing of speech is used — never how the voice sounds (no gender, pitch or other traits).
They are judged at the end of the listening window, and only when nothing was transcribed (words say more).
"""

from __future__ import annotations

from collections.abc import Sequence

from screening.lexicon import Lexicon
from screening.signal import Observation
from screening.verdict import Reason, ReasonCode, SignalKind


class SpeechSignal:
    name = "speech"

    def __init__(self, lexicon: Lexicon, *, min_duration_s: float) -> None:
        self._lexicon = lexicon
        self._min_duration_s = min_duration_s

    def reasons(self, obs: Observation) -> Sequence[Reason]:
        stats, w = obs.stats, self._lexicon.weight
        if not obs.end_of_window or obs.transcript or stats is None or stats.duration_s < self._min_duration_s:
            return ()
        if stats.first_speech_s is None:
            return (
                Reason(ReasonCode.SILENCE, SignalKind.SPEECH, w("silence"), "silence call: nothing was said",
                       (f"{stats.duration_s:.1f} s without speech",)),
            )  # fmt: skip
        if (stats.speech_ratio < w("open_line_ratio")
                and stats.longest_silence_s >= w("open_line_silence_share") * stats.duration_s):  # fmt: skip
            return (
                Reason(ReasonCode.OPEN_LINE, SignalKind.SPEECH, w("open_line"), "open line: almost no speech",
                       (f"speech {stats.speech_s:.1f} s of {stats.duration_s:.1f} s",
                        f"longest silence {stats.longest_silence_s:.1f} s")),
            )  # fmt: skip
        return ()
