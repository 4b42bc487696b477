"""Component health of a running node: what `/healthz`, `/readyz`, `doctor` and the manager page report.

A node is *ready* when it can take calls. A missing model does not make it unready — it screens on caller ID and
time only — but it makes it *degraded*, and every surface says so loudly. A node with a model is not ready until
its ASR recogniser pool is pre-warmed (seconds after start): a node taking calls meanwhile built recognisers for
them beside the warming ones, and its first calls failed open (BENCHMARKS.md, the 60-minute run). Not ready is
what `/readyz` (503) and the SIP endpoint's answer to an OPTIONS probe (503, Kamailio's dispatcher) say; a call
sent anyway is answered and screened as ever.
"""

from __future__ import annotations

import enum
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from fastapi import APIRouter
from fastapi.responses import JSONResponse, PlainTextResponse


class Component(enum.StrEnum):
    MODEL = "model"
    LANGUAGE = "asr_language"  # does the ASR model speak Mandarin (asr.language)
    CONTENT_MODEL = "content_model"  # the learned content models (screening.model_dir)
    DATABASE = "database"
    SIP = "sip"
    API = "api"
    ASR_POOL = "asr_pool"  # the recognisers pre-warmed at start; reported only where there is an ASR model


class Status(enum.StrEnum):
    OK = "ok"
    DEGRADED = "degraded"  # working, with less than full capability
    DOWN = "down"  # not working


# A DOWN component in this set makes the node unready; anything else only degrades it. SIP must have been reported
# too (an endpoint not yet started takes no calls); the ASR pool is reported only with a model to warm, so a node in
# caller-ID/time mode never waits for a pool that will never warm.
REQUIRED_FOR_READY = frozenset({Component.SIP, Component.ASR_POOL})
CALLER_ID_MODE = "caller-ID/time only (no ASR model): content screening is OFF"
PROMETHEUS_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@dataclass(frozen=True, slots=True)
class ComponentHealth:
    status: Status
    detail: str


@dataclass
class ServiceHealth:
    """Thread-safe registry the service's parts report into."""

    node: str
    _parts: dict[Component, ComponentHealth] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def report(self, component: Component, status: Status, detail: str) -> None:
        with self._lock:
            self._parts[component] = ComponentHealth(status, detail)

    def snapshot(self) -> dict[Component, ComponentHealth]:
        with self._lock:
            return dict(self._parts)

    @property
    def content_screening(self) -> bool:
        model = self.snapshot().get(Component.MODEL)
        return model is not None and model.status is Status.OK

    def readiness(self) -> tuple[bool, Status, list[str]]:
        """(ready, overall status, human-readable list of what is degraded or down)."""
        parts = self.snapshot()
        problems = [f"{c.value}: {h.detail}" for c, h in sorted(parts.items()) if h.status is not Status.OK]
        ready = not _unready(parts)
        overall = Status.OK if not problems else (Status.DEGRADED if ready else Status.DOWN)
        return ready, overall, problems

    def unready_reason(self) -> str | None:
        """Why the node should not be sent calls yet, for a person to read; None when it is ready."""
        return "; ".join(_unready(self.snapshot())) or None


def _unready(parts: dict[Component, ComponentHealth]) -> list[str]:
    reasons = [f"{c.value}: {h.detail}" for c, h in sorted(parts.items())
               if c in REQUIRED_FOR_READY and h.status is Status.DOWN]  # fmt: skip
    return reasons if Component.SIP in parts else ["sip: not started", *reasons]


def health_router(health: ServiceHealth, metrics: Callable[[], bytes] | None = None) -> APIRouter:
    """`/healthz` (the process answers), `/readyz` (it can take calls; lists what is degraded) and, given a
    renderer, `/metrics` (Prometheus text format). Unauthenticated, like every scrape and probe endpoint: they
    carry counts and states, never caller data."""
    router = APIRouter(tags=["health"])

    if metrics is not None:
        render = metrics

        @router.get("/metrics", response_class=PlainTextResponse)
        def prometheus() -> PlainTextResponse:
            return PlainTextResponse(render(), media_type=PROMETHEUS_TYPE)

    @router.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "alive", "node": health.node}

    @router.get("/readyz")
    def readyz() -> JSONResponse:
        ready, overall, problems = health.readiness()
        body = {
            "ready": ready,
            "status": overall.value,
            "node": health.node,
            "mode": "full screening" if health.content_screening else CALLER_ID_MODE,
            "components": {
                c.value: {"status": h.status.value, "detail": h.detail} for c, h in sorted(health.snapshot().items())
            },
            "problems": problems,
        }
        return JSONResponse(body, status_code=200 if ready else 503)

    return router
