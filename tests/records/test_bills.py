from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from records import CsvImportError, Database, InvalidInputError
from records.bills import import_bill, match_incidents
from records.csv_input import decode
from records.incidents import log_incident

ZONE = ZoneInfo("Asia/Shanghai")
HARASSER = "075587654321"
INCIDENT_TIMES = ["2026-11-02 12:01:10", "2026-11-02 12:20:40", "2026-11-03 23:05:00", "2026-11-04 12:31:30"]


def carrier_bill() -> str:
    """A bill in the carrier's Chinese layout: the harasser called near every incident, others at random."""
    lines = ["呼叫时间,主叫号码,通话时长"]
    for i, text in enumerate(INCIDENT_TIMES):
        at = datetime.fromisoformat(text) + timedelta(seconds=25 * (i % 2) - 10)
        lines.append(f"{at:%Y-%m-%d %H:%M:%S},{HARASSER},{30 + i}")
    lines.append("2026-11-02 12:00:30,13812340000,300")  # a customer close to one incident only
    lines.append("2026-11-03 23:06:00,13812340001,60")
    lines.append("2026-11-04 12:30:00,13812340001,60")
    for minute in range(0, 600, 7):  # steady legitimate traffic
        at = datetime(2026, 11, 2, 8, 0) + timedelta(minutes=minute)
        lines.append(f"{at:%Y-%m-%d %H:%M:%S},1390000{minute % 50:04d},120")
    return "\n".join(lines) + "\n"


def test_harassing_number_is_ranked_first(database: Database) -> None:
    with database.session() as s:
        for text in INCIDENT_TIMES:
            log_incident(
                s,
                occurred_at=datetime.fromisoformat(text).replace(tzinfo=ZONE),
                agent="1007",
                note="silent caller, laughter",
            )
        bill = import_bill(s, decode(carrier_bill().encode("gb18030")), filename="bill.csv", zone=ZONE, actor="m")
        bill_id = bill.id
    with database.session() as s:
        candidates = match_incidents(s, bill_id, tolerance_s=120)
    first = candidates[0]
    assert first.number == "+8675587654321"
    assert first.incidents_matched == 4
    assert candidates[1].number == "+8613812340001" and candidates[1].incidents_matched == 2
    assert all(c.incidents_matched <= 2 for c in candidates[1:])


def test_bad_bill_rows_are_reported(database: Database) -> None:
    text = "time,caller\n2026-11-02 12:00:00,13812345678\nyesterday,13812345678\n2026-11-02 12:00:00,\n"
    with pytest.raises(CsvImportError) as info, database.session() as s:
        import_bill(s, text, filename="b.csv", zone=ZONE, actor="m")
    assert [(e.line, e.message.split(" ")[0]) for e in info.value.errors] == [(3, "'yesterday'"), (4, "caller")]


def test_tolerance_is_bounded(database: Database) -> None:
    with database.session() as s:
        bill = import_bill(s, "time,caller\n2026-11-02 12:00:00,13812345678\n", filename="b", zone=ZONE, actor="m")
        with pytest.raises(InvalidInputError, match="tolerance_s"):
            match_incidents(s, bill.id, tolerance_s=99999)
