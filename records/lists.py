"""Number-list entries: create, edit, approve, lift, delete, query — each change audited and versioned.

Services take the session first and never commit (the caller's unit of work does). Every change bumps the list
version in the same transaction, which is how :class:`~records.listsync.ListSync` on every node
notices it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import UnaryExpression

from records.audit import record_change
from records.base import utcnow
from records.entry_values import normalize_value
from records.errors import ConflictError, InvalidInputError, NotFoundError
from records.models import ListVersion, NumberEntry
from screening.numberlist import EntrySource, EntryStatus, ListEntry, ListName, MatchKind

MAX_PAGE = 500
MAX_SEARCH_COUNT = 10_000  # a substring search counts at most this many (the page shows "10000+")
MIN_REASON_LEN = 2


@dataclass(frozen=True, slots=True)
class EntryDraft:
    list: ListName
    kind: MatchKind
    value: str
    reason: str = ""
    source: EntrySource = EntrySource.MANAGER
    status: EntryStatus = EntryStatus.ACTIVE
    expires_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class EntryFilter:
    list: ListName | None = None
    status: EntryStatus | None = None
    source: EntrySource | None = None
    kind: MatchKind | None = None
    search: str | None = None  # substring of the value
    include_expired: bool = True
    before_id: int | None = None  # keyset paging: entries older than this id (newest first)


def snapshot(entry: NumberEntry) -> dict[str, Any]:
    """The audited state of an entry."""
    return {
        "list": entry.list.value,
        "kind": entry.kind.value,
        "value": entry.value,
        "status": entry.status.value,
        "source": entry.source.value,
        "reason": entry.reason,
        "expires_at": entry.expires_at.isoformat() if entry.expires_at else None,
    }


def to_list_entry(entry: NumberEntry) -> ListEntry:
    return ListEntry(
        list=entry.list,
        kind=entry.kind,
        value=entry.value,
        id=entry.id,
        status=entry.status,
        source=entry.source,
        reason=entry.reason,
        expires_at=entry.expires_at,
    )


def bump_version(session: Session) -> None:
    session.execute(update(ListVersion).where(ListVersion.id == 1).values(version=ListVersion.version + 1))


def current_version(session: Session) -> int:
    return session.scalar(select(ListVersion.version).where(ListVersion.id == 1)) or 0


def find_entry(session: Session, list_name: ListName, kind: MatchKind, value: str) -> NumberEntry | None:
    stmt = select(NumberEntry).where(
        NumberEntry.list == list_name, NumberEntry.kind == kind, NumberEntry.value == value
    )
    return session.scalars(stmt).first()


def get_entry(session: Session, entry_id: int) -> NumberEntry:
    entry = session.get(NumberEntry, entry_id)
    if entry is None:
        raise NotFoundError(f"list entry {entry_id} does not exist")
    return entry


def create_entry(session: Session, draft: EntryDraft, *, actor: str) -> NumberEntry:
    value = normalize_value(draft.kind, draft.value)
    if find_entry(session, draft.list, draft.kind, value) is not None:
        raise ConflictError(f"{draft.list.value} list already has {draft.kind.value} entry {value!r}")
    now = utcnow()
    if draft.expires_at is not None and draft.expires_at <= now:
        raise InvalidInputError(f"expires_at {draft.expires_at.isoformat()} is in the past")
    entry = NumberEntry(
        list=draft.list,
        kind=draft.kind,
        value=value,
        reason=draft.reason,
        source=draft.source,
        author=actor,
        status=draft.status,
        created_at=now,
        updated_at=now,
        expires_at=draft.expires_at,
    )
    session.add(entry)
    session.flush()
    record_change(session, actor=actor, action="entry.create", target=f"entry:{entry.id}", after=snapshot(entry))
    bump_version(session)
    return entry


def update_entry(session: Session, entry_id: int, changes: dict[str, Any], *, actor: str) -> NumberEntry:
    """Apply the given fields (reason, status, expires_at, value, kind); unknown fields are refused."""
    allowed = {"reason", "status", "expires_at", "value", "kind"}
    unknown = set(changes) - allowed
    if unknown:
        raise InvalidInputError(f"cannot change {', '.join(sorted(unknown))}")
    entry = get_entry(session, entry_id)
    before = snapshot(entry)
    kind = MatchKind(changes.get("kind", entry.kind))
    if "value" in changes or "kind" in changes:
        value = normalize_value(kind, str(changes.get("value", entry.value)))
        other = find_entry(session, entry.list, kind, value)
        if other is not None and other.id != entry.id:
            raise ConflictError(f"{entry.list.value} list already has {kind.value} entry {value!r}")
        entry.kind, entry.value = kind, value
    if "reason" in changes:
        entry.reason = str(changes["reason"])
    if "status" in changes:
        entry.status = EntryStatus(changes["status"])
    if "expires_at" in changes:
        entry.expires_at = changes["expires_at"]
    entry.updated_at = utcnow()
    after = snapshot(entry)
    if after != before:
        record_change(
            session, actor=actor, action="entry.update", target=f"entry:{entry.id}", before=before, after=after
        )
        bump_version(session)
    return entry


def set_status(session: Session, entry_id: int, status: EntryStatus, *, actor: str) -> NumberEntry:
    return update_entry(session, entry_id, {"status": status}, actor=actor)


def delete_entry(session: Session, entry_id: int, *, actor: str) -> None:
    entry = get_entry(session, entry_id)
    record_change(session, actor=actor, action="entry.delete", target=f"entry:{entry.id}", before=snapshot(entry))
    session.delete(entry)
    bump_version(session)


def lift_entry(
    session: Session, entry_id: int, *, reason: str, actor: str, appeal: bool = False, now: datetime | None = None
) -> NumberEntry:
    """Stop enforcing an entry, keeping why (a customer's appeal, a mistake) with the entry and in the audit log."""
    reason = reason.strip()
    if len(reason) < MIN_REASON_LEN:
        raise InvalidInputError("say why the entry is lifted (the reason is kept)")
    entry = get_entry(session, entry_id)
    if entry.status is EntryStatus.LIFTED:
        raise ConflictError(f"entry {entry_id} is already lifted")
    before = snapshot(entry)
    moment = now or utcnow()
    entry.status = EntryStatus.LIFTED
    entry.lifted_reason, entry.lifted_by, entry.lifted_at = reason, actor, moment
    entry.updated_at = moment
    after = {**snapshot(entry), "lifted_reason": reason, "appeal": appeal}
    action = "entry.appeal_lift" if appeal else "entry.lift"
    record_change(session, actor=actor, action=action, target=f"entry:{entry.id}", before=before, after=after)
    bump_version(session)
    return entry


def _number_start(text: str) -> str | None:
    """The normalised number prefix ``text`` reads as, or None when it should be looked for anywhere."""
    typed = text.strip()
    # "+…", a mobile "1…" or a trunk "0…" (not "00…": "0011" is more likely the middle of a number) read as the
    # start of a number; everything else is looked for anywhere in the value.
    looks_like_start = typed.startswith(("+", "1")) or (typed.startswith("0") and not typed.startswith("00"))
    try:
        prefix = normalize_value(MatchKind.PREFIX, typed) if looks_like_start else None
    except InvalidInputError:
        prefix = None
    return prefix


def query_entries(
    session: Session, flt: EntryFilter, *, limit: int, offset: int = 0, now: datetime | None = None
) -> tuple[list[NumberEntry], int | None]:
    """One page, newest first. With ``flt.before_id`` the page is found by keyset (an index seek, as fast on page
    10,000 as on page 1) rather than by ``offset``, and not counted again (count None). A search that reads as a
    number prefix ("1390", "0755", "+86755") is a range on the value index, in value order (keyset on value, id);
    anything else ("7553", "5678") is a substring scan. Searches count up to ``MAX_SEARCH_COUNT`` + 1."""
    stmt = select(NumberEntry)
    if flt.list is not None:
        stmt = stmt.where(NumberEntry.list == flt.list)
    if flt.status is not None:
        stmt = stmt.where(NumberEntry.status == flt.status)
    if flt.source is not None:
        stmt = stmt.where(NumberEntry.source == flt.source)
    if flt.kind is not None:
        stmt = stmt.where(NumberEntry.kind == flt.kind)
    prefix = _number_start(flt.search) if flt.search else None
    if prefix is not None:
        stmt = stmt.where(NumberEntry.value >= prefix, NumberEntry.value < prefix + "\x7f")
    elif flt.search:
        stmt = stmt.where(NumberEntry.value.contains(flt.search, autoescape=True))
    if not flt.include_expired:
        moment = now or utcnow()
        stmt = stmt.where(or_(NumberEntry.expires_at.is_(None), NumberEntry.expires_at > moment))
    count: int | None = None
    if flt.before_id is None:  # a later page keeps the first page's count (counting a million rows costs)
        counted = stmt.with_only_columns(NumberEntry.id)
        if flt.search:
            counted = counted.limit(MAX_SEARCH_COUNT + 1)
        count = session.scalar(select(func.count()).select_from(counted.subquery())) or 0
    if prefix is not None:
        # A number search walks the value index (newest-first would sort every match): highest value first.
        order: tuple[UnaryExpression[Any], ...] = (NumberEntry.value.desc(), NumberEntry.id.desc())
        if flt.before_id is not None:
            last = session.scalar(select(NumberEntry.value).where(NumberEntry.id == flt.before_id)) or ""
            stmt = stmt.where(or_(NumberEntry.value < last,
                                  and_(NumberEntry.value == last, NumberEntry.id < flt.before_id)))  # fmt: skip
    else:
        order = (NumberEntry.id.desc(),)
        if flt.before_id is not None:
            stmt = stmt.where(NumberEntry.id < flt.before_id)
    rows = session.scalars(stmt.order_by(*order).limit(min(limit, MAX_PAGE)).offset(offset)).all()
    return list(rows), count


def _unexpired_entries(session: Session, now: datetime, *conditions: Any) -> list[ListEntry]:
    """Unexpired entries meeting ``conditions``, as the matcher's values. Columns, not ORM objects: a
    million-entry list loads several times faster this way."""
    columns = (NumberEntry.list, NumberEntry.kind, NumberEntry.value, NumberEntry.id, NumberEntry.status,
               NumberEntry.source, NumberEntry.reason, NumberEntry.expires_at)  # fmt: skip
    stmt = select(*columns).where(*conditions, or_(NumberEntry.expires_at.is_(None), NumberEntry.expires_at > now))
    return [ListEntry(*row) for row in session.execute(stmt.execution_options(yield_per=10_000))]


def active_entries(session: Session, now: datetime) -> list[ListEntry]:
    """What the matching engine enforces: active and not expired."""
    return _unexpired_entries(session, now, NumberEntry.status == EntryStatus.ACTIVE)


def proposed_blocks(session: Session, now: datetime) -> list[ListEntry]:
    """Unexpired block proposals waiting for a manager: the lookup API's ``pending_proposal``."""
    return _unexpired_entries(
        session, now, NumberEntry.status == EntryStatus.PROPOSED, NumberEntry.list == ListName.BLOCK
    )
