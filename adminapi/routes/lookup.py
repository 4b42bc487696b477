"""``/lookup``: the facts a PBX needs about a caller before routing the call.

Answered from the node's in-memory lists when they hold the database's list version, else from the database
(``records.lookup``; on PostgreSQL the query awaited on the event loop, ``records.asyncpool``); the
``X-Callscreen-Lookup-Source`` header says which (``memory`` or ``database``), for operators and the tests.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from adminapi.config import ApiConfig
from adminapi.deps import KEY_SECURITY, light_agent, shown
from adminapi.schemas.calls import LookupMatch, LookupResult
from adminapi.schemas.common import Text
from numbering import normalize
from records.keys import Principal
from records.lookup import LookupFacts, lookup_from_memory, lookup_number
from screening.numberlist import ListName

router = APIRouter(tags=["lookup"])
SOURCE_HEADER = "X-Callscreen-Lookup-Source"


def _facts(config: ApiConfig, number: str) -> LookupFacts:
    with config.db.session() as session:
        return lookup_number(session, normalize(number), config.clock(), config.lists)


async def _facts_awaited(config: ApiConfig, number: str) -> LookupFacts | None:
    """From memory with the one query awaited on the event loop (PostgreSQL); None: take :func:`_facts`."""
    pool, memory = config.db.async_pool(), config.lists
    if pool is None or memory is None or memory.version() is None:
        return None
    return await lookup_from_memory(pool, config.db.engine.dialect, normalize(number), config.clock(), memory)


@router.get("/lookup", response_model=LookupResult, openapi_extra={"security": KEY_SECURITY})
async def lookup(
    request: Request,
    user: Annotated[Principal, Depends(light_agent)],  # before the query is validated: strangers learn nothing
    number: Annotated[Text, Query(min_length=1, max_length=64, examples=["13812345678"])],
) -> Response:
    """The PBX's hot path, kept to the work itself: the cached key check (:func:`~adminapi.deps.light_agent`, one
    flat dependency), one database query, the in-memory match, and the answer serialised once (``response_model``
    documents it).
    On SQLite the query runs on the event loop — a WAL reader never waits for a writer, and the query takes a
    tenth of a millisecond, less than a hop to a worker thread. On PostgreSQL, when the lists are loaded, the query
    is one round trip awaited on the loop (``records.asyncpool``: no session, no thread); lists not loaded or not
    current, the session path in a worker thread (a hung database must not freeze the event loop)."""
    config: ApiConfig = request.app.state.config
    if config.db.is_sqlite:
        facts = _facts(config, number)
    else:
        awaited = await _facts_awaited(config, number)
        facts = awaited if awaited is not None else await run_in_threadpool(_facts, config, number)
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
