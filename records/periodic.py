"""A named background thread that runs one job every ``interval_s`` until stopped (list sync, retention purge).

Waiting is on an Event, so ``stop()`` ends the wait at once instead of after a sleep. A job's StorageError is
logged and retried next round: the database being away must not kill the thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from records.errors import StorageError

log = logging.getLogger(__name__)


class PeriodicJob:
    def __init__(self, name: str, job: Callable[[], object], *, interval_s: float, run_first: bool = False) -> None:
        if interval_s <= 0:
            raise ValueError(f"interval_s must be positive, got {interval_s}")
        self._name = name
        self._job = job
        self._interval_s = interval_s
        self._run_first = run_first
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _run(self) -> None:
        if self._run_first:
            self._once()
        while not self._stop.wait(self._interval_s):
            self._once()

    def _once(self) -> None:
        try:
            self._job()
        except StorageError as exc:
            log.warning("%s failed, will retry in %.1f s: %s", self._name, self._interval_s, exc)

    @property
    def running(self) -> bool:
        return self._thread is not None

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
            self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None
