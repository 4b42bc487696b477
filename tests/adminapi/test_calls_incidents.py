from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from records import Role, SqlCallRecorder
from screening.verdict import Label
from tests.adminapi.conftest import ApiHarness
from tests.records.factories import SALT, call


def _seed(api: ApiHarness, tmp_path: Path) -> None:
    recorder = SqlCallRecorder(api.db, spool_dir=tmp_path, salt=SALT)
    recorder.record(call("13812345678", Label.HARASSMENT, transcript="你 傻"))
    recorder.record(call("13900001111", Label.ALLOW, minutes=5))


def test_agents_see_masked_numbers_and_no_transcripts(api: ApiHarness, tmp_path: Path) -> None:
    _seed(api, tmp_path)
    agent_view = api.client.get("/api/v1/calls", headers=api.headers(Role.AGENT)).json()
    assert agent_view["count"] == 2
    assert {c["caller"] for c in agent_view["data"]} == {"+86 138****5678", "+86 139****1111"}
    assert "13812345678" not in str(agent_view)
    flagged = next(c for c in agent_view["data"] if c["label"] == "harassment")
    detail = api.client.get(f"/api/v1/calls/{flagged['id']}", headers=api.headers(Role.AGENT)).json()
    assert detail["transcript"] is None and detail["reasons"][0]["code"] == "content.insult"
    manager_detail = api.client.get(f"/api/v1/calls/{flagged['id']}", headers=api.headers(Role.MANAGER)).json()
    assert manager_detail["transcript"] == "你 傻" and manager_detail["caller"] == "+8613812345678"
    only = api.client.get("/api/v1/calls", params={"caller": "13900001111"}, headers=api.headers(Role.MANAGER))
    assert [c["label"] for c in only.json()["data"]] == ["allow"]
    naive = api.client.get("/api/v1/calls", params={"since": "2026-11-01T00:00:00"}, headers=api.headers(Role.AGENT))
    assert naive.status_code == 422


def test_agent_confirmation_proposes_a_block(api: ApiHarness, tmp_path: Path) -> None:
    _seed(api, tmp_path)
    calls = api.client.get("/api/v1/calls", params={"label": "allow"}, headers=api.headers(Role.AGENT)).json()
    call_pk = calls["data"][0]["id"]
    confirmed = api.client.post(f"/api/v1/calls/{call_pk}/confirm", headers=api.headers(Role.AGENT))
    assert confirmed.status_code == 200 and confirmed.json()["confirmed_by"].startswith("agent:key:")
    assert api.client.post(f"/api/v1/calls/{call_pk}/confirm", headers=api.headers(Role.AGENT)).status_code == 409
    queue = api.client.get("/api/v1/review", headers=api.headers(Role.MANAGER)).json()
    assert [(e["value"], e["source"]) for e in queue["data"]] == [("+8613900001111", "agent")]


def test_incident_log(api: ApiHarness) -> None:
    agent = api.headers(Role.AGENT)
    created = api.client.post(
        "/api/v1/incidents",
        json={"occurred_at": "2026-11-02T12:01:00+08:00", "note": "silence, laughter"},
        headers=agent,
    )
    assert created.status_code == 201 and created.json()["occurred_at"].startswith("2026-11-02T04:01:00")
    future = api.client.post("/api/v1/incidents", json={"occurred_at": "2099-01-01T00:00:00Z"}, headers=agent)
    assert future.status_code == 422 and "in the future" in future.json()["detail"]
    listed = api.client.get("/api/v1/incidents", headers=agent).json()
    assert listed["count"] == 1 and listed["data"][0]["agent"].endswith("test-agent")


def test_agent_looks_up_and_confirms_a_call_by_its_reference(api: ApiHarness, tmp_path: Path) -> None:
    recorder = SqlCallRecorder(api.db, spool_dir=tmp_path, salt=SALT)
    recorder.record(replace(call("13812345678", Label.SUSPECT), ref="a1b2c3d4e5", call_id="sip-call-1@pbx"))
    recorder.record(replace(call("13900001111", Label.ALLOW), ref="ffff000011", call_id="sip-call-2@pbx"))
    agent = api.headers(Role.AGENT)
    assert api.client.get("/api/v1/calls/by-ref/a1b2c3d4e5").status_code == 401
    assert api.client.post("/api/v1/calls/by-ref/a1b2c3d4e5/confirm").status_code == 401
    assert api.client.post("/api/v1/calls/by-ref/a1b2c3d4e5/confirm", headers={"X-API-Key": "cs_x"}).status_code == 401
    looked = api.client.get("/api/v1/calls/by-ref/a1b2c3d4e5", headers=agent)
    assert looked.status_code == 200, looked.text
    body = looked.json()
    assert body["caller"] == "+86 138****5678" and body["label"] == "suspect" and body["transcript"] is None
    assert [r["code"] for r in body["reasons"]] == ["content.insult"]
    assert api.client.get("/api/v1/calls/by-ref/0000000000", headers=agent).status_code == 404
    assert api.client.get("/api/v1/calls/by-ref/NOT;A;REF", headers=agent).status_code in (404, 422)
    confirmed = api.client.post("/api/v1/calls/by-ref/a1b2c3d4e5/confirm", headers=agent)
    assert confirmed.status_code == 200 and confirmed.json()["confirmed_by"].startswith("agent:key:")
    assert api.client.post("/api/v1/calls/by-ref/a1b2c3d4e5/confirm", headers=agent).status_code == 409
    by_call_id = api.client.post("/api/v1/calls/by-call-id/sip-call-2@pbx/confirm", headers=agent)
    assert by_call_id.status_code == 200 and by_call_id.json()["caller"] == "+86 139****1111"
    assert api.client.get("/api/v1/calls/by-call-id/sip-call-2@pbx", headers=agent).json()["confirmed_by"]
    queue = api.client.get("/api/v1/review", headers=api.headers(Role.MANAGER)).json()
    assert sorted(e["value"] for e in queue["data"]) == ["+8613812345678", "+8613900001111"]
