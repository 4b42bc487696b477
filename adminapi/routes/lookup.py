"""``/lookup``: the facts a PBX needs about a caller before routing the call.

Answered from the node's in-memory lists when they hold the database's list version, else from the database
(``records.lookup``); the ``X-Callscreen-Lookup-Source`` header says which (``memory`` or ``database``), for
operators and the tests.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from adminapi.deps import AgentUser, ConfigDep, SessionDep, shown
from adminapi.schemas.calls import LookupMatch, LookupResult
from adminapi.schemas.common import Text
from numbering import normalize
from records.lookup import lookup_number
from screening.numberlist import ListName

router = APIRouter(tags=["lookup"])
SOURCE_HEADER = "X-Callscreen-Lookup-Source"


@router.get("/lookup", response_model=LookupResult)
def lookup(
    config: ConfigDep,
    session: SessionDep,
    user: AgentUser,
    response: Response,
    number: Annotated[Text, Query(min_length=1, max_length=64, examples=["13812345678"])],
) -> LookupResult:
    facts = lookup_number(session, normalize(number), config.clock(), config.lists)
    response.headers[SOURCE_HEADER] = "memory" if facts.from_memory else "database"
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
