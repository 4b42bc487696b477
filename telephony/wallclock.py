"""The wall clock of the call path: when a call arrived (night/noon screening, repeat callers) and ended.

Injected, never read directly (``datetime.now`` appears only here), so that a test or a drill can run a call at
03:00 or 15:00 centre time whatever the machine's clock says. The composition root builds it from the
``clock_offset_s`` setting; transaction timers use a monotonic clock instead (:mod:`telephony.sip.transaction`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

WallClock = Callable[[], datetime]  # returns an aware UTC datetime


def system_clock() -> datetime:
    return datetime.now(UTC)


def offset_clock(offset_s: float) -> WallClock:
    """The system clock shifted by ``offset_s`` seconds: time still runs, the day starts elsewhere."""
    if offset_s == 0:
        return system_clock
    shift = timedelta(seconds=offset_s)
    return lambda: datetime.now(UTC) + shift
