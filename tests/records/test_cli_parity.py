"""CLI parity with the page: bills, incidents and review decisions from the shell, and progress on big files."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from callscreen.cli import main
from callscreen.cli._progress import ProgressBars
from records import Database
from records.bills import import_bill
from records.list_csv import export_entries, import_entries
from records.lists import EntryDraft, create_entry
from records.models import AuditEntry, NumberEntry
from screening.numberlist import EntryStatus, ListName, MatchKind
from tests.records.factories import cli_database

ZONE = ZoneInfo("Asia/Shanghai")
Capsys = pytest.CaptureFixture[str]


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Database:
    return cli_database(tmp_path, monkeypatch)


def test_incidents_and_bills_from_the_shell(db: Database, tmp_path: Path, capsys: Capsys) -> None:
    for at in ("2026-11-20T22:15", "2026-11-21T22:40"):
        assert main(["incidents", "add", "--at", at, "--note", "骚扰 无主叫"]) == 0
    assert "logged at 2026-11-20 22:15" in capsys.readouterr().out
    assert main(["incidents", "list", "--since", "2026-11-01"]) == 0
    listed = capsys.readouterr().out
    assert "骚扰 无主叫" in listed and "# 2 of 2 incident(s)" in listed
    bill = tmp_path / "bill.csv"
    bill.write_text("呼叫时间,主叫号码,通话时长\n2026-11-20 22:16:00,13812345678,30\n2026-11-21 22:39:30,13812345678,"
                    "45\n2026-11-21 09:00:00,13900001111,60\n", encoding="utf-8")  # fmt: skip
    assert main(["bills", "import", str(bill), "--no-progress"]) == 0
    assert "bill 1: 3 line(s)" in capsys.readouterr().out
    assert main(["bills", "list"]) == 0 and "bill.csv\t3" in capsys.readouterr().out
    assert main(["bills", "match", "1", "--tolerance-s", "120"]) == 0
    matched = capsys.readouterr().out
    assert matched.splitlines()[0].startswith("+8613812345678\t2 incident(s)") and "# 1 candidate" in matched
    assert main(["bills", "match", "9"]) == 1 and "does not exist" in capsys.readouterr().err
    bad = tmp_path / "bad.csv"
    bad.write_text("time,caller\nnot a time,138\n", encoding="utf-8")
    assert main(["bills", "import", str(bad), "--no-progress"]) == 1
    assert "line 2" in capsys.readouterr().err


def test_review_approve_and_lift_with_reason(db: Database, capsys: Capsys) -> None:
    with db.session() as s:
        proposed = create_entry(s, EntryDraft(ListName.BLOCK, MatchKind.EXACT, "13812345678", reason="3 verdicts",
                                              status=EntryStatus.PROPOSED), actor="system:auto")  # fmt: skip
        entry_id = proposed.id
    assert main(["review", "list"]) == 0 and "+8613812345678" in capsys.readouterr().out
    assert main(["review", "approve", str(entry_id), "--expires-days", "90"]) == 0
    assert "is now active" in capsys.readouterr().out
    assert main(["review", "approve", str(entry_id)]) == 1 and "already active" in capsys.readouterr().err
    assert main(["review", "lift", str(entry_id), "--reason", " "]) == 1 and "needs a reason" in capsys.readouterr().err
    assert main(["review", "lift", str(entry_id), "--reason", "customer appeal: a wrong number"]) == 0
    with db.session() as s:
        entry = s.get(NumberEntry, entry_id)
        assert entry is not None and entry.status is EntryStatus.LIFTED and entry.reason.startswith("customer appeal")
        actions = [a.actor for a in s.scalars(select(AuditEntry).where(AuditEntry.target == f"entry:{entry_id}"))]
    assert sum(actor.startswith("cli:") for actor in actions) == 2


def test_imports_and_exports_report_progress(db: Database) -> None:
    """The records layer reports each stage to the CLI's bars: validating, writing, exporting (all rows)."""
    rows = 25_000
    text = "value\n" + "".join(f"+86138{n:08d}\n" for n in range(rows))
    seen: dict[str, tuple[int, int]] = {}

    def progress(stage: str, done: int, total: int) -> None:
        assert done <= total or stage == "validating"
        seen[stage] = (done, total)

    with db.session() as s:
        import_entries(s, text, default_list=ListName.BLOCK, zone=ZONE, actor="test", progress=progress)
        "".join(export_entries(s, list_name=ListName.BLOCK, status=None, progress=progress))
        bill = "time,caller\n" + "".join(f"2026-11-20 10:00:00,+86139{n:08d}\n" for n in range(rows))
        import_bill(s, bill, filename="b.csv", zone=ZONE, actor="test", progress=progress)
    assert seen == {"validating": (rows, rows), "writing": (rows, rows), "exporting": (rows, rows)}


def test_progress_bars_draw_on_stderr(capsys: Capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    with ProgressBars(enabled=True) as bars:
        monkeypatch.setattr("sys.stderr.isatty", lambda: True, raising=False)
        for done in (10_000, 20_000, 25_000):
            bars("writing", done, 25_000)
    err = capsys.readouterr().err
    assert "writing" in err and "25.0k/25.0k" in err
    with ProgressBars(enabled=False) as quiet:
        quiet("writing", 5, 10)
    assert capsys.readouterr().err == ""


def test_blocklist_import_export_with_progress_flag(db: Database, tmp_path: Path, capsys: Capsys) -> None:
    source = tmp_path / "in.csv"
    source.write_text("value\n13812345678\n13812345679\n", encoding="utf-8")
    assert main(["blocklist", "--no-progress", "import", str(source)]) == 0
    assert main(["blocklist", "--no-progress", "export", str(tmp_path / "out.csv")]) == 0
    assert (tmp_path / "out.csv").read_text(encoding="utf-8").count("+86138123456") == 2
