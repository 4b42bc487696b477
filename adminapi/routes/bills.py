"""``/bills``: carrier itemised bills (CSV upload) and matching them against the incident log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, UploadFile, status
from starlette.concurrency import run_in_threadpool

from adminapi.deps import ConfigDep, ManagerUser, SessionDep
from adminapi.schemas.admin import BillPublic, CandidatePublic, MatchResult
from adminapi.schemas.common import EntityId, ImportProblem
from adminapi.uploads import read_text
from records.bills import MAX_TOLERANCE_S, import_bill, list_bills, match_incidents

router = APIRouter(prefix="/bills", tags=["bills"])


@router.post(
    "",
    response_model=BillPublic,
    status_code=status.HTTP_201_CREATED,
    responses={422: {"model": ImportProblem, "description": "bad rows; nothing was imported"}, 413: {}},
)
async def upload_bill(config: ConfigDep, session: SessionDep, user: ManagerUser, file: UploadFile) -> BillPublic:
    """CSV with a time and a caller column (English or the carrier's Chinese headers), UTF-8 or GB18030."""
    text = await read_text(file, config.max_upload_bytes)
    bill = await run_in_threadpool(import_bill, session, text, filename=file.filename or "bill.csv",
                                   zone=config.zone, actor=user.actor)  # synchronous: off the event loop
    return BillPublic.model_validate(bill)


@router.get("", response_model=list[BillPublic])
def bills(session: SessionDep, _user: ManagerUser) -> list[BillPublic]:
    return [BillPublic.model_validate(b) for b in list_bills(session)]


@router.get("/{bill_id}/matches", response_model=MatchResult)
def matches(
    session: SessionDep,
    _user: ManagerUser,
    bill_id: EntityId,
    tolerance_s: Annotated[int, Query(ge=0, le=MAX_TOLERANCE_S)] = 120,
) -> MatchResult:
    """Numbers on the bill near logged incidents, ranked by how many incidents each matches."""
    candidates = match_incidents(session, bill_id, tolerance_s=tolerance_s)
    return MatchResult(
        bill_id=bill_id,
        tolerance_s=tolerance_s,
        candidates=[
            CandidatePublic(
                number=c.number,
                incidents_matched=c.incidents_matched,
                incident_ids=list(c.incident_ids),
                bill_calls=c.bill_calls,
                mean_offset_s=c.mean_offset_s,
            )
            for c in candidates
        ],
    )
