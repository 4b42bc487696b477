"""The cost report: real durations by month and hotline, bill durations for agent time, toll-free tariffs."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from callscreen.cli import main
from records import Database, SqlCallRecorder
from records.bills import import_bill
from records.costs import Tariffs, build_costs, costs_csv
from screening.interfaces import Route
from screening.verdict import Label
from tests.records.factories import SALT, call

ZONE = ZoneInfo("Asia/Shanghai")
NOV = datetime(2026, 11, 10, 6, 0, tzinfo=UTC)
DEC = datetime(2026, 12, 3, 6, 0, tzinfo=UTC)
HOTLINE, OTHER = "+864008001234", "+868008005678"  # as telephony stores them (normalised)
TARIFFS = Tariffs.of({"400-800-1234": 0.5}, default=0.1)  # as an operator writes them


def _call(number: str, label: Label, at: datetime, seconds: int, route: Route, hotline: str | None = HOTLINE,
          confirmed_by: str | None = None) -> object:
    record = call(number, label, at=at, route=route, confirmed_by=confirmed_by)
    return dataclasses.replace(record, ended_at=at + timedelta(seconds=seconds), hotline=hotline)


@pytest.fixture
def db(tmp_path: Path) -> Database:
    database = Database(f"sqlite:///{tmp_path / 'costs.db'}")
    database.migrate()
    seed_costs(database, tmp_path)
    return database


def seed_costs(database: Database, tmp_path: Path) -> None:
    """Two months of calls on two hotlines, and a carrier bill with one agent call's real duration."""
    recorder = SqlCallRecorder(database, spool_dir=tmp_path, salt=SALT)
    for record in (
        _call("13800000001", Label.HARASSMENT, NOV, 95, Route.ANALYSIS),  # deterrent: 95 s, 2 minutes billed
        _call("13800000002", Label.HARASSMENT, NOV, 30, Route.LINE_FAULT, hotline=OTHER),  # 1 min at the default
        _call("13800000003", Label.SUSPECT, NOV, 12, Route.AGENTS_FLAGGED, confirmed_by="agent:7"),  # bill: 300 s
        _call("13800000004", Label.ALLOW, NOV, 15, Route.AGENTS, confirmed_by="agent:8"),  # no bill: its 15 s leg
        _call("13800000005", Label.ALLOW, NOV, 600, Route.AGENTS),  # a customer: costs nothing here
        _call("13800000006", Label.HARASSMENT, DEC, 61, Route.ANALYSIS),
    ):
        recorder.record(record)  # type: ignore[arg-type]
    with database.session() as s:
        bill = f"time,caller,duration_s\n{(NOV + timedelta(seconds=20)).isoformat()},13800000003,300\n"
        import_bill(s, bill, filename="nov.csv", zone=ZONE, actor="manager")


def test_costs_by_month_and_hotline(db: Database) -> None:
    with db.session() as s:
        report = build_costs(s, since=NOV - timedelta(days=30), until=DEC + timedelta(days=1), zone=ZONE,
                             tariffs=TARIFFS)  # fmt: skip
    lines = {(line.month, line.hotline): line for line in report.lines}
    nov = lines[("2026-11", "*")]
    assert (nov.calls, nov.harassment_calls) == (5, 4)
    assert (nov.agent_seconds_on_harassment, nov.agent_seconds_from_bills) == (315, 300)  # bill 300 s + leg 15 s
    assert nov.deterrent_seconds == 125
    main_line = lines[("2026-11", HOTLINE)]
    assert main_line.tollfree_minutes == 2 + 5 + 1 and main_line.tollfree_charge == 4.0  # 8 min × 0.5
    assert lines[("2026-11", OTHER)].tollfree_charge == 0.1  # 1 min at the default tariff
    assert nov.tollfree_charge == 4.1
    dec = lines[("2026-12", "*")]
    assert (dec.deterrent_seconds, dec.tollfree_minutes, dec.tollfree_charge) == (61, 2, 1.0)
    assert [line.hotline for line in report.lines][:1] == ["*"]
    text = costs_csv(report)
    assert text.splitlines()[0].startswith("month,hotline,calls") and "2026-11,*,5,4,315,300,125,9,4.1,CNY" in text


def test_a_review_overrides_the_verdict(db: Database) -> None:
    from records.models import ScreenedCall

    with db.session() as s:
        row = s.query(ScreenedCall).filter(ScreenedCall.caller == "+8613800000006").one()
        row.review_label = Label.ALLOW  # a manager found the December call legitimate
    with db.session() as s:
        report = build_costs(s, since=DEC - timedelta(days=1), until=DEC + timedelta(days=1), zone=ZONE,
                             tariffs=TARIFFS)  # fmt: skip
    assert report.lines[0].harassment_calls == 0 and report.lines[0].tollfree_charge == 0


def test_report_costs_cli(db: Database, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("CALLSCREEN_DATABASE_URL", str(db.url.render_as_string(hide_password=False)))
    monkeypatch.setenv("CALLSCREEN_COSTS_TARIFFS", json.dumps({"4008001234": 0.5}))
    args = ["report", "--costs", "--since", "2026-11-01", "--until", "2026-12-31", "--format", "json"]
    assert main(args) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["lines"][0]["tollfree_charge"] == 4.0  # the other hotline at the default tariff, 0
