"""The admin API and manager page: ``create_app`` builds the FastAPI application from plain values.

``callscreen serve`` mounts it next to the SIP service (passing its health router); it also runs alone::

    python -m adminapi --database-url sqlite:///var/callscreen.db --port 8080

Everything is under ``/api/v1`` except the page (``/manager/``) and the health probes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from fastapi import APIRouter, FastAPI
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

from adminapi.config import ApiConfig
from adminapi.docs import install_docs
from adminapi.errors import install_error_handlers
from adminapi.routes import ROUTERS
from adminapi.routes.model import ModelControl
from adminapi.uploads import ContentLengthLimit
from records.base import utcnow
from records.costs import Tariffs
from records.database import Database
from records.lookup import MemoryLists
from records.policy import AutoEntryPolicy
from screening.config import ScreeningConfig

API_PREFIX = "/api/v1"
STATIC_DIR = Path(__file__).parent / "static"
VERSION = "1"


def create_app(
    *,
    db: Database,
    health_router: APIRouter | None = None,
    max_upload_bytes: int,
    salt: bytes,
    timezone: str = "Asia/Shanghai",
    tariffs: Tariffs | None = None,
    policy: AutoEntryPolicy | None = None,
    clock: Callable[[], datetime] = utcnow,
    evidence_key: Path | None = None,
    node: str = "node1",
    model_control: ModelControl | None = None,
    screening: ScreeningConfig | None = None,
    lists: MemoryLists | None = None,
    key_cache_ttl_s: float = 5.0,
) -> FastAPI:
    """``lists``: the node's in-memory number lists, kept fresh by its ListSync (``/lookup`` answers from them);
    ``key_cache_ttl_s``: how long a verified API key is trusted without the database (``adminapi.keycache``)."""
    app = FastAPI(
        title="callscreen admin API",
        version=VERSION,
        description="Number lists, review queue, calls and evidence, incidents, carrier-bill matching, reports, "
        "users, keys and audit. Machines authenticate with an API key in the X-API-Key header; people log in "
        "(POST /auth/login) and send the session cookie plus its CSRF token in X-CSRF-Token.",
        docs_url=None,
        redoc_url=None,
    )
    app.state.config = ApiConfig(
        db=db,
        max_upload_bytes=max_upload_bytes,
        salt=salt,
        zone=ZoneInfo(timezone),
        tariffs=tariffs or Tariffs(),
        policy=policy or AutoEntryPolicy(),
        clock=clock,
        evidence_key=evidence_key,
        node=node,
        model_control=model_control,
        screening=screening or ScreeningConfig(),  # the node's live settings: shadow mode's baseline
        lists=lists,
        key_cache_ttl_s=key_cache_ttl_s,
    )
    install_error_handlers(app)
    app.add_middleware(ContentLengthLimit, limit=max_upload_bytes)
    for router in ROUTERS:
        app.include_router(router, prefix=API_PREFIX)
    if health_router is not None:
        app.include_router(health_router)
    install_docs(app)
    app.mount("/manager", StaticFiles(directory=STATIC_DIR, html=True), name="manager")

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/manager/")

    return app
