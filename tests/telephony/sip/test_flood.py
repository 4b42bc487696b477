"""Flood control: a source above its rate is banned for a while; others and exempt peers are unaffected."""

from __future__ import annotations

from telephony.sip.flood import FloodGuard


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
