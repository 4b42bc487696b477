"""``/incidents``: agents log the time of calls they could not identify."""

from __future__ import annotations

from fastapi import APIRouter, status

from adminapi.deps import AgentUser, SessionDep
from adminapi.schemas.calls import IncidentCreate, IncidentList, IncidentPublic
from adminapi.schemas.common import Limit, Moment, Offset
from records.incidents import log_incident, query_incidents

router = APIRouter(prefix="/incidents", tags=["incidents"])


@router.get("", response_model=IncidentList)
def list_incidents(
    session: SessionDep,
    _user: AgentUser,
    since: Moment | None = None,
    until: Moment | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> IncidentList:
    rows, count = query_incidents(session, since=since, until=until, limit=limit, offset=offset)
    return IncidentList(data=[IncidentPublic.model_validate(r) for r in rows], count=count)


@router.post("", response_model=IncidentPublic, status_code=status.HTTP_201_CREATED)
def create_incident(session: SessionDep, user: AgentUser, body: IncidentCreate) -> IncidentPublic:
    row = log_incident(session, occurred_at=body.occurred_at, agent=user.actor, note=body.note, call_id=body.call_id)
    return IncidentPublic.model_validate(row)
