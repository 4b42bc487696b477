"""`callscreen keys`: create, list and revoke API keys. ``create`` bootstraps the first admin key.

The secret is printed once, on stdout, and never stored (only its hash is).
"""

from __future__ import annotations

import argparse
import sys

from callscreen.records_setup import cli_actor, records_session
from callscreen.settings import Settings
from records import NotFoundError, Role
from records.errors import ConflictError
from records.keys import create_key, list_keys, revoke_key
from records.models import ApiKey

EXIT_NOT_FOUND = 1


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("keys", help="manage API keys (agent / manager / admin)")
    actions = parser.add_subparsers(dest="keys_action", metavar="ACTION", required=True)
    create = actions.add_parser("create", help="create a key and print it once")
    create.add_argument("--role", required=True, choices=[r.value for r in Role])
    create.add_argument("--label", default="", help="who or what uses the key (e.g. 'pbx-1', 'manager wang')")
    actions.add_parser("list", help="list keys (never their secrets)")
    revoke = actions.add_parser("revoke", help="revoke a key by id")
    revoke.add_argument("key_id", type=int)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    try:
        with records_session(settings) as session:
            if args.keys_action == "create":
                row, secret = create_key(session, Role(args.role), label=args.label, actor=cli_actor())
                done = f"key {row.id} ({row.role.value}) created; it is shown only this once\n"
                output = f"{secret}\n"
            elif args.keys_action == "list":
                output, done = "".join(_line(key) for key in list_keys(session)), ""
            else:
                revoke_key(session, args.key_id, actor=cli_actor())
                output, done = f"key {args.key_id} revoked\n", ""
    except (NotFoundError, ConflictError) as exc:
        sys.stderr.write(f"callscreen keys: {exc}\n")
        return EXIT_NOT_FOUND
    sys.stdout.write(output)  # only after the commit: a printed key is a stored key
    sys.stderr.write(done)
    return 0


def _line(key: ApiKey) -> str:
    state = f"revoked {key.revoked_at:%Y-%m-%d}" if key.revoked_at else "active"
    used = f"{key.last_used_at:%Y-%m-%d %H:%M}" if key.last_used_at else "never"
    return f"{key.id}\t{key.prefix}…\t{key.role.value}\t{state}\tused {used}\t{key.label}\n"
