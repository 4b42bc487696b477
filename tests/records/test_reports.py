from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from records import Database, SqlCallRecorder
from records.base import utcnow
from records.evidence import calls_csv, collect
from records.incidents import log_incident
from records.lists import EntryDraft, create_entry
from records.reports import build_report, report_csv
from records.retention import purge
from screening.interfaces import Route
from screening.numberlist import ListName, MatchKind
from screening.verdict import Label
from tests.records.factories import BASE, SALT, call

ZONE = ZoneInfo("Asia/Shanghai")


def _seed(db: Database, tmp_path: Path) -> None:
    recorder = SqlCallRecorder(db, spool_dir=tmp_path, salt=SALT)
    for minute in (0, 10, 20):  # a repeat offender at noon local time
        recorder.record(call("13812345678", minutes=minute))
    recorder.record(call("075512340001", minutes=30, route=Route.LINE_FAULT))  # a switchboard range
    recorder.record(call(None, minutes=40))  # anonymous
    recorder.record(call("13900000000", Label.SUSPECT, minutes=50, confirmed_by="agent:7", route=Route.ANALYSIS))
    recorder.record(call("13900000001", Label.ALLOW, minutes=60))
    with db.session() as s:
        create_entry(s, EntryDraft(ListName.SWITCHBOARD, MatchKind.PREFIX, "0755123"), actor="a")


def test_report_figures(database: Database, tmp_path: Path) -> None:
    _seed(database, tmp_path)
    with database.session() as s:
        report = build_report(s, since=BASE - timedelta(days=1), until=BASE + timedelta(days=1), zone=ZONE)
    assert (report.total_calls, report.harassment_calls, report.suspect_calls) == (7, 6, 1)
    assert report.by_hour[12] == 6 and sum(report.by_hour) == 6
    assert report.by_weekday[0] == 6  # Monday
    assert report.top_sources[0] == ("+8613812345678", 3)
    assert report.top_prefixes[0] == ("+861381234", 3)
    assert report.repeat_offenders == [("+8613812345678", 3)]
    assert report.share_anonymous == round(1 / 6, 4)
    assert report.share_switchboard == round(1 / 6, 4)
    assert (report.agent_confirmed, report.automatic) == (1, 5)
    assert report.deterred_calls == 6 and report.agent_seconds_saved == 120  # real durations: 6 calls of 20 s
    text = report_csv(report)
    assert "by_hour,12,6" in text and "repeat_offenders,+8613812345678,3" in text


def test_evidence_pack_collects_calls_incidents_and_entries(database: Database, tmp_path: Path) -> None:
    _seed(database, tmp_path)
    with database.session() as s:
        first = collect(s, "+8613812345678")
        log_incident(s, occurred_at=BASE, agent="7", note="swore at me", call_id=first.calls[0].call_id)
    with database.session() as s:
        pack = collect(s, "+8613812345678")
    assert len(pack.calls) == 3 and len(pack.incidents) == 1
    assert [e.status.value for e in pack.entries] == ["proposed"]
    text = calls_csv(pack)
    assert text.count("\n") == 4 and "content.insult: insulting words" in text


def test_purge_clears_old_transcripts_only(database: Database, tmp_path: Path) -> None:
    recorder = SqlCallRecorder(database, spool_dir=tmp_path, salt=SALT)
    now = utcnow()
    recorder.record(call("13812345678", at=now - timedelta(days=100)))
    recorder.record(call("13812345679", at=now - timedelta(days=2)))
    with database.session() as s:
        result = purge(s, now=now, retention_days=90, salt=SALT)
    assert result.transcripts == 1
    with database.session() as s:
        old, recent = collect(s, "+8613812345678").calls[0], collect(s, "+8613812345679").calls[0]
    assert old.transcript is None and recent.transcript == "你好 傻"
