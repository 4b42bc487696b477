from __future__ import annotations

import pytest

from telephony.rtp.pacing import Pacer


def test_deadlines_are_absolute_so_late_wakeups_do_not_accumulate() -> None:
    pacer = Pacer(start=100.0)
    now = 100.0
    for _ in range(50):
        now = pacer.deadline + 0.004  # every wake-up 4 ms late
        assert pacer.advance(now) == 1
    assert pacer.deadline == pytest.approx(101.0)  # 50 frames = exactly 1 s, no drift
    assert pacer.delay(now) == pytest.approx(0.016)


def test_early_wakeup_waits_for_the_deadline() -> None:
    pacer = Pacer(start=0.0)
    pacer.advance(0.0)
    assert pacer.delay(0.005) == pytest.approx(0.015)
    assert pacer.delay(0.5) == 0.0


def test_small_lag_is_caught_up_frame_by_frame() -> None:
    pacer = Pacer(start=0.0, max_lag=0.2)
    assert [pacer.advance(0.1) for _ in range(5)] == [1, 1, 1, 1, 1]  # 100 ms behind: send the backlog
    assert pacer.delay(0.1) == 0.0


def test_stall_longer_than_max_lag_re_anchors_and_reports_skipped_slots() -> None:
    pacer = Pacer(start=0.0, max_lag=0.2)
    pacer.advance(0.0)
    slots = pacer.advance(1.0)  # frame 1 (due at 0.02 s) went out 1 s late: the sender was starved
    # the next frame is slot 50 (due now), not slot 2: the RTP timestamp jumps with real time, no 1 s burst
    assert slots == 49
    assert pacer.n == 50
    assert pacer.deadline == pytest.approx(1.0)


def test_invalid_period_is_refused() -> None:
    with pytest.raises(ValueError, match="period > 0"):
        Pacer(0.0, period=0.0)
