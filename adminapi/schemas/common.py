"""Field types shared by the request and response schemas.

Text from clients may not contain NUL (PostgreSQL refuses it, and nothing legitimate needs it); times must carry
a UTC offset and lie in a sane range, so that a bad value is a 422 rather than a database error.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

MIN_YEAR, MAX_YEAR = 1990, 2200
MAX_LIMIT = 500
MAX_ID = 2**31 - 1


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("text must not contain NUL characters")
    return value


def _sane_time(value: datetime) -> datetime:
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise ValueError(f"time must lie between {MIN_YEAR} and {MAX_YEAR}")
    return value.astimezone(UTC)


Text = Annotated[str, AfterValidator(_no_nul)]
Moment = Annotated[AwareDatetime, AfterValidator(_sane_time)]
Limit = Annotated[int, Field(ge=1, le=MAX_LIMIT)]
Offset = Annotated[int, Field(ge=0, le=MAX_ID)]
EntityId = Annotated[int, Field(ge=1, le=MAX_ID)]


class Schema(BaseModel):
    model_config = ConfigDict(from_attributes=True, extra="forbid")


class Message(Schema):
    detail: str


class RowProblem(Schema):
    line: int
    message: str


class ImportProblem(Schema):
    detail: str
    errors: list[RowProblem]
