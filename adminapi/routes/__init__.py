"""One router per resource; ``create_app`` includes them all under ``/api/v1``."""

from fastapi import APIRouter

from adminapi.routes import (
    audit,
    auth,
    bills,
    calls,
    costs,
    entries,
    evidence,
    incidents,
    keys,
    list_files,
    lookup,
    model,
    reports,
    review,
    settings_view,
    shadow,
    users,
)

ROUTERS: tuple[APIRouter, ...] = tuple(
    m.router
    for m in (auth, lookup, entries, list_files, review, calls, incidents, bills, reports, costs, evidence, shadow,
              keys, users, audit, model, settings_view)
)

__all__ = ["ROUTERS"]
