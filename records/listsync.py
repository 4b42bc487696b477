"""Keeps the in-memory matching engine equal to the active entries in the database, on every node.

Every list change bumps one version counter in the same transaction (``lists.bump_version``); ``poll()`` reads
that counter — one indexed single-row query — and reloads the whole active set only when it moved. The
background thread polls every ``interval_s`` (≤ 1 s by default), so a manager's approval reaches every node
within about a second. A failed poll keeps the previous lists (fail open: the calls carry on) and is logged.
The same poll writes the entries' hit counts gathered since the last one (``records.hits``), in one batch.

``proposals``: a second in-memory index fed by the same load with the *proposed* block entries, for the lookup
API (``records.lookup``) — one sync for the screener and the API, so both see one version of the lists.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from records.base import utcnow
from records.database import Database
from records.hits import HitCounter
from records.lists import active_entries, current_version, proposed_blocks
from records.periodic import PeriodicJob
from screening.numberlist import NumberLists

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
        hits: HitCounter | None = None,
        proposals: NumberLists | None = None,
    ) -> None:
        self._db = db
        self._proposals = proposals
        self._hits = hits
        self._lists = lists
        self._clock = clock
        self._loaded: int | None = None
        self._poller = PeriodicJob("list-sync", self.poll, interval_s=interval_s)

    @property
    def loaded_version(self) -> int | None:
        return self._loaded

    def load(self) -> int:
        """Load the full active set now; returns the list version it reflects."""
        with self._db.session() as session:
            version = current_version(session)
            now = self._clock()
            entries = active_entries(session, now)
            proposed = proposed_blocks(session, now) if self._proposals is not None else []
        self._lists.replace(entries, version)
        if self._proposals is not None:
            self._proposals.replace(proposed, version)
        self._loaded = version
        log.info("number lists loaded: %d active entries, version %d", len(entries), version)
        return version

    def poll(self) -> bool:
        """Reload if the lists changed since the last load; True when it reloaded. Writes pending hit counts."""
        with self._db.session() as session:
            if self._hits is not None:
                self._hits.flush(session)
            version = current_version(session)
        if version == self._loaded:
            return False
        self.load()
        return True

    def start(self) -> None:
        """Load once (errors propagate: the caller decides to start without lists) and keep polling — the poller
        starts even when that first load fails, so a node started while the database was down enforces the
        lists within ``interval_s`` of the database coming back, without a restart."""
        if self._poller.running:
            return
        try:
            self.load()
        finally:
            self._poller.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        self._poller.stop(timeout_s)
