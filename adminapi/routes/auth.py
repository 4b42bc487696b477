"""``/auth``: people log in with a user name and password (the page), log out and change their password.

A log-in sets an HTTP-only, SameSite=Strict session cookie (Secure when the request came over HTTPS) and returns
the session's CSRF token, which the page sends back in ``X-CSRF-Token`` on every change. Wrong passwords are
throttled per user name and per source address (``adminapi.throttle``): 429 with ``Retry-After``.
"""

from __future__ import annotations

import logging
import math

from fastapi import APIRouter, HTTPException, Request, Response, status

from adminapi.deps import SESSION_COOKIE, AgentUser, BrowserSession, ConfigDep, SessionDep
from adminapi.schemas.admin import LoginRequest, Me, PasswordChange
from records.users import IDLE_TIMEOUT, MAX_SESSION, change_own_password, end_session, start_session, verify_password

router = APIRouter(prefix="/auth", tags=["auth"])
log = logging.getLogger(__name__)


def _source(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def me_of(config: ConfigDep, user: AgentUser, browser: BrowserSession) -> Me:
    own = browser is not None and browser.principal == user
    return Me(key_id=user.key_id, role=user.role, label=user.label, username=user.username,
              csrf_token=browser.csrf_token if own and browser else None,
              must_change_password=bool(own and browser and browser.must_change_password),
              timezone=str(config.zone))


@router.post("/login", response_model=Me)
def login(
    request: Request, response: Response, config: ConfigDep, session: SessionDep, body: LoginRequest
) -> Me:
    username = body.username.strip().lower()
    source = _source(request)
    wait = config.throttle.retry_after(username, source)
    if wait > 0:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS, f"too many wrong passwords: try again in {math.ceil(wait)} s",
            headers={"Retry-After": str(math.ceil(wait))},
        )
    now = config.clock()
    user = verify_password(session, username, body.password, now=now)
    if user is None:
        config.throttle.failed(username, source)
        log.warning("failed log-in for user name %r from %s", username[:64], source)
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "wrong user name or password")
    config.throttle.succeeded(username)
    token, csrf = start_session(session, user, now=now)
    response.set_cookie(
        SESSION_COOKIE, token, max_age=int(MAX_SESSION.total_seconds()), httponly=True, samesite="strict",
        secure=request.url.scheme == "https", path="/",
    )
    return Me(key_id=None, role=user.role, label=user.display_name, username=user.username, csrf_token=csrf,
              must_change_password=user.must_change_password, timezone=str(config.zone))


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(request: Request, response: Response, session: SessionDep) -> None:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        end_session(session, token)
    response.delete_cookie(SESSION_COOKIE, path="/")


@router.post("/password", status_code=status.HTTP_204_NO_CONTENT)
def change_password(
    response: Response, config: ConfigDep, session: SessionDep, user: AgentUser, body: PasswordChange
) -> None:
    """A person changes their own password; all their sessions end (log in again)."""
    if user.user_id is None:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "API keys have no password")
    change_own_password(session, user.user_id, body.current_password, body.new_password, now=config.clock())
    response.delete_cookie(SESSION_COOKIE, path="/")


__all__ = ["IDLE_TIMEOUT", "me_of", "router"]
