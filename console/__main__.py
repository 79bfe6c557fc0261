"""``python -m console [serve]`` runs the console; ``python -m console hash-password`` prints
the hash to put into ``GOPAY_AGENTS`` (``name:hash,...``)."""

from __future__ import annotations

import argparse
import getpass
import logging
import sys
from datetime import timedelta
from pathlib import Path

from aiohttp import web

from console import learning, passwords
from console.app import build_app
from console.settings import ConsoleSettings
from gopay_support.adapters import logmask
from gopay_support.adapters.db.reviews import ReviewStore
from gopay_support.adapters.rasa.tracker_events import TrackerEvents
from gopay_support.wiring import build_services, load_settings


def main(argv: list[str] | None = None) -> int:
    settings = ConsoleSettings.from_env()
    parser = argparse.ArgumentParser(prog="python -m console", description=__doc__)
    commands = parser.add_subparsers(dest="command")
    serve = commands.add_parser("serve", help="run the agent console (default)")
    serve.add_argument("--host", default=settings.host)
    serve.add_argument("--port", type=int, default=settings.port)
    hashing = commands.add_parser("hash-password", help="hash a password for GOPAY_AGENTS")
    hashing.add_argument(
        "--stdin", action="store_true", help="read the password from standard input instead of a prompt"
    )
    exporting = commands.add_parser(
        "export-reviewed", help="write the learning loop's reviewed examples to the training file"
    )
    exporting.add_argument("--out", type=Path, default=settings.reviewed_path)
    args = parser.parse_args(argv)

    if args.command == "export-reviewed":
        services = build_services(load_settings())
        try:
            store = ReviewStore(services.database)
            if settings.tracker_db_url:
                tracker = TrackerEvents(settings.tracker_db_url)
                learning.scan(tracker, store)
                tracker.dispose()
            result = learning.export(store, args.out, settings.heldout_glob)
        finally:
            services.database.dispose()
        print(f"{result['examples']} reviewed examples written to {result['path']}")
        for text in result["heldout_left_out"]:
            print(f"left out (in the held-out test set): {text}")
        return 0

    if args.command == "hash-password":
        if args.stdin:
            password = sys.stdin.readline().rstrip("\n")
        else:
            password = getpass.getpass("Password: ")
            if getpass.getpass("Repeat: ") != password:
                print("Passwords differ.", file=sys.stderr)
                return 1
        if len(password) < 8:
            print("Use at least 8 characters.", file=sys.stderr)
            return 1
        print(passwords.hash_password(password))
        return 0

    host = getattr(args, "host", settings.host)
    port = getattr(args, "port", settings.port)
    logmask.install()
    if not settings.agents:
        logging.getLogger(__name__).warning("no agent accounts: set GOPAY_AGENTS")
    services = build_services(
        load_settings(),
        session_lifetime=timedelta(minutes=settings.session_minutes),
        session_idle=timedelta(minutes=settings.idle_minutes),
    )
    web.run_app(build_app(services, settings), host=host, port=port, access_log=None, print=None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
