"""The evidence-pack download and transcript reads, over HTTP: managers only, and every read in the audit log."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from sqlalchemy import select

from records import Role, SqlCallRecorder
from records.evidence_pack import verify
from records.models import AuditEntry
from screening.verdict import Label
from tests.adminapi.conftest import ApiHarness
from tests.records.factories import BASE, SALT, call


def _seed(api: ApiHarness, tmp_path: Path) -> None:
    api.app.state.config = replace(api.app.state.config, evidence_key=tmp_path / "var" / "key.pem", node="node-x")
    recorder = SqlCallRecorder(api.db, spool_dir=tmp_path, salt=SALT)
    recorder.record(call("13812345678", Label.HARASSMENT, transcript="你 傻"))
    recorder.record(call("13812345678", Label.SUSPECT, minutes=3, transcript="喂 喂"))
    recorder.record(call("13900001111", Label.ALLOW, minutes=5))


def _audit(api: ApiHarness, action: str) -> list[AuditEntry]:
    with api.db.session() as s:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def test_manager_downloads_a_verifiable_pack_and_the_download_is_audited(api: ApiHarness, tmp_path: Path) -> None:
    _seed(api, tmp_path)
    params = {"number": "138-1234-5678"}
    assert api.client.get("/api/v1/evidence/pack", params=params, headers=api.headers(Role.AGENT)).status_code == 403
    response = api.client.get("/api/v1/evidence/pack", params=params, headers=api.headers(Role.MANAGER))
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/x-ndjson")
    assert "attachment" in response.headers["content-disposition"]
    result = verify(response.text.split("\n"))
    assert result.ok and result.records >= 2, result
    assert "你 傻" in response.text and "13900001111" not in response.text
    (exported,) = _audit(api, "evidence.export")
    assert exported.actor.startswith("key:") and exported.target == "evidence:+8613812345678"
    window = {"since": BASE.isoformat(), "until": BASE.replace(hour=BASE.hour + 1).isoformat()}
    flagged = api.client.get("/api/v1/evidence/pack", params=window, headers=api.headers(Role.MANAGER))
    assert verify(flagged.text.split("\n")).ok and "13900001111" not in flagged.text
    bad = api.client.get("/api/v1/evidence/pack", params={"since": BASE.isoformat()}, headers=api.headers(Role.ADMIN))
    assert bad.status_code == 422 and "time window" in bad.text


def test_reading_a_transcript_is_written_to_the_audit_log(api: ApiHarness, tmp_path: Path) -> None:
    _seed(api, tmp_path)
    calls = api.client.get("/api/v1/calls", params={"label": "harassment"}, headers=api.headers(Role.MANAGER)).json()
    call_pk = calls["data"][0]["id"]
    assert _audit(api, "transcript.read") == []  # listing calls shows no transcript, so nothing is logged
    agent = api.client.get(f"/api/v1/calls/{call_pk}", headers=api.headers(Role.AGENT)).json()
    assert agent["transcript"] is None and _audit(api, "transcript.read") == []
    manager = api.client.get(f"/api/v1/calls/{call_pk}", headers=api.headers(Role.MANAGER)).json()
    assert manager["transcript"] == "你 傻"
    (read,) = _audit(api, "transcript.read")
    assert read.target == f"call:{call_pk}" and read.actor.startswith("key:")
