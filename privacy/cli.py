"""`hkbot privacy purge | export SENDER | delete SENDER`: retention and data-subject requests.

Each covers every store registered in `privacy.citizen_data` (conversations, feedback,
console review queue, handoffs and transcripts, turns, audit quotes), SQLite or PostgreSQL.

Light at import time (argparse and the bot.yml reader); the commands load SQLAlchemy when run, never Rasa.
"""
from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timezone
from typing import Any, Optional

from hkbot.bot_config import BotConfigError
from privacy.citizen_data import Retention, Where, citizen_stores
from privacy.config import PrivacyConfigError


def _open(args: argparse.Namespace) -> Any:
    from privacy.tracker_db import open_tracker_db  # start-up: SQLAlchemy loads when a command runs, not for `hkbot --help`

    return open_tracker_db(args.db)


def _bots(args: argparse.Namespace) -> Optional[list[str]]:
    return [args.bot] if getattr(args, "bot", None) else None


def _fail(message: str) -> int:
    print(f"hkbot privacy: {message}", file=sys.stderr)
    return 2


def _run(command: Any) -> Any:
    """Run a command; known problems become one clear line and exit status 2."""

    def run(args: argparse.Namespace) -> int:
        # start-up: these three load SQLAlchemy when a command runs, not for `hkbot --help`
        import sqlalchemy as sa

        from privacy.pseudonym import SenderKeyError
        from privacy.tracker_db import TrackerStoreError

        try:
            return command(args)
        except (TrackerStoreError, PrivacyConfigError, BotConfigError, SenderKeyError) as error:
            return _fail(str(error))
        except sa.exc.SQLAlchemyError as error:  # the console database is unreachable or not ours
            return _fail(f"cannot use the console database: {error.__class__.__name__}: {str(error).splitlines()[0][:200]}")

    return run


def purge_command(args: argparse.Namespace) -> int:
    from privacy.retention import cutoff_function, purge_before, strictest_cutoff  # start-up: SQLAlchemy loads when a command runs, not for `hkbot --help`

    if args.days is not None and args.days < 1:
        return _fail("--days must be at least 1")
    db = _open(args)
    cutoff = cutoff_function(args.days)
    bots = _bots(args)
    report = purge_before(db, cutoff, bots=bots, dry_run=args.dry_run)
    verb = "would delete" if args.dry_run else "deleted"
    if not report.cutoffs:
        print("no conversations stored")
    for label in sorted(report.cutoffs):
        before = datetime.fromtimestamp(report.cutoffs[label], tz=timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        print(f"{label}: {verb} {report.events.get(label, 0)} events ({report.conversations.get(label, 0)} whole conversations) older than {before}")
    retention = Retention(cutoff_of=cutoff, strictest=strictest_cutoff(cutoff), only=tuple(bots) if bots else None)
    for store in citizen_stores(Where(tracker_url=db.url, console_url=args.console_db)):
        if store.name == "conversations":
            continue
        result = store.purge(retention, dry_run=args.dry_run)
        done = [f"{verb} {result.deleted} rows"] if result.deleted else []
        if result.anonymised:
            done.append(f"{'would remove' if args.dry_run else 'removed'} the citizen link from {result.anonymised} rows")
        if result.rekeyed:
            done.append(f"{'would re-key' if args.dry_run else 're-keyed'} {result.rekeyed} unkeyed pseudonyms")
        print(f"{store.name}: {', '.join(done) if done else 'nothing older than retention'}")
    return 0


def export_command(args: argparse.Namespace) -> int:
    from privacy.subject_requests import export_sender  # start-up: SQLAlchemy loads when a command runs, not for `hkbot --help`

    record = export_sender(_open(args), args.sender, _bots(args), console_url=args.console_db)
    if not record["conversations"] and not record["other_records"]:
        print(f"nothing stored for sender {args.sender!r}", file=sys.stderr)
    print(json.dumps(record, ensure_ascii=False, indent=2, default=str))
    return 0


def delete_command(args: argparse.Namespace) -> int:
    from privacy.subject_requests import delete_sender  # start-up: SQLAlchemy loads when a command runs, not for `hkbot --help`

    report = delete_sender(_open(args), args.sender, _bots(args), console_url=args.console_db)
    if report.nothing:
        print(f"nothing stored for sender {args.sender!r}")
    for key, count in sorted(report.events.items()):
        print(f"deleted conversation {key}: {count} events")
    for name, count in sorted(report.other_rows.items()):
        print(f"deleted {count} rows from {name}")  # audit quotes: the line stays, the quote goes
    return 0


def register(commands: argparse._SubParsersAction, bench: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("privacy", help="retention and data access / erasure requests")
    actions = parser.add_subparsers(dest="privacy_command", metavar="ACTION", required=True)
    db_help = "SQLAlchemy URL of the conversations database (default: the server's, from HKBOT_ENDPOINTS or HKBOT_DATA_DIR)"
    console_help = "SQLAlchemy URL of the console database (default: the server's, from HKBOT_CONSOLE_DB or HKBOT_DATA_DIR)"

    purge = actions.add_parser("purge", help="delete citizen data older than each bot's retention_days (default 30), in every store")
    purge.add_argument("--days", type=int, help="keep this many days for every bot, overriding bot.yml")
    purge.add_argument("--bot", help="only this bot's rows (audit quotes, which belong to no one bot, are then left alone)")
    purge.add_argument("--dry-run", action="store_true", help="count what would be deleted, delete nothing")
    purge.add_argument("--db", help=db_help)
    purge.add_argument("--console-db", help=console_help)
    purge.set_defaults(func=_run(purge_command))

    export = actions.add_parser("export", help="print everything stored about a sender as JSON (data access request)")
    export.add_argument("sender", metavar="SENDER", help="the sender id the citizen's channel used")
    export.add_argument("--bot", help="only this bot's conversation")
    export.add_argument("--db", help=db_help)
    export.add_argument("--console-db", help=console_help)
    export.set_defaults(func=_run(export_command))

    delete = actions.add_parser("delete", help="erase everything stored about a sender (erasure request)")
    delete.add_argument("sender", metavar="SENDER", help="the sender id the citizen's channel used")
    delete.add_argument("--bot", help="only this bot's conversation")
    delete.add_argument("--db", help=db_help)
    delete.add_argument("--console-db", help=console_help)
    delete.set_defaults(func=_run(delete_command))
