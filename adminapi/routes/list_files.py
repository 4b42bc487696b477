"""``/lists/import`` and ``/lists/export``: bulk CSV (all rows or none; export streams)."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import APIRouter, UploadFile
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from adminapi.deps import AdminUser, ConfigDep, ManagerUser, SessionDep
from adminapi.schemas.common import ImportProblem
from adminapi.schemas.entries import ImportSummary
from adminapi.uploads import read_text
from records.database import Database
from records.list_csv import export_entries, import_entries
from screening.numberlist import EntryStatus, ListName

router = APIRouter(prefix="/lists", tags=["lists"])


@router.post(
    "/import",
    response_model=ImportSummary,
    responses={422: {"model": ImportProblem, "description": "bad rows; nothing was imported"}, 413: {}},
)
async def import_csv(
    config: ConfigDep,
    session: SessionDep,
    user: AdminUser,
    file: UploadFile,
    list: ListName = ListName.BLOCK,
) -> ImportSummary:
    """CSV with a ``value`` column (optional: kind, list, status, reason, expires_at). All rows or none."""
    text = await read_text(file, config.max_upload_bytes)
    # The import is synchronous and may take many seconds: off the event loop, so /readyz and the rest answer.
    result = await run_in_threadpool(import_entries, session, text, default_list=list, zone=config.zone,
                                     actor=user.actor)
    return ImportSummary(rows=result.rows, created=result.created, skipped_existing=result.skipped_existing)


def _stream(db: Database, list_name: ListName | None, status: EntryStatus | None) -> Iterator[str]:
    with db.session() as session:
        yield from export_entries(session, list_name=list_name, status=status)


@router.get("/export", response_class=StreamingResponse, responses={200: {"content": {"text/csv": {}}}})
def export_csv(
    config: ConfigDep,
    _user: ManagerUser,
    list: ListName | None = None,
    status: EntryStatus | None = None,
) -> StreamingResponse:
    name = f"{list.value if list else 'all'}-list.csv"
    return StreamingResponse(
        _stream(config.db, list, status),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
