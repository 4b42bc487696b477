"""The composition root: ``build_service(settings)`` creates every real part once and wires them together.

Order matters for failing open: the database, the ASR model and the admin API may each be missing or broken and
the service still takes calls (records spool to disk, screening falls back to caller ID/time, loudly); only a SIP
socket that cannot be bound or prompts that fail their check stop ``serve``. Tests pass ``transcribers`` to put
a recogniser double at the ASR boundary; nothing else is replaceable from outside.
"""

from __future__ import annotations

import ipaddress
import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import uvicorn

from asr.events import TranscriberFactory
from callscreen.cli import _records
from callscreen.health import CALLER_ID_MODE, Component, ServiceHealth, Status, health_router
from callscreen.settings import Settings, SipMode
from prompts.library import PromptLibrary
from prompts.names import PromptName
from records.database import Database
from records.errors import StorageError
from records.guarded_history import GuardedCallHistory
from records.history import SqlCallHistory
from records.listsync import ListSync
from records.periodic import PeriodicJob
from records.recorder import SqlCallRecorder
from records.retention import PeriodicPurge
from screening.engine import ScreeningEngine
from screening.learned.model import ContentModel, ModelError, load_scorer
from screening.numberlist import InMemoryNumberLists
from telephony.endpoint import SipEndpoint
from telephony.flow_runner import FlowPolicy, FlowRunner
from telephony.listening import ListenLimits
from telephony.metrics import Metrics
from telephony.rtp import RtpPortPool
from telephony.rtp_media import RtpMediaFactory
from telephony.sip.dialog import LocalParty
from telephony.sip.flood import FloodGuard
from telephony.sip.registration import Registration
from telephony.sip.transport import PeerAcl, UdpTransport

log = logging.getLogger(__name__)
SPOOL_REPLAY_S = 30.0


def _load_scorer(settings: Settings, health: ServiceHealth) -> ContentModel | None:
    """The learned content model; a directory that is refused costs the learned signal, never the service."""
    try:
        scorer = load_scorer(settings.screening)
    except ModelError as exc:
        log.error("learned content model refused, screening with the rules only: %s", exc)
        health.report(Component.CONTENT_MODEL, Status.DEGRADED, f"rules only: {exc}")
        return None
    detail = f"model {scorer.model_id}" if scorer is not None else "off (screening.learned = false)"
    health.report(Component.CONTENT_MODEL, Status.OK, detail)
    return scorer


def _load_transcribers(settings: Settings, health: ServiceHealth) -> TranscriberFactory | None:
    from asr.engine import AsrEngine  # imports vosk only when a model is actually loaded
    from asr.errors import AsrError
    from asr.model import load_shared_model

    path = settings.asr.resolved_model_path
    try:
        model = load_shared_model(path)
    except AsrError as exc:
        log.warning("!!! NO ASR MODEL (%s): %s — content screening is OFF !!!", exc, CALLER_ID_MODE)
        health.report(Component.MODEL, Status.DEGRADED, f"{CALLER_ID_MODE}: {exc}")
        return None
    health.report(Component.MODEL, Status.OK, f"loaded {path}")
    _check_language(path, health)
    return AsrEngine(model, workers=settings.asr.workers, queue_frames=settings.asr.queue_frames,
                     endpoint_silence_ms=settings.asr.endpoint_silence_ms)


def _check_language(path: Path, health: ServiceHealth) -> None:
    """Say loudly when the ASR model is not Mandarin: every caller would look off-topic (asr.language)."""
    from asr.language import check_language

    language = check_language(path)
    message = language.message(path)
    if language.mandarin:
        log.info("ASR model language: %s", message)
        health.report(Component.LANGUAGE, Status.OK, message)
    else:
        log.warning("!!! %s !!!", message)
        health.report(Component.LANGUAGE, Status.DEGRADED, message)


@dataclass
class Service:
    settings: Settings
    health: ServiceHealth
    endpoint: SipEndpoint
    runner: FlowRunner
    db: Database
    list_sync: ListSync
    registration: Registration | None = None
    transcribers: TranscriberFactory | None = None
    jobs: list[PeriodicJob | PeriodicPurge] = field(default_factory=list)
    history: GuardedCallHistory | None = None
    metrics: Metrics = field(default_factory=Metrics)
    _api: uvicorn.Server | None = None
    _threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> None:
        self.endpoint.start()
        sip = self.endpoint.local
        mode = self.settings.sip.mode.value
        self.health.report(Component.SIP, Status.OK, f"{mode} mode on udp {sip.host}:{sip.port}")
        try:
            self.list_sync.start()  # loads the lists once, then polls
        except StorageError as exc:  # fail open: screening runs with empty lists, loudly
            log.error("number lists could not be loaded (screening without lists): %s", exc)
        if self.registration is not None:
            self.registration.start()
        for job in self.jobs:
            job.start()
        if self._api is not None:
            thread = threading.Thread(target=self._api.run, name="admin-api", daemon=True)
            thread.start()
            self._threads.append(thread)
            self.health.report(Component.API, Status.OK, f"{self.settings.api.host}:{self.settings.api.port}")
        log.info("callscreen serving: SIP udp %s:%s, agents %s", sip.host, sip.port, self.settings.sip.agents_uri)

    def stop(self, drain_timeout_s: float | None = None) -> None:
        """Stop taking calls (503), hand calls still being screened to the agents, let the rest finish."""
        timeout = self.settings.sip.drain_timeout_s if drain_timeout_s is None else drain_timeout_s
        self.endpoint.accepting = False
        self.runner.shutdown.set()
        deadline = time.monotonic() + timeout
        while self.endpoint.active_calls() and time.monotonic() < deadline:
            self.endpoint.active_calls()[0].ended.wait(0.2)
        for call in self.endpoint.active_calls():
            log.warning("call=%s still active at shutdown; hanging up", call.call_id)
            call.hangup("shutdown")
        if self.registration is not None:
            self.registration.stop()
        self.endpoint.stop()
        self.list_sync.stop()
        for job in self.jobs:
            job.stop()
        if self.history is not None:
            self.history.close()
        if self._api is not None:
            self._api.should_exit = True
        for thread in self._threads:
            thread.join(timeout=5)
        if self.transcribers is not None:
            self.transcribers.close()
        self.db.engine.dispose()


def build_service(settings: Settings, *, transcribers: TranscriberFactory | None = None) -> Service:
    health = ServiceHealth(settings.node_name)
    metrics = Metrics()
    db = Database(settings.database.url, echo=settings.database.echo)
    try:
        db.migrate()
        health.report(Component.DATABASE, Status.OK, db.url.render_as_string(hide_password=True))
    except StorageError as exc:  # fail open: records spool to disk until the database is back
        log.error("database unavailable, call records will be spooled: %s", exc)
        health.report(Component.DATABASE, Status.DOWN, str(exc).splitlines()[0])
    salt = _records.hash_salt(settings, db)
    recorder = SqlCallRecorder(db, spool_dir=_records.spool_dir(settings), salt=salt,
                               policy=_records.auto_entry_policy(settings), on_error=metrics.db_error)
    # Records spooled while the database was away are replayed even when no call arrives to trigger it.
    jobs: list[PeriodicJob | PeriodicPurge] = [
        PeriodicJob("spool-replay", recorder.flush_spool, interval_s=SPOOL_REPLAY_S, run_first=True),
        PeriodicPurge(db, retention_days=settings.privacy.retention_days, salt=salt,
                      rules=_records.privacy_rules(settings), interval_s=settings.privacy.purge_interval_s),
    ]
    if transcribers is None:
        transcribers = _load_transcribers(settings, health)
    else:
        health.report(Component.MODEL, Status.OK, "injected transcriber")
    metrics.model_loaded.set(1 if transcribers is not None else 0)
    lists = InMemoryNumberLists()
    # A dead or hung database must cost the history signals, never the caller (GuardedCallHistory's deadline).
    history = GuardedCallHistory(SqlCallHistory(db), on_error=metrics.db_error)
    screener = ScreeningEngine(settings.screening, lists=lists, history=history,
                               content_available=transcribers is not None, scorer=_load_scorer(settings, health))
    library = PromptLibrary.load(settings.prompts.override_dir)
    prompts = {name.value: library.pcm16(name) for name in PromptName}
    sip, rtp = settings.sip, settings.rtp
    policy = FlowPolicy(
        agents_uri=sip.agents_uri, fallback_uri=sip.fallback_uri, analysis_user=sip.analysis_user,
        deterrent=settings.screening.blocked_policy, redirect_before_answer=sip.redirect_allowlisted,
        limits=ListenLimits(settings.screening.listen_timeout_s, rtp.media_timeout_s),
        answer_delay_s=sip.answer_delay_ms / 1000,
    )
    runner = FlowRunner(screener, transcribers, recorder, prompts, policy, settings.node_name, observer=metrics)
    acl = PeerAcl(sip.peers) if sip.mode is SipMode.TRUNK else None
    transport = UdpTransport(sip.bind_host, sip.port, acl, guard=_flood_guard(settings), observer=metrics)
    local = LocalParty(sip.public_host or sip.bind_host, transport.address[1], sip.username)
    host = sip.public_host or sip.bind_host
    media = RtpMediaFactory(RtpPortPool(rtp.port_min, rtp.port_max, host=host), jitter_frames=rtp.jitter_frames,
                            rx_queue_frames=settings.asr.queue_frames)
    endpoint = SipEndpoint(transport, local, media, runner.run, max_calls=sip.max_calls,
                           notify_timeout_s=sip.transfer_notify_timeout_s)
    registration = None
    if sip.mode is SipMode.REGISTER:
        password = sip.password.get_secret_value() if sip.password else ""
        registration = Registration(
            endpoint, sip.registrar or "", sip.username, password, expires_s=sip.register_expires_s,
            on_state=lambda ok, detail: health.report(Component.SIP, Status.OK if ok else Status.DOWN, detail),
        )
    list_sync = ListSync(db, lists, interval_s=settings.database.list_poll_s)
    service = Service(settings, health, endpoint, runner, db, list_sync, registration, transcribers, jobs=jobs,
                      history=history, metrics=metrics)
    if settings.api.enabled:
        service._api = _api_server(settings, db, health, salt, metrics)
    return service


def _flood_guard(settings: Settings) -> FloodGuard:
    """Per-source limits; peers given as single addresses (the PBX, the balancer) are exempt."""
    exempt = set()
    for peer in [*settings.sip.peers, settings.sip.registrar or ""]:
        host = peer.rsplit(":", 1)[0] if peer.count(":") == 1 else peer
        try:
            exempt.add(str(ipaddress.ip_address(host)))
        except ValueError:
            continue  # a network (CIDR) or a name: its members are limited like anyone else
    sip = settings.sip
    return FloodGuard(rate_per_s=sip.flood_rate_per_s, burst=sip.flood_burst, ban_s=sip.flood_ban_s,
                      exempt=frozenset(exempt))


def _api_server(settings: Settings, db: Database, health: ServiceHealth, salt: bytes, metrics: Metrics
                ) -> uvicorn.Server:
    app = _records.admin_app(settings, db, salt=salt, health_router=health_router(health, metrics.render))
    config = uvicorn.Config(app, host=settings.api.host, port=settings.api.port, log_level="warning",
                            lifespan="off")
    return uvicorn.Server(config)  # in a non-main thread uvicorn leaves signal handling to `serve`


__all__ = ["Service", "build_service"]
