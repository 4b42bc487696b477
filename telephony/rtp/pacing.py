"""An absolute send schedule: frame n is due at ``start + n·period`` on the monotonic clock.

"Sleep 20 ms after each packet" drifts (pyVoIP's sender ran ~0.7 % slow and 2× fast after a re-INVITE); deadlines
computed from the start do not accumulate error. When the sender was starved for longer than ``max_lag`` (a stalled
machine), the schedule re-anchors instead of bursting the backlog, and ``advance`` reports how many frame slots
passed so the RTP timestamp keeps tracking real time. Pure: the caller passes ``now``.
"""

from __future__ import annotations

import math

FRAME_PERIOD_S = 0.020


class Pacer:
    def __init__(self, start: float, period: float = FRAME_PERIOD_S, max_lag: float = 0.2) -> None:
        if period <= 0 or max_lag < period:
            raise ValueError(f"pacer needs period > 0 and max_lag >= period, got {period} and {max_lag}")
        self.start = start
        self.period = period
        self.max_lag = max_lag
        self.n = 0

    @property
    def deadline(self) -> float:
        return self.start + self.n * self.period

    def delay(self, now: float) -> float:
        """Seconds to wait before the next frame is due (0 when it is already due)."""
        return max(0.0, self.deadline - now)

    def advance(self, now: float) -> int:
        """Mark the due frame sent; return the frame slots consumed (1, or more after a re-anchor)."""
        self.n += 1
        lag = now - self.deadline
        if lag <= self.max_lag:
            return 1
        skipped = math.floor(lag / self.period)
        self.n += skipped
        return 1 + skipped
