"""Time signals: calls in the night and noon windows (local time of the call center).

They raise suspicion but never decide alone — :mod:`screening.scoring` only counts them on top of other evidence.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from screening.config import ScreeningConfig
from screening.lexicon import Lexicon
from screening.signal import Observation
from screening.verdict import Reason, ReasonCode, SignalKind


class TimeSignal:
    """``time.night`` / ``time.noon`` for ``obs.at``; silent without a time."""

    name = "time"

    def __init__(self, config: ScreeningConfig, lexicon: Lexicon) -> None:
        self._config = config
        self._lexicon = lexicon

    def reasons(self, obs: Observation) -> Sequence[Reason]:
        if obs.at is None:
            return ()
        config, w = self._config, self._lexicon.weight
        at = obs.at
        local = at.astimezone(config.zone) if at.tzinfo is not None else at.replace(tzinfo=config.zone)
        moment = local.time()
        shown = local.strftime("%H:%M %Z")
        if config.night_window.contains(moment):
            return (Reason(ReasonCode.NIGHT, SignalKind.TIME, w("night"), "call at night", (shown,)),)
        if config.noon_window.contains(moment):
            return (Reason(ReasonCode.NOON, SignalKind.TIME, w("noon"), "call around noon", (shown,)),)
        return ()


def in_watch_window(at: datetime, config: ScreeningConfig) -> bool:
    """For mode ``night_noon``: is content screening due at this time?"""
    local = at.astimezone(config.zone) if at.tzinfo is not None else at.replace(tzinfo=config.zone)
    return config.night_window.contains(local.time()) or config.noon_window.contains(local.time())
