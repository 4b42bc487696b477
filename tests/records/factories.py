"""Building call records for tests the way telephony hands them over."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from numbering import normalize
from records.database import Database
from screening.interfaces import CallRecord, Route
from screening.verdict import Label, Reason, ReasonCode, SignalKind, Verdict

SALT = b"test-salt"
BASE = datetime(2026, 11, 2, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai, a Monday


def verdict(label: Label, score: float = 0.9) -> Verdict:
    reason = Reason(ReasonCode.INSULT, SignalKind.CONTENT, 0.6, "insulting words aimed at the agent", ("傻",))
    return Verdict(label=label, score=score, reasons=(reason,) if label is not Label.ALLOW else ())


def call(
    number: str | None,
    label: Label = Label.HARASSMENT,
    *,
    at: datetime | None = None,
    minutes: int = 0,
    route: Route | None = None,
    transcript: str = "你好 傻",
    confirmed_by: str | None = None,
    call_id: str | None = None,
) -> CallRecord:
    started = (at or BASE) + timedelta(minutes=minutes)
    default_route = {Label.ALLOW: Route.AGENTS, Label.SUSPECT: Route.AGENTS_FLAGGED, Label.HARASSMENT: Route.ANALYSIS}
    return CallRecord(
        call_id=call_id or f"call-{uuid.uuid4().hex[:16]}",
        started_at=started,
        caller=normalize(number),
        route=route or default_route[label],
        verdict=verdict(label),
        node="node-a",
        ended_at=started + timedelta(seconds=20),
        transcript=transcript,
        confirmed_by=confirmed_by,
        end_reason="caller_bye",
    )


def cli_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Database:
    """A migrated SQLite database that ``callscreen`` commands run in this test will use (and a data_dir)."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("CALLSCREEN_DATABASE_URL", url)
    monkeypatch.setenv("CALLSCREEN_DATA_DIR", str(tmp_path / "var"))
    database = Database(url)
    database.migrate()
    return database
