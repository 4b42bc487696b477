"""Privacy by retention: numbers of never-flagged callers become hashes, bills go, reports keep their counts.

Time is injected: every record is placed relative to a fixed ``NOW`` and ``purge`` is told that moment.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select, text

from numbering import caller_hash
from records import Database, SqlCallRecorder
from records.base import Base
from records.bills import import_bill
from records.models import AuditEntry, BillImport, BillLine, CallArrival, ScreenedCall
from records.reports import build_report
from records.retention import PrivacyRules, purge
from screening.verdict import Label
from tests.records.factories import BASE, SALT, call

NOW = BASE + timedelta(days=200)
ZONE = ZoneInfo("Asia/Shanghai")
CUSTOMER, CUSTOMER_DIGITS = "13900001111", "900001111"  # never flagged
RECENT, HARASSER = "13700002222", "13812345678"


def _bill(s: object, days_ago: int, *numbers: str) -> None:
    at = (NOW - timedelta(days=days_ago)).isoformat()
    body = "time,caller,duration_s\n" + "".join(f"{at},{n},30\n" for n in numbers)
    import_bill(s, body, filename=f"bill-{days_ago}.csv", zone=ZONE, actor="manager:li")  # type: ignore[arg-type]


def _seed(db: Database, tmp_path: Path) -> None:
    recorder = SqlCallRecorder(db, spool_dir=tmp_path, salt=SALT)
    old = NOW - timedelta(days=40)
    for minutes in range(3):
        recorder.record(call(CUSTOMER, Label.ALLOW, at=old, minutes=minutes))
        recorder.record(call(HARASSER, Label.HARASSMENT, at=old, minutes=minutes + 10))
    recorder.record(call(RECENT, Label.ALLOW, at=NOW - timedelta(days=5)))
    with db.session() as s:
        s.add_all([CallArrival(caller="+86" + CUSTOMER, at=old), CallArrival(caller="+86" + RECENT, at=NOW)])
        _bill(s, 40, CUSTOMER, HARASSER)  # within the bill period
        _bill(s, 100, CUSTOMER)  # past it: the whole bill goes
        _bill(s, 120, CUSTOMER, HARASSER)  # past it, but the harasser's line is evidence


def _everything(db: Database) -> str:
    """Every value in every table, as one text: what a person with database access could read."""
    dump: list[str] = []
    with db.session() as s:
        for table in Base.metadata.sorted_tables:
            dump.extend(str(tuple(row)) for row in s.execute(text(f'SELECT * FROM "{table.name}"')))
    return "\n".join(dump)


def _report(db: Database) -> dict[str, object]:
    with db.session() as s:
        report = build_report(s, since=NOW - timedelta(days=365), until=NOW, zone=ZONE)
    return dataclasses.asdict(report)


def test_unflagged_numbers_become_hashes_and_reports_keep_their_counts(database: Database, tmp_path: Path) -> None:
    _seed(database, tmp_path)
    before = _report(database)
    assert CUSTOMER_DIGITS in _everything(database)
    with database.session() as s:
        result = purge(s, now=NOW, retention_days=90, salt=SALT)
    assert result.numbers_hashed == 3 and result.bill_lines_hashed == 1, result
    everything = _everything(database)
    assert CUSTOMER_DIGITS not in everything  # gone from every table ...
    customer_hash = caller_hash("+86" + CUSTOMER, SALT)
    assert customer_hash is not None and customer_hash in everything  # ... the hash only
    with database.session() as s:
        hashed_calls = s.scalars(select(ScreenedCall).where(ScreenedCall.caller_hash == customer_hash)).all()
        assert len(hashed_calls) == 3 and all(c.caller is None for c in hashed_calls)
        lines = {line.caller for line in s.scalars(select(BillLine))}
    assert "#" + customer_hash in lines
    assert RECENT in everything and HARASSER in everything  # too recent / a flagged source's evidence
    assert _report(database) == before  # every count and figure the same
    with database.session() as s:  # running again changes nothing
        again = purge(s, now=NOW, retention_days=90, salt=SALT)
        audited = s.scalars(select(AuditEntry).where(AuditEntry.action == "retention.purge")).all()
    assert (again.numbers_hashed, again.bill_lines_hashed, again.bills_deleted) == (0, 0, 0)
    assert len(audited) == 1 and '"numbers_hashed": 3' in (audited[0].after or "")  # the first run, in counts


def test_bills_are_deleted_after_their_period_except_flagged_sources_lines(database: Database, tmp_path: Path) -> None:
    _seed(database, tmp_path)
    with database.session() as s:
        result = purge(s, now=NOW, retention_days=90, salt=SALT)
    assert result.bills_deleted == 1 and result.bill_lines_deleted == 2, result
    with database.session() as s:
        remaining = sorted(b.filename for b in s.scalars(select(BillImport)))
        old_lines = s.scalars(select(BillLine).where(BillLine.called_at < NOW - timedelta(days=90))).all()
    assert remaining == ["bill-120.csv", "bill-40.csv"]
    assert [line.caller for line in old_lines] == ["+86" + HARASSER]
    # past the evidence period even the flagged source's line goes, and its numbers are hashed
    with database.session() as s:
        late = purge(s, now=NOW + timedelta(days=800), retention_days=90, salt=SALT,
                     rules=PrivacyRules(evidence_days=730))  # fmt: skip
    assert late.numbers_hashed == 4 and late.bills_deleted == 2, late
    with database.session() as s:
        assert s.scalars(select(ScreenedCall.caller).where(ScreenedCall.caller.is_not(None))).all() == []
        assert s.scalars(select(BillLine)).all() == []
    # (its list entry and that entry's audit trail stay: a block is a manager's decision with its own expiry)


def test_purge_periods_are_configurable(database: Database, tmp_path: Path) -> None:
    _seed(database, tmp_path)
    with database.session() as s:
        result = purge(s, now=NOW, retention_days=90, salt=SALT, rules=PrivacyRules(unflagged_days=60, bill_days=150))
    assert (result.numbers_hashed, result.bills_deleted, result.bill_lines_deleted) == (0, 0, 0)
    assert CUSTOMER_DIGITS in _everything(database)
