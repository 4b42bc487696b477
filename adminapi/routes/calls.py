"""``/calls``: screened calls, one call's evidence, and agent confirmation (numbers masked for agents)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from adminapi.deps import AgentUser, ConfigDep, ManagerUser, SessionDep, shown
from adminapi.schemas.calls import (
    BillMatchPublic,
    CallContextPublic,
    CallDetail,
    CallList,
    CallPublic,
    CallReview,
    IncidentPublic,
    LookupMatch,
    ReasonPublic,
)
from adminapi.schemas.common import EntityId, Limit, Moment, Offset, Text
from numbering import normalize
from records.base import utcnow
from records.call_review import call_context, review_call
from records.evidence import reason_codes
from records.keys import Principal
from records.models import Role, ScreenedCall
from records.policy import apply_policy
from records.repository_calls import CallFilter, confirm_call, find_call, get_call, query_calls, read_transcript
from screening.interfaces import Route
from screening.verdict import Label

router = APIRouter(prefix="/calls", tags=["calls"])


def public(call: ScreenedCall, user: Principal) -> CallPublic:
    return CallPublic.model_validate(call).model_copy(update={"caller": shown(call.caller, user)})


def detail(call: ScreenedCall, user: Principal) -> CallDetail:
    return CallDetail(
        **public(call, user).model_dump(),
        reasons=[ReasonPublic.model_validate(r) for r in reason_codes(call)],
        transcript=read_transcript(call, actor=user.actor) if user.allows(Role.MANAGER) else None,
    )


@router.get("", response_model=CallList)
def list_calls(
    session: SessionDep,
    user: AgentUser,
    label: Label | None = None,
    route: Route | None = None,
    caller: Annotated[Text | None, Query(max_length=64)] = None,
    since: Moment | None = None,
    until: Moment | None = None,
    confirmed: bool | None = None,
    hotline: Annotated[Text | None, Query(max_length=64)] = None,
    limit: Limit = 100,
    offset: Offset = 0,
    before_at: Annotated[Moment | None, Query(description="keyset paging: with before_id, the last row seen")] = None,
    before_id: EntityId | None = None,
) -> CallList:
    number = normalize(caller).normalized if caller else None
    before = (before_at, before_id) if before_at is not None and before_id is not None else None
    flt = CallFilter(label=label, route=route, caller=number, since=since, until=until, confirmed=confirmed,
                     hotline=normalize(hotline).normalized if hotline else None, before=before)
    rows, count = query_calls(session, flt, limit=limit, offset=offset)
    return CallList(data=[public(r, user) for r in rows], count=count)


@router.get("/{call_pk}", response_model=CallDetail)
def get_one(session: SessionDep, user: AgentUser, call_pk: EntityId) -> CallDetail:
    return detail(get_call(session, call_pk), user)


@router.get("/{call_pk}/context", response_model=CallContextPublic)
def get_context(config: ConfigDep, session: SessionDep, _user: ManagerUser, call_pk: EntityId) -> CallContextPublic:
    """The number's history, incidents on the call, carrier-bill lines and matching list entries."""
    ctx = call_context(session, get_call(session, call_pk), now=config.clock())
    return CallContextPublic(
        history=[CallPublic.model_validate(c) for c in ctx.history],
        incidents=[IncidentPublic.model_validate(i) for i in ctx.incidents],
        bill_matches=[BillMatchPublic.model_validate(b) for b in ctx.bill_matches],
        entries=[LookupMatch.model_validate(e) for e in ctx.entries],
        blocked=ctx.blocked,
    )


@router.post("/{call_pk}/review", response_model=CallDetail)
def review(
    config: ConfigDep, session: SessionDep, user: ManagerUser, call_pk: EntityId, body: CallReview
) -> CallDetail:
    """Confirm or overturn the verdict; stored for the content model's training (``train --from-reviews``)."""
    call = review_call(session, call_pk, body.outcome, actor=user.actor, now=config.clock(), note=body.note)
    return detail(call, user)


@router.post("/{call_pk}/confirm", response_model=CallDetail)
def confirm(config: ConfigDep, session: SessionDep, user: AgentUser, call_pk: EntityId) -> CallDetail:
    """An agent confirms the call as harassment; the number is proposed for blocking (policy)."""
    call = confirm_call(session, call_pk, agent=user.actor)
    apply_policy(session, config.policy, call.caller, now=utcnow(), confirmed_by=call.confirmed_by)
    return detail(call, user)


# The agent knows a call by the reference its phone received in the transferred INVITE (X-Callscreen-Ref), or a
# PBX by the SIP Call-ID of the leg callscreen screened — never by the database id.
CallRef = Annotated[str, Path(min_length=4, max_length=32, pattern=r"^[0-9a-z]+$")]
SipCallId = Annotated[str, Path(min_length=1, max_length=200)]


@router.get("/by-ref/{ref}", response_model=CallDetail)
def get_by_ref(session: SessionDep, user: AgentUser, ref: CallRef) -> CallDetail:
    return detail(find_call(session, ref=ref), user)


@router.post("/by-ref/{ref}/confirm", response_model=CallDetail)
def confirm_by_ref(config: ConfigDep, session: SessionDep, user: AgentUser, ref: CallRef) -> CallDetail:
    """The agent's feature code: confirm the caller just transferred to them, by the reference they were given."""
    return confirm(config, session, user, find_call(session, ref=ref).id)


@router.get("/by-call-id/{sip_call_id}", response_model=CallDetail)
def get_by_call_id(session: SessionDep, user: AgentUser, sip_call_id: SipCallId) -> CallDetail:
    return detail(find_call(session, sip_call_id=sip_call_id), user)


@router.post("/by-call-id/{sip_call_id}/confirm", response_model=CallDetail)
def confirm_by_call_id(config: ConfigDep, session: SessionDep, user: AgentUser, sip_call_id: SipCallId) -> CallDetail:
    return confirm(config, session, user, find_call(session, sip_call_id=sip_call_id).id)
