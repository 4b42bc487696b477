from __future__ import annotations

import httpx
from fastapi import APIRouter

from callscreen.health import ServiceHealth, health_router
from callscreen.records_setup import admin_app
from callscreen.settings import Settings
from records import Database
from tests.adminapi.live_server import serve


def test_public_names() -> None:
    import adminapi as api

    assert api.__all__ == ["create_app"]


def test_composition_mounts_health_and_page(database: Database) -> None:
    health = ServiceHealth(node="n1")
    router: APIRouter = health_router(health)
    settings = Settings.model_validate({"screening": {"harassment_threshold": 0.8}})
    app = admin_app(settings, database, salt=b"s", health_router=router)
    assert app.state.config.screening == settings.screening  # shadow mode compares against the live settings
    with serve(app) as url, httpx.Client(base_url=url) as client:
        assert client.get("/healthz").json()["node"] == "n1"
        page = client.get("/", follow_redirects=True)
        assert page.status_code == 200 and "<title>callscreen — manager</title>" in page.text
        assert client.get("/manager/app.js").headers["content-type"].startswith("text/javascript")
        assert "/api/v1/lookup" in client.get("/openapi.json").json()["paths"]
        docs = client.get("/docs")
        assert docs.status_code == 200 and "/docs-assets/swagger-ui-bundle.js" in docs.text and "cdn" not in docs.text
        assert client.get("/docs-assets/swagger-ui-bundle.js").status_code == 200
