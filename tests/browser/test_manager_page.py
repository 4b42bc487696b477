"""The manager page in Debian's real headless chromium: log in, approve a proposed block, see a chart render."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from adminapi import create_app
from records import Database, Role, SqlCallRecorder
from records.keys import create_key
from screening.verdict import Label
from tests.adminapi.live_server import serve
from tests.browser.pages import add_user, chromium, log_in, shot
from tests.records.factories import SALT, call

pytestmark = pytest.mark.browser

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
        _, key = create_key(s, Role.AGENT, label="pbx", actor="test")  # the PBX's lookups
    add_user(db, "manager", Role.MANAGER, display_name="browser-manager")
    yield db, key
    db.dispose()


def test_approve_proposed_block_and_see_chart(seeded: tuple[Database, str]) -> None:
    db, key = seeded
    app = create_app(db=db, max_upload_bytes=1 << 20, salt=SALT)
    with serve(app) as url, chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        requested: list[str] = []
        page.on("request", lambda request: requested.append(request.url))
        log_in(page, url, "manager", wait_for="browser-manager")

        lookup = {"number": HARASSER}
        with httpx.Client(base_url=url, headers={"X-API-Key": key}) as client:
            assert client.get("/api/v1/lookup", params=lookup).json()["blocked"] is False
            page.get_by_role("button", name="Review queue").click()  # the page opens on the call browser
            row = page.locator("[data-testid=review-table] tbody tr").filter(has_text="+8613812345678")
            row.get_by_role("button", name="Approve").click()
            row.wait_for(state="detached")
            assert client.get("/api/v1/lookup", params=lookup).json()["blocked"] is True

        with page.expect_response(lambda r: "/reports/summary" in r.url):
            page.get_by_role("button", name="Reports").click()
        form = page.locator("#report-form")
        form.get_by_label("From").fill("2026-11-01")
        form.get_by_label("to").fill("2026-11-03")
        with page.expect_response(lambda r: "/reports/summary?since=" in r.url):
            page.get_by_role("button", name="Show").click()
        # Chart.js (vendored) draws on a canvas: read what it plotted, and that the canvas has a real size.
        page.wait_for_function(
            """() => {
                const chart = Chart.getChart("chart-hour");
                const box = document.querySelector("#chart-hour").getBoundingClientRect();
                return chart !== undefined && chart.data.datasets[0].data.includes(2) && box.height > 100;
            }"""
        )
        assert page.evaluate('Chart.getChart("chart-weekday").data.labels.length') == 7
        assert "+8613900001111" in page.locator("#repeat").inner_text()
        shot(page, "manager-page-reports")
        assert requested and all(u.startswith(url) for u in requested), "the page must work offline"


def test_lists_incidents_and_bill_matching_on_the_page(tmp_path: Path) -> None:
    from tests.records.test_bills import INCIDENT_TIMES, carrier_bill

    db = Database(f"sqlite:///{tmp_path / 'records.db'}")
    db.migrate()
    add_user(db, "admin", Role.ADMIN, display_name="browser-admin")
    bill = tmp_path / "bill.csv"
    bill.write_bytes(carrier_bill().encode("gb18030"))
    app = create_app(db=db, max_upload_bytes=1 << 20, salt=SALT, timezone="Asia/Shanghai")
    with serve(app) as url, chromium() as browser:
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900}, timezone_id="Asia/Shanghai")
            log_in(page, url, "admin", wait_for="browser-admin")

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
            shot(page, "manager-page-bill-matching")
            assert page.locator("#error").inner_text() == ""
        finally:
            db.dispose()
