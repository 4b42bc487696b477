"""Storing a call's screening inputs for shadow mode: the transcript, the caller, the time and recent history.

The judgement's history signals (repeat caller, prefix burst, agent confirmations) depend on what happened
*before* the call, which a replay days later cannot recount. So when a record with a
:class:`~screening.interfaces.ScreeningInput` is written, the caller's earlier arrivals and those of its number
range (within ``lookback``) and its recent agent confirmations are stored with it, and
:class:`FrozenHistory` hands exactly those back to the engine during replay.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from records.models import CallArrival, ScreenedCall, ShadowInput
from records.repository_calls import AGENT_PREFIX
from screening.interfaces import CallRecord

MAX_TIMES = 1000


@dataclass(frozen=True, slots=True)
class ShadowCapture:
    """How much history to keep with each input (from the live screening settings)."""

    lookback: timedelta = timedelta(hours=2)  # at least the longest repeat/burst window
    burst_drop_digits: int = 4
    confirmation_window: timedelta = timedelta(days=30)


def _times(session: Session, condition: object, since: datetime, until: datetime) -> list[str]:
    stmt = (select(CallArrival.at).where(condition, CallArrival.at >= since, CallArrival.at < until)  # type: ignore[arg-type]
            .order_by(CallArrival.at.desc()).limit(MAX_TIMES))  # fmt: skip
    return [moment.isoformat() for moment in session.scalars(stmt)]


def store_input(session: Session, record: CallRecord, capture: ShadowCapture) -> None:
    """Write the record's screening input with the caller's history as it stood when the call arrived."""
    given = record.screening_input
    if given is None:
        return
    number = record.caller.normalized
    history: dict[str, object] = {"caller_times": [], "range_times": [], "range": None, "confirmations": 0}
    if number is not None:
        since = record.started_at - capture.lookback
        history["caller_times"] = _times(session, CallArrival.caller == number, since, record.started_at)
        if len(number) > capture.burst_drop_digits + 3:
            prefix = number[: -capture.burst_drop_digits]
            history["range"] = prefix
            history["range_times"] = _times(session, CallArrival.caller.startswith(prefix), since, record.started_at)
        history["confirmations"] = session.scalar(select(func.count()).where(
            ScreenedCall.caller == number, ScreenedCall.started_at >= record.started_at - capture.confirmation_window,
            ScreenedCall.started_at < record.started_at, ScreenedCall.confirmed_by.startswith(AGENT_PREFIX),
        )) or 0  # fmt: skip
    session.add(ShadowInput(
        call_id=record.call_id, node=record.node, at=record.started_at, caller_raw=(record.caller.raw or "")[:200],
        listened=given.listened, transcript=given.transcript, history=json.dumps(history),
        label=record.verdict.label, score=record.verdict.score, route=record.route,
    ))  # fmt: skip


class FrozenHistory:
    """:class:`~screening.interfaces.CallHistory` answering from one stored input's history (replay only)."""

    def __init__(self) -> None:
        self._caller: list[datetime] = []
        self._range: list[datetime] = []
        self._confirmations = 0

    def load(self, row: ShadowInput) -> None:
        data = json.loads(row.history or "{}")
        self._caller = [datetime.fromisoformat(t) for t in data.get("caller_times", [])]
        self._range = [datetime.fromisoformat(t) for t in data.get("range_times", [])]
        self._confirmations = int(data.get("confirmations", 0))

    def count_from(self, normalized: str, since: datetime) -> int:
        return sum(1 for t in self._caller if t >= since)

    def count_prefix(self, prefix: str, since: datetime) -> int:
        return sum(1 for t in self._range if t >= since)

    def agent_confirmations(self, normalized: str, since: datetime) -> int:
        return self._confirmations

    def note_call(self, normalized: str | None, at: datetime) -> None:
        """A replay notes nothing: the stored history already is what was."""
