"""``/keys``: API keys (admin). The secret is returned once, at creation."""

from __future__ import annotations

from fastapi import APIRouter, status

from adminapi.deps import AdminUser, AgentUser, BrowserSession, ConfigDep, SessionDep
from adminapi.routes.auth import me_of
from adminapi.schemas.admin import KeyCreate, KeyCreated, KeyPublic, Me
from adminapi.schemas.common import EntityId
from records import keys

router = APIRouter(tags=["keys"])


@router.get("/me", response_model=Me)
def me(config: ConfigDep, user: AgentUser, browser: BrowserSession) -> Me:
    """Who is calling (a person or a key): the page uses it to resume a session and to show what the role may do."""
    return me_of(config, user, browser)


@router.get("/keys", response_model=list[KeyPublic])
def list_keys(session: SessionDep, _user: AdminUser) -> list[KeyPublic]:
    return [KeyPublic.model_validate(k) for k in keys.list_keys(session)]


@router.post("/keys", response_model=KeyCreated, status_code=status.HTTP_201_CREATED)
def create_key(session: SessionDep, user: AdminUser, body: KeyCreate) -> KeyCreated:
    row, secret = keys.create_key(session, body.role, label=body.label, actor=user.actor)
    return KeyCreated(**KeyPublic.model_validate(row).model_dump(), key=secret)


@router.delete("/keys/{key_id}", response_model=KeyPublic)
def revoke_key(config: ConfigDep, session: SessionDep, user: AdminUser, key_id: EntityId) -> KeyPublic:
    config.key_cache.revoked(key_id)  # refused on this node from now on, before the revocation even commits
    return KeyPublic.model_validate(keys.revoke_key(session, key_id, actor=user.actor))
