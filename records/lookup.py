"""Verdict-relevant facts about one number, for the PBX's ``/lookup`` and the manager page.

From memory where the node has it. Which entries match comes from the node's in-memory lists — the screener's own
index and matcher, fed by the one :class:`~records.listsync.ListSync` — plus a small index of proposed blocks fed
by the same load. The database is asked one query, for what memory does not hold: the call counters (every node
writes them) and the list version. Every list change bumps that version in its own transaction, so when memory
holds the database's version, memory's answer *is* the database's answer; otherwise — the lists not loaded yet
(the database was down at start), or a change the poll has not picked up — the entries are read from the database
as before: exact and prefix entries through indexed equality, ranges and patterns (few by nature) checked in
Python. Both paths order matches the same way (precedence, then entry id), so their answers are identical.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import BindParameter, Select, bindparam, func, or_, select
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

from numbering import CallerNumber
from records.asyncpool import AsyncPool
from records.entry_values import prefixes_of, value_matches
from records.lists import to_list_entry
from records.models import CallArrival, ListVersion, NumberEntry, ScreenedCall
from records.policy import evidence_condition
from records.repository_calls import AGENT_PREFIX
from screening.numberlist import (
    EntryStatus,
    InMemoryNumberLists,
    ListEntry,
    ListName,
    MatchKind,
    decisive,
    precedence_key,
)

RECENT = timedelta(hours=24)
HISTORY = timedelta(days=30)


@dataclass(frozen=True, slots=True)
class LookupFacts:
    number: CallerNumber
    matches: list[ListEntry]  # enforced (active, unexpired) entries in precedence order, then by id
    pending_proposal: bool
    calls_24h: int
    flagged_calls_30d: int
    agent_confirmations_30d: int
    from_memory: bool = False  # answered from the in-memory lists (False: the entries were read from the database)

    def on(self, list_name: ListName) -> bool:
        return any(m.list is list_name for m in self.matches)

    @property
    def decision(self) -> ListName | None:
        """ALLOW or BLOCK by the one precedence rule the screener uses too; None when neither list matched."""
        winner = decisive(self.matches, _entry_key)
        return winner.list if winner is not None else None


@dataclass(frozen=True, slots=True)
class MemoryLists:
    """The in-memory side of a lookup. ``enforced`` is the screener's index itself (not the hit-counting wrapper:
    a lookup is not a call); ``proposed`` indexes the proposed blocks (``status=PROPOSED``). One ListSync feeds
    both (its ``proposals``)."""

    enforced: InMemoryNumberLists
    proposed: InMemoryNumberLists

    @classmethod
    def empty(cls) -> MemoryLists:
        return cls(InMemoryNumberLists(), InMemoryNumberLists(status=EntryStatus.PROPOSED))

    def version(self) -> int | None:
        """The list version both indexes hold; None before the first load or in the middle of a reload."""
        if not (self.enforced.loaded and self.proposed.loaded):
            return None
        version = self.enforced.version
        return version if self.proposed.version == version else None


def _entry_key(entry: ListEntry) -> tuple[ListName, MatchKind, str]:
    return entry.list, entry.kind, entry.value


def _in_order(entries: list[ListEntry]) -> list[ListEntry]:
    """Precedence order (:mod:`screening.numberlist.precedence`), entry id breaking ties, so that the memory and
    the database path list equally specific entries (two overlapping ranges, two patterns) the same way."""
    return sorted(entries, key=lambda e: (precedence_key(*_entry_key(e)), e.id or 0))


def _counters_statement() -> Select[Any]:
    """The list version and the three call counters as scalar subqueries of one SELECT: one round trip. Built once
    with bound parameters, so a lookup pays neither for building nor for compiling it."""
    caller: BindParameter[str] = bindparam("caller")
    recent: BindParameter[datetime] = bindparam("recent")
    history: BindParameter[datetime] = bindparam("history")
    count = func.count()
    version = select(ListVersion.version).where(ListVersion.id == 1)
    calls = select(count).where(CallArrival.caller == caller, CallArrival.at >= recent)
    flagged = select(count).where(evidence_condition(caller, history))
    confirmations = select(count).where(
        ScreenedCall.caller == caller,
        ScreenedCall.started_at >= history,
        ScreenedCall.confirmed_by.startswith(AGENT_PREFIX),
    )
    return select(*(q.scalar_subquery() for q in (version, calls, flagged, confirmations)))


_COUNTERS = _counters_statement()
Counters = tuple[int, int, int, int]  # list version, calls in 24 h, flagged calls in 30 days, agent confirmations


def _params(normalized: str, now: datetime) -> dict[str, Any]:
    return {"caller": normalized, "recent": now - RECENT, "history": now - HISTORY}


def _as_counters(row: Any) -> Counters:
    version, calls, flagged, confirmations = row
    return int(version or 0), int(calls or 0), int(flagged or 0), int(confirmations or 0)


def _counters(session: Session, normalized: str, now: datetime) -> Counters:
    # Core on the session's connection: the same unit of work, without the ORM's result machinery.
    return _as_counters(session.connection().execute(_COUNTERS, _params(normalized, now)).one())


@dataclass(frozen=True, slots=True)
class DriverStatement:
    """:data:`_COUNTERS` as the driver takes it, compiled once for a dialect: the SQL text and each parameter's
    bind processing (the column types' own conversions), so the async path sends exactly what the engine would."""

    sql: str
    fixed: dict[str, Any]  # the statement's own literals (the version row's id, the label, the agent prefix)
    processors: dict[str, Any]

    @classmethod
    def compile(cls, statement: Select[Any], dialect: Dialect) -> DriverStatement:
        compiled = statement.compile(dialect=dialect)
        processors = {}
        for name, bind in compiled.binds.items():
            processor = bind.type.bind_processor(dialect)
            if processor is not None:
                processors[name] = processor
        fixed = {name: value for name, value in compiled.params.items() if value is not None}
        return cls(compiled.string, fixed, processors)

    def params(self, given: dict[str, Any]) -> dict[str, Any]:
        merged = {**self.fixed, **given}
        return {k: (self.processors[k](v) if k in self.processors else v) for k, v in merged.items()}


_DRIVER_STATEMENTS: dict[str, DriverStatement] = {}


async def _counters_async(pool: AsyncPool, dialect: Dialect, normalized: str, now: datetime) -> Counters:
    statement = _DRIVER_STATEMENTS.get(dialect.name)
    if statement is None:
        statement = _DRIVER_STATEMENTS[dialect.name] = DriverStatement.compile(_COUNTERS, dialect)
    row = await pool.fetchone(statement.sql, statement.params(_params(normalized, now)))
    return _as_counters(row)


def _from_database(session: Session, normalized: str, now: datetime) -> tuple[list[ListEntry], bool]:
    """Enforced matches and whether a block proposal matches, read from the database."""
    unexpired = or_(NumberEntry.expires_at.is_(None), NumberEntry.expires_at > now)
    # One IN over the value index (an OR across kinds would make SQLite scan the table); kinds checked below.
    indexed = select(NumberEntry).where(NumberEntry.value.in_(prefixes_of(normalized)), unexpired)
    scanned = select(NumberEntry).where(NumberEntry.kind.in_((MatchKind.RANGE, MatchKind.PATTERN)), unexpired)
    rows = [e for e in session.scalars(indexed) if value_matches(e.kind, e.value, normalized)]
    rows += [e for e in session.scalars(scanned) if value_matches(e.kind, e.value, normalized)]
    active = [to_list_entry(e) for e in rows if e.status is EntryStatus.ACTIVE]
    pending = any(e.status is EntryStatus.PROPOSED and e.list is ListName.BLOCK for e in rows)
    return active, pending


def _from_memory(memory: MemoryLists, number: CallerNumber, now: datetime) -> tuple[list[ListEntry], bool]:
    active = [m.entry for m in memory.enforced.lookup(number, now)]
    pending = any(m.entry.list is ListName.BLOCK for m in memory.proposed.lookup(number, now))
    return active, pending


def _facts(
    number: CallerNumber, active: list[ListEntry], pending: bool, counters: Counters, from_memory: bool
) -> LookupFacts:
    _, calls, flagged, confirmations = counters
    return LookupFacts(
        number=number,
        matches=_in_order(active),
        pending_proposal=pending,
        calls_24h=calls,
        flagged_calls_30d=flagged,
        agent_confirmations_30d=confirmations,
        from_memory=from_memory,
    )


async def lookup_from_memory(
    pool: AsyncPool, dialect: Dialect, number: CallerNumber, now: datetime, memory: MemoryLists
) -> LookupFacts | None:
    """The facts about ``number`` from ``memory`` with the one query awaited on ``pool`` (:mod:`records.asyncpool`,
    PostgreSQL); None when memory does not hold the list version that query read — the caller then takes
    :func:`lookup_number`'s database path, exactly as that function would. Raises StorageError like a session.

    Currency is proved as in :func:`lookup_number`: the version is read by the same statement as the counters, on
    a connection that sees every node's committed changes, and compared with what memory holds *after* the read —
    a reload finishing meanwhile only makes memory newer, and then the versions differ and the database answers."""
    normalized = number.normalized
    if normalized is None:
        return LookupFacts(number, [], False, 0, 0, 0)
    counters = await _counters_async(pool, dialect, normalized, now)
    if memory.version() != counters[0]:
        return None
    active, pending = _from_memory(memory, number, now)
    if memory.version() != counters[0]:  # a reload swapped the index under the match: do not mix two versions
        return None
    return _facts(number, active, pending, counters, from_memory=True)


def lookup_number(
    session: Session, number: CallerNumber, now: datetime, memory: MemoryLists | None = None
) -> LookupFacts:
    """The facts about ``number``; from ``memory`` when it holds the database's list version (module docstring)."""
    normalized = number.normalized
    if normalized is None:
        return LookupFacts(number, [], False, 0, 0, 0)
    counters = _counters(session, normalized, now)
    in_memory = memory is not None and memory.version() == counters[0]
    if memory is not None and in_memory:
        active, pending = _from_memory(memory, number, now)
        in_memory = memory.version() == counters[0]  # not when a reload swapped the index under the match
    if not in_memory:
        active, pending = _from_database(session, normalized, now)
    return _facts(number, active, pending, counters, in_memory)
