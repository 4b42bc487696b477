"""Keeps the in-memory matching engine equal to the active entries in the database, on every node.

Every list change bumps one version counter in the same transaction (``lists.bump_version``); ``poll()`` reads
that counter — one indexed single-row query — and reloads the whole active set only when it moved. The
background thread polls every ``interval_s`` (≤ 1 s by default), so a manager's approval reaches every node
within about a second. A failed poll keeps the previous lists (fail open: the calls carry on) and is logged.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime

from screening.interfaces import NumberLists
from screening.records.base import utcnow
from screening.records.database import Database
from screening.records.errors import StorageError
from screening.records.lists import active_entries, current_version

log = logging.getLogger(__name__)

DEFAULT_INTERVAL_S = 1.0


class ListSync:
    def __init__(
        self,
        db: Database,
        lists: NumberLists,
        *,
        interval_s: float = DEFAULT_INTERVAL_S,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        if interval_s <= 0:
            raise ValueError(f"interval_s must be positive, got {interval_s}")
        self._db = db
        self._lists = lists
        self._interval_s = interval_s
        self._clock = clock
        self._loaded: int | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def loaded_version(self) -> int | None:
        return self._loaded

    def load(self) -> int:
        """Load the full active set now; returns the list version it reflects."""
        with self._db.session() as session:
            version = current_version(session)
            entries = active_entries(session, self._clock())
        self._lists.replace(entries, version)
        self._loaded = version
        log.info("number lists loaded: %d active entries, version %d", len(entries), version)
        return version

    def poll(self) -> bool:
        """Reload if the lists changed since the last load; True when it reloaded."""
        with self._db.session() as session:
            version = current_version(session)
        if version == self._loaded:
            return False
        self.load()
        return True

    def _run(self) -> None:
        while not self._stop.wait(self._interval_s):
            try:
                self.poll()
            except StorageError as exc:
                log.warning("list sync poll failed, keeping version %s: %s", self._loaded, exc)

    def start(self) -> None:
        """Load once (errors propagate: the caller decides to start without lists) and keep polling."""
        if self._thread is not None:
            return
        self.load()
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="list-sync", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None
