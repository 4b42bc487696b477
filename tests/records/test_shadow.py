"""Shadow mode: screening inputs kept by the recorder, replayed by ``callscreen shadow`` under a candidate change.

Calls are recorded the way telephony hands them over (a ``CallRecord`` with its ``ScreeningInput``); the window is
given explicitly, so nothing depends on the wall clock.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from callscreen.cli import main
from records import Database, SqlCallRecorder
from records.models import CallArrival, ShadowInput
from records.retention import purge
from records.shadow_capture import ShadowCapture
from screening.interfaces import ScreeningInput
from screening.verdict import Label
from tests.records.factories import SALT, call, cli_database

AT = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)  # 15:00 in Shanghai: no night/noon reasons
WINDOW = ["--since", (AT - timedelta(days=1)).isoformat(), "--until", (AT + timedelta(days=1)).isoformat()]
CALLS = {  # number: (what was said, live label, content screened)
    "13800000001": ("你有病吧", Label.SUSPECT, True),  # 0.55
    "13800000002": ("你是不是傻", Label.SUSPECT, True),  # 0.70
    "13800000003": ("你好 我想查一下我的订单 谢谢", Label.ALLOW, True),
    "13800000004": ("闭嘴 你个废物", Label.HARASSMENT, True),
    "13800000005": ("", Label.ALLOW, False),  # decided before answering: nothing heard
    "13800000006": ("你有病吧", Label.HARASSMENT, True),  # 0.55 + a repeat caller (its history below) = 0.85
}


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Database:
    # The scores above are the rules'; the shipped learned model (on by default) would move them whenever it is
    # retrained. Shadow mode's mechanics are tested here, the model in tests/screening/test_learned.py.
    monkeypatch.setenv("CALLSCREEN_SCREENING_LEARNED", "false")
    database = cli_database(tmp_path, monkeypatch)
    record_inputs(database, tmp_path)
    return database


def record_inputs(database: Database, tmp_path: Path) -> None:
    """The calls above, recorded with their screening inputs as the call flow hands them over."""
    with database.session() as s:  # two earlier calls from the last number: its history at the time
        s.add_all([CallArrival(caller="+8613800000006", at=AT - timedelta(minutes=m)) for m in (5, 12)])
    recorder = SqlCallRecorder(database, spool_dir=tmp_path, salt=SALT, shadow=ShadowCapture())
    for minutes, (number, (text, label, listened)) in enumerate(CALLS.items()):
        record = call(number, label, at=AT, minutes=minutes, transcript=text)
        recorder.record(dataclasses.replace(record, screening_input=ScreeningInput(text, listened=listened)))
    recorder.record(call("13800000009", Label.ALLOW, at=AT))  # no screening input: nothing kept


def _shadow(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, object]:
    assert main(["shadow", *WINDOW, *args, "--json"]) == 0
    report: dict[str, object] = json.loads(capsys.readouterr().out)
    return report


def test_inputs_are_kept_with_the_callers_history(db: Database) -> None:
    with db.session() as s:
        rows = s.scalars(select(ShadowInput).order_by(ShadowInput.at)).all()
    assert len(rows) == 6 and rows[0].transcript == "你有病吧" and rows[2].label is Label.ALLOW
    assert rows[2].transcript  # unflagged calls' transcripts are kept here (briefly), not on the call record
    assert len(json.loads(rows[5].history)["caller_times"]) == 2 and not rows[4].listened


def test_no_change_changes_nothing(db: Database, capsys: pytest.CaptureFixture[str]) -> None:
    report = _shadow(capsys)
    assert (report["inputs"], report["listened"], report["changed"]) == (6, 5, 0)


def test_the_callers_history_is_replayed_as_it_was(db: Database, capsys: pytest.CaptureFixture[str]) -> None:
    """The repeat caller is one only through its stored history: raising the repeat count clears it."""
    report = _shadow(capsys, "--set", "repeat_count=10")
    assert report["transitions"] == {"harassment→suspect": 1}, report["calls"]
    assert report["calls"][0]["caller"] == "+86 138****0006"  # type: ignore[index]


def test_thresholds_change_verdicts_in_both_directions(db: Database, capsys: pytest.CaptureFixture[str]) -> None:
    report = _shadow(capsys, "--set", "suspect_threshold=0.6", "--set", "harassment_threshold=0.65")
    assert (report["changed"], report["stricter"], report["lenient"]) == (2, 1, 1), report["calls"]
    assert report["transitions"] == {"suspect→allow": 1, "suspect→harassment": 1}
    calls = {c["caller"]: (c["before"], c["after"], c["direction"]) for c in report["calls"]}  # type: ignore[attr-defined]
    assert calls == {"+86 138****0001": ("suspect", "allow", "lenient"),
                     "+86 138****0002": ("suspect", "harassment", "stricter")}  # fmt: skip


def test_a_list_file_is_replayed_as_if_imported(
    db: Database, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    lists = tmp_path / "candidate.csv"
    lists.write_text("list,value\nblock,13800000003\nblock,13800000005\nallow,13800000004\n", encoding="utf-8")
    report = _shadow(capsys, "--lists", str(lists))
    assert report["transitions"] == {"allow→blocked": 2, "harassment→allow": 1}, report
    assert (report["stricter"], report["lenient"]) == (2, 1)


def test_human_output_and_bad_candidates(db: Database, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["shadow", *WINDOW, "--set", "harassment_threshold=0.65"]) == 0
    out = capsys.readouterr().out
    assert "replayed 6 call(s)" in out and "would change: 1 (1 stricter, 0 more lenient)" in out
    assert "suspect → harassment" in out and "13800000002" not in out  # masked
    assert main(["shadow", *WINDOW, "--set", "harassment_threshold=2"]) == 2
    assert "harassment_threshold" in capsys.readouterr().err
    bad = tmp_path / "bad.csv"
    bad.write_text("value\nnot-a-number\n", encoding="utf-8")
    assert main(["shadow", *WINDOW, "--lists", str(bad)]) == 2
    assert "list file" in capsys.readouterr().err
    assert main(["shadow", *WINDOW, "--lexicon", str(tmp_path / "missing")]) == 2
    assert "lexicon directory" in capsys.readouterr().err
    assert main(["shadow", *WINDOW, "--model", str(tmp_path / "no-model")]) == 2  # refused, never half-loaded
    assert "model" in capsys.readouterr().err


def test_inputs_are_purged_after_the_shadow_period(db: Database) -> None:
    with db.session() as s:
        kept = purge(s, now=AT + timedelta(days=6), retention_days=90, salt=SALT)
        gone = purge(s, now=AT + timedelta(days=8), retention_days=90, salt=SALT)
    assert (kept.shadow_inputs, gone.shadow_inputs) == (0, 6)
