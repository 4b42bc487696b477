"""``/reports``: the summary (JSON), its CSV export, and the evidence pack for one source."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status
from fastapi.responses import Response

from adminapi.deps import ConfigDep, ManagerUser, SessionDep
from adminapi.routes.calls import detail
from adminapi.schemas.calls import IncidentPublic
from adminapi.schemas.common import Moment, Text
from adminapi.schemas.entries import EntryPublic
from adminapi.schemas.reports import BillLinePublic, CarrierLinePublic, Count, EvidencePublic, ReportPublic
from numbering import normalize
from records.base import utcnow
from records.evidence import calls_csv, collect
from records.reports import Report, build_report, carrier_report, report_csv

router = APIRouter(prefix="/reports", tags=["reports"])
DEFAULT_WINDOW = timedelta(days=30)
MAX_WINDOW = timedelta(days=3660)
CSV = "text/csv; charset=utf-8"


def _window(since: datetime | None, until: datetime | None) -> tuple[datetime, datetime]:
    end = until or utcnow()
    start = since or end - DEFAULT_WINDOW
    if start >= end:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "since must be before until")
    if end - start > MAX_WINDOW:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "the window may span at most ten years")
    return start, end


Hotline = Annotated[Text | None, Query(max_length=64, description="only calls to this dialled number")]


def _report(
    config: ConfigDep, session: SessionDep, since: datetime | None, until: datetime | None, hotline: str | None
) -> Report:
    start, end = _window(since, until)
    return build_report(session, since=start, until=end, zone=config.zone, hotline=_hotline(hotline))


def _hotline(number: str | None) -> str | None:
    """Hotlines are stored normalised: ``4008001234`` in a query means ``+864008001234``."""
    return normalize(number).normalized if number else None


def _counts(pairs: list[tuple[str, int]]) -> list[Count]:
    return [Count(key=k, count=n) for k, n in pairs]


@router.get("/summary", response_model=ReportPublic)
def summary(
    config: ConfigDep, session: SessionDep, _user: ManagerUser, since: Moment | None = None,
    until: Moment | None = None, hotline: Hotline = None,
) -> ReportPublic:
    """Default window: the last 30 days. Hours and weekdays are local to the call center."""
    r = _report(config, session, since, until, hotline)
    fields = {
        k: getattr(r, k)
        for k in ReportPublic.model_fields
        if k not in {"top_sources", "top_prefixes", "repeat_offenders"}
    }
    return ReportPublic(
        **fields,
        top_sources=_counts(r.top_sources),
        top_prefixes=_counts(r.top_prefixes),
        repeat_offenders=_counts(r.repeat_offenders),
    )


@router.get("/export.csv", response_class=Response, responses={200: {"content": {"text/csv": {}}}})
def export(
    config: ConfigDep, session: SessionDep, _user: ManagerUser, since: Moment | None = None,
    until: Moment | None = None, hotline: Hotline = None,
) -> Response:
    text = report_csv(_report(config, session, since, until, hotline))
    return Response(text, media_type=CSV, headers={"Content-Disposition": 'attachment; filename="report.csv"'})


@router.get("/carrier", response_model=list[CarrierLinePublic])
def carrier(
    config: ConfigDep, session: SessionDep, _user: ManagerUser, since: Moment | None = None,
    until: Moment | None = None, hotline: Hotline = None,
) -> list[CarrierLinePublic]:
    """Sources that climbed to a ladder step with ``carrier_report`` (default: the third offence in 30 days)."""
    start, end = _window(since, until)
    lines = carrier_report(session, config.policy, since=start, until=end, hotline=_hotline(hotline))
    return [CarrierLinePublic.model_validate(line) for line in lines]


@router.get("/evidence", response_model=EvidencePublic, responses={200: {"content": {"text/csv": {}}}})
def evidence(
    session: SessionDep,
    user: ManagerUser,
    number: Annotated[Text, Query(min_length=1, max_length=64)],
    since: Moment | None = None,
    format: Annotated[str, Query(pattern="^(json|csv)$")] = "json",
) -> EvidencePublic | Response:
    """Everything on record about one source, for a report to the carrier or the police."""
    normalized = normalize(number).normalized
    if normalized is None:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"{number!r} is not a valid phone number")
    pack = collect(session, normalized, since=since)
    if format == "csv":
        name = f"evidence-{normalized.lstrip('+')}.csv"
        return Response(
            calls_csv(pack), media_type=CSV, headers={"Content-Disposition": f'attachment; filename="{name}"'}
        )
    return EvidencePublic(
        number=normalized,
        calls=[detail(c, user) for c in pack.calls],
        entries=[EntryPublic.model_validate(e) for e in pack.entries],
        incidents=[IncidentPublic.model_validate(i) for i in pack.incidents],
        bill_lines=[BillLinePublic.model_validate(b) for b in pack.bill_lines],
    )
