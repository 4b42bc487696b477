"""People log in with a password: session cookie, CSRF, throttling, password change and reset, audit by name."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from adminapi import create_app
from callscreen.cli import main as cli_main
from records import Database, Role
from records.audit import list_audit
from records.users import create_user
from tests.adminapi.live_server import serve

START = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
PASSWORD = "correct horse 9"


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def site(database: Database, clock: Clock) -> Iterator[str]:
    with database.session() as s:
        create_user(s, "wang", PASSWORD, Role.MANAGER, actor="test", display_name="王经理", now=START)
        create_user(s, "root", PASSWORD, Role.ADMIN, actor="test", now=START)
    app = create_app(db=database, max_upload_bytes=1 << 16, salt=b"s", clock=clock)
    with serve(app) as url:
        yield url


Login = Callable[..., tuple[httpx.Client, httpx.Response]]


@pytest.fixture
def login() -> Iterator[Login]:
    """Log in as a new browser (its own cookie jar); every client is closed at the end."""
    clients: list[httpx.Client] = []

    def log_in(url: str, username: str = "wang", password: str = PASSWORD) -> tuple[httpx.Client, httpx.Response]:
        client = httpx.Client(base_url=url, timeout=30)
        clients.append(client)
        return client, client.post("/api/v1/auth/login", json={"username": username, "password": password})

    yield log_in
    for client in clients:
        client.close()


def test_login_sets_an_http_only_cookie_and_changes_need_the_csrf_token(
    site: str, database: Database, login: Login
) -> None:
    client, response = login(site, "Wang ")
    assert response.status_code == 200, response.text
    me = response.json()
    assert me["username"] == "wang" and me["role"] == "manager" and me["label"] == "王经理"
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "secure" not in cookie  # plain HTTP here
    assert client.get("/api/v1/me").json()["csrf_token"] == me["csrf_token"]
    # without the page's token the cookie alone is not enough to change anything
    refused = client.post("/api/v1/review/1/approve")
    assert refused.status_code == 403 and "X-CSRF-Token" in refused.json()["detail"]
    wrong = client.post(
        "/api/v1/incidents",
        json={"occurred_at": "2026-11-30T09:00:00Z", "note": "x"},
        headers={"X-CSRF-Token": "forged"},
    )
    assert wrong.status_code == 403
    made = client.post(
        "/api/v1/incidents",
        json={"occurred_at": "2026-11-30T09:00:00Z", "note": "shouting"},
        headers={"X-CSRF-Token": me["csrf_token"]},
    )
    assert made.status_code == 201, made.text
    assert made.json()["agent"] == "user:wang"
    with database.session() as s:
        rows, _ = list_audit(s, limit=10, actor="user:wang")
        assert "user.login" in [r.action for r in rows]
    assert client.post("/api/v1/auth/logout").status_code == 204
    assert client.get("/api/v1/me").status_code == 401


def test_wrong_passwords_are_throttled_per_user_and_the_right_one_waits_too(
    site: str, database: Database, clock: Clock, login: Login
) -> None:
    if database.engine.dialect.name != "sqlite":
        pytest.skip("the throttle lives in the API's memory: one database backend is enough")
    for _ in range(5):
        assert login(site, password="wrong password")[1].status_code == 401
    throttled = login(site)[1]
    assert throttled.status_code == 429
    assert int(throttled.headers["Retry-After"]) == 30
    clock.now += timedelta(seconds=31)
    assert login(site, password="still wrong!")[1].status_code == 401
    doubled = login(site)[1]
    assert doubled.status_code == 429 and int(doubled.headers["Retry-After"]) == 60
    clock.now += timedelta(seconds=61)
    assert login(site)[1].status_code == 200
    assert login(site, password="wrong again")[1].status_code == 401  # success cleared the user's count
    assert login(site)[1].status_code == 200
    assert login(site, "root")[1].status_code == 200  # another user was never throttled


def test_one_source_trying_many_user_names_is_throttled(
    site: str, database: Database, clock: Clock, login: Login
) -> None:
    if database.engine.dialect.name != "sqlite":
        pytest.skip("the throttle lives in the API's memory: one database backend is enough")
    for i in range(20):
        assert login(site, f"guess{i}", "password123")[1].status_code == 401
    assert login(site, "root")[1].status_code == 429
    clock.now += timedelta(minutes=16)
    assert login(site, "root")[1].status_code == 200


def test_admin_creates_user_who_must_choose_a_password_then_admin_resets_it(
    site: str, database: Database, login: Login
) -> None:
    admin, response = login(site, "root")
    csrf = {"X-CSRF-Token": response.json()["csrf_token"]}
    made = admin.post(
        "/api/v1/users", json={"username": "li", "password": "temporary-1", "role": "agent"}, headers=csrf
    )
    assert made.status_code == 201, made.text
    agent, first = login(site, "li", "temporary-1")
    assert first.json()["must_change_password"] is True
    agent_csrf = {"X-CSRF-Token": first.json()["csrf_token"]}
    assert agent.get("/api/v1/calls").status_code == 403
    weak = agent.post(
        "/api/v1/auth/password",
        json={"current_password": "temporary-1", "new_password": "aaaaaaaaaa"},
        headers=agent_csrf,
    )
    assert weak.status_code == 422
    changed = agent.post(
        "/api/v1/auth/password",
        json={"current_password": "temporary-1", "new_password": "my own secret 7"},
        headers=agent_csrf,
    )
    assert changed.status_code == 204, changed.text
    assert agent.get("/api/v1/me").status_code == 401  # the change ended every session
    agent, again = login(site, "li", "my own secret 7")
    assert again.json()["must_change_password"] is False
    assert agent.get("/api/v1/calls").status_code == 200
    reset = admin.post(f"/api/v1/users/{made.json()['id']}/password", json={"password": "temporary-2"}, headers=csrf)
    assert reset.status_code == 200 and reset.json()["must_change_password"] is True
    assert agent.get("/api/v1/calls").status_code == 401
    assert login(site, "li", "my own secret 7")[1].status_code == 401
    disabled = admin.patch(f"/api/v1/users/{made.json()['id']}", json={"disabled": True}, headers=csrf)
    assert disabled.status_code == 200
    assert login(site, "li", "temporary-2")[1].status_code == 401
    with database.session() as s:
        actions = [r.action for r in list_audit(s, limit=50, actor="user:root")[0]]
    assert {"user.create", "user.password_reset", "user.update"} <= set(actions)


def test_an_idle_session_expires(site: str, clock: Clock, login: Login) -> None:
    client, _ = login(site)
    clock.now += timedelta(hours=7)
    assert client.get("/api/v1/me").status_code == 200
    clock.now += timedelta(hours=8, minutes=1)
    assert client.get("/api/v1/me").status_code == 401


def test_cli_creates_the_first_admin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, login: Login) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("CALLSCREEN_DATABASE_URL", url)
    monkeypatch.setenv("CALLSCREEN_DATA_DIR", str(tmp_path))
    monkeypatch.setattr("sys.stdin", io.StringIO("first admin pw 1\n"))
    assert cli_main(["users", "create", "boss", "--role", "admin", "--password-stdin"]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert cli_main(["users", "create", "boss2", "--role", "admin", "--password-stdin"]) == 1
    db = Database(url)
    with serve(create_app(db=db, max_upload_bytes=1 << 16, salt=b"s")) as site:
        _, response = login(site, "boss", "first admin pw 1")
        assert response.json()["role"] == "admin"
    db.dispose()
