"""The record-keeping subcommands, run the way an operator runs them (``callscreen …``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from callscreen.cli import main
from records import Database, SqlCallRecorder
from records.keys import authenticate
from tests.records.factories import SALT, call


@pytest.fixture
def db_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("CALLSCREEN_DATABASE_URL", url)
    return url


def test_keys_create_bootstraps_an_admin_key(db_url: str, tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "CALLSCREEN_DATABASE_URL": db_url, "HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "callscreen", "keys", "create", "--role", "admin", "--label", "ops"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=True,
    )
    secret = done.stdout.strip()
    assert secret.startswith("cs_") and "shown only this once" in done.stderr
    db = Database(db_url)
    with db.session() as s:
        principal = authenticate(s, secret)
    assert principal is not None and principal.role.value == "admin" and principal.label == "ops"
    listed = subprocess.run(
        [sys.executable, "-m", "callscreen", "keys", "list"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=True,
    )
    assert "admin" in listed.stdout and secret not in listed.stdout
    db.dispose()


def test_keys_revoke_unknown_id_is_a_clear_error(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["keys", "revoke", "42"]) == 1
    assert "API key 42 does not exist" in capsys.readouterr().err


def test_blocklist_add_list_export_import_remove(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["blocklist", "add", "138 1234 5678", "--reason", "obscene", "--expires-days", "30"]) == 0
    assert main(["blocklist", "--list", "switchboard", "add", "0755123", "--kind", "prefix"]) == 0
    assert main(["blocklist", "add", "13812345678"]) == 1
    assert "already has exact entry" in capsys.readouterr().err
    assert main(["blocklist", "list"]) == 0
    out = capsys.readouterr().out
    assert "+8613812345678\tactive\tmanager" in out and "# 1 of 1 block entries" in out
    export = tmp_path / "block.csv"
    assert main(["blocklist", "export", str(export)]) == 0
    assert main(["blocklist", "remove", "13812345678"]) == 0
    assert main(["blocklist", "import", str(export)]) == 0
    assert "1 added, 0 already present" in capsys.readouterr().out
    bad = tmp_path / "bad.csv"
    bad.write_text("value\n13812345679\nnot-a-number\n")
    assert main(["blocklist", "import", str(bad)]) == 1
    assert "line 3: 'not-a-number' is not a valid phone number" in capsys.readouterr().err
    assert main(["blocklist", "remove", "13900000000"]) == 1


def test_report_and_purge(db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = Database(db_url)
    db.migrate()
    recorder = SqlCallRecorder(db, spool_dir=tmp_path, salt=SALT)
    for minute in (0, 10, 20):
        recorder.record(call("13812345678", minutes=minute))
    db.dispose()
    assert main(["report", "--since", "2026-11-01", "--until", "2026-11-03"]) == 0
    out = capsys.readouterr().out
    assert "totals,harassment_calls,3" in out and "by_hour,12,3" in out
    assert main(["report", "--since", "2026-11-01", "--until", "2026-11-03", "--format", "json"]) == 0
    assert '"harassment_calls": 3' in capsys.readouterr().out
    assert main(["report", "--since", "yesterday"]) == 2
    assert main(["purge", "--retention-days", "1"]) == 0
    assert "purged 3 transcript(s)" in capsys.readouterr().out
