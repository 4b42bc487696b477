"""Number-list entries over the API (create / update / public / list, plus the review queue's view)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from adminapi.schemas.common import Moment, Schema, Text
from screening.numberlist import EntrySource, EntryStatus, ListName, MatchKind

VALUE_MAX = 200
REASON_MAX = 500


class EntryCreate(Schema):
    list: ListName = ListName.BLOCK
    kind: MatchKind = MatchKind.EXACT
    value: Text = Field(min_length=1, max_length=VALUE_MAX, examples=["13812345678"])
    reason: Text = Field(default="", max_length=REASON_MAX)
    status: EntryStatus = EntryStatus.ACTIVE
    expires_at: Moment | None = None


class EntryUpdate(Schema):
    kind: MatchKind | None = None
    value: Text | None = Field(default=None, min_length=1, max_length=VALUE_MAX)
    reason: Text | None = Field(default=None, max_length=REASON_MAX)
    status: EntryStatus | None = None
    expires_at: Moment | None = None


class EntryPublic(Schema):
    id: int
    list: ListName
    kind: MatchKind
    value: str
    reason: str
    source: EntrySource
    author: str
    status: EntryStatus
    created_at: datetime
    updated_at: datetime
    expires_at: datetime | None
    hit_count: int = 0  # screened calls this entry matched (batched: up to a second late)
    last_hit_at: datetime | None = None
    lifted_reason: str | None = None
    lifted_by: str | None = None
    lifted_at: datetime | None = None


class EntryList(Schema):
    data: list[EntryPublic]
    count: int | None  # None on keyset pages (before_id): the first page counted; a substring search counts ≤ 10,001


class EntryLift(Schema):
    reason: Text = Field(min_length=2, max_length=REASON_MAX, description="why (kept with the entry and audited)")
    appeal: bool = Field(default=False, description="a customer said he was blocked wrongly")


class ReviewItem(EntryPublic):
    flagged_calls: int  # harassment verdicts + confirmations in the policy window
    last_call_at: datetime | None


class ReviewList(Schema):
    data: list[ReviewItem]
    count: int


class ReviewDecision(Schema):
    reason: Text | None = Field(default=None, max_length=REASON_MAX)
    expires_at: Moment | None = None


class ImportSummary(Schema):
    rows: int
    created: int
    skipped_existing: int
