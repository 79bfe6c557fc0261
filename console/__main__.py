"""``python -m console [serve]`` runs the console; ``python -m console hash-password`` prints
the hash to put into ``GOPAY_AGENTS`` (``name:hash,...``)."""

from __future__ import annotations

import argparse
import getpass
import logging
import sys

from aiohttp import web

from console import passwords
from console.app import build_app
from gopay_support import logmask
from gopay_support.config import settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m console", description=__doc__)
    commands = parser.add_subparsers(dest="command")
    serve = commands.add_parser("serve", help="run the agent console (default)")
    serve.add_argument("--host", default=settings().console.host)
    serve.add_argument("--port", type=int, default=settings().console.port)
    hashing = commands.add_parser("hash-password", help="hash a password for GOPAY_AGENTS")
    hashing.add_argument("--stdin", action="store_true",
                         help="read the password from standard input instead of a prompt")
    args = parser.parse_args(argv)

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

    host = getattr(args, "host", settings().console.host)
    port = getattr(args, "port", settings().console.port)
    logmask.install()
    if not passwords.agents():
        logging.getLogger(__name__).warning("no agent accounts: set GOPAY_AGENTS")
    web.run_app(build_app(), host=host, port=port, access_log=None, print=None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
