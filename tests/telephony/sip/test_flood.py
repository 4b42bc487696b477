"""Flood control: a source above its rate is banned for a while; others and exempt peers are unaffected."""

from __future__ import annotations

from telephony.sip.flood import FloodGuard, RefusalSummary


def test_normal_traffic_passes() -> None:
    guard = FloodGuard(rate_per_s=10, burst=20)
    assert all(guard.allow("10.0.0.1", t * 0.2) for t in range(500))  # 5/s for 100 s
    assert guard.bans == 0


def test_flood_is_banned_then_released() -> None:
    guard = FloodGuard(rate_per_s=10, burst=20, ban_s=30)
    allowed = sum(guard.allow("10.0.0.9", 0.001 * i) for i in range(1000))  # 1000 in one second
    assert 20 <= allowed <= 32
    assert guard.bans == 1 and guard.is_banned("10.0.0.9", 1.0)
    assert not guard.allow("10.0.0.9", 20.0)  # still banned, even when slow now
    assert guard.allow("10.0.0.9", 31.5)  # ban expired


def test_one_flooder_does_not_affect_another_source() -> None:
    guard = FloodGuard(rate_per_s=10, burst=20)
    for i in range(1000):
        guard.allow("10.0.0.9", 0.001 * i)
    assert guard.allow("10.0.0.2", 1.0)


def test_exempt_peers_are_never_limited() -> None:
    guard = FloodGuard(rate_per_s=1, burst=1, exempt=frozenset({"10.0.0.5"}))
    assert all(guard.allow("10.0.0.5", 0.0) for _ in range(10_000))


def test_memory_is_bounded_by_max_sources() -> None:
    guard = FloodGuard(max_sources=100)
    for i in range(10_000):
        guard.allow(f"10.{i // 65536}.{i // 256 % 256}.{i % 256}", float(i))
    assert len(guard._buckets) == 100


def test_strangers_get_a_far_lower_limit_than_peers() -> None:
    banned: list[str] = []
    guard = FloodGuard(rate_per_s=200, burst=400, stranger_rate_per_s=10, stranger_burst=20,
                       is_peer=lambda host: host.startswith("10."), on_ban=lambda host, _s: banned.append(host))
    # 180 requests a second for two seconds, SIPVicious's pace: the peer passes, the stranger is banned once
    peer = sum(guard.allow("10.0.0.1", i / 180) for i in range(360))
    stranger = sum(guard.allow("203.0.113.7", i / 180) for i in range(360))
    assert peer == 360
    assert stranger <= 25 and banned == ["203.0.113.7"]


def test_refusals_are_summarised_not_logged_one_by_one() -> None:
    import logging

    records: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record.getMessage())

    logger = logging.getLogger("test.refusals")
    logger.addHandler(Collect())
    logger.propagate = False
    now = [0.0]
    summary = RefusalSummary(logger, lambda: now[0], interval_s=60, max_listed=3)
    for i in range(10_000):  # ten thousand refusals from five sources in two minutes
        now[0] = i * 0.012
        summary.refused(f"192.0.2.{i % 5}", "not_a_peer")
    summary.close()
    assert summary.total == 10_000
    # per interval: a first line for each of the 3 listed sources, 3 summary lines, 1 line for the rest
    assert len(records) <= 2 * 7, records
    assert any("192.0.2.0" in line and "not_a_peer" in line for line in records)
    assert any("more sources" in line for line in records)
