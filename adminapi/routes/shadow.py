"""``/shadow``: replay the last days' calls under a candidate change (the manager page's "try before it goes live").

Managers may change settings (thresholds, windows …) and upload a candidate list file; pointing at a model or
lexicon directory on the server is an administrator's call. Numbers in the result are masked.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from fastapi import APIRouter, HTTPException, status
from pydantic import Field

from adminapi.deps import ConfigDep, ManagerUser, SessionDep
from adminapi.schemas.common import Moment, Schema, Text
from records.base import utcnow
from records.models import Role
from records.shadow import CandidateError, Side, candidate, live_entries, live_scorer, replay

router = APIRouter(prefix="/shadow", tags=["shadow"])
MAX_LIST_CHARS = 5_000_000


class ShadowRequest(Schema):
    since: Moment | None = Field(default=None, description="default: 7 days before until")
    until: Moment | None = Field(default=None, description="default: now")
    settings: dict[str, float | int | bool | str] = Field(
        default_factory=dict, description='[screening] settings to try, e.g. {"harassment_threshold": 0.7}'
    )
    list_csv: Text | None = Field(
        default=None, max_length=MAX_LIST_CHARS, description="candidate list entries (import CSV), added to today's"
    )
    lexicon_dir: Text | None = Field(default=None, max_length=1000, description="server directory (admin)")
    model_dir: Text | None = Field(default=None, max_length=1000, description="server directory (admin)")


class ShadowCallChange(Schema):
    call_id: str
    at: datetime
    caller: str
    before: str
    after: str
    before_score: float
    after_score: float
    direction: str
    would_listen: bool


class ShadowResult(Schema):
    since: datetime
    until: datetime
    inputs: int
    listened: int
    changed: int
    stricter: int
    lenient: int
    would_listen: int
    transitions: dict[str, int]
    calls: list[ShadowCallChange]


@router.post("", response_model=ShadowResult)
def run_shadow(config: ConfigDep, session: SessionDep, user: ManagerUser, body: ShadowRequest) -> ShadowResult:
    """How many verdicts the candidate would change, which calls, and in which direction (stricter / lenient)."""
    if (body.lexicon_dir or body.model_dir) and not user.allows(Role.ADMIN):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "model and lexicon directories on the server need admin")
    now = utcnow()
    until = body.until or now
    since = body.since or until - timedelta(days=7)
    if since >= until:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "since must be before until")
    baseline = Side(config=config.screening, scorer=live_scorer(config.screening), entries=live_entries(session, now))
    try:
        changed = candidate(
            baseline, settings=body.settings, list_text=body.list_csv, now=now,
            lexicon_dir=Path(body.lexicon_dir) if body.lexicon_dir else None,
            model_dir=Path(body.model_dir) if body.model_dir else None,
        )  # fmt: skip
    except CandidateError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from None
    report = replay(session, since=since, until=until, baseline=baseline, candidate=changed)
    return ShadowResult.model_validate(report, from_attributes=True)
