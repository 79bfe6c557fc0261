"""Command line for support staff: ``python -m gopay_support tickets list|show|set-status``
and ``python -m gopay_support privacy purge|erase`` (docs/privacy.md).

Exit codes: 0 done; 1 database or unexpected error; 2 bad usage; 3 unknown tracking number;
4 status change not allowed; 5 status changed but the user could not be notified (the change
is kept and the failure recorded on the history entry).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import httpx

from channels.toolkit import conversation
from channels.toolkit.outbox import DeliveryState, Outbox, OutboxWorker
from gopay_support.adapters.db import TicketStore
from gopay_support.adapters.rasa.client import RasaClient
from gopay_support.core.clock import utcnow
from gopay_support.core.errors import InvalidTransition, TicketError, TicketNotFound
from gopay_support.core.hours import ServiceHours
from gopay_support.core.pii import mask, mask_contact
from gopay_support.core.tickets.model import TRANSITIONS, Ticket, TicketStatus
from gopay_support.wiring import PROJECT_ROOT, Services, build_services, load_settings

DEFAULT_ENDPOINTS = PROJECT_ROOT / "endpoints.yml"

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_NOT_FOUND, EXIT_INVALID, EXIT_NOT_DELIVERED = 0, 1, 2, 3, 4, 5


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m gopay_support", description="Gopay support assistant tools"
    )
    parser.add_argument("--db", help="database URL (default: TICKETS_DB_URL or var/tickets.db)")
    areas = parser.add_subparsers(dest="area", required=True)
    tickets = areas.add_parser("tickets", help="support tickets")
    commands = tickets.add_subparsers(dest="command", required=True)

    statuses = [s.value for s in TicketStatus]
    listing = commands.add_parser("list", help="list tickets, newest first")
    listing.add_argument("--status", choices=statuses)
    listing.add_argument("--sender", help="only tickets filed by this conversation id")
    listing.add_argument("--limit", type=int, default=50)
    listing.add_argument("--json", action="store_true", help="machine-readable output")

    show = commands.add_parser("show", help="one ticket with its status history")
    show.add_argument("number", help="tracking number, e.g. GP-7K3D9Q2X (any case)")
    show.add_argument("--json", action="store_true")
    show.add_argument("--reveal", action="store_true", help="show the contact in full (masked by default)")

    change = commands.add_parser(
        "set-status",
        help="change the status and notify the user",
        description="Allowed: "
        + "; ".join(
            f"{s.value} -> {', '.join(sorted(t.value for t in TRANSITIONS[s])) or '(final)'}"
            for s in TicketStatus
        ),
    )
    change.add_argument("number")
    change.add_argument("status", choices=statuses)
    change.add_argument("--note", help="internal note kept in the history")
    change.add_argument("--actor", default="cli", help="who made the change (agent id)")
    change.add_argument(
        "--no-notify", action="store_true", help="record the change without pushing it to the user"
    )

    privacy = areas.add_parser("privacy", help="retention and erasure of customer data (docs/privacy.md)")
    privacy_commands = privacy.add_subparsers(dest="command", required=True)
    purge = privacy_commands.add_parser(
        "purge", help="remove conversations untouched for N days, and old handoff transcripts"
    )
    purge.add_argument(
        "--older-than-days", type=int, help="retention in days (default: GOPAY_RETENTION_DAYS, 180)"
    )
    purge.add_argument("--endpoints", default=str(DEFAULT_ENDPOINTS), help="the Rasa server's endpoints.yml")
    erase = privacy_commands.add_parser(
        "erase", help="erase one conversation and the personal fields of its tickets (a customer's request)"
    )
    erase.add_argument("conversation", help="the conversation id, e.g. telegram:123456")
    erase.add_argument("--endpoints", default=str(DEFAULT_ENDPOINTS), help="the Rasa server's endpoints.yml")
    return parser


def main(argv: Sequence[str] | None = None, *, rasa_transport: httpx.AsyncBaseTransport | None = None) -> int:
    """Run one command; ``rasa_transport`` replaces the network in tests."""
    args = build_parser().parse_args(argv)
    settings = load_settings()
    if args.db:
        settings = replace(settings, database_url=args.db)
    services = build_services(settings)
    store = services.tickets
    try:
        if args.area == "privacy":
            return _privacy(services, args)
        if args.command == "list":
            return _list(store, settings.hours, args)
        if args.command == "show":
            return _show(store, settings.hours, args)
        return asyncio.run(_set_status(services, args, rasa_transport))
    except TicketNotFound as exc:
        return _fail(str(exc), EXIT_NOT_FOUND)
    except InvalidTransition as exc:
        return _fail(str(exc), EXIT_INVALID)
    except TicketError as exc:
        return _fail(str(exc), EXIT_ERROR)
    except Exception as exc:  # noqa: BLE001 - e.g. database unreachable: one clear line
        return _fail(f"{type(exc).__name__}: {mask(str(exc))}", EXIT_ERROR)
    finally:
        services.database.dispose()


def _tracker_store(endpoints: str) -> Any:
    """The Rasa tracker store configured in ``endpoints`` (imports Rasa: slow, so only here)."""
    from rasa.core.tracker_store import TrackerStore
    from rasa.core.utils import read_endpoints_from_path

    config = read_endpoints_from_path(endpoints).tracker_store
    store = TrackerStore.create(config)
    inner = getattr(store, "_tracker_store", store)
    inner = getattr(inner, "_tracker_store", inner)  # FailSafe / Awaitable wrappers
    if not hasattr(inner, "purge_inactive"):
        raise TicketError(
            "the tracker store in "
            f"{endpoints} is not gopay_support.adapters.rasa.tracker_store.SQLTrackerStoreFastEvents"
        )
    return inner


def _privacy(services: Services, args: argparse.Namespace) -> int:
    if args.command == "erase":
        conversation = args.conversation
        numbers = services.tickets.forget_personal_data(conversation)
        services.handoffs.forget_transcripts(conversation)
        events = _tracker_store(args.endpoints).erase(conversation)
        print(
            f"erased {events} conversation events; personal fields removed from tickets: {numbers or 'none'}"
        )
        return EXIT_OK
    days = args.older_than_days if args.older_than_days is not None else services.settings.retention_days
    if days < 1:
        return _fail("--older-than-days must be at least 1", EXIT_USAGE)
    cutoff = utcnow() - timedelta(days=days)
    removed = _tracker_store(args.endpoints).purge_inactive(cutoff.timestamp())
    transcripts = services.handoffs.forget_transcripts_before(cutoff)
    print(
        f"removed {removed} conversations untouched for {days} days; "
        f"emptied {transcripts} handoff transcripts"
    )
    return EXIT_OK


def _list(store: TicketStore, hours: ServiceHours, args: argparse.Namespace) -> int:
    tickets = store.list(
        status=TicketStatus(args.status) if args.status else None, sender_id=args.sender, limit=args.limit
    )
    if args.json:
        print(json.dumps([_summary(t, hours) for t in tickets], ensure_ascii=False, indent=2))
        return EXIT_OK
    if not tickets:
        print("no tickets")
    for t in tickets:
        print(
            f"{t.tracking_number}  {t.status.value:<16} {t.priority.value:<6} "
            f"{t.category:<14} {_local(t.updated_at, hours)}  {mask_contact(t.contact)}"
        )
    return EXIT_OK


def _show(store: TicketStore, hours: ServiceHours, args: argparse.Namespace) -> int:
    ticket = store.require(args.number)
    data = _summary(ticket, hours, reveal=args.reveal)
    data.update(
        description=ticket.description,
        transaction_id=ticket.transaction_id,
        problem_time=ticket.problem_time,
        channel=ticket.channel,
        sender_id=ticket.sender_id,
        history=[
            {
                "from": h.from_status.value if h.from_status else None,
                "to": h.to_status.value,
                "at": _local(h.changed_at, hours),
                "actor": h.actor,
                "note": h.note,
                "notified_at": _local(h.notified_at, hours) if h.notified_at else None,
                "notify_error": h.notify_error,
            }
            for h in ticket.history
        ],
    )
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return EXIT_OK
    for key, value in data.items():
        if key != "history":
            print(f"{key:>15}: {'' if value is None else value}")
    print("        history:")
    for h in data["history"]:
        delivery = (
            "notified " + h["notified_at"]
            if h["notified_at"]
            else f"NOT notified ({h['notify_error']})"
            if h["notify_error"]
            else ""
        )
        print(
            f"  {h['at']}  {h['from'] or '-':>16} -> {h['to']:<16} by {h['actor']}"
            f"{'  ' + h['note'] if h['note'] else ''}  {delivery}".rstrip()
        )
    return EXIT_OK


async def _set_status(
    services: Services, args: argparse.Namespace, transport: httpx.AsyncBaseTransport | None
) -> int:
    store = services.tickets
    ticket, change = store.set_status(
        args.number, TicketStatus(args.status), actor=args.actor, note=args.note
    )
    before = change.from_status.value if change.from_status else "-"
    print(f"{ticket.tracking_number}: {before} -> {change.to_status.value}")
    if args.no_notify:
        return EXIT_OK
    # The push goes into the outbox first: if Rasa does not take it now, the agent console's
    # outbox worker keeps trying (the history entry shows the last error meanwhile).
    outbox = Outbox(services.database)
    push = conversation.ticket_update(change.id, ticket.tracking_number)
    outbox.enqueue(conversation.CHANNEL, ticket.sender_id, [push])
    settings = services.settings
    async with RasaClient(
        settings.rasa_url, settings.rasa_token, timeout=settings.tickets.notify_timeout, transport=transport
    ) as rasa:
        sender = conversation.rasa_sender(rasa, store)
        worker = OutboxWorker(outbox, {conversation.CHANNEL: sender}, name="cli-outbox")
        try:
            await worker.run_until_idle(timeout=settings.tickets.notify_timeout * 2)
        except asyncio.TimeoutError:
            pass
    delivery = outbox.delivery(push.key)
    if delivery is not None and delivery.state is DeliveryState.SENT:
        print("user notified")
        return EXIT_OK
    error = delivery.last_error if delivery is not None else "unknown"
    if delivery is not None and delivery.state is DeliveryState.PENDING:
        print(
            f"warning: status saved; the push is queued and retried by the agent console: {error}",
            file=sys.stderr,
        )
    else:
        print(f"warning: status saved, but the user could not be notified: {error}", file=sys.stderr)
    return EXIT_NOT_DELIVERED


def _summary(t: Ticket, hours: ServiceHours, reveal: bool = False) -> dict:
    return {
        "tracking_number": t.tracking_number,
        "status": t.status.value,
        "priority": t.priority.value,
        "category": t.category,
        "language": t.language,
        "contact": t.contact if reveal else mask_contact(t.contact),
        "created_at": _local(t.created_at, hours),
        "updated_at": _local(t.updated_at, hours),
    }


def _local(value: datetime, hours: ServiceHours) -> str:
    return f"{hours.local_time(value)} ({hours.timezone})"


def _fail(message: str, code: int) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code
