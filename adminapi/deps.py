"""Request dependencies: the unit of work (one session per request) and authentication by role.

The session dependency has ``scope="function"``: it commits when the endpoint returns and *before* the response
is sent, so a client never reads a response for a change that has not been committed. Machines send an API key
in ``X-API-Key`` (or ``Authorization: Bearer``); people log in on the page and send the session cookie, and
with it, on every request that changes something, the session's CSRF token in ``X-CSRF-Token`` (a cookie is
sent by the browser whoever made the page; the token only by this page's own script). Roles include the ones
below them (admin ⊇ manager ⊇ agent).
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from adminapi.config import ApiConfig
from numbering import mask
from records.keys import Principal, authenticate
from records.models import Role
from records.users import SessionInfo, resume_session

API_KEY_HEADER = "X-API-Key"
CSRF_HEADER = "X-CSRF-Token"
SESSION_COOKIE = "callscreen_session"
MAX_KEY_LEN = 200
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# What a user whose password was reset by an admin may still do before choosing a new one.
PASSWORD_CHANGE_PATHS = ("/api/v1/me", "/api/v1/auth/")

_key_header = APIKeyHeader(name=API_KEY_HEADER, auto_error=False, description="API key (`callscreen keys create`)")
_bearer = HTTPBearer(auto_error=False, description="the API key as a bearer token")


async def get_config(request: Request) -> ApiConfig:  # async: no worker thread for reading app state
    config: ApiConfig = request.app.state.config
    return config


ConfigDep = Annotated[ApiConfig, Depends(get_config)]


def get_session(config: ConfigDep) -> Iterator[Session]:
    with config.db.session() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def browser_session(request: Request, config: ConfigDep, session: SessionDep) -> SessionInfo | None:
    """The logged-in person behind the session cookie, if any (no CSRF check here)."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token or len(token) > MAX_KEY_LEN:
        return None
    return resume_session(session, token, now=config.clock())


BrowserSession = Annotated[SessionInfo | None, Depends(browser_session)]


def _key_principal(config: ApiConfig, session: Session, secret: str) -> Principal:
    """The key's principal: from the cache of recently verified keys, else from the database (then cached)."""
    if len(secret) > MAX_KEY_LEN:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "unknown or revoked API key")
    principal = config.key_cache.get(secret)
    if principal is None:
        principal = authenticate(session, secret, now=config.clock())
        if principal is None:  # refusals are never cached
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, "unknown or revoked API key")
        config.key_cache.put(secret, principal)
    return principal


def _resolve(
    request: Request, config: ApiConfig, session: Session, browser: SessionInfo | None, secret: str | None
) -> Principal:
    if secret:
        return _key_principal(config, session, secret)
    if browser is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, f"missing API key (send it in the {API_KEY_HEADER} header) or log-in session"
        )
    if request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER, "")
        if not hmac.compare_digest(sent.encode(), browser.csrf_token.encode()):
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"missing or wrong {CSRF_HEADER} header")
    if browser.must_change_password and not request.url.path.startswith(PASSWORD_CHANGE_PATHS):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "your password was reset: choose a new one first")
    return browser.principal


KeyHeader = Annotated[str | None, Depends(_key_header)]
BearerHeader = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def _principal(
    request: Request, config: ConfigDep, session: SessionDep, browser: BrowserSession, key: KeyHeader,
    bearer: BearerHeader,
) -> Principal:  # fmt: skip
    return _resolve(request, config, session, browser, key or (bearer.credentials if bearer else None))


def _secret_of(request: Request) -> str | None:
    """The API key as :data:`_key_header` and :data:`_bearer` read it (``X-API-Key``, else ``Bearer <key>``)."""
    key = request.headers.get(API_KEY_HEADER)
    if key:
        return key
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    return credentials if scheme.lower() == "bearer" and credentials else None


async def light_agent(request: Request) -> Principal:
    """The agent-role check of :data:`AgentUser` for the PBX's hot path (``/lookup``), as one flat dependency (no
    nested config/session/header dependencies to solve): a key verified within the TTL is accepted on the event
    loop, with no database session and no worker thread; anything else takes exactly the checks above, in a
    thread."""
    config: ApiConfig = request.app.state.config
    secret = _secret_of(request)
    principal = config.key_cache.get(secret) if secret and len(secret) <= MAX_KEY_LEN else None
    if principal is None:

        def resolve() -> Principal:
            with config.db.session() as session:
                return _resolve(request, config, session, browser_session(request, config, session), secret)

        principal = await run_in_threadpool(resolve)
    return _allowed(principal, Role.AGENT)


def _allowed(principal: Principal, role: Role) -> Principal:
    if not principal.allows(role):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, f"this needs the {role.value} role; you have {principal.role.value}"
        )
    return principal


def _require(role: Role) -> object:
    def check(principal: Annotated[Principal, Depends(_principal)]) -> Principal:
        return _allowed(principal, role)

    return Depends(check)


AgentUser = Annotated[Principal, _require(Role.AGENT)]
ManagerUser = Annotated[Principal, _require(Role.MANAGER)]
AdminUser = Annotated[Principal, _require(Role.ADMIN)]
# What the routes guarded by light_agent() declare in their OpenAPI operation (the same two ways to send a key).
KEY_SECURITY: list[dict[str, list[str]]] = [{"APIKeyHeader": []}, {"HTTPBearer": []}]


def shown(number: str | None, principal: Principal) -> str | None:
    """A number as this principal may see it: masked for agents (numbers are personal data), in full for managers."""
    if number is None:
        return None
    return mask(number) if principal.role is Role.AGENT else number
