"""The stored records: screened calls, number-list entries, incidents, carrier bills, API keys, audit log.

Numbers are stored normalised (``numbering.normalize``) so that the blocklist, the call history and the
bill matcher agree on "the same caller"; a keyed hash sits beside them for correlation without the number.
Enums are stored as their string values (no native PostgreSQL enum types: adding a value needs no migration).
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, Enum, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from records.base import Base, UtcDateTime, utcnow
from screening.interfaces import Route
from screening.numberlist import EntrySource, EntryStatus, ListName, MatchKind
from screening.verdict import Label

NUMBER_LEN = 64  # a range "FIRST-LAST" of two 21-character numbers fits, a pattern up to this length too
PATTERN_LEN = 200


class Role(enum.StrEnum):
    """API roles, each including the ones below it: admin ⊇ manager ⊇ agent."""

    AGENT = "agent"
    MANAGER = "manager"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return list(Role).index(self)


class ReviewOutcome(enum.StrEnum):
    """A manager's review of a call's verdict: stored with the call, read by ``callscreen train --from-reviews``."""

    CONFIRMED = "confirmed"  # the verdict was right
    OVERTURNED = "overturned"  # the verdict was wrong; ``review_label`` holds the right answer


def _enum(cls: type[enum.Enum]) -> Enum:
    return Enum(
        cls,
        native_enum=False,
        create_constraint=False,
        length=24,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


class ScreenedCall(Base):
    __tablename__ = "screened_calls"
    __table_args__ = (
        Index("ix_screened_calls_caller_started", "caller", "started_at"),
        Index("ix_screened_calls_started", "started_at"),
        # One record per call and node: the spool replay's de-duplication is enforced by the database too.
        Index("uq_screened_calls_call_id_node", "call_id", "node", unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[str] = mapped_column(String(200), index=True)
    node: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    caller: Mapped[str | None] = mapped_column(String(NUMBER_LEN))  # normalised; None = anonymous/invalid
    caller_hash: Mapped[str | None] = mapped_column(String(64))
    caller_kind: Mapped[str] = mapped_column(String(24))
    route: Mapped[Route] = mapped_column(_enum(Route))
    label: Mapped[Label] = mapped_column(_enum(Label))
    score: Mapped[float] = mapped_column(Float)
    reasons: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of reasons
    transcript: Mapped[str | None] = mapped_column(Text)  # flagged calls only, purged after retention
    confirmed_by: Mapped[str | None] = mapped_column(String(120))
    end_reason: Mapped[str] = mapped_column(String(120), default="")
    called_user: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    ref: Mapped[str | None] = mapped_column(String(32), index=True)  # the reference the agent was given
    hotline: Mapped[str | None] = mapped_column(String(64), index=True)  # dialled service number (profile)
    ladder_step: Mapped[int | None] = mapped_column(Integer)  # graduated-response step (records.ladder)
    # A manager's review (the training set of ``train --from-reviews``): review_label is the truth, harassment
    # or allow, whatever the screener said.
    review_outcome: Mapped[ReviewOutcome | None] = mapped_column(_enum(ReviewOutcome))
    review_label: Mapped[Label | None] = mapped_column(_enum(Label))
    reviewed_by: Mapped[str | None] = mapped_column(String(120))
    reviewed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    review_note: Mapped[str | None] = mapped_column(String(500))


class CallArrival(Base):
    """A call seen at pre-screen time by any node: the shared history behind repeat and burst signals."""

    __tablename__ = "call_arrivals"
    __table_args__ = (Index("ix_call_arrivals_caller_at", "caller", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    caller: Mapped[str | None] = mapped_column(String(NUMBER_LEN))
    at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


class NumberEntry(Base):
    __tablename__ = "list_entries"
    __table_args__ = (
        UniqueConstraint("list", "kind", "value", name="uq_list_entries_list_kind_value"),
        Index("ix_list_entries_status", "status"),
        Index("ix_list_entries_value", "value"),  # lookup by number or prefix, whatever the list
        Index("ix_list_entries_kind", "kind"),  # ranges and patterns are scanned by kind
        Index("ix_list_entries_list_status_id", "list", "status", "id"),  # the page's keyset paging per list
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    list: Mapped[ListName] = mapped_column(_enum(ListName))
    kind: Mapped[MatchKind] = mapped_column(_enum(MatchKind))
    value: Mapped[str] = mapped_column(String(PATTERN_LEN))
    reason: Mapped[str] = mapped_column(String(500), default="")
    source: Mapped[EntrySource] = mapped_column(_enum(EntrySource))
    author: Mapped[str] = mapped_column(String(120))
    status: Mapped[EntryStatus] = mapped_column(_enum(EntryStatus))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    hit_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # screened calls it matched
    last_hit_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    lifted_reason: Mapped[str | None] = mapped_column(String(500))  # why it stopped (e.g. a customer's appeal)
    lifted_by: Mapped[str | None] = mapped_column(String(120))
    lifted_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class ListVersion(Base):
    """One row whose counter goes up in the same transaction as every list change (all nodes poll it)."""

    __tablename__ = "list_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)


class ServiceSecret(Base):
    """Secrets every node of one installation must share, generated once (e.g. the caller-hash salt)."""

    __tablename__ = "service_secrets"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(256))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class Incident(Base):
    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    agent: Mapped[str] = mapped_column(String(120))
    note: Mapped[str] = mapped_column(Text, default="")
    call_id: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class BillImport(Base):
    __tablename__ = "bill_imports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    filename: Mapped[str] = mapped_column(String(255))
    uploaded_by: Mapped[str] = mapped_column(String(120))
    line_count: Mapped[int] = mapped_column(Integer, default=0)
    first_call_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_call_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    lines: Mapped[list[BillLine]] = relationship(back_populates="bill", cascade="all, delete-orphan")


class BillLine(Base):
    __tablename__ = "bill_lines"
    __table_args__ = (Index("ix_bill_lines_import_called", "import_id", "called_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("bill_imports.id", ondelete="CASCADE"))
    called_at: Mapped[datetime] = mapped_column(UtcDateTime())
    caller: Mapped[str | None] = mapped_column(String(NUMBER_LEN))
    caller_raw: Mapped[str] = mapped_column(String(NUMBER_LEN))
    duration_s: Mapped[int | None] = mapped_column(Integer)
    bill: Mapped[BillImport] = relationship(back_populates="lines")


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)  # SHA-256 of the whole key
    prefix: Mapped[str] = mapped_column(String(16))  # shown in listings so a key can be recognised
    role: Mapped[Role] = mapped_column(_enum(Role))
    label: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(120))
    before: Mapped[str | None] = mapped_column(Text)  # JSON
    after: Mapped[str | None] = mapped_column(Text)  # JSON


class User(Base):
    """A person who logs in to the manager page: a name, an argon2 password hash and a role."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(120), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(_enum(Role))
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    password_changed_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    disabled_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class UserSession(Base):
    """A logged-in browser: the cookie holds a random token whose SHA-256 is stored here, with its CSRF token."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


class ShadowInput(Base):
    """What screening saw on one call — transcript, caller, time, the caller's recent history — for shadow replay.

    Kept ``privacy.shadow_days`` (default 7) and purged like transcripts: a candidate model, lexicon, threshold or
    list file is replayed over these rows (``records.shadow``) before it goes live. No audio is kept.
    """

    __tablename__ = "shadow_inputs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[str] = mapped_column(String(200))
    node: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)  # arrival time (what the screener saw)
    caller_raw: Mapped[str | None] = mapped_column(String(200))  # as received; re-normalised on replay
    listened: Mapped[bool] = mapped_column(Boolean, default=False)  # content was screened (the transcript counts)
    transcript: Mapped[str] = mapped_column(Text, default="")
    history: Mapped[str] = mapped_column(Text, default="{}")  # JSON: earlier arrivals of the caller and its range
    label: Mapped[Label] = mapped_column(_enum(Label))  # the live verdict, for reference
    score: Mapped[float] = mapped_column(Float)
    route: Mapped[Route] = mapped_column(_enum(Route))
