from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from records import Database, Role, SqlCallRecorder
from screening.verdict import Label
from tests.adminapi.conftest import ApiHarness, api_harness
from tests.records.factories import BASE, SALT, call


def test_proposed_block_is_enforced_on_lookup_after_approval(database: Database, tmp_path: Path) -> None:
    with api_harness(database, clock=lambda: BASE + timedelta(days=1)) as api:  # the call is a day old
        _proposed_block_is_enforced_after_approval(api, tmp_path)


def _proposed_block_is_enforced_after_approval(api: ApiHarness, tmp_path: Path) -> None:
    recorder = SqlCallRecorder(api.db, spool_dir=tmp_path, salt=SALT)
    recorder.record(call("13812345678", Label.SUSPECT, confirmed_by="agent:1007"))
    manager, agent = api.headers(Role.MANAGER), api.headers(Role.AGENT)
    before = api.client.get("/api/v1/lookup", params={"number": "13812345678"}, headers=manager).json()
    assert before["blocked"] is False and before["pending_proposal"] is True
    assert before["agent_confirmations_30d"] == 1
    queue = api.client.get("/api/v1/review", headers=manager).json()
    (item,) = queue["data"]
    assert item["value"] == "+8613812345678" and item["flagged_calls"] == 1 and item["source"] == "agent"
    approved = api.client.post(f"/api/v1/review/{item['id']}/approve", json={"reason": "confirmed"}, headers=manager)
    assert approved.status_code == 200 and approved.json()["status"] == "active"
    assert api.client.post(f"/api/v1/review/{item['id']}/approve", headers=manager).status_code == 409
    after = api.client.get("/api/v1/lookup", params={"number": "+86 138 1234 5678"}, headers=agent).json()
    assert after["blocked"] is True and after["pending_proposal"] is False
    assert after["number"] == "+86 138****5678" and after["matches"][0]["value"] == "+86 138****5678"
    api.client.post(f"/api/v1/review/{item['id']}/lift", headers=manager)
    lifted = api.client.get("/api/v1/lookup", params={"number": "13812345678"}, headers=manager).json()
    assert lifted["blocked"] is False and lifted["matches"] == []


def test_lookup_kinds_and_allowlist_precedence(api: ApiHarness) -> None:
    admin = api.headers(Role.ADMIN)
    for body in (
        {"kind": "prefix", "value": "0755123"},
        {"kind": "range", "value": "075512340000-075512349999", "list": "switchboard"},
        {"kind": "exact", "value": "075512341234", "list": "allow"},
        {"kind": "pattern", "value": r"\+86135\d{4}0000", "list": "payphone"},
    ):
        assert api.client.post("/api/v1/lists/entries", json=body, headers=admin).status_code == 201
    facts = api.client.get("/api/v1/lookup", params={"number": "075512341234"}, headers=admin).json()
    assert facts["allowed"] and not facts["blocked"] and facts["switchboard"]
    assert [m["kind"] for m in facts["matches"]] == ["exact", "range", "prefix"]
    other = api.client.get("/api/v1/lookup", params={"number": "075512399999"}, headers=admin).json()
    assert other["blocked"] and not other["switchboard"]
    assert api.client.get("/api/v1/lookup", params={"number": "13512340000"}, headers=admin).json()["payphone"]
    anonymous = api.client.get("/api/v1/lookup", params={"number": "anonymous"}, headers=admin).json()
    assert anonymous["normalized_kind"] == "anonymous" and anonymous["number"] is None
