"""Calls, their evidence, the PBX lookup, and incidents — the schemas agents can reach (numbers masked)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from adminapi.schemas.common import Moment, Schema, Text
from records.models import ReviewOutcome
from screening.interfaces import Route
from screening.numberlist import EntryStatus, ListName, MatchKind
from screening.verdict import Label


class ReasonPublic(Schema):
    code: str
    kind: str
    weight: float
    detail: str
    evidence: list[str] = Field(default_factory=list)


class CallPublic(Schema):
    id: int
    call_id: str
    node: str
    started_at: datetime
    ended_at: datetime | None
    caller: str | None  # masked for the agent role
    caller_kind: str
    route: Route
    label: Label
    score: float
    confirmed_by: str | None
    end_reason: str
    ref: str | None = None  # the call reference the agent was given
    hotline: str | None = None  # the dialled service number (profile)
    ladder_step: int | None = None  # graduated-response step (harassment)
    review_outcome: str | None = None  # confirmed | overturned (a manager's review)
    review_label: Label | None = None  # the truth the review settled on (training data)
    reviewed_by: str | None = None


class CallDetail(CallPublic):
    reasons: list[ReasonPublic]
    transcript: str | None  # managers only, and only while retained


class CallList(Schema):
    data: list[CallPublic]
    count: int | None  # None on keyset pages (before_at + before_id): the first page counted


class LookupMatch(Schema):
    id: int
    list: ListName
    kind: MatchKind
    value: str
    status: EntryStatus
    reason: str
    expires_at: datetime | None


class LookupResult(Schema):
    """What the PBX needs to route a call: is the number blocked or allowed, and how has it behaved."""

    number: str | None
    normalized_kind: str
    blocked: bool = Field(description="the deciding entry (most specific; allow over block at a tie) is a block")
    allowed: bool = Field(description="the deciding entry is an allow entry; the screener decides the same way")
    payphone: bool
    switchboard: bool
    pending_proposal: bool
    matches: list[LookupMatch]
    calls_24h: int
    flagged_calls_30d: int
    agent_confirmations_30d: int


class IncidentCreate(Schema):
    occurred_at: Moment
    note: Text = Field(default="", max_length=2000)
    call_id: Text | None = Field(default=None, max_length=200)


class IncidentPublic(Schema):
    id: int
    occurred_at: datetime
    agent: str
    note: str
    call_id: str | None
    created_at: datetime


class IncidentList(Schema):
    data: list[IncidentPublic]
    count: int


class BillMatchPublic(Schema):
    bill_id: int
    filename: str
    called_at: datetime
    duration_s: int | None


class CallContextPublic(Schema):
    """What a manager reads before deciding: the number's calls, incidents, bill lines and list entries."""

    history: list[CallPublic]
    incidents: list[IncidentPublic]
    bill_matches: list[BillMatchPublic]
    entries: list[LookupMatch]
    blocked: bool


class CallReview(Schema):
    outcome: ReviewOutcome
    note: Text = Field(default="", max_length=500)
