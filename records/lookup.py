"""Verdict-relevant facts about one number, for the PBX's ``/lookup`` and the manager page.

Reads the database directly (the API may run without a screener and its in-memory matcher): exact and prefix
entries through indexed equality, ranges and patterns — few by nature — checked in Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from numbering import CallerNumber
from records.entry_values import prefixes_of, value_matches
from records.models import CallArrival, NumberEntry, ScreenedCall
from records.policy import evidence_count
from records.repository_calls import AGENT_PREFIX
from screening.numberlist import EntryStatus, ListName, MatchKind, decisive, ordered

RECENT = timedelta(hours=24)
HISTORY = timedelta(days=30)


@dataclass(frozen=True, slots=True)
class LookupFacts:
    number: CallerNumber
    matches: list[NumberEntry]  # enforced (active, unexpired) entries in precedence order
    pending_proposal: bool
    calls_24h: int
    flagged_calls_30d: int
    agent_confirmations_30d: int

    def on(self, list_name: ListName) -> bool:
        return any(m.list is list_name for m in self.matches)

    @property
    def decision(self) -> ListName | None:
        """ALLOW or BLOCK by the one precedence rule the screener uses too; None when neither list matched."""
        winner = decisive(self.matches, _entry_key)
        return winner.list if winner is not None else None


def _entry_key(entry: NumberEntry) -> tuple[ListName, MatchKind, str]:
    return entry.list, entry.kind, entry.value


def _candidates(session: Session, normalized: str, now: datetime) -> list[NumberEntry]:
    unexpired = or_(NumberEntry.expires_at.is_(None), NumberEntry.expires_at > now)
    # One IN over the value index (an OR across kinds would make SQLite scan the table); kinds checked below.
    indexed = select(NumberEntry).where(NumberEntry.value.in_(prefixes_of(normalized)), unexpired)
    scanned = select(NumberEntry).where(NumberEntry.kind.in_((MatchKind.RANGE, MatchKind.PATTERN)), unexpired)
    rows = [e for e in session.scalars(indexed) if value_matches(e.kind, e.value, normalized)]
    rows += [e for e in session.scalars(scanned) if value_matches(e.kind, e.value, normalized)]
    return rows


def lookup_number(session: Session, number: CallerNumber, now: datetime) -> LookupFacts:
    normalized = number.normalized
    if normalized is None:
        return LookupFacts(number, [], False, 0, 0, 0)
    rows = _candidates(session, normalized, now)
    active = [e for e in rows if e.status is EntryStatus.ACTIVE]
    active = ordered(active, _entry_key)
    pending = any(e.status is EntryStatus.PROPOSED and e.list is ListName.BLOCK for e in rows)
    calls = session.scalar(select(func.count()).where(CallArrival.caller == normalized, CallArrival.at >= now - RECENT))
    confirmations = session.scalar(
        select(func.count()).where(
            ScreenedCall.caller == normalized,
            ScreenedCall.started_at >= now - HISTORY,
            ScreenedCall.confirmed_by.startswith(AGENT_PREFIX),
        )
    )
    return LookupFacts(
        number=number,
        matches=active,
        pending_proposal=pending,
        calls_24h=calls or 0,
        flagged_calls_30d=evidence_count(session, normalized, now - HISTORY),
        agent_confirmations_30d=confirmations or 0,
    )
