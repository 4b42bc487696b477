"""The manager page says loudly, in its banner, that the node's ASR model is not Mandarin.

Real page in Debian's headless chromium, real health router, and the serve-time check (callscreen.service)
run on the real Korean model the tests use; only the SIP side is left out (tests/test_serve_doctor.py starts a
whole `serve` with the Korean model and checks its log, /readyz and doctor).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from adminapi import create_app
from callscreen.health import Component, ServiceHealth, Status, health_router
from callscreen.service import report_asr_language
from records import Database
from tests.adminapi.live_server import serve
from tests.browser.pages import chromium, shot

pytestmark = pytest.mark.browser


def test_banner_warns_that_the_korean_model_is_not_mandarin(tmp_path: Path, korean_model_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'records.db'}")
    db.migrate()
    health = ServiceHealth("node1")
    health.report(Component.SIP, Status.OK, "udp 127.0.0.1:5060")
    health.report(Component.MODEL, Status.OK, f"loaded {korean_model_path}")
    report_asr_language(korean_model_path, health)  # what `serve` runs after loading the model
    app = create_app(db=db, max_upload_bytes=65536, salt=b"test-salt", health_router=health_router(health))
    try:
        with serve(app) as url, chromium() as browser:
            page = browser.new_page()
            page.goto(f"{url}/manager/")
            banner = page.get_by_test_id("banner")
            banner.wait_for()
            text = banner.inner_text()
            assert "not a Mandarin model" in text and "every caller would look off-topic" in text
            shot(page, "banner-not-mandarin")
    finally:
        db.dispose()
