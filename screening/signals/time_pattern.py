"""Time signals: calls in the night and noon windows (local time of the call center).

They raise suspicion but never decide alone — :mod:`screening.scoring` only counts them on top of other evidence.
"""

from __future__ import annotations

from datetime import datetime

from screening.config import ScreeningConfig
from screening.lexicon import Lexicon
from screening.verdict import Reason, SignalKind


def time_reasons(at: datetime, config: ScreeningConfig, lexicon: Lexicon) -> list[Reason]:
    local = at.astimezone(config.zone) if at.tzinfo is not None else at.replace(tzinfo=config.zone)
    moment = local.time()
    shown = local.strftime("%H:%M %Z")
    if config.night_window.contains(moment):
        return [Reason("time.night", SignalKind.TIME, lexicon.weight("night"), "call at night", (shown,))]
    if config.noon_window.contains(moment):
        return [Reason("time.noon", SignalKind.TIME, lexicon.weight("noon"), "call around noon", (shown,))]
    return []


def in_watch_window(at: datetime, config: ScreeningConfig) -> bool:
    """For mode ``night_noon``: is content screening due at this time?"""
    local = at.astimezone(config.zone) if at.tzinfo is not None else at.replace(tzinfo=config.zone)
    return config.night_window.contains(local.time()) or config.noon_window.contains(local.time())
