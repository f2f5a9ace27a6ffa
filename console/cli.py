"""`hkbot console add-user NAME --role ROLE` (password from stdin or a prompt), `hkbot console users`."""
from __future__ import annotations

import argparse
import getpass
import sys

from console.audit import CLI
from console.auth import ROLES, AuthError, add_user, users


def add_user_command(args: argparse.Namespace) -> int:
    if sys.stdin.isatty():
        password = getpass.getpass(f"Password for {args.name}: ")
        if getpass.getpass("Again: ") != password:
            print("hkbot console: the two passwords differ; nothing changed.", file=sys.stderr)
            return 1
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    try:
        user = add_user(args.name, args.role, password, by=CLI)
    except AuthError as error:
        print(f"hkbot console: {error}", file=sys.stderr)
        return 1
    print(f"{user.name}: {user.role}")
    return 0


def users_command(args: argparse.Namespace) -> int:
    for user in users():
        print(f"{user.name}\t{user.role}\t{'active' if user.active else 'disabled'}")
    return 0


def register(commands: argparse._SubParsersAction, bench: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("console", help="operator console users (the console itself is served at /console)")
    sub = parser.add_subparsers(dest="console_command", metavar="ACTION", required=True)
    add = sub.add_parser("add-user", help="create a console user, or reset their role and password (password from stdin or a prompt)")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=ROLES)
    add.set_defaults(func=add_user_command)
    listing = sub.add_parser("users", help="list console users and their roles")
    listing.set_defaults(func=users_command)
