"""Call history with a deadline: a dead or hung database costs the history signals, never the call.

Pre-screen runs before the call is answered, on the thread that handles the INVITE. A history query that raises
(database down) or never returns (database hung: the connection is open but nothing comes back — no socket timeout
catches that) must not keep the caller waiting. So every query runs on a small worker pool and is waited for at
most ``timeout_s``; past that, or on a storage error, the answer is "no history" (0), which can only lower
suspicion: it fails open. Writes (``note_call``) are fire-and-forget with a bound on how many may be pending, so a
hung database cannot pile up threads or memory. What is *not* here: retrying, or remembering outages (the next
call simply tries again).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import datetime
from typing import TypeVar

from records.errors import StorageError
from screening.interfaces import CallHistory

log = logging.getLogger(__name__)
T = TypeVar("T")
WARN_EVERY_S = 10.0


class GuardedCallHistory:
    """A :class:`CallHistory` that answers within ``timeout_s`` whatever the database does."""

    def __init__(
        self, inner: CallHistory, *, timeout_s: float = 0.3, workers: int = 4, max_pending_writes: int = 200,
        on_error: Callable[[str], None] | None = None,
    ) -> None:
        self._inner = inner
        self._timeout_s = timeout_s
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="history")
        self._pending = threading.BoundedSemaphore(max_pending_writes)
        self._on_error = on_error
        self._last_warning = 0.0
        self.failures = 0
        self.dropped_writes = 0

    def _failed(self, operation: str, detail: str) -> None:
        self.failures += 1
        if self._on_error is not None:
            self._on_error(operation)
        now = time.monotonic()
        if now - self._last_warning >= WARN_EVERY_S:
            self._last_warning = now
            log.warning("call history unavailable (%s: %s); screening without history signals", operation, detail)

    def _ask(self, operation: str, fn: Callable[[], int]) -> int:
        future = self._pool.submit(fn)
        try:
            return future.result(timeout=self._timeout_s)
        except FutureTimeout:
            self._failed(operation, f"no answer within {self._timeout_s:.1f} s")
        except StorageError as exc:
            self._failed(operation, str(exc))
        return 0

    def count_from(self, normalized: str, since: datetime) -> int:
        return self._ask("count_from", lambda: self._inner.count_from(normalized, since))

    def count_prefix(self, prefix: str, since: datetime) -> int:
        return self._ask("count_prefix", lambda: self._inner.count_prefix(prefix, since))

    def agent_confirmations(self, normalized: str, since: datetime) -> int:
        return self._ask("agent_confirmations", lambda: self._inner.agent_confirmations(normalized, since))

    def note_call(self, normalized: str | None, at: datetime) -> None:
        if not self._pending.acquire(blocking=False):
            self.dropped_writes += 1
            self._failed("note_call", "too many history writes pending")
            return

        def write() -> None:
            try:
                self._inner.note_call(normalized, at)
            except StorageError as exc:
                self._failed("note_call", str(exc))
            finally:
                self._pending.release()

        self._pool.submit(write)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
