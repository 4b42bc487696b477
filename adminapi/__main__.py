"""Run the admin API and manager page alone (without the SIP service)::

    python -m adminapi --database-url sqlite:///var/callscreen.db --port 8080

``callscreen serve`` is the normal way (it mounts the same app next to the SIP endpoint); this entry point is for
an admin-only node in front of a shared PostgreSQL. Loopback by default. With no screener beside it, it keeps its
own in-memory number lists for ``/lookup`` with the same :class:`~records.listsync.ListSync` that ``serve`` runs
(load at start, then a version poll every ``--list-poll-s``); while they are not loaded the database answers.
"""

from __future__ import annotations

import argparse
import logging
import secrets
from collections.abc import Callable, Sequence
from pathlib import Path

import uvicorn

from adminapi.app import create_app
from records.database import Database
from records.errors import StorageError
from records.listsync import DEFAULT_INTERVAL_S, ListSync
from records.lookup import MemoryLists

DEFAULT_UPLOAD = 50 * 1024 * 1024
MAX_KEY_CACHE_TTL_S = 30.0
log = logging.getLogger("adminapi")


def _bounded(low: float, high: float) -> Callable[[str], float]:
    """An argparse type: a number of seconds within [low, high] (an out-of-range value is refused, not clamped)."""

    def parse(text: str) -> float:
        value = float(text)
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{text} is not within {low:g}..{high:g} seconds")
        return value

    return parse


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m adminapi", description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--max-upload-bytes", type=int, default=DEFAULT_UPLOAD)
    parser.add_argument("--timezone", default="Asia/Shanghai")
    parser.add_argument("--salt-file", type=Path, help="caller-hash salt (the service's; random if not given)")
    parser.add_argument("--evidence-key", type=Path, help="Ed25519 key file for evidence packs (created if absent)")
    parser.add_argument("--list-poll-s", type=_bounded(0.05, 60), default=DEFAULT_INTERVAL_S,
                        help="how often the in-memory lists check for changes (as database.list_poll_s)")
    parser.add_argument("--key-cache-ttl-s", type=_bounded(0, MAX_KEY_CACHE_TTL_S), default=5.0,
                        help="how long a verified API key is trusted without the database (0: off)")
    args = parser.parse_args(argv)
    salt = args.salt_file.read_bytes().strip() if args.salt_file else secrets.token_bytes(32)
    db = Database(args.database_url)
    db.migrate()
    memory = MemoryLists.empty()
    sync = ListSync(db, memory.enforced, interval_s=args.list_poll_s, proposals=memory.proposed)
    try:
        sync.start()
    except StorageError as exc:  # the poller keeps trying; meanwhile /lookup reads the database
        log.error("number lists not loaded (lookups read the database until they are): %s", exc)
    app = create_app(
        db=db, max_upload_bytes=args.max_upload_bytes, salt=salt, timezone=args.timezone,
        evidence_key=args.evidence_key, lists=memory, key_cache_ttl_s=args.key_cache_ttl_s,
    )  # fmt: skip
    try:
        # No access log: its lines carry the query string, and /lookup's is a caller number (personal data, as in
        # `serve`, which logs at warning); it was also a tenth of a lookup's CPU (BENCHMARKS.md).
        uvicorn.run(app, host=args.host, port=args.port, log_level="info", access_log=False)
    finally:
        sync.stop()
        db.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
