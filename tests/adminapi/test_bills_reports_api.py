from __future__ import annotations

from datetime import datetime
from pathlib import Path

from records import Role, SqlCallRecorder
from screening.verdict import Label
from tests.adminapi.conftest import ApiHarness
from tests.records.factories import SALT, call
from tests.records.test_bills import INCIDENT_TIMES, carrier_bill


def test_carrier_bill_matching_ranks_the_harasser_first(api: ApiHarness) -> None:
    agent, manager = api.headers(Role.AGENT), api.headers(Role.MANAGER)
    for text in INCIDENT_TIMES:
        at = datetime.fromisoformat(text).isoformat() + "+08:00"
        assert api.client.post("/api/v1/incidents", json={"occurred_at": at}, headers=agent).status_code == 201
    uploaded = api.client.post(
        "/api/v1/bills", files={"file": ("bill-2026-11.csv", carrier_bill().encode("gb18030"))}, headers=manager
    )
    assert uploaded.status_code == 201, uploaded.text
    bill = uploaded.json()
    assert bill["filename"] == "bill-2026-11.csv" and bill["line_count"] > 80
    result = api.client.get(f"/api/v1/bills/{bill['id']}/matches", params={"tolerance_s": 120}, headers=manager).json()
    first = result["candidates"][0]
    assert first["number"] == "+8675587654321" and first["incidents_matched"] == 4
    assert api.client.get("/api/v1/bills/999/matches", headers=manager).status_code == 404
    bad = api.client.post("/api/v1/bills", files={"file": ("x.csv", "time,caller\nnoon,138\n")}, headers=manager)
    assert bad.status_code == 422 and bad.json()["errors"][0]["line"] == 2


def test_reports_csv_and_evidence_pack(api: ApiHarness, tmp_path: Path) -> None:
    recorder = SqlCallRecorder(api.db, spool_dir=tmp_path, salt=SALT)
    for minute in (0, 10, 20):
        recorder.record(call("13812345678", Label.HARASSMENT, minutes=minute))
    recorder.record(call("13900001111", Label.ALLOW, minutes=30))
    manager = api.headers(Role.MANAGER)
    window = {"since": "2026-11-01T00:00:00Z", "until": "2026-11-03T00:00:00Z"}
    report = api.client.get("/api/v1/reports/summary", params=window, headers=manager).json()
    assert report["harassment_calls"] == 3 and report["by_hour"][12] == 3 and report["timezone"] == "Asia/Shanghai"
    assert report["repeat_offenders"] == [{"key": "+8613812345678", "count": 3}]
    text = api.client.get("/api/v1/reports/export.csv", params=window, headers=manager).text
    assert "totals,harassment_calls,3" in text
    inverted = api.client.get(
        "/api/v1/reports/summary", params={"since": window["until"], "until": window["since"]}, headers=manager
    )
    assert inverted.status_code == 422
    pack = api.client.get("/api/v1/reports/evidence", params={"number": "13812345678"}, headers=manager).json()
    assert len(pack["calls"]) == 3 and pack["entries"][0]["status"] == "proposed"
    assert pack["calls"][0]["transcript"] == "你好 傻"
    csv_pack = api.client.get(
        "/api/v1/reports/evidence", params={"number": "13812345678", "format": "csv"}, headers=manager
    )
    assert csv_pack.text.count("\n") == 4 and "evidence-8613812345678.csv" in csv_pack.headers["content-disposition"]
    bad = api.client.get("/api/v1/reports/evidence", params={"number": "nope"}, headers=manager)
    assert bad.status_code == 422
