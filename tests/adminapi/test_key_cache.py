"""The cache of verified API keys (``adminapi.keycache``), over real HTTP with an injected clock.

A key revoked through this node's API is refused at once; one revoked behind the node's back — another node or
``callscreen keys revoke``, i.e. a write to the shared database — is refused once the TTL has passed, never later.
Refusals are never cached, and the role of a cached key still decides what it may do.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from adminapi.keycache import KeyCache
from records import Database, Role
from records.keys import Principal, create_key, revoke_key
from tests.adminapi.conftest import ApiHarness, api_harness

START = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
TTL_S = 5.0


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def cached_api(database: Database, clock: Clock) -> Iterator[ApiHarness]:
    with api_harness(database, clock=clock, key_cache_ttl_s=TTL_S) as api:
        yield api


def _new_key(api: ApiHarness, role: Role = Role.AGENT) -> tuple[int, dict[str, str]]:
    with api.db.session() as session:
        row, secret = create_key(session, role, label="pbx", actor="test")
    return row.id, {"X-API-Key": secret}


def _revoke_in_database(api: ApiHarness, key_id: int) -> None:
    """What ``callscreen keys revoke`` (or another node's API) does: a write to the shared database."""
    with api.db.session() as session:
        revoke_key(session, key_id, actor="cli:test")


def test_key_revoked_through_this_node_is_refused_at_once(cached_api: ApiHarness) -> None:
    key_id, pbx = _new_key(cached_api)
    assert cached_api.client.get("/api/v1/lookup", params={"number": "13812345678"}, headers=pbx).status_code == 200
    revoked = cached_api.client.delete(f"/api/v1/keys/{key_id}", headers=cached_api.headers(Role.ADMIN))
    assert revoked.status_code == 200
    assert cached_api.client.get("/api/v1/lookup", params={"number": "13812345678"}, headers=pbx).status_code == 401


def test_key_revoked_elsewhere_is_refused_within_the_ttl(cached_api: ApiHarness, clock: Clock) -> None:
    key_id, pbx = _new_key(cached_api)
    assert cached_api.client.get("/api/v1/me", headers=pbx).status_code == 200  # verified and cached now
    _revoke_in_database(cached_api, key_id)
    clock.advance(TTL_S - 0.5)
    assert cached_api.client.get("/api/v1/me", headers=pbx).status_code == 200  # inside the TTL: still trusted
    clock.advance(0.5)
    assert cached_api.client.get("/api/v1/me", headers=pbx).status_code == 401  # TTL over: asked the database
    clock.advance(TTL_S * 10)
    assert cached_api.client.get("/api/v1/me", headers=pbx).status_code == 401


def test_a_refusal_is_never_cached(cached_api: ApiHarness) -> None:
    key_id, pbx = _new_key(cached_api)
    _revoke_in_database(cached_api, key_id)  # revoked before its first use: nothing cached
    for _ in range(3):
        assert cached_api.client.get("/api/v1/me", headers=pbx).status_code == 401
    wrong = {"X-API-Key": "cs_" + "x" * 43}
    assert cached_api.client.get("/api/v1/me", headers=wrong).status_code == 401


def test_a_cached_key_keeps_its_role(cached_api: ApiHarness) -> None:
    _, agent = _new_key(cached_api, Role.AGENT)
    assert cached_api.client.get("/api/v1/lookup", params={"number": "13812345678"}, headers=agent).status_code == 200
    refused = cached_api.client.get("/api/v1/review", headers=agent)
    assert refused.status_code == 403 and "needs the manager role" in refused.json()["detail"]


def test_ttl_zero_asks_the_database_every_time(database: Database, clock: Clock) -> None:
    with api_harness(database, clock=clock, key_cache_ttl_s=0) as api:
        key_id, pbx = _new_key(api)
        assert api.client.get("/api/v1/me", headers=pbx).status_code == 200
        _revoke_in_database(api, key_id)
        assert api.client.get("/api/v1/me", headers=pbx).status_code == 401


def test_cache_unit_rules() -> None:
    """The rules without HTTP: expiry, a clock that goes back, and the bar on a key revoked through this node."""
    now = [0.0]
    cache = KeyCache(TTL_S, lambda: now[0])
    agent = Principal(key_id=7, role=Role.AGENT, label="pbx")
    cache.put("cs_secret", agent)
    assert cache.get("cs_secret") == agent and cache.get("cs_other") is None
    now[0] = -1.0  # the clock went back: verify again rather than trust longer
    assert cache.get("cs_secret") is None
    now[0] = 0.0
    cache.put("cs_secret", agent)
    cache.revoked(7)
    assert cache.get("cs_secret") is None
    cache.put("cs_secret", agent)  # a request that authenticated just before the revocation committed
    assert cache.get("cs_secret") is None
    cache.put("cs_person", Principal(key_id=None, role=Role.ADMIN, label="", username="wang"))  # not a key
    assert cache.get("cs_person") is None
