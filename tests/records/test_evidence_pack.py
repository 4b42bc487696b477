"""Evidence packs, exported and verified with ``callscreen evidence`` the way a manager hands one to the police.

A fresh pack verifies; flipping one byte in a record, dropping a record or swapping two makes ``verify`` exit 1
and name the record; a pack signed by another key fails when the trusted key is pinned.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from callscreen.cli import main
from records import Database, SqlCallRecorder
from records.bills import import_bill
from records.evidence_pack import verify
from records.lists import find_entry, set_status
from records.models import AuditEntry, Incident
from screening.numberlist import EntryStatus, ListName, MatchKind
from screening.verdict import Label
from tests.records.factories import BASE, SALT, call, cli_database

NUMBER = "+8613812345678"
Capsys = pytest.CaptureFixture[str]


@pytest.fixture
def node(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Database:
    """A node's database and data_dir with a harasser's calls, an incident, a bill line, an entry and its audit."""
    db = cli_database(tmp_path, monkeypatch)
    recorder = SqlCallRecorder(db, spool_dir=tmp_path / "spool", salt=SALT)
    for minutes in range(3):
        recorder.record(call("13812345678", minutes=minutes, call_id=f"h{minutes}", transcript="你个傻子 滚"))
    recorder.record(call("13900001111", Label.ALLOW, minutes=5, call_id="customer"))
    with db.session() as s:
        s.add(Incident(occurred_at=BASE + timedelta(minutes=1), agent="agent7", note="辱骂坐席", call_id="h1"))
        proposed = find_entry(s, ListName.BLOCK, MatchKind.EXACT, NUMBER)  # the policy proposed it: approve it
        assert proposed is not None
        set_status(s, proposed.id, EntryStatus.ACTIVE, actor="manager:li")
        csv_text = f"time,caller,duration_s\n{(BASE + timedelta(minutes=2)).isoformat()},13812345678,40\n"
        import_bill(s, csv_text, filename="bill.csv", zone=ZoneInfo("Asia/Shanghai"), actor="manager:li")
    return db


def _export(tmp_path: Path, capsys: pytest.CaptureFixture[str], *args: str) -> Path:
    out = tmp_path / "pack.jsonl"
    assert main(["evidence", "export", *args, "-o", str(out), "--no-progress"]) == 0
    assert "wrote" in capsys.readouterr().out
    return out


def _verify(pack: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str]:
    code = main(["evidence", "verify", str(pack), *extra])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def _lines(pack: Path) -> list[bytes]:
    return pack.read_bytes().split(b"\n")


def test_fresh_pack_verifies_and_holds_every_kind(node: Database, tmp_path: Path, capsys: Capsys) -> None:
    pack = _export(tmp_path, capsys, "--number", "138 1234 5678")
    code, text = _verify(pack, capsys)
    records = [json.loads(line) for line in _lines(pack)[:-2]]
    assert code == 0 and f"OK: {len(records)} record(s)" in text, text
    kinds = [r["kind"] for r in records]
    assert kinds[:6] == ["call", "call", "call", "incident", "bill_line", "list_entry"], kinds
    audits = [r["data"] for r in records[6:]]
    assert {r["kind"] for r in records[6:]} == {"audit"} and len(audits) >= 2  # the entry's proposal and approval
    assert any(a["actor"] == "manager:li" and a["action"] == "entry.update" for a in audits), audits
    assert records[0]["data"]["reasons"][0]["code"] == "content.insult"  # verdicts with their reasons
    assert records[0]["data"]["transcript"] == "你个傻子 滚"
    assert all(r["data"].get("caller") in (None, NUMBER) for r in records)  # the customer is not in it
    with node.session() as s:  # the export itself is in the audit log
        exported = s.scalars(select(AuditEntry).where(AuditEntry.action == "evidence.export")).one()
    assert exported.actor.startswith("cli:") and NUMBER in exported.target
    # the signer can be pinned: the node's own public key passes
    key_file = tmp_path / "node.pub"
    assert main(["evidence", "public-key"]) == 0
    key_file.write_text(capsys.readouterr().out)
    assert _verify(pack, capsys, "--public-key", str(key_file))[0] == 0


def test_time_window_pack_keeps_flagged_calls_only(node: Database, tmp_path: Path, capsys: Capsys) -> None:
    pack = _export(tmp_path, capsys, "--since", BASE.isoformat(), "--until", (BASE + timedelta(hours=1)).isoformat())
    assert _verify(pack, capsys)[0] == 0
    calls = [json.loads(line)["data"] for line in _lines(pack)[:-2] if json.loads(line)["kind"] == "call"]
    assert [c["call_id"] for c in calls] == ["h0", "h1", "h2"]


def test_flipping_one_byte_names_the_record(node: Database, tmp_path: Path, capsys: Capsys) -> None:
    pack = _export(tmp_path, capsys, "--number", NUMBER)
    lines = _lines(pack)
    target = lines[3]  # record 4: the incident
    at = target.index("辱骂坐席".encode())
    lines[3] = target[:at] + bytes([target[at] ^ 0x01]) + target[at + 1 :]
    pack.write_bytes(b"\n".join(lines))
    code, text = _verify(pack, capsys)
    assert code == 1 and "record 4 (incident" in text and "altered" in text, text


def test_every_single_byte_flip_is_caught_and_located(node: Database, tmp_path: Path) -> None:
    """Any one-bit change anywhere in the pack fails verification, naming the record whose line holds it."""
    assert main(["evidence", "export", "--number", NUMBER, "-o", str(tmp_path / "p.jsonl"), "--no-progress"]) == 0
    data = (tmp_path / "p.jsonl").read_bytes()
    line_of = [data[:i].count(b"\n") + 1 for i in range(len(data))]
    records = data.count(b"\n") - 1
    for position in range(0, len(data), 7):
        for bit in (0x01, 0x20):
            damaged = data[:position] + bytes([data[position] ^ bit]) + data[position + 1 :]
            result = verify(damaged.decode("utf-8", errors="replace").split("\n"))
            assert not result.ok, (position, bit)
            line = line_of[position]
            if data[position : position + 1] == b"\n" or line > records:
                continue  # a line break or the manifest: the pack as a whole is refused
            assert result.record in (line, line + 1), (position, bit, result)


def test_dropping_a_record_names_it(node: Database, tmp_path: Path, capsys: Capsys) -> None:
    pack = _export(tmp_path, capsys, "--number", NUMBER)
    lines = _lines(pack)
    pack.write_bytes(b"\n".join(lines[:4] + lines[5:]))  # record 5 (the bill line) dropped
    code, text = _verify(pack, capsys)
    assert code == 1 and "record 5 is missing" in text, text
    last = len(lines) - 2  # records, then the manifest, then the final newline's empty tail
    pack.write_bytes(b"\n".join(lines[: last - 1] + lines[last:]))  # the last record dropped
    code, text = _verify(pack, capsys)
    assert code == 1 and f"record {last} is missing: the pack ends after {last - 1}" in text, text


def test_swapping_two_records_names_them(node: Database, tmp_path: Path, capsys: Capsys) -> None:
    pack = _export(tmp_path, capsys, "--number", NUMBER)
    lines = _lines(pack)
    lines[1], lines[2] = lines[2], lines[1]
    pack.write_bytes(b"\n".join(lines))
    code, text = _verify(pack, capsys)
    assert code == 1 and "reordered: record 3" in text and "record 2 belongs" in text, text


def test_re_hashed_forgery_and_foreign_key_are_refused(node: Database, tmp_path: Path, capsys: Capsys) -> None:
    pack = _export(tmp_path, capsys, "--number", NUMBER)
    lines = _lines(pack)
    record = json.loads(lines[1])
    record["data"]["transcript"] = "您好 我想咨询"  # the forger rewrites a transcript and recomputes its hash
    from records.evidence_pack import _record_hash

    record["hash"] = _record_hash(record)
    lines[1] = json.dumps(record, ensure_ascii=False, sort_keys=True).encode()
    pack.write_bytes(b"\n".join(lines))
    code, text = _verify(pack, capsys)
    assert code == 1 and "record 2 was altered or replaced" in text, text
    # a pack re-signed by some other key fails once the recipient pins this node's key
    other = tmp_path / "other.pem"
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    other.write_bytes(Ed25519PrivateKey.generate().public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))  # fmt: skip
    fresh = _export(tmp_path, capsys, "--number", NUMBER)
    code, text = _verify(fresh, capsys, "--public-key", str(other))
    assert code == 1 and "not by the trusted key" in text, text


def test_export_needs_a_number_or_a_window(node: Database, tmp_path: Path, capsys: Capsys) -> None:
    assert main(["evidence", "export", "-o", str(tmp_path / "x.jsonl")]) == 2
    assert "needs a number, or a time window" in capsys.readouterr().err
