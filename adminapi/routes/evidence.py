"""``/evidence/pack``: download the signed, hash-chained evidence pack (managers; every download is audited)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status
from fastapi.responses import Response

from adminapi.deps import ConfigDep, ManagerUser, SessionDep
from adminapi.schemas.common import Moment, Text
from numbering import normalize
from records.base import utcnow
from records.errors import InvalidInputError
from records.evidence_pack import MEDIA_TYPE, PackSubject, PackSummary, collect_records, note_export, write_pack
from records.signing import load_or_create_key

router = APIRouter(prefix="/evidence", tags=["evidence"])


@router.get("/pack", response_class=Response, responses={200: {"content": {MEDIA_TYPE: {}}}})
def pack(
    config: ConfigDep,
    session: SessionDep,
    user: ManagerUser,
    number: Annotated[Text | None, Query(max_length=64)] = None,
    since: Moment | None = None,
    until: Moment | None = None,
) -> Response:
    """A number's pack (optionally windowed), or a window's flagged calls; verify with ``callscreen evidence verify``.

    The download is written to the audit log (``evidence.export``) under the caller's name in the same unit of
    work: no pack leaves without its trace.
    """
    if config.evidence_key is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "this API has no evidence-signing key configured")
    normalized = None
    if number:
        normalized = normalize(number).normalized
        if normalized is None:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"{number!r} is not a valid phone number")
    try:
        subject = PackSubject(number=normalized, since=since, until=until)
    except InvalidInputError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from None
    summary = PackSummary()
    key = load_or_create_key(config.evidence_key)
    body = "".join(write_pack(collect_records(session, subject), subject=subject, key=key, node=config.node,
                              created_at=utcnow(), summary=summary))  # fmt: skip
    note_export(session, subject, summary, actor=user.actor)
    name = f"evidence-{(normalized or 'window').lstrip('+')}-{summary.pack_id[:8]}.jsonl"
    return Response(body, media_type=MEDIA_TYPE, headers={"Content-Disposition": f'attachment; filename="{name}"'})
