"""Speech-activity signals from the ASR layer's statistics: silence calls and open lines.

Only the amount and timing of speech is used — never how the voice sounds (no gender, pitch or other traits).
"""

from __future__ import annotations

from asr.events import SpeechStats
from screening.lexicon import Lexicon
from screening.verdict import Reason, SignalKind

OPEN_LINE_RATIO = 0.1  # less than this share of the window is speech …
OPEN_LINE_SILENCE_SHARE = 0.5  # … and the longest silence covers half of it


def speech_reasons(stats: SpeechStats | None, lexicon: Lexicon, *, min_duration_s: float) -> list[Reason]:
    if stats is None or stats.duration_s < min_duration_s:
        return []
    if stats.first_speech_s is None:
        return [
            Reason("speech.silence", SignalKind.SPEECH, lexicon.weight("silence"), "silence call: nothing was said",
                   (f"{stats.duration_s:.1f} s without speech",))
        ]  # fmt: skip
    if stats.speech_ratio < OPEN_LINE_RATIO and stats.longest_silence_s >= OPEN_LINE_SILENCE_SHARE * stats.duration_s:
        return [
            Reason("speech.open_line", SignalKind.SPEECH, lexicon.weight("open_line"), "open line: almost no speech",
                   (f"speech {stats.speech_s:.1f} s of {stats.duration_s:.1f} s",
                    f"longest silence {stats.longest_silence_s:.1f} s"))
        ]  # fmt: skip
    return []
