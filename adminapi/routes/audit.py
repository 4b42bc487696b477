"""``/audit``: who changed lists, keys and settings, with before and after (admin)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from adminapi.deps import AdminUser, SessionDep
from adminapi.schemas.admin import AuditList, AuditPublic
from adminapi.schemas.common import Limit, Offset, Text
from records.audit import list_audit

router = APIRouter(prefix="/audit", tags=["audit"])


@router.get("", response_model=AuditList)
def audit_log(
    session: SessionDep,
    _user: AdminUser,
    actor: Annotated[Text | None, Query(max_length=120)] = None,
    action: Annotated[Text | None, Query(max_length=64)] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> AuditList:
    rows, count = list_audit(session, limit=limit, offset=offset, actor=actor, action=action)
    return AuditList(data=[AuditPublic.model_validate(r) for r in rows], count=count)
