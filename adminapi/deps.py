"""Request dependencies: the unit of work (one session per request) and API-key authentication by role.

The session dependency has ``scope="function"``: it commits when the endpoint returns and *before* the response
is sent, so a client never reads a response for a change that has not been committed. Keys arrive in
``X-API-Key`` (or ``Authorization: Bearer``); roles include the ones below them (admin ⊇ manager ⊇ agent).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from adminapi.config import ApiConfig
from numbering import mask
from records.keys import Principal, authenticate
from records.models import Role

API_KEY_HEADER = "X-API-Key"
MAX_KEY_LEN = 200

_key_header = APIKeyHeader(name=API_KEY_HEADER, auto_error=False, description="API key (`callscreen keys create`)")
_bearer = HTTPBearer(auto_error=False, description="the API key as a bearer token")


def get_config(request: Request) -> ApiConfig:
    config: ApiConfig = request.app.state.config
    return config


ConfigDep = Annotated[ApiConfig, Depends(get_config)]


def get_session(config: ConfigDep) -> Iterator[Session]:
    with config.db.session() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def _principal(
    session: SessionDep,
    key: Annotated[str | None, Depends(_key_header)],
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    secret = key or (bearer.credentials if bearer else None)
    if not secret:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, f"missing API key: send it in the {API_KEY_HEADER} header")
    principal = authenticate(session, secret) if len(secret) <= MAX_KEY_LEN else None
    if principal is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "unknown or revoked API key")
    return principal


def _require(role: Role) -> object:
    def check(principal: Annotated[Principal, Depends(_principal)]) -> Principal:
        if not principal.allows(role):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN, f"this needs the {role.value} role; your key has {principal.role.value}"
            )
        return principal

    return Depends(check)


AgentUser = Annotated[Principal, _require(Role.AGENT)]
ManagerUser = Annotated[Principal, _require(Role.MANAGER)]
AdminUser = Annotated[Principal, _require(Role.ADMIN)]


def shown(number: str | None, principal: Principal) -> str | None:
    """A number as this principal may see it: masked for agents (SPEC: privacy), in full for managers."""
    if number is None:
        return None
    return mask(number) if principal.role is Role.AGENT else number
