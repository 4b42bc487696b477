"""One router per resource; ``create_app`` includes them all under ``/api/v1``."""

from fastapi import APIRouter

from adminapi.routes import (
    audit,
    bills,
    calls,
    entries,
    evidence,
    incidents,
    keys,
    list_files,
    lookup,
    reports,
    review,
)

ROUTERS: tuple[APIRouter, ...] = tuple(
    m.router for m in (lookup, entries, list_files, review, calls, incidents, bills, reports, evidence, keys, audit)
)

__all__ = ["ROUTERS"]
