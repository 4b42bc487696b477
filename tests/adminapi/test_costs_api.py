"""``GET /api/v1/reports/costs``: the cost report as JSON and CSV, for managers, at the configured tariffs."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from records import Role
from tests.adminapi.conftest import ApiHarness
from tests.records.test_costs import TARIFFS, seed_costs

WINDOW = {"since": "2026-11-01T00:00:00+08:00", "until": "2027-01-01T00:00:00+08:00"}


def test_cost_report_json_and_csv(api: ApiHarness, tmp_path: Path) -> None:
    seed_costs(api.db, tmp_path)
    api.app.state.config = replace(api.app.state.config, tariffs=TARIFFS)
    assert api.client.get("/api/v1/reports/costs", params=WINDOW, headers=api.headers(Role.AGENT)).status_code == 403
    body = api.client.get("/api/v1/reports/costs", params=WINDOW, headers=api.headers(Role.MANAGER)).json()
    totals = {line["month"]: line for line in body["lines"] if line["hotline"] == "*"}
    assert body["currency"] == "CNY" and set(totals) == {"2026-11", "2026-12"}
    assert totals["2026-11"]["agent_seconds_on_harassment"] == 315 and totals["2026-11"]["tollfree_charge"] == 4.1
    csv_text = api.client.get("/api/v1/reports/costs", params={**WINDOW, "format": "csv"},
                              headers=api.headers(Role.MANAGER))  # fmt: skip
    assert csv_text.headers["content-type"].startswith("text/csv")
    assert "2026-11,*,5,4,315,300,125,9,4.1,CNY" in csv_text.text
