"""``/api/v1/admin/model``: an administrator reloads the learned content model of a running node over HTTP.

A directory that fails to load is refused with 422 and its reason, the node keeps screening with the model it
had, and both outcomes are in the audit log. The loader here fails the way a damaged directory does (raising the
model package's error naming the file); tests/e2e/test_model_reload.py reloads real model directories in a
running service.
"""

from __future__ import annotations

import dataclasses

from sqlalchemy import select

from callscreen.model_reload import ModelReloader
from records import Role
from records.models import AuditEntry
from screening.config import ScreeningConfig
from screening.engine import ScreeningEngine
from tests.adminapi.conftest import ApiHarness
from tests.screening.conftest import DAYTIME
from tests.screening.test_signal_seam import SCORER, WordScorer


class Directory:
    """Stands in for ``screening.model_dir``: what is there now decides what a load returns or raises."""

    def __init__(self, scorer: WordScorer) -> None:
        self.scorer: WordScorer | None = scorer
        self.problem = ""

    def load(self) -> WordScorer | None:
        if self.problem:
            raise ValueError(self.problem)
        return self.scorer


def _node(api: ApiHarness) -> tuple[ScreeningEngine, ModelReloader, Directory]:
    engine = ScreeningEngine.offline(ScreeningConfig())
    directory = Directory(SCORER)
    reloader = ModelReloader(engine, directory.load)
    reloader.start()
    api.app.state.config = dataclasses.replace(api.app.state.config, model_control=reloader)
    return engine, reloader, directory


def test_admin_reloads_and_a_refused_directory_keeps_the_running_model(api: ApiHarness) -> None:
    engine, _reloader, directory = _node(api)
    admin = api.headers(Role.ADMIN)
    status = api.client.get("/api/v1/admin/model", headers=admin).json()
    assert status["model_id"] == "test-model" and status["last_error"] is None

    directory.scorer = WordScorer(dict(SCORER.words), model_id="retrained")
    reloaded = api.client.post("/api/v1/admin/model/reload", headers=admin)
    assert reloaded.status_code == 200, reloaded.text
    assert reloaded.json()["model_id"] == "retrained" and reloaded.json()["reloads"] == 1
    assert engine.scorer is directory.scorer

    serving = engine.scorer
    directory.problem = "/srv/model/weights.npz: checksum mismatch (file changed or corrupt)"
    refused = api.client.post("/api/v1/admin/model/reload", headers=admin)
    assert refused.status_code == 422
    body = refused.json()
    assert "checksum mismatch" in body["detail"] and "still screening with retrained" in body["detail"]
    assert body["model"]["model_id"] == "retrained" and "checksum mismatch" in body["model"]["last_error"]
    assert engine.scorer is serving  # the running model stays

    with api.db.session() as s:
        entries = [a for a in s.scalars(select(AuditEntry).order_by(AuditEntry.id)) if a.action.startswith("model.")]
        assert [a.action for a in entries] == ["model.reload", "model.reload_refused"]
        assert "retrained" in (entries[0].after or "") and "checksum mismatch" in (entries[1].after or "")


def test_managers_cannot_reload(api: ApiHarness) -> None:
    _node(api)
    refused = api.client.post("/api/v1/admin/model/reload", headers=api.headers(Role.MANAGER))
    assert refused.status_code == 403


def test_a_refused_model_at_start_means_rules_only_and_readyz_says_so() -> None:
    from callscreen.health import Component, ServiceHealth, Status

    engine = ScreeningEngine.offline(ScreeningConfig())
    directory = Directory(SCORER)
    directory.problem = "/srv/model/SHA256SUMS: missing (a model directory needs its checksums)"
    health = ServiceHealth("node1")
    reloader = ModelReloader(engine, directory.load, health, clock=lambda: DAYTIME)
    reloader.start()  # never raises: the service starts with the rules
    assert engine.scorer is None and reloader.state.model_id == "rules only"
    part = health.snapshot()[Component.CONTENT_MODEL]
    assert part.status is Status.DEGRADED and "SHA256SUMS: missing" in part.detail
    directory.problem = ""
    state = reloader.reload(trigger="SIGHUP")
    assert engine.scorer is SCORER and health.snapshot()[Component.CONTENT_MODEL].status is Status.OK
    assert state.loaded_at == "2026-11-23T07:00:00+00:00" and state.last_error is None  # 15:00 Shanghai, in UTC


def test_every_attached_engine_gets_the_reload() -> None:
    """A node has one engine per hotline profile; a reload reaches each, and one made later starts current."""
    main = ScreeningEngine.offline(ScreeningConfig())
    directory = Directory(SCORER)
    reloader = ModelReloader(main, directory.load)
    reloader.start()
    profile = reloader.attach(ScreeningEngine.offline(ScreeningConfig(listen_timeout_s=12.0)))
    assert profile.scorer is SCORER
    directory.scorer = WordScorer(dict(SCORER.words), model_id="retrained")
    reloader.reload(trigger="test")
    assert main.scorer is directory.scorer and profile.scorer is directory.scorer
