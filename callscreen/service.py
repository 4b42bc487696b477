"""The composition root: ``build_service(settings)`` creates every real part once and wires them together.

Order matters for failing open: the database, the ASR model and the admin API may each be missing or broken and
the service still takes calls (records spool to disk, screening falls back to caller ID/time, loudly); only a SIP
socket that cannot be bound or prompts that fail their check stop ``serve``. Tests pass ``transcribers`` to put
a recogniser double at the ASR boundary; nothing else is replaceable from outside.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import socket
import ssl
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from pathlib import Path

import uvicorn

from asr.events import TranscriberFactory
from callscreen import records_setup
from callscreen.health import CALLER_ID_MODE, Component, ServiceHealth, Status, health_router
from callscreen.model_reload import ModelReloader
from callscreen.profiles import HotlineRouter, HotlineTable, build_table
from callscreen.settings import Settings, SipMode
from prompts.errors import PromptError
from records.database import Database
from records.errors import StorageError
from records.guarded_history import GuardedCallHistory
from records.history import SqlCallHistory
from records.hits import CountingNumberLists, HitCounter
from records.listsync import ListSync
from records.lookup import MemoryLists
from records.periodic import PeriodicJob
from records.policy import AutoEntryPolicy, ladder_step
from records.recorder import SqlCallRecorder
from records.retention import PeriodicPurge
from screening.engine import ScreeningEngine
from screening.errors import ModelRefusedError
from screening.interfaces import CallRecord, CallRecorder, Screener
from screening.learned.model import load_scorer
from telephony.endpoint import SipEndpoint
from telephony.flow_runner import FlowPolicy, FlowRunner
from telephony.metrics import Metrics, RecogniserPool
from telephony.rtp import RtpPortPool
from telephony.rtp_media import RtpMediaFactory
from telephony.sip.dialog import LocalParty
from telephony.sip.errors import TransportError
from telephony.sip.flood import FloodGuard
from telephony.sip.registration import Registration
from telephony.sip.stream import StreamTransport, server_context, tcp_listener
from telephony.sip.transport import HostCache, PeerAcl, UdpTransport
from telephony.vocabulary import EndReason
from telephony.wallclock import WallClock, offset_clock

log = logging.getLogger(__name__)
RECORD_GRACE_S = 10.0  # after the drain: time for the last flows to write their records
SPOOL_REPLAY_S = 30.0


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
    report_asr_language(path, health)
    prewarm = settings.asr.max_streams or settings.asr.workers
    health.report(Component.ASR_POOL, Status.DOWN, f"pre-warming {prewarm} ASR recogniser(s): not ready for calls "
                  "until they are (a call sent anyway is still answered)")  # fmt: skip
    return AsrEngine(model, workers=settings.asr.workers, queue_frames=settings.asr.queue_frames,
                     endpoint_silence_ms=settings.asr.endpoint_silence_ms, max_streams=settings.asr.max_streams,
                     vad_gate=settings.asr.vad_gate, admit_backlog_s=settings.asr.admit_backlog_s,
                     prewarm=prewarm, retire_after_s=settings.asr.retire_after_s,
                     on_prewarmed=lambda warmed, failed: report_prewarmed(health, warmed, failed))  # fmt: skip


def report_prewarmed(health: ServiceHealth, warmed: int, failed: bool) -> None:
    """The pool's pre-warm ended: ready for calls. Even when building a recogniser failed (the engine logged it):
    the calls build their own, the path every call had before there was a pool."""
    if not failed:
        log.info("ASR recogniser pool warm (%d pre-warmed): ready for calls", warmed)
        health.report(Component.ASR_POOL, Status.OK, f"warm: {warmed} ASR recogniser(s) pre-warmed")
        return
    log.warning("ASR recogniser pool: pre-warming failed after %d; calls build their own recognisers", warmed)
    health.report(Component.ASR_POOL, Status.DEGRADED, f"pre-warming failed after {warmed} ASR recogniser(s) "
                  "(see the log): calls build their own")  # fmt: skip


def report_asr_language(path: Path, health: ServiceHealth) -> None:
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
    model_reloader: ModelReloader | None = None
    hotlines: HotlineRouter | None = None
    rebuild_hotlines: Callable[[Settings], HotlineTable] | None = None
    _api: uvicorn.Server | None = None
    _threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> None:
        """Raises :class:`ServiceStartError` when the admin API's port cannot be had, before any call is taken."""
        api_socket = None if self._api is None else _listen_socket(self.settings.api.host, self.settings.api.port)
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
            thread = threading.Thread(target=self._api.run, kwargs={"sockets": [api_socket]}, name="admin-api",
                                      daemon=True)
            thread.start()
            self._threads.append(thread)
            self.health.report(Component.API, Status.OK, f"{self.settings.api.host}:{self.settings.api.port}")
        log.info("callscreen serving: SIP udp %s:%s, agents %s", sip.host, sip.port, self.settings.sip.agents_uri)

    def reload_model(self, trigger: str) -> None:
        """SIGHUP: reload the learned content model; a refused directory is logged and the running model stays."""
        if self.model_reloader is None:
            log.warning("%s: no learned content model to reload on this node", trigger)
            return
        with contextlib.suppress(ModelRefusedError):  # logged and reported in /readyz by the reloader
            self.model_reloader.reload(trigger=trigger)

    def reload_conversation(self, settings: Settings, trigger: str) -> bool:
        """SIGHUP: prompts and profiles from ``settings``; on any problem the running ones stay. No call drops:
        calls in progress keep the runner they started with (see :mod:`callscreen.profiles`)."""
        if self.hotlines is None or self.rebuild_hotlines is None:
            return False
        try:
            table = self.rebuild_hotlines(settings)
        except (PromptError, ValueError, OSError) as exc:  # a bad recording or profile: keep the running ones
            log.error("%s: prompts/profiles NOT reloaded, the running ones stay: %s", trigger, exc)
            return False
        self.hotlines.swap(table)
        self.runner = table.default
        return True

    def stop(self, drain_timeout_s: float | None = None) -> None:
        """Stop taking calls (503), hand calls still being screened to the agents, let the rest finish."""
        timeout = self.settings.sip.drain_timeout_s if drain_timeout_s is None else drain_timeout_s
        self.endpoint.accepting = False
        self.runner.shutdown.set()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            active = self.endpoint.active_calls()  # one read: the last call may end between two
            if not active:
                break
            active[0].ended.wait(0.2)
        for call in self.endpoint.active_calls():
            log.warning("call=%s still active at shutdown; hanging up", call.call_id)
            call.hangup(EndReason.SHUTDOWN)
        # Their flows record them after the signalling ended: wait for that, or the last records are lost.
        if not self.runner.wait_idle(max(0.0, deadline - time.monotonic()) + RECORD_GRACE_S):
            log.error("call flows still running at shutdown; their records may be missing")
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
        self.db.dispose()


class ServiceStartError(RuntimeError):
    """The service cannot start as configured (a port taken, an address not ours): `serve` says so and exits."""


def _listen_socket(host: str, port: int) -> socket.socket:
    """The admin API's listening socket, bound here rather than in uvicorn's thread: uvicorn reports a taken port
    by logging and ending its own thread, which left a node taking calls with no API and a health page saying OK."""
    try:
        return tcp_listener(host, port)
    except OSError as exc:
        raise ServiceStartError(f"the admin API cannot listen on {host}:{port}: {exc.strerror or exc}") from exc


class ReasonCountingRecorder:
    """Counts each recorded verdict's reason codes in the metrics (prefix bursts alert from it), then records."""

    def __init__(self, inner: CallRecorder, metrics: Metrics) -> None:
        self._inner = inner
        self._metrics = metrics

    def record(self, record: CallRecord) -> None:
        try:
            self._metrics.reasons(reason.code for reason in record.verdict.reasons)
        except Exception:  # counting must never cost the record
            log.exception("call=%s: reason metrics failed", record.call_id)
        self._inner.record(record)


def build_service(
    settings: Settings, *, transcribers: TranscriberFactory | None = None, clock: WallClock | None = None
) -> Service:
    """``clock``: the wall clock of the call path (default: the system clock shifted by ``clock_offset_s``)."""
    wall_clock = clock if clock is not None else offset_clock(settings.clock_offset_s)
    health = ServiceHealth(settings.node_name)
    metrics = Metrics()
    db = Database(
        settings.database.url, echo=settings.database.echo, async_connections=settings.database.async_connections,
        async_timeout_s=settings.database.async_timeout_s,
    )  # fmt: skip
    try:
        db.migrate()
        health.report(Component.DATABASE, Status.OK, db.url.render_as_string(hide_password=True))
    except StorageError as exc:  # fail open: records spool to disk until the database is back
        log.error("database unavailable, call records will be spooled: %s", exc)
        health.report(Component.DATABASE, Status.DOWN, str(exc).splitlines()[0])
    salt = records_setup.hash_salt(settings, db)
    recorder = SqlCallRecorder(db, spool_dir=records_setup.spool_dir(settings), salt=salt,
                               policy=records_setup.auto_entry_policy(settings), on_error=metrics.db_error,
                               shadow=records_setup.shadow_capture(settings))
    # Records spooled while the database was away are replayed even when no call arrives to trigger it.
    jobs: list[PeriodicJob | PeriodicPurge] = [
        PeriodicJob("spool-replay", recorder.flush_spool, interval_s=SPOOL_REPLAY_S, run_first=True),
        PeriodicPurge(db, retention_days=settings.privacy.retention_days, salt=salt,
                      rules=records_setup.privacy_rules(settings), interval_s=settings.privacy.purge_interval_s),
    ]
    if transcribers is None:
        transcribers = _load_transcribers(settings, health)
    else:
        health.report(Component.MODEL, Status.OK, "injected transcriber")
    metrics.model_loaded.set(1 if transcribers is not None else 0)
    if isinstance(transcribers, RecogniserPool):  # the Vosk engine; an injected transcriber has no pool
        metrics.watch_recognisers(transcribers)
    hits = HitCounter()  # list-entry hit counts, written in batches by the list poll (records.hits)
    memory = MemoryLists.empty()  # the screener's index, and the API's /lookup reads it too (records.lookup)
    lists = CountingNumberLists(memory.enforced, hits)
    # A dead or hung database must cost the history signals, never the caller (GuardedCallHistory's deadline).
    history = GuardedCallHistory(SqlCallHistory(db), on_error=metrics.db_error)
    screener = ScreeningEngine(settings.screening, lists=lists, history=history,
                               content_available=transcribers is not None)
    # the learned content model (screening.model_dir, else the shipped one): a refused directory costs the learned
    # signal — rules only, reported in /readyz — never the service; SIGHUP and the admin API reload it
    reloader = ModelReloader(screener, lambda: load_scorer(settings.screening), health, wall_clock)
    reloader.start()
    sip, rtp = settings.sip, settings.rtp
    shutdown = threading.Event()  # one for every profile's runner: stopping hands all screened calls on
    counting = ReasonCountingRecorder(recorder, metrics)

    ladder = DbLadder(db, records_setup.auto_entry_policy(settings), wall_clock)

    def make_runner(policy: FlowPolicy, prompts: dict[str, bytes], own: Screener | None) -> FlowRunner:
        runner = FlowRunner(own or screener, transcribers, counting, prompts, policy, settings.node_name,
                            observer=metrics, ladder=ladder, wall_clock=wall_clock)
        runner.shutdown = shutdown
        return runner

    def make_screener_for(current: Settings) -> Callable[[dict[str, object]], Screener]:
        def make(overrides: dict[str, object]) -> Screener:
            config = type(current.screening).model_validate({**current.screening.model_dump(), **overrides})
            return reloader.attach(ScreeningEngine(config, lists=lists, history=history,
                                                   content_available=transcribers is not None, scorer=screener.scorer))
        return make

    def rebuild(current: Settings) -> HotlineTable:
        return build_table(current, make_runner=make_runner, make_screener=make_screener_for(current))

    table = rebuild(settings)
    hotlines = HotlineRouter(table, shutdown)
    runner = table.default
    peers = _peer_acl(settings)
    acl = peers if sip.mode is SipMode.TRUNK else None
    invite_acl = peers if sip.mode is SipMode.REGISTER else None  # INVITEs only from the registrar or peers
    transport = UdpTransport(sip.bind_host, sip.port, acl, guard=_flood_guard(settings, peers), observer=metrics,
                             invite_acl=invite_acl, refusal_interval_s=sip.refusal_log_interval_s,
                             extra_hosts=(sip.bind_host6,) if sip.bind_host6 else (),
                             streams=_streams(settings), peer_transports=sip.peer_transports)
    local = LocalParty(sip.public_host or sip.bind_host, transport.address[1], sip.username)
    host = sip.public_host or sip.bind_host
    media = RtpMediaFactory(RtpPortPool(rtp.port_min, rtp.port_max, host=host), jitter_frames=rtp.jitter_frames,
                            rx_queue_frames=settings.asr.queue_frames)
    endpoint = SipEndpoint(transport, local, media, hotlines.run, max_calls=sip.max_calls,
                           notify_timeout_s=sip.transfer_notify_timeout_s, dialled_header=sip.dialled_header,
                           wall_clock=wall_clock, unready=health.unready_reason)
    registration = None
    if sip.mode is SipMode.REGISTER:
        password = sip.password.get_secret_value() if sip.password else ""
        registration = Registration(
            endpoint, sip.registrar or "", sip.username, password, expires_s=sip.register_expires_s,
            on_state=lambda ok, detail: health.report(Component.SIP, Status.OK if ok else Status.DOWN, detail),
        )
    list_sync = ListSync(db, lists, interval_s=settings.database.list_poll_s, clock=wall_clock, hits=hits,
                         proposals=memory.proposed)
    service = Service(settings, health, endpoint, runner, db, list_sync, registration, transcribers, jobs=jobs,
                      history=history, metrics=metrics, hotlines=hotlines, rebuild_hotlines=rebuild)
    service.model_reloader = reloader
    if settings.api.enabled:
        service._api = _api_server(settings, db, health, salt, metrics, reloader, memory)
    return service


def _streams(settings: Settings) -> tuple[StreamTransport, ...]:
    """TCP on the SIP port (and on the IPv6 address), TLS on ``tls_port`` when a certificate is configured.

    A stream listener that cannot bind (its port taken) is logged and left out: the node still takes calls over
    UDP — fail open for calls — instead of not starting at all.
    """
    sip = settings.sip
    idle, per_source = sip.tcp_idle_timeout_s, sip.tcp_max_per_source
    wanted: list[tuple[str, int, ssl.SSLContext | None]] = []
    if sip.tcp:
        wanted += [(host, sip.port, None) for host in [sip.bind_host, *([sip.bind_host6] if sip.bind_host6 else [])]]
    if sip.tls_cert_file is not None:
        tls = server_context(str(sip.tls_cert_file), str(sip.tls_key_file or sip.tls_cert_file),
                             str(sip.tls_client_ca_file) if sip.tls_client_ca_file else None)
        wanted.append((sip.bind_host, sip.tls_port, tls))
    streams: list[StreamTransport] = []
    for host, port, context in wanted:
        try:
            streams.append(StreamTransport(host, port, tls=context, idle_timeout_s=idle, max_per_source=per_source))
        except TransportError as exc:
            log.error("%s; SIP over %s is off on this node (UDP still serves calls)", exc,
                      "TLS" if context is not None else "TCP")
    return tuple(streams)


def _peer_acl(settings: Settings) -> PeerAcl:
    """Who counts as a peer: ``sip.peers`` plus, in register mode, the registrar's addresses (looked up once)."""
    sip = settings.sip
    peers = list(sip.peers)
    if sip.mode is SipMode.REGISTER and sip.registrar:
        host = sip.registrar.rsplit(":", 1)[0] if sip.registrar.count(":") == 1 else sip.registrar
        address = HostCache().resolve(host.strip("[]"))
        if address is not None:
            peers.append(address)
    return PeerAcl(peers)


class DbLadder:
    """The flow's view of the graduated response: the step this offence takes, from the shared database.

    Bounded: a slow or dead database costs the step number (the record's step is then counted when it is
    written), and the caller hears the notice — a mild warning is the safe side."""

    def __init__(self, db: Database, policy: AutoEntryPolicy, clock: WallClock, timeout_s: float = 1.0) -> None:
        self._db = db
        self._policy = policy
        self._clock = clock
        self._timeout_s = timeout_s
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="ladder")

    def _ask(self, caller: str | None) -> tuple[int | None, bool]:
        with self._db.session() as session:
            step = ladder_step(session, self._policy, caller, now=self._clock())
        return step, self._policy.step(step).notice

    def step_for(self, caller: str | None) -> tuple[int | None, bool]:
        try:
            return self._pool.submit(self._ask, caller).result(timeout=self._timeout_s)
        except (StorageError, FutureTimeout) as exc:
            log.warning("ladder step unknown (%s): playing the recorded-call notice", exc or "timeout")
            return None, True


def _flood_guard(settings: Settings, peers: PeerAcl) -> FloodGuard:
    """Per-source limits: peers given as single addresses (the PBX, the balancer) are exempt, peer networks get
    the peer rate, everybody else the far lower stranger rate."""
    exempt = set()
    for peer in [*settings.sip.peers, settings.sip.registrar or ""]:
        host = peer.rsplit(":", 1)[0] if peer.count(":") == 1 else peer
        try:
            exempt.add(str(ipaddress.ip_address(host)))
        except ValueError:
            continue  # a network (CIDR) or a name: its members are limited like anyone else
    sip = settings.sip
    return FloodGuard(rate_per_s=sip.flood_rate_per_s, burst=sip.flood_burst, ban_s=sip.flood_ban_s,
                      exempt=frozenset(exempt), stranger_rate_per_s=sip.flood_stranger_rate_per_s,
                      stranger_burst=sip.flood_stranger_burst, is_peer=peers.allows)


def _api_server(settings: Settings, db: Database, health: ServiceHealth, salt: bytes, metrics: Metrics,
                reloader: ModelReloader | None = None, lists: MemoryLists | None = None) -> uvicorn.Server:
    app = records_setup.admin_app(settings, db, salt=salt, health_router=health_router(health, metrics.render),
                                  model_control=reloader, lists=lists)
    return records_setup.api_server(settings, app)


__all__ = ["Service", "build_service"]
