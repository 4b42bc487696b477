"""CallRecord ⇄ JSON, for the spool file a recorder writes when the database is down.

A record must survive a process restart in the spool, so everything in it — caller, verdict, reasons — is
written out in full and read back into the same frozen dataclasses.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime
from typing import Any

from numbering import CallerNumber, NumberKind
from screening.interfaces import CallRecord, Route, ScreeningInput
from screening.verdict import Label, Reason, ReasonCode, SignalKind, Verdict


def record_to_json(record: CallRecord) -> str:
    data = asdict(record)
    data["started_at"] = record.started_at.isoformat()
    data["ended_at"] = record.ended_at.isoformat() if record.ended_at else None
    return json.dumps(data, ensure_ascii=False)


def _verdict(data: dict[str, Any]) -> Verdict:
    reasons = tuple(
        Reason(
            code=ReasonCode(r["code"]),
            kind=SignalKind(r["kind"]),
            weight=float(r["weight"]),
            detail=r["detail"],
            evidence=tuple(r.get("evidence", ())),
        )
        for r in data.get("reasons", ())
    )
    return Verdict(
        label=Label(data["label"]),
        score=float(data["score"]),
        reasons=reasons,
        final=bool(data.get("final", True)),
        decided_at_s=data.get("decided_at_s"),
    )


def record_from_json(line: str) -> CallRecord:
    """Inverse of :func:`record_to_json`; raises ``ValueError``/``KeyError`` on a damaged line."""
    data = json.loads(line)
    caller = data["caller"]
    return CallRecord(
        call_id=data["call_id"],
        started_at=datetime.fromisoformat(data["started_at"]),
        caller=CallerNumber(
            raw=caller["raw"],
            normalized=caller["normalized"],
            kind=NumberKind(caller["kind"]),
            area_code=caller.get("area_code"),
        ),
        route=Route(data["route"]),
        verdict=_verdict(data["verdict"]),
        node=data["node"],
        ended_at=datetime.fromisoformat(data["ended_at"]) if data.get("ended_at") else None,
        transcript=data.get("transcript", ""),
        confirmed_by=data.get("confirmed_by"),
        end_reason=data.get("end_reason", ""),
        called_user=data.get("called_user"),
        extra=dict(data.get("extra", {})),
        ref=data.get("ref"),
        hotline=data.get("hotline"),
        ladder_step=data.get("ladder_step"),
        screening_input=ScreeningInput(**data["screening_input"]) if data.get("screening_input") else None,
    )
