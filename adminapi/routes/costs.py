"""``/reports/costs``: what harassment cost by month — agent minutes, deterrent minutes, toll-free charges."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from adminapi.deps import ConfigDep, ManagerUser, SessionDep
from adminapi.routes.reports import CSV, _window
from adminapi.schemas.common import Moment, Schema
from records.costs import build_costs, costs_csv

router = APIRouter(prefix="/reports", tags=["reports"])


class CostLinePublic(Schema):
    month: str
    hotline: str
    calls: int
    harassment_calls: int
    agent_seconds_on_harassment: int
    agent_seconds_from_bills: int
    deterrent_seconds: int
    tollfree_minutes: int
    tollfree_charge: float


class CostReportPublic(Schema):
    since: datetime
    until: datetime
    timezone: str
    currency: str
    lines: list[CostLinePublic]


@router.get("/costs", response_model=CostReportPublic, responses={200: {"content": {"text/csv": {}}}})
def costs(
    config: ConfigDep,
    session: SessionDep,
    _user: ManagerUser,
    since: Moment | None = None,
    until: Moment | None = None,
    format: Annotated[str, Query(pattern="^(json|csv)$")] = "json",
) -> CostReportPublic | Response:
    """By month in the centre's zone; per hotline, with the month's total as hotline ``*`` (records.costs)."""
    start, end = _window(since, until)
    report = build_costs(session, since=start, until=end, zone=config.zone, tariffs=config.tariffs)
    if format == "csv":
        return Response(costs_csv(report), media_type=CSV,
                        headers={"Content-Disposition": 'attachment; filename="costs.csv"'})  # fmt: skip
    return CostReportPublic.model_validate(report, from_attributes=True)
