"""Keys, audit log and carrier bills."""

from __future__ import annotations

from datetime import datetime

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
    key_id: int
    role: Role
    label: str


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
