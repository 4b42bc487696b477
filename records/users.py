"""People who log in to the manager page: accounts with argon2 password hashes, and their browser sessions.

API keys (``records.keys``) stay for machines such as the PBX; a person has a user name and a password, so the
audit log names the person. Passwords are hashed with argon2id (``argon2-cffi``, RFC 9106 parameters); a hash
made with older parameters is replaced at the next successful log-in. A session is a random token in an
HTTP-only cookie; only its SHA-256 is stored (like API keys: a high-entropy secret needs no stretching), next to
the session's CSRF token, which the page must echo in a header on every change. Sessions expire after a
period of inactivity and at a hard limit, and end when the password changes or the account is disabled.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from records.audit import record_change
from records.errors import ConflictError, InvalidInputError, NotFoundError
from records.keys import Principal
from records.models import Role, User, UserSession

MIN_PASSWORD_LEN = 10
MAX_PASSWORD_LEN = 256
USERNAME_RE = re.compile(r"[a-z0-9][a-z0-9._-]{1,63}")
IDLE_TIMEOUT = timedelta(hours=8)  # a working shift
MAX_SESSION = timedelta(hours=24)
LAST_SEEN_RESOLUTION = timedelta(minutes=1)

_hasher = PasswordHasher()
# A hash to verify against when the user does not exist, so that a wrong user name costs as long as a wrong
# password (no user-name enumeration by timing).
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def _sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def check_password_rules(password: str) -> None:
    if not MIN_PASSWORD_LEN <= len(password) <= MAX_PASSWORD_LEN:
        raise InvalidInputError(f"a password needs {MIN_PASSWORD_LEN} to {MAX_PASSWORD_LEN} characters")
    if password.strip() == "" or len(set(password)) < 4:
        raise InvalidInputError("this password is too simple: use at least four different characters")


def normalize_username(username: str) -> str:
    name = username.strip().lower()
    if not USERNAME_RE.fullmatch(name):
        raise InvalidInputError("a user name is 2-64 characters: lower-case letters, digits, '.', '_' or '-'")
    return name


def _state(user: User) -> dict[str, Any]:
    return {
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role.value,
        "must_change_password": user.must_change_password,
        "disabled_at": user.disabled_at.isoformat() if user.disabled_at else None,
    }


def principal_of(user: User) -> Principal:
    return Principal(key_id=None, role=user.role, label=user.display_name, user_id=user.id, username=user.username)


def find_user(session: Session, username: str) -> User | None:
    return session.scalars(select(User).where(User.username == username.strip().lower())).first()


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFoundError(f"user {user_id} does not exist")
    return user


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))


def create_user(
    session: Session, username: str, password: str, role: Role, *, actor: str, display_name: str = "",
    now: datetime, must_change_password: bool = False,
) -> User:
    name = normalize_username(username)
    check_password_rules(password)
    if find_user(session, name) is not None:
        raise ConflictError(f"user {name!r} already exists")
    user = User(username=name, display_name=display_name.strip(), password_hash=_hasher.hash(password), role=role,
                must_change_password=must_change_password, created_at=now, password_changed_at=now)
    session.add(user)
    session.flush()
    record_change(session, actor=actor, action="user.create", target=f"user:{name}", after=_state(user))
    return user


def verify_password(session: Session, username: str, password: str, *, now: datetime) -> User | None:
    """The user if the password is right and the account enabled; None otherwise (same cost either way)."""
    user = find_user(session, username) if len(username) <= 64 else None
    stored = user.password_hash if user is not None else _DUMMY_HASH
    try:
        _hasher.verify(stored, password[:MAX_PASSWORD_LEN])
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if user is None or user.disabled_at is not None:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    user.last_login_at = now
    return user


def _end_sessions(session: Session, user_id: int) -> None:
    session.execute(delete(UserSession).where(UserSession.user_id == user_id))


def set_password(session: Session, user: User, password: str, *, actor: str, now: datetime, reset: bool) -> None:
    """A new password; every session of the user ends. ``reset`` (by an admin) makes the user choose a new one."""
    check_password_rules(password)
    user.password_hash = _hasher.hash(password)
    user.password_changed_at = now
    user.must_change_password = reset
    _end_sessions(session, user.id)
    action = "user.password_reset" if reset else "user.password_change"
    record_change(session, actor=actor, action=action, target=f"user:{user.username}")


def change_own_password(session: Session, user_id: int, current: str, new: str, *, now: datetime) -> User:
    user = get_user(session, user_id)
    if verify_password(session, user.username, current, now=now) is None:
        raise InvalidInputError("the current password is wrong")
    if current == new:
        raise InvalidInputError("the new password must differ from the current one")
    set_password(session, user, new, actor=f"user:{user.username}", now=now, reset=False)
    return user


def update_user(
    session: Session, user_id: int, *, actor: str, now: datetime, role: Role | None = None,
    display_name: str | None = None, disabled: bool | None = None,
) -> User:
    user = get_user(session, user_id)
    before = _state(user)
    if role is not None:
        user.role = role
    if display_name is not None:
        user.display_name = display_name.strip()
    if disabled is not None:
        user.disabled_at = (user.disabled_at or now) if disabled else None
    if role is not None or disabled:
        _end_sessions(session, user.id)  # a changed role takes effect at once
    after = _state(user)
    if after != before:
        record_change(session, actor=actor, action="user.update", target=f"user:{user.username}",
                      before=before, after=after)
    return user


@dataclass(frozen=True, slots=True)
class SessionInfo:
    principal: Principal
    csrf_token: str
    must_change_password: bool


def start_session(session: Session, user: User, *, now: datetime) -> tuple[str, str]:
    """A new browser session for ``user``: returns (cookie token, CSRF token); only the token's hash is kept."""
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    session.add(UserSession(token_hash=_sha256(token), user_id=user.id, csrf_token=csrf, created_at=now,
                            last_seen_at=now, expires_at=now + MAX_SESSION))
    session.execute(delete(UserSession).where(UserSession.expires_at <= now))  # housekeeping, one indexed delete
    record_change(session, actor=f"user:{user.username}", action="user.login", target=f"user:{user.username}")
    return token, csrf


def resume_session(session: Session, token: str, *, now: datetime) -> SessionInfo | None:
    """The session behind a cookie, or None when it is unknown, expired, idle too long or its user disabled."""
    row = session.scalars(select(UserSession).where(UserSession.token_hash == _sha256(token))).first()
    if row is None or row.expires_at <= now or now - row.last_seen_at > IDLE_TIMEOUT:
        return None
    user = session.get(User, row.user_id)
    if user is None or user.disabled_at is not None:
        return None
    if now - row.last_seen_at >= LAST_SEEN_RESOLUTION:
        row.last_seen_at = now
    return SessionInfo(principal_of(user), row.csrf_token, user.must_change_password)


def end_session(session: Session, token: str) -> None:
    session.execute(delete(UserSession).where(UserSession.token_hash == _sha256(token)))
