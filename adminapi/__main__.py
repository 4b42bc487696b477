"""Run the admin API and manager page alone (without the SIP service)::

    python -m adminapi --database-url sqlite:///var/callscreen.db --port 8080

``callscreen serve`` is the normal way (it mounts the same app next to the SIP endpoint); this entry point is for
an admin-only node in front of a shared PostgreSQL. Loopback by default.
"""

from __future__ import annotations

import argparse
import secrets
from collections.abc import Sequence
from pathlib import Path

import uvicorn

from adminapi.app import create_app
from records.database import Database

DEFAULT_UPLOAD = 50 * 1024 * 1024


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m adminapi", description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--max-upload-bytes", type=int, default=DEFAULT_UPLOAD)
    parser.add_argument("--timezone", default="Asia/Shanghai")
    parser.add_argument("--salt-file", type=Path, help="caller-hash salt (the service's; random if not given)")
    parser.add_argument("--evidence-key", type=Path, help="Ed25519 key file for evidence packs (created if absent)")
    args = parser.parse_args(argv)
    salt = args.salt_file.read_bytes().strip() if args.salt_file else secrets.token_bytes(32)
    db = Database(args.database_url)
    db.migrate()
    app = create_app(
        db=db, max_upload_bytes=args.max_upload_bytes, salt=salt, timezone=args.timezone, evidence_key=args.evidence_key
    )
    uvicorn.run(app, host=args.host, port=args.port, log_level="info")
    db.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
