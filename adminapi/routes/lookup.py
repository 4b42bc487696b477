"""``/lookup``: the facts a PBX needs about a caller before routing the call."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from adminapi.deps import AgentUser, SessionDep, shown
from adminapi.schemas.calls import LookupMatch, LookupResult
from adminapi.schemas.common import Text
from numbering import normalize
from records.base import utcnow
from records.lookup import lookup_number
from screening.numberlist import ListName

router = APIRouter(tags=["lookup"])


@router.get("/lookup", response_model=LookupResult)
def lookup(
    session: SessionDep,
    user: AgentUser,
    number: Annotated[Text, Query(min_length=1, max_length=64, examples=["13812345678"])],
) -> LookupResult:
    facts = lookup_number(session, normalize(number), utcnow())
    return LookupResult(
        number=shown(facts.number.normalized, user),
        normalized_kind=facts.number.kind.value,
        blocked=facts.decision is ListName.BLOCK,
        allowed=facts.decision is ListName.ALLOW,
        payphone=facts.on(ListName.PAYPHONE),
        switchboard=facts.on(ListName.SWITCHBOARD),
        pending_proposal=facts.pending_proposal,
        matches=[
            LookupMatch.model_validate(m).model_copy(update={"value": shown(m.value, user)}) for m in facts.matches
        ],
        calls_24h=facts.calls_24h,
        flagged_calls_30d=facts.flagged_calls_30d,
        agent_confirmations_30d=facts.agent_confirmations_30d,
    )
