"""`callscreen serve`: start the SIP endpoint and the admin API; SIGTERM/SIGINT drain and stop cleanly, SIGHUP
reloads — without dropping a call — the prompts and hotline profiles (the settings file is read again) and the
learned content model (``screening.model_dir``). One handler for both: a reload is one operator action."""

from __future__ import annotations

import argparse
import logging
import signal
import threading
from types import FrameType
from typing import TYPE_CHECKING

from callscreen.settings import Settings, SettingsError, load_settings

if TYPE_CHECKING:
    from callscreen.service import Service

log = logging.getLogger(__name__)


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("serve", help="start the SIP endpoint and the admin API")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from callscreen.service import ServiceStartError, build_service  # heavy imports only for this command

    stop = threading.Event()
    running: list[Service] = []

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        log.info("signal %s: stopping (in-flight calls finish or go to the agents)", signal.Signals(signum).name)
        stop.set()

    def _reload(service: Service) -> None:
        try:
            fresh = load_settings(args.config)
        except SettingsError as exc:
            log.error("SIGHUP: settings NOT reloaded (prompts and profiles stay as they are): %s", exc)
        else:
            service.reload_conversation(fresh, "SIGHUP")
        service.reload_model("SIGHUP")

    def _on_hangup(signum: int, frame: FrameType | None) -> None:
        # loading takes a moment: not in the signal handler, and never on the main thread that waits for SIGTERM
        if running:
            threading.Thread(target=_reload, args=(running[0],), name="reload", daemon=True).start()
        else:
            log.warning("SIGHUP before the service started: nothing to reload")

    handlers = {signal.SIGTERM: _on_signal, signal.SIGINT: _on_signal, signal.SIGHUP: _on_hangup}
    previous = {sig: signal.signal(sig, handler) for sig, handler in handlers.items()}
    try:
        service = build_service(settings)
        running.append(service)
        try:
            service.start()
        except ServiceStartError as exc:
            log.error("callscreen cannot start: %s", exc)
            service.stop(drain_timeout_s=0)
            return 1
        stop.wait()
        service.stop()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    log.info("callscreen stopped")
    return 0
