"""Prometheus metrics of one screener node.

One registry per service (never prometheus_client's process-global default), created by the composition root and
passed to the parts that count. Names follow Prometheus conventions (``_total`` counters, ``_seconds`` units);
label values are enums, never caller data, so cardinality stays bounded and no number leaks into monitoring.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Protocol, runtime_checkable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector

DECISION_BUCKETS = (0.001, 0.002, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 2, 4, 6, 8, 10, 15)
_REASON_CODE = re.compile(r"[a-z][a-z_]{0,23}\.[a-z][a-z0-9_]{0,39}")  # bounded label values, never caller data
LAG_BUCKETS = (0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5)
KNOWN_METHODS = frozenset(
    {
        "INVITE",
        "ACK",
        "BYE",
        "CANCEL",
        "OPTIONS",
        "REFER",
        "NOTIFY",
        "INFO",
        "UPDATE",
        "REGISTER",
        "PRACK",
        "MESSAGE",
        "SUBSCRIBE",
    }
)


@runtime_checkable
class RecogniserPool(Protocol):
    """What the ASR engine tells monitoring about its recognisers (:class:`asr.engine.AsrEngine` has it)."""

    @property
    def created(self) -> int: ...

    @property
    def retired(self) -> int: ...

    @property
    def pooled(self) -> int: ...


class _PoolCollector(Collector):
    """Reads the engine's own counts at scrape time: the engine counts under its lock for its own decisions, so
    monitoring reads those numbers instead of keeping a second set that could drift from them."""

    def __init__(self, pool: RecogniserPool) -> None:
        self._pool = pool

    def collect(self) -> Iterator[Metric]:
        yield CounterMetricFamily(
            "callscreen_asr_recognisers_created", "Vosk recognisers built (pool warm-ups, replacements, overflow)",
            value=self._pool.created,
        )
        yield CounterMetricFamily(
            "callscreen_asr_recognisers_retired",
            "Pooled recognisers freed after asr.retire_after_s of decoded audio (their graph cache with them)",
            value=self._pool.retired,
        )
        yield GaugeMetricFamily(
            "callscreen_asr_recognisers_pooled", "Reset recognisers waiting in the pool for the next call",
            value=self._pool.pooled,
        )


class Metrics:
    content_type = CONTENT_TYPE_LATEST

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.calls = Counter(
            "callscreen_calls", "Calls handled, by route and verdict", ["route", "verdict"], registry=r
        )
        self.active_calls = Gauge("callscreen_active_calls", "Calls in progress", registry=r)
        self.decision_latency = Histogram(
            "callscreen_decision_latency_seconds",
            "Time from INVITE (prescreen) or from answer (content) to the verdict",
            ["stage"],
            buckets=DECISION_BUCKETS,
            registry=r,
        )
        self.asr_lag_seconds = Histogram(
            "callscreen_asr_lag_seconds", "How far decoding trails the audio", buckets=LAG_BUCKETS, registry=r
        )
        self.asr_overloads = Counter(
            "callscreen_asr_overloads", "Streams that fell behind real time (failed open)", registry=r
        )
        self.fail_open = Counter(
            "callscreen_fail_open", "Calls sent to agents because something failed", ["reason"], registry=r
        )
        self.db_errors = Counter("callscreen_db_errors", "Database operations that failed", ["operation"], registry=r)
        self.sip_requests = Counter(
            "callscreen_sip_requests", "SIP requests by direction and method", ["direction", "method"], registry=r
        )
        self.sip_responses = Counter(
            "callscreen_sip_responses", "SIP responses by direction and status code", ["direction", "code"], registry=r
        )
        self.sip_refused_total = Counter(
            "callscreen_sip_refused", "SIP datagrams refused by the transport, by reason", ["reason"], registry=r
        )
        self.sip_bans = Counter("callscreen_sip_bans", "Sources banned for exceeding their SIP rate", registry=r)
        self.verdict_reasons = Counter(
            "callscreen_verdict_reasons",
            "Reasons in recorded verdicts, by reason code (e.g. caller.prefix_burst): what the alert rules watch",
            ["code"],
            registry=r,
        )
        self.admission_caller_id_only = Counter(
            "callscreen_admission_caller_id_only",
            "Calls screened on caller ID and time only because every decoder slot was busy (asr.max_streams)",
            registry=r,
        )
        self.model_loaded = Gauge(
            "callscreen_model_loaded", "1 when the ASR model is loaded (content screening on)", registry=r
        )

    def watch_recognisers(self, pool: RecogniserPool) -> None:
        """Expose the ASR engine's recogniser counts (how the memory bound of issue 14 is seen in production)."""
        self.registry.register(_PoolCollector(pool))

    def sip_request(self, direction: str, method: str) -> None:
        self.sip_requests.labels(direction, method if method in KNOWN_METHODS else "other").inc()

    def sip_response(self, direction: str, code: int) -> None:
        self.sip_responses.labels(direction, str(code) if 100 <= code <= 699 else "invalid").inc()

    def sip_refused(self, reason: str) -> None:
        self.sip_refused_total.labels(str(reason)).inc()

    def sip_banned(self) -> None:
        self.sip_bans.inc()

    def call_started(self) -> None:
        self.active_calls.inc()

    def call_finished(self, route: str, verdict: str) -> None:
        self.calls.labels(route, verdict).inc()
        self.active_calls.dec()

    def decision(self, stage: str, seconds: float) -> None:
        self.decision_latency.labels(stage).observe(seconds)

    def failed_open(self, reason: str) -> None:
        self.fail_open.labels(reason).inc()
        if reason == "asr_overload":
            self.asr_overloads.inc()

    def asr_lag(self, seconds: float) -> None:
        self.asr_lag_seconds.observe(seconds)

    def admission_refused(self) -> None:
        self.admission_caller_id_only.inc()

    def reasons(self, codes: Iterable[str]) -> None:
        """Count a recorded verdict's reason codes; codes outside the ``area.name`` vocabulary count as other."""
        for code in set(codes):
            self.verdict_reasons.labels(code if _REASON_CODE.fullmatch(code) else "other").inc()

    def db_error(self, operation: str) -> None:
        self.db_errors.labels(operation).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)
