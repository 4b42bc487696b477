"""GuardedCallHistory: a failing or hanging history answers "no history" in bounded time (fail open)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from records.errors import StorageError
from records.guarded_history import GuardedCallHistory
from screening.history import InMemoryCallHistory

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


class BrokenHistory:
    """Fault injection: every operation raises, or hangs until released."""

    def __init__(self, hang: threading.Event | None = None) -> None:
        self.hang = hang
        self.returned = threading.Event()

    def _fail(self) -> int:
        if self.hang is not None:
            self.hang.wait(30)
            self.returned.set()
        raise StorageError("database error: connection refused")

    def count_from(self, normalized: str, since: datetime) -> int:
        return self._fail()

    def count_prefix(self, prefix: str, since: datetime) -> int:
        return self._fail()

    def agent_confirmations(self, normalized: str, since: datetime) -> int:
        return self._fail()

    def note_call(self, normalized: str | None, at: datetime) -> None:
        self._fail()


def test_answers_pass_through_when_healthy() -> None:
    inner = InMemoryCallHistory()
    guarded = GuardedCallHistory(inner)
    for _ in range(3):
        inner.note_call("+8613812345678", NOW)
    assert guarded.count_from("+8613812345678", NOW.replace(hour=11)) == 3
    assert guarded.failures == 0
    guarded.close()


def test_storage_errors_become_no_history() -> None:
    errors: list[str] = []
    guarded = GuardedCallHistory(BrokenHistory(), on_error=errors.append)
    assert guarded.count_from("+8613812345678", NOW) == 0
    assert guarded.count_prefix("+86755", NOW) == 0
    assert guarded.agent_confirmations("+8613812345678", NOW) == 0
    assert errors == ["count_from", "count_prefix", "agent_confirmations"]
    guarded.close()


def test_a_hung_database_costs_at_most_the_timeout() -> None:
    release = threading.Event()
    inner = BrokenHistory(hang=release)
    guarded = GuardedCallHistory(inner, timeout_s=0.1, workers=2, max_pending_writes=3)
    assert guarded.count_from("+8613812345678", NOW) == 0
    assert not inner.returned.is_set()  # we answered while the database was still hanging
    for _ in range(10):
        guarded.note_call("+8613812345678", NOW)  # never blocks; at most 3 pending
    assert guarded.dropped_writes == 7
    release.set()
    guarded.close()
