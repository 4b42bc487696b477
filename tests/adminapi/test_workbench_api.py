"""The workbench's API: keyset paging, lifting with a reason, a manager's review of a call, the call's context."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from records import Role, SqlCallRecorder
from records.models import ReviewOutcome, ScreenedCall
from screening.verdict import Label
from tests.adminapi.conftest import ApiHarness
from tests.records.factories import SALT, call

ENTRIES = "/api/v1/lists/entries"


def test_entries_page_by_keyset_without_gaps_or_repeats(api: ApiHarness) -> None:
    manager = api.headers(Role.MANAGER)
    for i in range(23):
        made = api.client.post(ENTRIES, json={"value": f"1390000{i:04d}", "reason": "r"}, headers=manager)
        assert made.status_code == 201, made.text  # managers add entries themselves
    seen: list[str] = []
    before: int | None = None
    while True:
        params: dict[str, str | int] = {"limit": 10}
        if before:
            params["before_id"] = before
        page = api.client.get(ENTRIES, params=params, headers=manager).json()
        assert page["count"] == (23 if before is None else None)  # counted once, on the first page
        seen += [e["value"] for e in page["data"]]
        if len(page["data"]) < 10:
            break
        before = page["data"][-1]["id"]
    assert seen == [f"+861390000{i:04d}" for i in reversed(range(23))]
    searched: list[str] = []  # a number search pages in value order, by keyset on (value, id)
    before = None
    for _ in range(3):
        params = {"limit": 10, "q": "139 0000 00"}
        if before:
            params["before_id"] = before
        page = api.client.get(ENTRIES, params=params, headers=manager).json()
        searched += [e["value"] for e in page["data"]]
        before = page["data"][-1]["id"] if page["data"] else None
    assert searched == [f"+861390000{i:04d}" for i in reversed(range(23)) if i < 100]
    assert api.client.delete(f"{ENTRIES}/{page['data'][0]['id']}", headers=manager).status_code == 403  # admins


def test_lift_needs_a_reason_keeps_it_and_the_lookup_allows_at_once(api: ApiHarness) -> None:
    manager, pbx = api.headers(Role.MANAGER), api.headers(Role.AGENT)
    entry = api.client.post(ENTRIES, json={"value": "13812345678", "reason": "abuse"}, headers=manager).json()
    assert api.client.get("/api/v1/lookup", params={"number": "13812345678"}, headers=pbx).json()["blocked"]
    lift = f"{ENTRIES}/{entry['id']}/lift"
    assert api.client.post(lift, json={"reason": " "}, headers=manager).status_code == 422
    assert api.client.post(lift, json={"reason": "x"}, headers=pbx).status_code == 403
    lifted = api.client.post(lift, json={"reason": "customer appeal: new owner", "appeal": True}, headers=manager)
    assert lifted.status_code == 200, lifted.text
    body = lifted.json()
    assert (body["status"], body["lifted_reason"], body["reason"]) == ("lifted", "customer appeal: new owner", "abuse")
    assert body["lifted_by"].endswith("test-manager")
    assert not api.client.get("/api/v1/lookup", params={"number": "13812345678"}, headers=pbx).json()["blocked"]
    assert api.client.post(lift, json={"reason": "again"}, headers=manager).status_code == 409
    audit = api.client.get("/api/v1/audit", params={"action": "entry.appeal_lift"}, headers=api.headers(Role.ADMIN))
    assert '"lifted_reason": "customer appeal: new owner"' in audit.json()["data"][0]["after"]


def test_review_stores_the_truth_for_training_and_context_shows_the_number(api: ApiHarness, tmp_path: Path) -> None:
    rec = SqlCallRecorder(api.db, spool_dir=tmp_path, salt=SALT)
    rec.record(call("13812345678", Label.HARASSMENT, call_id="c-1"))
    rec.record(call("13812345678", Label.ALLOW, minutes=60, call_id="c-2"))
    rec.record(call("13900001111", Label.SUSPECT, minutes=30, call_id="c-3"))
    with api.db.session() as s:
        ids = {c.call_id: c.id for c in s.scalars(select(ScreenedCall))}
    manager = api.headers(Role.MANAGER)
    agent = api.headers(Role.AGENT)
    review = "/api/v1/calls/{}/review"
    assert api.client.post(review.format(ids["c-1"]), json={"outcome": "confirmed"}, headers=agent).status_code == 403
    for call_id, outcome in (("c-1", "confirmed"), ("c-2", "overturned"), ("c-3", "overturned")):
        done = api.client.post(review.format(ids[call_id]), json={"outcome": outcome, "note": "n"}, headers=manager)
        assert done.status_code == 200, done.text
        assert done.json()["review_outcome"] == outcome
    with api.db.session() as s:
        truth = {c.call_id: (c.review_outcome, c.review_label) for c in s.scalars(select(ScreenedCall))}
    assert truth == {
        "c-1": (ReviewOutcome.CONFIRMED, Label.HARASSMENT),
        "c-2": (ReviewOutcome.OVERTURNED, Label.HARASSMENT),  # let through, but it was harassment
        "c-3": (ReviewOutcome.OVERTURNED, Label.ALLOW),  # flagged, but it was a customer
    }
    ctx = api.client.get(f"/api/v1/calls/{ids['c-1']}/context", headers=manager).json()
    assert [h["id"] for h in ctx["history"]] == [ids["c-2"]]
    assert api.client.get(f"/api/v1/calls/{ids['c-1']}/context", headers=agent).status_code == 403
    page = api.client.get("/api/v1/calls", params={"limit": 2}, headers=manager).json()
    last = page["data"][-1]
    rest = api.client.get(
        "/api/v1/calls", params={"limit": 2, "before_at": last["started_at"], "before_id": last["id"]}, headers=manager
    ).json()
    assert [c["call_id"] for c in page["data"] + rest["data"]] == ["c-2", "c-3", "c-1"]
    assert (page["count"], rest["count"]) == (3, None)  # a keyset page is not counted again
