"""Flood control for the SIP socket: a per-source rate limiter plus an expiring ban (Kamailio's pike + htable).

A call center's public number attracts SIP scanners and floods. Each source address gets a token bucket; a source
that empties its bucket is banned for ``ban_s`` seconds and its datagrams are dropped unread, so one flooding address
cannot starve the parser, the transaction layer or the other callers. Configured peers (the PBX, the balancer) can
be exempted: their traffic is everyone's traffic. Memory is bounded by ``max_sources`` (least recently seen sources
are forgotten first). Pure: time comes in as an argument.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float
    banned_until: float = 0.0


@dataclass
class FloodGuard:
    rate_per_s: float = 50.0  # sustained datagrams per second per source
    burst: float = 200.0  # bucket size
    ban_s: float = 60.0
    max_sources: int = 10_000
    exempt: frozenset[str] = frozenset()
    _buckets: OrderedDict[str, _Bucket] = field(default_factory=OrderedDict)
    dropped: int = 0
    bans: int = 0

    def allow(self, source: str, now: float) -> bool:
        """True when a datagram from ``source`` (an IP address) may be processed at time ``now``."""
        if source in self.exempt:
            return True
        bucket = self._buckets.get(source)
        if bucket is None:
            bucket = _Bucket(tokens=self.burst, updated=now)
            self._buckets[source] = bucket
            if len(self._buckets) > self.max_sources:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(source)
        if now < bucket.banned_until:
            self.dropped += 1
            return False
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.rate_per_s)
        bucket.updated = now
        if bucket.tokens < 1.0:
            bucket.banned_until = now + self.ban_s
            bucket.tokens = self.burst  # a fresh start once the ban expires
            self.bans += 1
            self.dropped += 1
            return False
        bucket.tokens -= 1.0
        return True

    def is_banned(self, source: str, now: float) -> bool:
        bucket = self._buckets.get(source)
        return bucket is not None and now < bucket.banned_until
