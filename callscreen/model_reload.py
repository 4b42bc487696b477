"""Reloading the learned content model while calls run: SIGHUP and ``POST /api/v1/admin/model/reload``.

A centre retrains with ``callscreen train --out DIR`` and points ``screening.model_dir`` at DIR (or replaces the
directory's files); the running service then loads it without a restart. Loading happens beside the running
model: only a directory that loads completely (format, checksums, every file — :mod:`screening.learned.model`
checks them) replaces it, in one reference swap (:meth:`screening.engine.ScreeningEngine.set_scorer`). Calls that
are being screened keep the model they started with; new calls get the new one. Anything that goes wrong while
loading — a refused directory, a missing package, a bug — is logged, reported in ``/readyz`` and returned to the
caller of the API as the error message; the running model stays. Reloads are serialised (a SIGHUP during an API
reload waits for it).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from callscreen.health import Component, ServiceHealth, Status
from screening.engine import ScreeningEngine
from screening.errors import ModelRefusedError
from screening.signals.learned import ContentScorer

log = logging.getLogger(__name__)
RULES_ONLY = "rules only"

ScorerLoader = Callable[[], ContentScorer | None]  # None: the learned models are switched off


@dataclass(frozen=True, slots=True)
class ModelState:
    """What the admin API shows about the learned content model of this node."""

    model_id: str  # RULES_ONLY when no learned model is in use
    loaded_at: str | None  # ISO 8601, UTC
    load_seconds: float | None
    reloads: int  # successful reloads since start
    last_error: str | None  # the last refused reload, kept until a reload succeeds

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _model_id(scorer: ContentScorer | None) -> str:
    return scorer.model_id if scorer is not None else RULES_ONLY


class ModelReloader:
    """Loads the configured model into the engines at start and on request, never leaving them without one.

    ``engine`` is the node's main engine; engines made later (one per hotline profile, rebuilt when settings are
    reloaded) are :meth:`attach`-ed and get every reload too. They are held weakly: a profile table that was
    replaced takes its engines with it.
    """

    def __init__(
        self,
        engine: ScreeningEngine,
        load: ScorerLoader,
        health: ServiceHealth | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._engine = engine
        self._clock = clock
        self._engines: weakref.WeakSet[ScreeningEngine] = weakref.WeakSet([engine])
        self._load = load
        self._health = health
        self._lock = threading.Lock()
        self._state = ModelState(_model_id(engine.scorer), None, None, 0, None)

    def attach(self, engine: ScreeningEngine) -> ScreeningEngine:
        """Give ``engine`` the model in use now and every later reload; returns it (for use in an expression)."""
        with self._lock:
            engine.set_scorer(self._engine.scorer)
            self._engines.add(engine)
        return engine

    @property
    def state(self) -> ModelState:
        return self._state

    def start(self) -> None:
        """First load at start-up: a refused directory costs the learned signal (rules only), never the service."""
        with contextlib.suppress(ModelRefusedError):  # already logged and reported
            self.reload(trigger="start")

    def reload(self, *, trigger: str) -> ModelState:
        """Load the configured directory and swap it in; raise :class:`ModelRefusedError` and keep the old model."""
        with self._lock:
            previous = self._engine.scorer
            started = time.perf_counter()
            try:
                scorer = self._load()
            except Exception as exc:  # whatever breaks a load must not break the running model
                message = f"{type(exc).__name__}: {exc}" if not str(exc) else str(exc)
                self._refused(message, previous, trigger)
                raise ModelRefusedError(message) from exc
            seconds = time.perf_counter() - started
            for engine in list(self._engines):
                engine.set_scorer(scorer)
            now = self._clock().astimezone(UTC).isoformat(timespec="seconds")
            reloads = self._state.reloads + (0 if trigger == "start" else 1)
            self._state = ModelState(_model_id(scorer), now, round(seconds, 3), reloads, None)
            log.info("content model %s (%s): %s, was %s, loaded in %.2f s", "loaded" if trigger == "start" else
                     "reloaded", trigger, _model_id(scorer), _model_id(previous), seconds)  # fmt: skip
            self._report(Status.OK, f"model {_model_id(scorer)}")
            return self._state

    def _refused(self, message: str, previous: ContentScorer | None, trigger: str) -> None:
        kept = _model_id(previous)
        log.error("content model reload (%s) REFUSED, still screening with %s: %s", trigger, kept, message)
        self._state = ModelState(kept, self._state.loaded_at, self._state.load_seconds, self._state.reloads,
                                 message)  # fmt: skip
        self._report(Status.DEGRADED, f"still screening with {kept}; the last reload was refused: {message}")

    def _report(self, status: Status, detail: str) -> None:
        if self._health is not None:
            self._health.report(Component.CONTENT_MODEL, status, detail)
