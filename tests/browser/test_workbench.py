"""The manager's workbench in Debian's headless chromium, driven as a manager would use it.

Each test writes a screenshot of the page it ends on to tests/artifacts/ for review.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import insert, select

from adminapi import create_app
from records import Database, Role, SqlCallRecorder
from records.audit import list_audit
from records.base import utcnow
from records.incidents import log_incident
from records.keys import create_key
from records.lists import EntryDraft, bump_version, create_entry
from records.models import BillImport, BillLine, NumberEntry, ScreenedCall
from screening.config import ScreeningConfig
from screening.interfaces import Route
from screening.numberlist import EntrySource, EntryStatus, ListName, MatchKind
from screening.verdict import Label
from tests.adminapi.live_server import serve
from tests.browser.pages import PASSWORD, add_user, chromium, log_in, shot
from tests.records.factories import BASE, SALT, call

pytestmark = pytest.mark.browser

HARASSER = "13812345678"
CUSTOMER = "13700002222"  # blocked by mistake; appeals


@dataclass
class Site:
    db: Database
    pbx_key: str
    harasser_call: int
    signing_key: Path


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    db = Database(f"sqlite:///{tmp_path / 'records.db'}")
    db.migrate()
    recorder = SqlCallRecorder(db, spool_dir=tmp_path, salt=SALT)
    recorder.record(call(HARASSER, Label.HARASSMENT, transcript="你这个傻子 我知道你住哪", call_id="sip-harasser-1"))
    recorder.record(call(HARASSER, Label.SUSPECT, minutes=90, transcript="喂 傻"))
    recorder.record(call("13900001111", Label.ALLOW, minutes=30, transcript="我想查一下订单"))
    with db.session() as s:
        first = s.scalars(select(ScreenedCall).where(ScreenedCall.call_id == "sip-harasser-1")).one()
        log_incident(s, occurred_at=BASE + timedelta(minutes=1), agent="agent:1007", note="辱骂坐席",
                     call_id="sip-harasser-1")  # fmt: skip
        bill = BillImport(filename="bill-2026-11.csv", uploaded_by="test", line_count=1)
        s.add(bill)
        s.flush()
        s.add(BillLine(import_id=bill.id, called_at=BASE, caller="+86" + HARASSER, caller_raw=HARASSER, duration_s=41))
        create_entry(s, EntryDraft(ListName.BLOCK, MatchKind.EXACT, CUSTOMER, reason="repeat caller"), actor="test")
        _, key = create_key(s, Role.AGENT, label="pbx", actor="test")
        harasser_call = first.id
    add_user(db, "wang", Role.MANAGER, display_name="王经理")
    add_user(db, "li", Role.AGENT, display_name="李坐席")
    yield Site(db, key, harasser_call, tmp_path / "evidence_ed25519.pem")
    db.dispose()


def _app(site: Site, screening: ScreeningConfig | None = None) -> FastAPI:
    return create_app(
        db=site.db, max_upload_bytes=1 << 20, salt=SALT, timezone="Asia/Shanghai", evidence_key=site.signing_key,
        screening=screening,
    )


def test_password_login_and_wrong_passwords_throttled(site: Site) -> None:
    frozen = BASE + timedelta(days=1)  # the throttle's clock stands still: the 30 s cannot run out mid-test
    app = create_app(db=site.db, max_upload_bytes=1 << 20, salt=SALT, clock=lambda: frozen)
    with serve(app) as url, chromium() as browser:
        page = browser.new_page(viewport={"width": 1100, "height": 700})
        page.goto(f"{url}/manager/")
        assert page.get_by_test_id("login-button").inner_text() == "登录"  # Chinese first
        error = page.get_by_test_id("login-error")
        for attempt in range(5):
            page.get_by_test_id("username").fill("wang")
            page.get_by_test_id("password").fill(f"guess number {attempt}")
            with page.expect_response(lambda r: "/auth/login" in r.url):
                page.get_by_test_id("login-button").click()
            # The page clears the message on submit and writes it once the answer is read: wait for the text,
            # not just the response, or the check races the page's own script.
            error.filter(has_text="用户名或密码错误。").wait_for()
            assert error.inner_text() == "用户名或密码错误。"
        page.get_by_test_id("password").fill(PASSWORD)  # the right one, but too late
        with page.expect_response(lambda r: "/auth/login" in r.url) as answer:
            page.get_by_test_id("login-button").click()
        assert answer.value.status == 429
        error.filter(has_text="密码错误次数过多").wait_for()
        assert error.inner_text() == "密码错误次数过多，请 30 秒后再试。"
        assert page.locator("#app").is_hidden()
        shot(page, "workbench-login-throttled")
        # Another person at another desk is not held up by wang's throttle... but the same source is counted:
        # li still has 14 tries from this address before the address itself is throttled.
        log_in(page, url, "li", wait_for="李坐席", lang="zh-CN")
        with site.db.session() as s:
            assert [r.actor for r in list_audit(s, limit=5, action="user.login")[0]] == ["user:li"]


def test_browse_calls_open_one_with_its_reasons_and_overturn(site: Site) -> None:
    with serve(_app(site)) as url, chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 1000}, accept_downloads=True)
        log_in(page, url, "wang", wait_for="王经理")
        rows = page.locator("[data-testid=call-table] tbody tr")
        rows.nth(2).wait_for()
        assert rows.count() == 3
        page.get_by_test_id("call-number").fill(HARASSER)
        page.get_by_test_id("call-label").select_option("harassment")
        page.locator("#call-filter").get_by_role("button", name="Filter").click()
        page.wait_for_function("document.querySelectorAll('[data-testid=call-table] tbody tr').length === 1")
        row = rows.first
        assert "12:00:00" in row.inner_text()  # 04:00 UTC shown in the centre's time (Asia/Shanghai)
        row.get_by_role("button", name="Open").click()
        view = page.get_by_test_id("call-view")
        view.wait_for()
        reasons = page.locator("[data-testid=reason-table] tbody")
        assert "content.insult" in reasons.inner_text() and "傻" in reasons.inner_text()
        assert page.get_by_test_id("transcript").inner_text() == "你这个傻子 我知道你住哪"
        page.locator("[data-testid=cv-history] tbody tr").first.wait_for()
        assert "suspect" in page.locator("[data-testid=cv-history]").inner_text()
        assert "辱骂坐席" in page.locator("[data-testid=cv-incidents]").inner_text()
        assert "bill-2026-11.csv" in page.locator("[data-testid=cv-bills]").inner_text()
        shot(page, "workbench-call-view")

        page.locator("#cv-note").fill("customer was quoting a film")
        with page.expect_response(lambda r: r.url.endswith("/review")):
            page.get_by_role("button", name="Overturn verdict").click()
        page.locator("#cv-facts").filter(has_text="overturned (user:wang)").wait_for()
        with page.expect_download() as download_info:
            page.get_by_test_id("evidence-pack").click()
        pack = Path(download_info.value.path()).read_text(encoding="utf-8").splitlines()
        assert len(pack) >= 3 and all(json.loads(line) for line in pack)
        assert page.get_by_test_id("error").inner_text() == ""

    with site.db.session() as s:
        reviewed = s.get(ScreenedCall, site.harasser_call)
        assert reviewed is not None and reviewed.review_label is Label.ALLOW
        assert reviewed.review_note == "customer was quoting a film"
        reads = list_audit(s, limit=20, action="transcript.read")[0]
        assert {r.actor for r in reads} == {"user:wang"}
        assert list_audit(s, limit=5, action="call.review.overturned")[0][0].actor == "user:wang"


def test_lift_an_active_block_with_a_reason_and_the_next_lookup_allows(site: Site) -> None:
    with serve(_app(site)) as url, chromium() as browser, httpx.Client(base_url=url) as pbx:
        pbx.headers["X-API-Key"] = site.pbx_key
        lookup = {"number": CUSTOMER}
        assert pbx.get("/api/v1/lookup", params=lookup).json()["blocked"] is True
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        log_in(page, url, "wang", wait_for="王经理")
        page.get_by_role("button", name="Lists").click()
        form = page.get_by_test_id("appeal-form")
        form.locator("input[name=number]").fill(CUSTOMER)
        form.locator("input[name=reason]").fill("客户来电申诉：号码是新开的，以前的机主不是他")
        form.get_by_role("button", name="Lift the block").click()
        page.get_by_test_id("appeal-result").filter(has_text="1 block(s) lifted; the number is now: allowed").wait_for()
        lifted = page.locator("[data-testid=list-table] tbody tr").filter(has_text="+86" + CUSTOMER)
        lifted.filter(has_text="lifted by user:wang").wait_for()
        shot(page, "workbench-appeal-lifted")
        assert pbx.get("/api/v1/lookup", params=lookup).json()["blocked"] is False

        # The same from a row of the list, through the reason dialog (a reason is required).
        assert page.locator("#entry-form select[name=list]").input_value() == "block"
        page.locator("#entry-form input[name=value]").fill("13500003333")
        page.locator("#entry-form").get_by_role("button", name="Add").click()
        row = page.locator("[data-testid=list-table] tbody tr").filter(has_text="+8613500003333")
        row.get_by_role("button", name="Lift").click()
        page.get_by_test_id("reason-input").fill("wrong number typed")
        page.get_by_test_id("reason-ok").click()
        row.filter(has_text="lifted by user:wang: wrong number typed").wait_for()
    with site.db.session() as s:
        entries = {e.value: e for e in s.scalars(select(NumberEntry))}
        assert entries["+86" + CUSTOMER].lifted_reason.startswith("客户来电申诉")  # type: ignore[union-attr]
        assert entries["+86" + CUSTOMER].status is EntryStatus.LIFTED
        actions = {(r.action, r.actor) for r in list_audit(s, limit=20)[0]}
        assert {("entry.appeal_lift", "user:wang"), ("entry.lift", "user:wang")} <= actions
        assert ("entry.create", "user:wang") in actions  # managers add entries themselves


def _bulk_entries(db: Database, count: int) -> None:
    now = utcnow()
    rows = [
        {"list": ListName.BLOCK, "kind": MatchKind.EXACT, "value": f"+86139{i:08d}", "reason": "bulk",
         "source": EntrySource.IMPORT, "author": "test", "status": EntryStatus.ACTIVE, "created_at": now,
         "updated_at": now, "hit_count": i % 7}
        for i in range(count)
    ]
    with db.session() as s:
        s.execute(insert(NumberEntry), rows)
        bump_version(s)


def test_page_through_100000_entries(site: Site) -> None:
    _bulk_entries(site.db, 100_000)
    with serve(_app(site)) as url, chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        log_in(page, url, "wang", wait_for="王经理")
        page.get_by_role("button", name="Lists").click()
        count = page.get_by_test_id("list-count")
        count.filter(has_text="1–50 of 100,001").wait_for()
        rows = page.locator("[data-testid=list-table] tbody tr")
        seen = [rows.first.locator("td").nth(2).inner_text()]
        assert rows.first.locator("td").nth(6).inner_text() == "4"  # hit count of the newest entry (99,999 % 7)
        timings = []
        for n in range(2, 6):
            started = time.monotonic()
            page.get_by_test_id("lists-next").click()
            count.filter(has_text=f"{(n - 1) * 50 + 1}–{n * 50} of 100,001").wait_for()
            timings.append(time.monotonic() - started)
            seen.append(rows.first.locator("td").nth(2).inner_text())
        assert len(set(seen)) == 5 and rows.count() == 50
        assert seen[1] == "+8613900099949"  # newest first, no row skipped or repeated across pages
        page.get_by_role("button", name="Previous").click()
        count.filter(has_text="151–200 of 100,001").wait_for()
        page.get_by_test_id("list-search").fill("1390004242")
        page.locator("#list-filter").get_by_role("button", name="Filter").click()
        count.filter(has_text="1–10 of 10").wait_for()
        shot(page, "workbench-lists-100k")
        turns = ", ".join(f"{t:.2f}" for t in timings)
        logging.getLogger(__name__).warning("page turns over 100,001 entries: %s s", turns)


def test_language_switch_and_an_agent_sees_only_their_tabs(site: Site) -> None:
    with serve(_app(site)) as url, chromium() as browser:
        # The browser runs in New York; the page still shows the centre's (Shanghai) times.
        page = browser.new_page(viewport={"width": 1100, "height": 700}, timezone_id="America/New_York")
        log_in(page, url, "li", wait_for="李坐席", lang="zh-CN")
        tabs = page.locator("nav button:visible")
        assert tabs.all_inner_texts() == ["通话", "事件登记"]  # no tab that would answer 403
        first = page.locator("[data-testid=call-table] tbody tr").last
        first.wait_for()
        assert "12:00:00" in first.inner_text() and "138****5678" in first.inner_text()  # masked for agents
        shot(page, "workbench-agent-zh")
        page.get_by_test_id("lang").select_option("en")
        page.locator("nav button", has_text="Calls").wait_for()
        assert tabs.all_inner_texts() == ["Calls", "Incidents"]
        assert page.locator("html").get_attribute("lang") == "en"
        page.reload()  # the choice is remembered
        page.locator("nav button", has_text="Calls").wait_for()
        assert page.get_by_test_id("who").inner_text() == "李坐席 (agent)"
        assert page.locator("[data-testid=call-table] tbody tr").first.locator("td").nth(2).inner_text() in {
            Route.AGENTS.value, "agents (flagged)", "deterred"}
        shot(page, "workbench-agent-en")


def test_admin_creates_a_person_who_chooses_a_password_at_first_log_in(site: Site) -> None:
    add_user(site.db, "root", Role.ADMIN, display_name="系统管理员")
    with serve(_app(site)) as url, chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        log_in(page, url, "root", wait_for="系统管理员")
        page.get_by_role("button", name="People, keys, settings").click()
        form = page.locator("#user-form")
        form.locator("input[name=username]").fill("zhao")
        form.locator("input[name=display_name]").fill("赵经理")
        form.locator("input[name=password]").fill("temporary pw 1")
        form.locator("select[name=role]").select_option("manager")
        form.get_by_role("button", name="Create").click()
        page.locator("[data-testid=user-table] tbody tr[data-user=zhao]").wait_for()
        settings = page.get_by_test_id("settings-table")
        settings.filter(has_text="screening.harassment_threshold").wait_for()  # what is in force, read-only
        assert page.locator("#model-reload").is_hidden()  # no content model behind this API
        shot(page, "workbench-people")
        page.get_by_role("button", name="Log out").click()
        page.get_by_test_id("login-button").wait_for()

        page.get_by_test_id("username").fill("zhao")
        page.get_by_test_id("password").fill("temporary pw 1")
        page.get_by_test_id("login-button").click()
        change = page.get_by_test_id("password-change")
        change.wait_for()
        change.locator("input[name=current_password]").fill("temporary pw 1")
        change.locator("input[name=new_password]").fill("zhao's own pw 2")
        change.get_by_role("button", name="Change password").click()
        page.get_by_test_id("login-button").wait_for()  # every session ended: log in with the new password
        log_in(page, url, "zhao", password="zhao's own pw 2", wait_for="赵经理")
        assert page.locator("nav button:visible").all_inner_texts() == [
            "Calls", "Review queue", "Lists", "Reports", "Shadow test", "Incidents", "Bill matching"]
    with site.db.session() as s:
        actions = {(r.action, r.actor) for r in list_audit(s, limit=20)[0]}
    assert {("user.create", "user:root"), ("user.password_change", "user:zhao")} <= actions


def test_shadow_comparison_and_the_cost_report(site: Site, tmp_path: Path) -> None:
    from tests.records.test_shadow import record_inputs

    record_inputs(site.db, tmp_path / "shadow")
    # live settings with the rules only: record_inputs' calls carry the rules' scores (tests/records/test_shadow.py)
    with serve(_app(site, ScreeningConfig(learned=False))) as url, chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        log_in(page, url, "wang", wait_for="王经理")
        page.get_by_role("button", name="Shadow test").click()
        form = page.get_by_test_id("shadow-form")
        form.get_by_label("From").fill("2026-11-23")
        form.get_by_label("to").fill("2026-11-25")
        form.get_by_label("Setting").fill("harassment_threshold")
        form.get_by_label("Value").fill("0.5")
        with page.expect_response(lambda r: r.url.endswith("/shadow")) as answer:
            form.get_by_role("button", name="Compare").click()
        assert answer.value.status == 200, answer.value.text()
        figures = page.get_by_test_id("shadow-figures")
        figures.filter(has_text="Calls replayed").wait_for()
        result = answer.value.json()
        assert result["inputs"] == 6 and result["changed"] >= 1
        rows = page.locator("[data-testid=shadow-table] tbody tr")
        assert rows.count() == len(result["calls"])
        assert "stricter" in rows.first.inner_text()
        shot(page, "workbench-shadow")

        with page.expect_response(lambda r: "/reports/costs" in r.url):
            page.get_by_role("button", name="Reports").click()
        report = page.locator("#report-form")
        report.get_by_label("From").fill("2026-11-01")  # a fixed window: the test must not depend on today
        report.get_by_label("to").fill("2026-11-30")
        with page.expect_response(lambda r: "/reports/costs?since=" in r.url):
            report.get_by_role("button", name="Show").click()
        page.locator("[data-testid=cost-table] tbody tr").first.wait_for()
        assert "2026-11" in page.locator("[data-testid=cost-table]").inner_text()
        page.wait_for_function('Chart.getChart("chart-costs") !== undefined')
        shot(page, "workbench-reports-costs")
        assert page.get_by_test_id("error").inner_text() == ""
