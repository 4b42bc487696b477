"""Keys, audit log and carrier bills."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field

from adminapi.schemas.common import Schema, Text
from records.models import Role


class KeyCreate(Schema):
    role: Role
    label: Text = Field(default="", max_length=120)


class KeyPublic(Schema):
    id: int
    prefix: str
    role: Role
    label: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class KeyCreated(KeyPublic):
    key: str  # shown once; only its hash is stored


class Me(Schema):
    key_id: int | None
    role: Role
    label: str
    username: str | None = None
    csrf_token: str | None = None  # for a logged-in person: echo it in X-CSRF-Token on every change
    must_change_password: bool = False
    timezone: str = "Asia/Shanghai"  # the centre's: the page shows every time in it


Password = Annotated[str, Field(min_length=1, max_length=256)]


class LoginRequest(Schema):
    username: Text = Field(min_length=1, max_length=64)
    password: Password


class PasswordChange(Schema):
    current_password: Password
    new_password: Password


class PasswordReset(Schema):
    password: Password


class UserCreate(Schema):
    username: Text = Field(min_length=2, max_length=64)
    password: Password
    role: Role
    display_name: Text = Field(default="", max_length=120)


class UserUpdate(Schema):
    role: Role | None = None
    display_name: Text | None = Field(default=None, max_length=120)
    disabled: bool | None = None


class UserPublic(Schema):
    id: int
    username: str
    display_name: str
    role: Role
    must_change_password: bool
    created_at: datetime
    last_login_at: datetime | None
    disabled_at: datetime | None


class AuditPublic(Schema):
    id: int
    at: datetime
    actor: str
    action: str
    target: str
    before: str | None
    after: str | None


class AuditList(Schema):
    data: list[AuditPublic]
    count: int


class BillPublic(Schema):
    id: int
    filename: str
    uploaded_by: str
    line_count: int
    first_call_at: datetime | None
    last_call_at: datetime | None
    created_at: datetime


class CandidatePublic(Schema):
    number: str
    incidents_matched: int
    incident_ids: list[int]
    bill_calls: int
    mean_offset_s: float


class MatchResult(Schema):
    bill_id: int
    tolerance_s: int
    candidates: list[CandidatePublic]
