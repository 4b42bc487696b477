"""``/users``: people's accounts (admin): create, change role or name, disable, reset a password."""

from __future__ import annotations

from fastapi import APIRouter, status

from adminapi.deps import AdminUser, ConfigDep, SessionDep
from adminapi.schemas.admin import PasswordReset, UserCreate, UserPublic, UserUpdate
from adminapi.schemas.common import EntityId
from records import users

router = APIRouter(prefix="/users", tags=["users"])


@router.get("", response_model=list[UserPublic])
def list_users(session: SessionDep, _user: AdminUser) -> list[UserPublic]:
    return [UserPublic.model_validate(u) for u in users.list_users(session)]


@router.post("", response_model=UserPublic, status_code=status.HTTP_201_CREATED)
def create_user(config: ConfigDep, session: SessionDep, user: AdminUser, body: UserCreate) -> UserPublic:
    """A new account; the person must choose their own password at the first log-in."""
    row = users.create_user(session, body.username, body.password, body.role, actor=user.actor,
                            display_name=body.display_name, now=config.clock(), must_change_password=True)
    return UserPublic.model_validate(row)


@router.patch("/{user_id}", response_model=UserPublic)
def update_user(
    config: ConfigDep, session: SessionDep, user: AdminUser, user_id: EntityId, body: UserUpdate
) -> UserPublic:
    row = users.update_user(session, user_id, actor=user.actor, now=config.clock(), role=body.role,
                            display_name=body.display_name, disabled=body.disabled)
    return UserPublic.model_validate(row)


@router.post("/{user_id}/password", response_model=UserPublic)
def reset_password(
    config: ConfigDep, session: SessionDep, user: AdminUser, user_id: EntityId, body: PasswordReset
) -> UserPublic:
    """An admin sets a temporary password; the person must replace it at the next log-in."""
    row = users.get_user(session, user_id)
    users.set_password(session, row, body.password, actor=user.actor, now=config.clock(), reset=True)
    return UserPublic.model_validate(row)
