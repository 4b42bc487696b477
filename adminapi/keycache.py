"""Verified API keys, remembered for a few seconds so that the PBX's lookups do not each ask the database.

A key check is a SHA-256 of the secret (cheap: keys are 32 random bytes, ``records.keys``) and one indexed query —
the query, and the session around it, is what a lookup paid for. The cache holds only *successes*: an unknown,
revoked or malformed key is looked up in the database every time, so a refusal is never remembered as a pass and
a newly created key works at once. Entries live ``ttl_s`` seconds (``api.key_cache_ttl_s``), which bounds how long
a key revoked elsewhere — another node, ``callscreen keys revoke`` — is still accepted here. A key revoked through
*this* node's API is forgotten at once and barred from the cache for the life of the process, so a request that
authenticated from the database just before the revocation committed cannot put it back. The principal is cached
whole (its role included), so role checks are unchanged: keys cannot change role, only be revoked.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from records.keys import Principal, hash_key

MAX_ENTRIES = 10_000  # a bound on memory: when full, the cache is emptied (keys are few; this is a safety net)


class KeyCache:
    """``clock``: seconds (injected in tests). ``ttl_s`` 0 turns the cache off."""

    def __init__(self, ttl_s: float, clock: Callable[[], float]) -> None:
        self._ttl_s = ttl_s
        self._clock = clock
        self._lock = threading.Lock()
        self._verified: dict[str, tuple[Principal, float]] = {}  # key hash → principal, verified at
        self._revoked: set[int] = set()  # key ids revoked through this node

    def get(self, secret: str) -> Principal | None:
        """The principal for ``secret`` if it was verified less than ``ttl_s`` ago; else None (ask the database)."""
        if self._ttl_s <= 0:
            return None
        digest = hash_key(secret)
        with self._lock:
            found = self._verified.get(digest)
            if found is None:
                return None
            principal, at = found
            age = self._clock() - at
            if 0 <= age < self._ttl_s and principal.key_id not in self._revoked:
                return principal
            del self._verified[digest]  # expired (or the clock went back): verify again
            return None

    def put(self, secret: str, principal: Principal) -> None:
        """Remember a key the database just accepted."""
        if self._ttl_s <= 0 or principal.key_id is None:
            return
        digest = hash_key(secret)
        with self._lock:
            if principal.key_id in self._revoked:
                return
            if len(self._verified) >= MAX_ENTRIES:
                self._verified.clear()
            self._verified[digest] = (principal, self._clock())

    def revoked(self, key_id: int) -> None:
        """Key ``key_id`` is being revoked through this node: forget it now and never cache it again."""
        with self._lock:
            self._revoked.add(key_id)
            for digest in [d for d, (p, _) in self._verified.items() if p.key_id == key_id]:
                del self._verified[digest]
