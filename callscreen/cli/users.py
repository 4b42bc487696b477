"""`callscreen users`: people's accounts for the manager page. ``create --role admin`` makes the first admin.

The password is asked for twice on the terminal, or read from the first line of standard input with
``--password-stdin`` (for scripts); it is never an argument, which other users of the machine could read.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from callscreen.records_setup import cli_actor, records_session
from callscreen.settings import Settings
from records import Role
from records.base import utcnow
from records.errors import ConflictError, InvalidInputError, NotFoundError
from records.models import User
from records.users import create_user as create_account
from records.users import find_user, list_users, set_password, update_user

EXIT_FAILED = 1


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("users", help="manage people's log-ins to the manager page")
    actions = parser.add_subparsers(dest="users_action", metavar="ACTION", required=True)
    create = actions.add_parser("create", help="create a user (e.g. the first admin)")
    create.add_argument("username")
    create.add_argument("--role", required=True, choices=[r.value for r in Role])
    create.add_argument("--name", default="", help="the person's name as the page shows it")
    create.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    actions.add_parser("list", help="list users")
    reset = actions.add_parser("reset-password", help="set a temporary password the user must change")
    reset.add_argument("username")
    reset.add_argument("--password-stdin", action="store_true")
    disable = actions.add_parser("disable", help="stop a user from logging in (ends their sessions)")
    disable.add_argument("username")
    parser.set_defaults(func=run)


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        raise InvalidInputError("the two passwords differ")
    return first


def _existing(session_user: User | None, username: str) -> User:
    if session_user is None:
        raise NotFoundError(f"no user {username!r}")
    return session_user


def run(args: argparse.Namespace, settings: Settings) -> int:
    try:
        password = _password(args) if args.users_action in ("create", "reset-password") else ""
        with records_session(settings) as session:
            now = utcnow()
            if args.users_action == "create":
                user = create_account(session, args.username, password, Role(args.role), actor=cli_actor(),
                                      display_name=args.name, now=now)
                output = f"user {user.username} ({user.role.value}) created\n"
            elif args.users_action == "list":
                output = "".join(_line(u) for u in list_users(session))
            elif args.users_action == "reset-password":
                user = _existing(find_user(session, args.username), args.username)
                set_password(session, user, password, actor=cli_actor(), now=now, reset=True)
                output = f"password of {user.username} reset; it must be changed at the next log-in\n"
            else:
                user = _existing(find_user(session, args.username), args.username)
                update_user(session, user.id, actor=cli_actor(), now=now, disabled=True)
                output = f"user {user.username} disabled\n"
    except (NotFoundError, ConflictError, InvalidInputError) as exc:
        sys.stderr.write(f"callscreen users: {exc}\n")
        return EXIT_FAILED
    sys.stdout.write(output)
    return 0


def _line(user: User) -> str:
    state = f"disabled {user.disabled_at:%Y-%m-%d}" if user.disabled_at else "active"
    last = f"{user.last_login_at:%Y-%m-%d %H:%M}" if user.last_login_at else "never"
    return f"{user.id}\t{user.username}\t{user.role.value}\t{state}\tlast log-in {last}\t{user.display_name}\n"
