"""One router per resource; ``create_app`` includes them all under ``/api/v1``."""

from fastapi import APIRouter

from adminapi.routes import (
    audit,
    auth,
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
    users,
)

ROUTERS: tuple[APIRouter, ...] = tuple(
    m.router
    for m in (auth, lookup, entries, list_files, review, calls, incidents, bills, reports, evidence, keys, users,
              audit)
)

__all__ = ["ROUTERS"]
