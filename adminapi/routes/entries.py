"""``/lists/entries``: number-list entries with keyset paging and filters.

Managers read, add, edit and lift entries (with a reason) — that is their job; deleting an entry outright (it
leaves only the audit log behind) is for admins.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from adminapi.deps import AdminUser, ManagerUser, SessionDep
from adminapi.schemas.common import EntityId, Limit, Offset, Text
from adminapi.schemas.entries import EntryCreate, EntryLift, EntryList, EntryPublic, EntryUpdate
from records import lists
from screening.numberlist import EntrySource, EntryStatus, ListName, MatchKind

router = APIRouter(prefix="/lists/entries", tags=["lists"])


@router.get("", response_model=EntryList)
def list_entries(
    session: SessionDep,
    _user: ManagerUser,
    list: ListName | None = None,
    status: EntryStatus | None = None,
    source: EntrySource | None = None,
    kind: MatchKind | None = None,
    q: Annotated[Text | None, Query(max_length=64, description="substring of the value")] = None,
    limit: Limit = 100,
    offset: Offset = 0,
    before_id: Annotated[EntityId | None, Query(description="keyset paging: entries older than this id")] = None,
) -> EntryList:
    flt = lists.EntryFilter(list=list, status=status, source=source, kind=kind, search=q, before_id=before_id)
    rows, count = lists.query_entries(session, flt, limit=limit, offset=offset)
    return EntryList(data=[EntryPublic.model_validate(r) for r in rows], count=count)


@router.post("", response_model=EntryPublic, status_code=status.HTTP_201_CREATED)
def create_entry(session: SessionDep, user: ManagerUser, body: EntryCreate) -> EntryPublic:
    draft = lists.EntryDraft(
        list=body.list,
        kind=body.kind,
        value=body.value,
        reason=body.reason,
        source=EntrySource.MANAGER,
        status=body.status,
        expires_at=body.expires_at,
    )
    return EntryPublic.model_validate(lists.create_entry(session, draft, actor=user.actor))


@router.get("/{entry_id}", response_model=EntryPublic)
def get_entry(session: SessionDep, _user: ManagerUser, entry_id: EntityId) -> EntryPublic:
    return EntryPublic.model_validate(lists.get_entry(session, entry_id))


@router.patch("/{entry_id}", response_model=EntryPublic)
def update_entry(session: SessionDep, user: ManagerUser, entry_id: EntityId, body: EntryUpdate) -> EntryPublic:
    # An explicit null clears the expiry; for the other fields it means "leave as is".
    changes = {k: v for k, v in body.model_dump(exclude_unset=True).items() if v is not None or k == "expires_at"}
    return EntryPublic.model_validate(lists.update_entry(session, entry_id, changes, actor=user.actor))


@router.delete("/{entry_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_entry(session: SessionDep, user: AdminUser, entry_id: EntityId) -> None:
    lists.delete_entry(session, entry_id, actor=user.actor)


@router.post("/{entry_id}/lift", response_model=EntryPublic)
def lift_entry(session: SessionDep, user: ManagerUser, entry_id: EntityId, body: EntryLift) -> EntryPublic:
    """Stop enforcing an entry at once (every node within a second); the reason stays with the entry."""
    return EntryPublic.model_validate(
        lists.lift_entry(session, entry_id, reason=body.reason, actor=user.actor, appeal=body.appeal)
    )
