"""Log-in throttling: wrong passwords slow down further attempts, per user name and per source address.

After ``free_failures`` wrong passwords within ``window_s`` for one user name (or ``free_failures_per_source``
from one address, whatever names it tries), every further attempt must wait a delay that doubles with each
failure, up to ``max_delay_s``. While a key is throttled the password is not even checked — a right password
is refused too, or the throttle would tell an attacker when he guessed it. A successful log-in clears the user
name's failures, not the address's (one office behind one NAT address should not unlock a guesser).

The state is in memory, per process: the API normally runs on one node, and a restart forgetting the counters
costs an attacker's guesses nothing he could not get by waiting ``window_s``. Time is injected (``clock``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

MAX_TRACKED = 20_000  # bounded memory under a spray of user names


@dataclass
class _Failures:
    times: list[float] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ThrottlePolicy:
    free_failures: int = 5
    free_failures_per_source: int = 20
    window_s: float = 900.0
    base_delay_s: float = 30.0
    max_delay_s: float = 900.0


class LoginThrottle:
    def __init__(self, clock: Callable[[], float], policy: ThrottlePolicy | None = None) -> None:
        self._clock = clock
        self._policy = policy or ThrottlePolicy()
        self._lock = threading.Lock()
        self._failures: dict[str, _Failures] = {}

    def _recent(self, key: str, now: float) -> list[float]:
        entry = self._failures.get(key)
        if entry is None:
            return []
        entry.times = [t for t in entry.times if now - t < self._policy.window_s]
        if not entry.times:
            del self._failures[key]
            return []
        return entry.times

    def _wait(self, key: str, free: int, now: float) -> float:
        times = self._recent(key, now)
        excess = len(times) - free
        if excess < 0:
            return 0.0
        delay = min(self._policy.base_delay_s * 2.0**excess, self._policy.max_delay_s)
        return max(0.0, times[-1] + delay - now)

    def retry_after(self, username: str, source: str) -> float:
        """Seconds until an attempt for this user name from this source is allowed; 0 when it is allowed now."""
        now = self._clock()
        with self._lock:
            return max(
                self._wait(f"user:{username}", self._policy.free_failures, now),
                self._wait(f"source:{source}", self._policy.free_failures_per_source, now),
            )

    def failed(self, username: str, source: str) -> None:
        now = self._clock()
        with self._lock:
            if len(self._failures) >= MAX_TRACKED:
                for key in list(self._failures):
                    self._recent(key, now)
            for key in (f"user:{username}", f"source:{source}"):
                self._failures.setdefault(key, _Failures()).times.append(now)

    def succeeded(self, username: str) -> None:
        with self._lock:
            self._failures.pop(f"user:{username}", None)
