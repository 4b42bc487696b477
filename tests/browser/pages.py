"""Shared steps of the browser tests: Debian's headless chromium, logging in as a person, screenshots."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from records import Database, Role
from records.base import utcnow
from records.users import create_user
from tests.conftest import REPO, require

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
PASSWORD = "page test pw 1"


def add_user(db: Database, username: str, role: Role, display_name: str = "") -> None:
    with db.session() as s:
        create_user(s, username, PASSWORD, role, actor="test", display_name=display_name, now=utcnow())


@contextmanager
def chromium() -> Iterator[Any]:
    """A launched headless chromium (playwright's Browser); skipped where chromium is absent and CI is unset."""
    require(shutil.which("chromium") is not None or Path(CHROMIUM).exists(), "Debian chromium is not installed")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


def log_in(
    page: Any, url: str, username: str, *, password: str = PASSWORD, wait_for: str | None = None, lang: str = "en"
) -> None:
    """Log in on the page as a person would; ``lang`` picks the page's language first (it opens in zh-CN)."""
    page.goto(f"{url}/manager/")
    page.get_by_test_id("lang").select_option(lang)
    page.get_by_test_id("username").fill(username)
    page.get_by_test_id("password").fill(password)
    page.get_by_test_id("login-button").click()
    page.get_by_test_id("who").filter(has_text=wait_for or username).wait_for()


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
