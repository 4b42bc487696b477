"""The agents' incident log: times of calls they could not identify (no caller ID), for bill matching."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from records.base import utcnow
from records.errors import InvalidInputError
from records.models import Incident

MAX_FUTURE_SKEW_S = 300


def log_incident(
    session: Session, *, occurred_at: datetime, agent: str, note: str = "", call_id: str | None = None
) -> Incident:
    if (occurred_at - utcnow()).total_seconds() > MAX_FUTURE_SKEW_S:
        raise InvalidInputError(f"incident time {occurred_at.isoformat()} is in the future")
    row = Incident(occurred_at=occurred_at, agent=agent, note=note, call_id=call_id)
    session.add(row)
    session.flush()
    return row


def query_incidents(
    session: Session,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int,
    offset: int = 0,
) -> tuple[list[Incident], int]:
    stmt = select(Incident)
    if since is not None:
        stmt = stmt.where(Incident.occurred_at >= since)
    if until is not None:
        stmt = stmt.where(Incident.occurred_at < until)
    count = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(Incident.occurred_at.desc()).limit(limit).offset(offset))
    return list(rows), count
