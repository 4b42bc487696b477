"""``/lookup``: the facts a PBX needs about a caller before routing the call.

Answered from the node's in-memory lists when they hold the database's list version, else from the database
(``records.lookup``); the ``X-Callscreen-Lookup-Source`` header says which (``memory`` or ``database``), for
operators and the tests.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from fastapi.concurrency import run_in_threadpool

from adminapi.config import ApiConfig
from adminapi.deps import ConfigDep, LightAgentUser, shown
from adminapi.schemas.calls import LookupMatch, LookupResult
from adminapi.schemas.common import Text
from numbering import normalize
from records.lookup import LookupFacts, lookup_number
from screening.numberlist import ListName

router = APIRouter(tags=["lookup"])
SOURCE_HEADER = "X-Callscreen-Lookup-Source"


def _facts(config: ApiConfig, number: str) -> LookupFacts:
    with config.db.session() as session:
        return lookup_number(session, normalize(number), config.clock(), config.lists)


@router.get("/lookup", response_model=LookupResult)
async def lookup(
    config: ConfigDep,
    user: LightAgentUser,
    number: Annotated[Text, Query(min_length=1, max_length=64, examples=["13812345678"])],
) -> Response:
    """The PBX's hot path, so it costs one worker-thread hop (the one database query) and nothing else: the key
    check is the cached one, and the answer is serialised once here (``response_model`` documents it)."""
    facts = await run_in_threadpool(_facts, config, number)
    result = LookupResult(
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
    source = "memory" if facts.from_memory else "database"
    return Response(result.model_dump_json(), media_type="application/json", headers={SOURCE_HEADER: source})
