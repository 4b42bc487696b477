"""Flood control for the SIP socket: a per-source rate limiter plus an expiring ban (Kamailio's pike + htable).

A call center's public number attracts SIP scanners and floods. Each source address gets a token bucket; a source
that empties its bucket is banned for ``ban_s`` seconds and its datagrams are dropped unread, so one flooding address
cannot starve the parser, the transaction layer or the other callers. Configured peers (the PBX, the balancer) can
be exempted: their traffic is everyone's traffic. Sources that are not peers (``is_peer`` says no) get the
``stranger_*`` limits, far below a peer's: nobody but a scanner sends a call center's SIP port 180 requests a
second from an address it has no trunk with. Memory is bounded by ``max_sources`` (least recently seen sources
are forgotten first). Pure: time comes in as an argument; ``on_ban`` hears each ban once, when it starts.

:class:`RefusalSummary` keeps the log readable under a scan: refused requests are counted per source and reason
and written as one line per source per interval, not one line per request.
"""

from __future__ import annotations

import enum
import logging
from collections import Counter, OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field


class RefusalReason(enum.StrEnum):
    """Why the transport refused a datagram (a /metrics label: bounded, never caller data)."""

    NOT_A_PEER = "not_a_peer"  # trunk mode: not in sip.peers; register mode: an INVITE not from the registrar
    BANNED = "banned"  # over its rate: dropped unread until the ban ends
    MALFORMED = "malformed"  # not SIP (a 400 went back when the headers allowed it)


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
    stranger_rate_per_s: float | None = None  # None: strangers get the peer limits
    stranger_burst: float | None = None
    is_peer: Callable[[str], bool] | None = None
    on_ban: Callable[[str, float], None] | None = None
    _buckets: OrderedDict[str, _Bucket] = field(default_factory=OrderedDict)
    dropped: int = 0
    bans: int = 0

    def _limits(self, source: str) -> tuple[float, float]:
        if self.is_peer is None or self.is_peer(source):
            return self.rate_per_s, self.burst
        return self.stranger_rate_per_s or self.rate_per_s, self.stranger_burst or self.burst

    def allow(self, source: str, now: float) -> bool:
        """True when a datagram from ``source`` (an IP address) may be processed at time ``now``."""
        if source in self.exempt:
            return True
        rate, burst = self._limits(source)
        bucket = self._buckets.get(source)
        if bucket is None:
            bucket = _Bucket(tokens=burst, updated=now)
            self._buckets[source] = bucket
            if len(self._buckets) > self.max_sources:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(source)
        if now < bucket.banned_until:
            self.dropped += 1
            return False
        bucket.tokens = min(burst, bucket.tokens + (now - bucket.updated) * rate)
        bucket.updated = now
        if bucket.tokens < 1.0:
            bucket.banned_until = now + self.ban_s
            bucket.tokens = burst  # a fresh start once the ban expires
            self.bans += 1
            self.dropped += 1
            if self.on_ban is not None:
                self.on_ban(source, self.ban_s)
            return False
        bucket.tokens -= 1.0
        return True

    def is_banned(self, source: str, now: float) -> bool:
        bucket = self._buckets.get(source)
        return bucket is not None and now < bucket.banned_until


class RefusalSummary:
    """Refused requests, counted per source and reason, logged as one line per source per ``interval_s``.

    The first refusal of a source in an interval is logged at once (an operator sees a new scanner immediately);
    the rest are counted and summarised when the interval is over, at most ``max_listed`` sources a line each plus
    one line for the remainder. A scanner therefore costs a bounded number of log lines per interval however
    fast it sends. ``flush`` is driven by the next refusal (and by ``close``), so no timer thread is needed.
    """

    def __init__(self, logger: logging.Logger, clock: Callable[[], float], *, interval_s: float = 60.0,
                 max_listed: int = 20) -> None:
        self._log = logger
        self._clock = clock
        self._interval = interval_s
        self._max_listed = max_listed
        self._started = clock()
        self._counts: dict[str, Counter[str]] = {}
        self.total = 0

    def refused(self, source: str, reason: str, detail: str = "") -> None:
        now = self._clock()
        if now - self._started >= self._interval:
            self.flush(now)
        counts = self._counts.get(source)
        if counts is None:
            if len(self._counts) < self._max_listed:
                self._log.warning("refusing SIP from %s: %s%s (further refusals summarised every %.0f s)",
                                  source, reason, f" ({detail})" if detail else "", self._interval)
            counts = self._counts[source] = Counter()
        counts[reason] += 1
        self.total += 1

    def flush(self, now: float | None = None) -> None:
        now = self._clock() if now is None else now
        window = now - self._started
        ranked = sorted(self._counts.items(), key=lambda item: -sum(item[1].values()))
        for source, counts in ranked[: self._max_listed]:
            if sum(counts.values()) > 1:
                reasons = ", ".join(f"{reason} {count}" for reason, count in counts.most_common())
                self._log.warning("refused %d SIP requests from %s in %.0f s: %s", sum(counts.values()), source,
                                  window, reasons)
        rest = ranked[self._max_listed:]
        if rest:
            self._log.warning("refused %d SIP requests from %d more sources in %.0f s",
                              sum(sum(c.values()) for _, c in rest), len(rest), window)
        self._counts.clear()
        self._started = now

    def close(self) -> None:
        self.flush()
