"""The manager page in Debian's real headless chromium: log in, approve a proposed block, see a chart render."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from adminapi import create_app
from records import Database, Role, SqlCallRecorder
from records.keys import create_key
from screening.verdict import Label
from tests.adminapi.live_server import serve
from tests.conftest import REPO, require
from tests.records.factories import SALT, call

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = REPO / "tests" / "artifacts"
HARASSER = "13812345678"


@pytest.fixture
def seeded(tmp_path: Path) -> Iterator[tuple[Database, str]]:
    db = Database(f"sqlite:///{tmp_path / 'records.db'}")
    db.migrate()
    recorder = SqlCallRecorder(db, spool_dir=tmp_path, salt=SALT)
    recorder.record(call(HARASSER, Label.SUSPECT, confirmed_by="agent:1007"))
    for minute in (5, 70, 130, 600):
        recorder.record(call("13900001111", Label.HARASSMENT, minutes=minute))
    with db.session() as s:
        _, key = create_key(s, Role.MANAGER, label="browser-manager", actor="test")
    yield db, key
    db.dispose()


def test_approve_proposed_block_and_see_chart(seeded: tuple[Database, str]) -> None:
    require(shutil.which("chromium") is not None or Path(CHROMIUM).exists(), "Debian chromium is not installed")
    sync_api = pytest.importorskip("playwright.sync_api")
    db, key = seeded
    app = create_app(db=db, max_upload_bytes=1 << 20, salt=SALT)
    with serve(app) as url, sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            requested: list[str] = []
            page.on("request", lambda request: requested.append(request.url))
            page.goto(f"{url}/manager/")
            page.get_by_test_id("key").fill(key)
            page.get_by_test_id("login-button").click()
            page.get_by_test_id("who").filter(has_text="browser-manager").wait_for()

            lookup = {"number": HARASSER}
            with httpx.Client(base_url=url, headers={"X-API-Key": key}) as client:
                assert client.get("/api/v1/lookup", params=lookup).json()["blocked"] is False
                row = page.locator("[data-testid=review-table] tbody tr").filter(has_text="+8613812345678")
                row.get_by_role("button", name="Approve").click()
                row.wait_for(state="detached")
                assert client.get("/api/v1/lookup", params=lookup).json()["blocked"] is True

            with page.expect_response(lambda r: "/reports/summary" in r.url):
                page.get_by_role("button", name="Reports").click()
            page.get_by_label("From").fill("2026-11-01")
            page.get_by_label("to").fill("2026-11-03")
            with page.expect_response(lambda r: "/reports/summary?since=" in r.url):
                page.get_by_role("button", name="Show").click()
            # One evaluation in the page, so a re-render cannot detach the bar between finding and measuring it.
            page.wait_for_function(
                """() => {
                    const bar = document.querySelector("#chart-hour svg rect.bar[data-value='2']");
                    return bar !== null && bar.getBoundingClientRect().height > 20;
                }"""
            )
            assert page.locator("#chart-weekday svg rect.bar").count() == 7
            assert "+8613900001111" in page.locator("#repeat").inner_text()
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "manager-page-reports.png"), full_page=True)
            assert requested and all(u.startswith(url) for u in requested), "the page must work offline"
        finally:
            browser.close()


def test_lists_incidents_and_bill_matching_on_the_page(tmp_path: Path) -> None:
    require(Path(CHROMIUM).exists(), "Debian chromium is not installed")
    sync_api = pytest.importorskip("playwright.sync_api")
    from tests.records.test_bills import INCIDENT_TIMES, carrier_bill

    db = Database(f"sqlite:///{tmp_path / 'records.db'}")
    db.migrate()
    with db.session() as s:
        _, key = create_key(s, Role.ADMIN, label="browser-admin", actor="test")
    bill = tmp_path / "bill.csv"
    bill.write_bytes(carrier_bill().encode("gb18030"))
    app = create_app(db=db, max_upload_bytes=1 << 20, salt=SALT, timezone="Asia/Shanghai")
    with serve(app) as url, sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900}, timezone_id="Asia/Shanghai")
            page.goto(f"{url}/manager/")
            page.get_by_test_id("key").fill(key)
            page.get_by_test_id("login-button").click()
            page.get_by_test_id("who").filter(has_text="browser-admin").wait_for()

            page.get_by_role("button", name="Lists").click()
            form = page.locator("#entry-form")
            form.locator("select[name=kind]").select_option("prefix")
            form.locator("input[name=value]").fill("0755123")
            form.locator("input[name=reason]").fill("school switchboard")
            form.get_by_role("button", name="Add").click()
            page.get_by_test_id("list-table").filter(has_text="+86755123").wait_for()

            page.get_by_role("button", name="Incidents").click()
            incident = page.locator("#incident-form")
            rows = page.locator("[data-testid=incident-table] tbody tr")
            for logged, text in enumerate(INCIDENT_TIMES, start=1):
                incident.locator("input[name=occurred_at]").fill(text.replace(" ", "T")[:16])
                incident.get_by_role("button", name="Log incident").click()
                page.wait_for_function(
                    f"document.querySelectorAll('[data-testid=incident-table] tbody tr').length === {logged}"
                )
            assert rows.count() == 4, page.locator("#error").inner_text()

            page.get_by_role("button", name="Bill matching").click()
            page.locator("#bill-form input[type=file]").set_input_files(str(bill))
            page.get_by_role("button", name="Upload carrier bill").click()
            page.locator("#match-form select option").first.wait_for(state="attached")
            page.get_by_role("button", name="Match incidents").click()
            first = page.locator("[data-testid=match-table] tbody tr").first
            first.wait_for()
            assert first.locator("td").nth(0).inner_text() == "+8675587654321"
            assert first.locator("td").nth(1).inner_text() == "4"
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "manager-page-bill-matching.png"), full_page=True)
            assert page.locator("#error").inner_text() == ""
        finally:
            browser.close()
            db.dispose()
