from __future__ import annotations

import csv
import io

from records import Role
from tests.adminapi.conftest import MAX_UPLOAD, ApiHarness

ENTRIES = "/api/v1/lists/entries"


def test_crud_with_filters_paging_and_audit(api: ApiHarness) -> None:
    admin, manager = api.headers(Role.ADMIN), api.headers(Role.MANAGER)
    created = api.client.post(ENTRIES, json={"value": "138 1234 5678", "reason": "abuse"}, headers=admin)
    assert created.status_code == 201
    entry = created.json()
    assert (entry["value"], entry["list"], entry["status"], entry["source"]) == (
        "+8613812345678",
        "block",
        "active",
        "manager",
    )
    dup = api.client.post(ENTRIES, json={"value": "+8613812345678"}, headers=admin)
    assert dup.status_code == 409 and "already has exact entry" in dup.json()["detail"]
    for i in range(5):
        api.client.post(ENTRIES, json={"list": "allow", "kind": "prefix", "value": f"0755{i}"}, headers=admin)
    page = api.client.get(ENTRIES, params={"list": "allow", "limit": 2, "offset": 2}, headers=manager).json()
    assert page["count"] == 5 and len(page["data"]) == 2
    found = api.client.get(ENTRIES, params={"q": "7553"}, headers=manager).json()
    assert [e["value"] for e in found["data"]] == ["+867553"]
    patched = api.client.patch(
        f"{ENTRIES}/{entry['id']}", json={"reason": "obscene", "status": "lifted"}, headers=admin
    )
    assert patched.json()["status"] == "lifted" and patched.json()["reason"] == "obscene"
    assert api.client.delete(f"{ENTRIES}/{entry['id']}", headers=admin).status_code == 204
    assert api.client.get(f"{ENTRIES}/{entry['id']}", headers=manager).status_code == 404
    audit = api.client.get("/api/v1/audit", params={"action": "entry.update"}, headers=admin).json()
    assert audit["count"] == 1 and audit["data"][0]["actor"].endswith("test-admin")
    assert '"status": "active"' in audit["data"][0]["before"] and '"status": "lifted"' in audit["data"][0]["after"]


def test_bad_input_gets_a_clear_4xx(api: ApiHarness) -> None:
    admin = api.headers(Role.ADMIN)
    bad = api.client.post(ENTRIES, json={"kind": "pattern", "value": "1[3-9"}, headers=admin)
    assert bad.status_code == 422 and "not a valid regular expression" in bad.json()["detail"]
    naive = api.client.post(ENTRIES, json={"value": "13812345678", "expires_at": "2030-01-01T00:00:00"}, headers=admin)
    assert naive.status_code == 422 and "timezone" in naive.text
    unknown = api.client.post(ENTRIES, json={"value": "13812345678", "colour": "red"}, headers=admin)
    assert unknown.status_code == 422
    assert api.client.get(ENTRIES, params={"limit": 100000}, headers=admin).status_code == 422
    assert api.client.get(f"{ENTRIES}/99999999999999", headers=admin).status_code == 422


def test_csv_import_is_all_or_nothing_and_export_round_trips(api: ApiHarness) -> None:
    admin = api.headers(Role.ADMIN)
    bad = "number,kind,reason\n13812345678,,ok\nnot-a-number,,x\n0755,prefix,x\n0755,prefix,again\n"
    refused = api.client.post("/api/v1/lists/import", files={"file": ("b.csv", bad)}, headers=admin)
    assert refused.status_code == 422
    assert [e["line"] for e in refused.json()["errors"]] == [3, 5]
    assert api.client.get(ENTRIES, headers=admin).json()["count"] == 0
    good = "号码,kind,原因\n13812345678,,骚扰\n0755,prefix,switchboard\n"
    done = api.client.post("/api/v1/lists/import", files={"file": ("g.csv", good.encode("gb18030"))}, headers=admin)
    assert done.json() == {"rows": 2, "created": 2, "skipped_existing": 0}
    exported = api.client.get("/api/v1/lists/export", params={"list": "block"}, headers=api.headers(Role.MANAGER))
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert {(r["value"], r["reason"], r["source"]) for r in rows} == {
        ("+8613812345678", "骚扰", "import"),
        ("+86755", "switchboard", "import"),
    }


def test_oversized_upload_is_refused(api: ApiHarness) -> None:
    big = "value\n" + "13812345678\n" * (MAX_UPLOAD // 12 + 10)
    response = api.client.post(
        "/api/v1/lists/import", files={"file": ("big.csv", big)}, headers=api.headers(Role.ADMIN)
    )
    assert response.status_code == 413 and "larger than the limit" in response.json()["detail"]
    assert api.client.get(ENTRIES, headers=api.headers(Role.ADMIN)).json()["count"] == 0
