"""Modular arithmetic for RTP sequence numbers (16 bit) and timestamps (32 bit).

RFC 3550 §3: both counters wrap. Comparing them with plain ``<`` breaks at the wrap, so every comparison in the
media layer goes through these helpers, which read the shortest distance on the circle.
"""

from __future__ import annotations

SEQ_MOD = 1 << 16
TS_MOD = 1 << 32


def uint16_add(a: int, b: int) -> int:
    return (a + b) % SEQ_MOD


def uint32_add(a: int, b: int) -> int:
    return (a + b) % TS_MOD


def seq_delta(a: int, b: int) -> int:
    """Signed distance from ``b`` to ``a`` in [-32768, 32767]: positive when ``a`` is after ``b``."""
    d = (a - b) % SEQ_MOD
    return d - SEQ_MOD if d >= SEQ_MOD // 2 else d


def ts_delta(a: int, b: int) -> int:
    """Signed distance from ``b`` to ``a`` on the 32-bit timestamp circle."""
    d = (a - b) % TS_MOD
    return d - TS_MOD if d >= TS_MOD // 2 else d
