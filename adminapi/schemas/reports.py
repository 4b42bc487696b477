"""Report and evidence-pack schemas (managers only: full numbers)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from adminapi.schemas.calls import CallDetail, IncidentPublic
from adminapi.schemas.common import Schema
from adminapi.schemas.entries import EntryPublic


class Count(Schema):
    key: str
    count: int


class ReportPublic(Schema):
    since: datetime
    until: datetime
    timezone: str
    total_calls: int
    harassment_calls: int
    suspect_calls: int
    by_hour: list[int]
    by_weekday: list[int]
    top_sources: list[Count]
    top_prefixes: list[Count]
    share_anonymous: float
    share_payphone: float
    share_switchboard: float
    repeat_offenders: list[Count]
    agent_confirmed: int
    automatic: int
    deterred_calls: int
    agent_seconds_saved: int
    by_route: dict[str, int] = Field(default_factory=dict)
    by_label: dict[str, int] = Field(default_factory=dict)
    by_day: list[tuple[str, int, int]] = Field(default_factory=list)  # (local date, calls, harassment)


class CarrierLinePublic(Schema):
    number: str
    offences: int
    first_at: datetime
    last_at: datetime
    step: int


class BillLinePublic(Schema):
    called_at: datetime
    caller_raw: str
    duration_s: int | None


class EvidencePublic(Schema):
    number: str
    calls: list[CallDetail]
    entries: list[EntryPublic]
    incidents: list[IncidentPublic]
    bill_lines: list[BillLinePublic]
