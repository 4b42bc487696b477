"""``POST /api/v1/shadow``: the page's shadow comparison, over HTTP, with the roles it needs."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path

from records import Role
from screening.config import ScreeningConfig
from tests.adminapi.conftest import ApiHarness
from tests.records.test_shadow import AT, record_inputs

WINDOW = {"since": (AT - timedelta(days=1)).isoformat(), "until": (AT + timedelta(days=1)).isoformat()}


def test_manager_compares_a_candidate_and_reads_which_calls_change(api: ApiHarness, tmp_path: Path) -> None:
    # live settings with the rules only: the scores in tests.records.test_shadow.CALLS are the rules' (see there)
    api.app.state.config = dataclasses.replace(api.app.state.config, screening=ScreeningConfig(learned=False))
    record_inputs(api.db, tmp_path)
    body = {**WINDOW, "settings": {"suspect_threshold": 0.6, "harassment_threshold": 0.65}}
    assert api.client.post("/api/v1/shadow", json=body, headers=api.headers(Role.AGENT)).status_code == 403
    result = api.client.post("/api/v1/shadow", json=body, headers=api.headers(Role.MANAGER))
    assert result.status_code == 200, result.text
    report = result.json()
    assert (report["inputs"], report["changed"], report["stricter"], report["lenient"]) == (6, 2, 1, 1)
    assert {(c["caller"], c["direction"]) for c in report["calls"]} == {
        ("+86 138****0001", "lenient"),
        ("+86 138****0002", "stricter"),
    }
    listed = api.client.post("/api/v1/shadow", headers=api.headers(Role.MANAGER),
                             json={**WINDOW, "list_csv": "list,value\nblock,13800000003\n"}).json()  # fmt: skip
    assert listed["transitions"] == {"allow→blocked": 1}


def test_bad_candidates_are_refused_clearly(api: ApiHarness, tmp_path: Path) -> None:
    manager = api.headers(Role.MANAGER)
    bad = api.client.post("/api/v1/shadow", json={**WINDOW, "settings": {"harassment_threshold": 3}}, headers=manager)
    assert bad.status_code == 422 and "harassment_threshold" in bad.text
    unknown = api.client.post("/api/v1/shadow", json={**WINDOW, "settings": {"no_such": 1}}, headers=manager)
    assert unknown.status_code == 422 and "no_such" in unknown.text
    server_dir = {**WINDOW, "lexicon_dir": str(tmp_path)}
    assert api.client.post("/api/v1/shadow", json=server_dir, headers=manager).status_code == 403
    assert api.client.post("/api/v1/shadow", json=server_dir, headers=api.headers(Role.ADMIN)).status_code == 200
