"""Every route refuses a missing, unknown or too-weak key — checked by walking the OpenAPI schema."""

from __future__ import annotations

import re

import pytest

from records import Role
from tests.adminapi.conftest import ApiHarness

# The lowest role each route needs; a route missing here fails the test (new routes must be classified).
NEEDS: dict[str, Role | dict[str, Role] | None] = {
    "/api/v1/lookup": Role.AGENT,
    "/api/v1/me": Role.AGENT,
    "/api/v1/calls": Role.AGENT,
    "/api/v1/calls/{call_pk}": Role.AGENT,
    "/api/v1/calls/{call_pk}/confirm": Role.AGENT,
    "/api/v1/calls/by-ref/{ref}": Role.AGENT,
    "/api/v1/calls/by-ref/{ref}/confirm": Role.AGENT,
    "/api/v1/calls/by-call-id/{sip_call_id}": Role.AGENT,
    "/api/v1/calls/by-call-id/{sip_call_id}/confirm": Role.AGENT,
    "/api/v1/incidents": Role.AGENT,
    "/api/v1/lists/entries": Role.MANAGER,  # managers add and edit entries themselves (issue 16)
    "/api/v1/lists/entries/{entry_id}": {"get": Role.MANAGER, "patch": Role.MANAGER, "delete": Role.ADMIN},
    "/api/v1/lists/entries/{entry_id}/lift": Role.MANAGER,
    "/api/v1/calls/{call_pk}/context": Role.MANAGER,
    "/api/v1/calls/{call_pk}/review": Role.MANAGER,
    "/api/v1/lists/import": Role.ADMIN,
    "/api/v1/lists/export": Role.MANAGER,
    "/api/v1/review": Role.MANAGER,
    "/api/v1/review/{entry_id}/approve": Role.MANAGER,
    "/api/v1/review/{entry_id}/lift": Role.MANAGER,
    "/api/v1/bills": Role.MANAGER,
    "/api/v1/bills/{bill_id}/matches": Role.MANAGER,
    "/api/v1/reports/summary": Role.MANAGER,
    "/api/v1/reports/export.csv": Role.MANAGER,
    "/api/v1/reports/evidence": Role.MANAGER,
    "/api/v1/reports/carrier": Role.MANAGER,
    "/api/v1/keys": Role.ADMIN,
    "/api/v1/keys/{key_id}": Role.ADMIN,
    "/api/v1/audit": Role.ADMIN,
    "/api/v1/admin/model": Role.ADMIN,
    "/api/v1/admin/model/reload": Role.ADMIN,
    "/api/v1/evidence/pack": Role.MANAGER,
    "/api/v1/reports/costs": Role.MANAGER,
    "/api/v1/shadow": Role.MANAGER,
    "/api/v1/admin/settings": Role.ADMIN,
    "/api/v1/auth/login": None,  # public: the log-in itself (throttled, tests/adminapi/test_users.py)
    "/api/v1/auth/logout": None,  # public: ends the cookie's session, if any
    "/api/v1/auth/password": Role.AGENT,
    "/api/v1/users": Role.ADMIN,
    "/api/v1/users/{user_id}": Role.ADMIN,
    "/api/v1/users/{user_id}/password": Role.ADMIN,
}


def _operations(api: ApiHarness) -> list[tuple[str, str, Role]]:
    ops = []
    for path, methods in api.app.openapi()["paths"].items():
        for method in methods:
            need = NEEDS[path]
            role = need[method] if isinstance(need, dict) else need
            if role is None:
                continue
            ops.append((method, re.sub(r"\{[^}]+\}", "999999", path), role))
    return ops


def test_every_route_is_classified_and_protected(api: ApiHarness) -> None:
    ops = _operations(api)
    assert len(ops) >= 25
    for method, path, role in ops:
        missing = api.client.request(method, path)
        assert missing.status_code == 401, (method, path, missing.text)
        assert "missing API key" in missing.json()["detail"]
        wrong = api.client.request(method, path, headers={"X-API-Key": "cs_not-a-real-key"})
        assert wrong.status_code == 401, (method, path)
        for weaker in Role:
            if weaker.rank < role.rank:
                refused = api.client.request(method, path, headers=api.headers(weaker))
                assert refused.status_code == 403, (method, path, weaker)
                assert f"needs the {role.value} role" in refused.json()["detail"]
        allowed = api.client.request(method, path, headers=api.headers(role))
        assert allowed.status_code not in (401, 403), (method, path, allowed.text)


def test_revoked_key_is_refused(api: ApiHarness) -> None:
    admin = api.headers(Role.ADMIN)
    created = api.client.post("/api/v1/keys", json={"role": "agent", "label": "pbx"}, headers=admin).json()
    pbx = {"X-API-Key": created["key"]}
    assert api.client.get("/api/v1/me", headers=pbx).json()["role"] == "agent"
    assert api.client.delete(f"/api/v1/keys/{created['id']}", headers=admin).status_code == 200
    assert api.client.get("/api/v1/me", headers=pbx).status_code == 401
    listed = api.client.get("/api/v1/keys", headers=admin).json()
    assert all("key" not in k for k in listed) and created["key"] not in str(listed)


@pytest.mark.parametrize("scheme", ["Bearer"])
def test_bearer_token_works_too(api: ApiHarness, scheme: str) -> None:
    response = api.client.get("/api/v1/me", headers={"Authorization": f"{scheme} {api.keys[Role.MANAGER]}"})
    assert response.json()["role"] == "manager"
