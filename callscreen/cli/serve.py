"""`callscreen serve`: start the SIP endpoint and the admin API; SIGTERM/SIGINT drain and stop cleanly."""

from __future__ import annotations

import argparse
import logging
import signal
import threading
from types import FrameType

from callscreen.settings import Settings

log = logging.getLogger(__name__)


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("serve", help="start the SIP endpoint and the admin API")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from callscreen.service import build_service  # heavy imports only for this command

    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        log.info("signal %s: stopping (in-flight calls finish or go to the agents)", signal.Signals(signum).name)
        stop.set()

    previous = {sig: signal.signal(sig, _on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        service = build_service(settings)
        service.start()
        stop.wait()
        service.stop()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    log.info("callscreen stopped")
    return 0
