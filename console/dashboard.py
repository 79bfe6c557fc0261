"""The supervisor dashboard: ``GET /api/dashboard`` (JSON) and ``GET /api/dashboard.csv``.

Only supervisors (``ConsoleSettings.supervisors``) get an answer; other agents get 403 and
the page does not show them the tab. Conversations come from Rasa's tracker store
(:class:`~gopay_support.adapters.rasa.tracker_events.TrackerEvents`), handoffs and tickets
from the app database; the counting is :mod:`gopay_support.core.analytics`.
"""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from console import security
from console.http import error
from console.settings import SUPERVISOR
from gopay_support.core import analytics
from gopay_support.core.clock import utcnow
from gopay_support.core.topics import TOPIC_TITLES

#: The longest period one request may ask for.
MAX_DAYS = 366
#: Tickets read for the "by status and age" figures.
MAX_TICKETS = 100_000


def _console(request: web.Request) -> Any:
    from console.app import CONSOLE

    return request.app[CONSOLE]


def period_of(request: web.Request, timezone: str) -> analytics.Period:
    today = utcnow().astimezone(ZoneInfo(timezone)).date()
    try:
        last = date.fromisoformat(request.query["to"]) if request.query.get("to") else today
        first = (
            date.fromisoformat(request.query["from"])
            if request.query.get("from")
            else last - timedelta(days=13)
        )
    except ValueError:
        raise web.HTTPBadRequest(
            text='{"error": "dates are YYYY-MM-DD", "code": "bad_date"}', content_type="application/json"
        ) from None
    if first > last or (last - first).days >= MAX_DAYS:
        raise web.HTTPBadRequest(
            text=f'{{"error": "from <= to, at most {MAX_DAYS} days", "code": "bad_range", '
            f'"params": {{"max": {MAX_DAYS}}}}}',
            content_type="application/json",
        )
    return analytics.Period(first, last, timezone)


async def compute(request: web.Request) -> analytics.Dashboard:
    console = _console(request)
    period = period_of(request, console.services.settings.hours.timezone)
    found: list[analytics.Conversation] = []
    if console.tracker is not None:
        events = await asyncio.to_thread(
            console.tracker.between, period.start.timestamp(), period.end.timestamp()
        )
        found = analytics.conversations(events)
    handoffs = console.handoffs.between(period.start, period.end)
    tickets = console.tickets.list(limit=MAX_TICKETS)
    return analytics.build(period, found, handoffs, tickets, utcnow())


def _supervisor(request: web.Request) -> web.Response | None:
    console = _console(request)
    if console.settings.role(security.agent_of(request)) != SUPERVISOR:
        return error("supervisors only", "supervisors_only", 403)
    return None


async def dashboard(request: web.Request) -> web.Response:
    refused = _supervisor(request)
    if refused is not None:
        return refused
    board = await compute(request)
    data = board.as_dict()
    data["tracker"] = _console(request).tracker is not None
    data["topic_titles"] = {k: {"zh": v.zh, "en": v.en} for k, v in TOPIC_TITLES.items()}
    return web.json_response(data)


async def dashboard_csv(request: web.Request) -> web.StreamResponse:
    refused = _supervisor(request)
    if refused is not None:
        return refused
    board = await compute(request)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerows(analytics.csv_rows(board))
    name = f"gopay-dashboard-{board.period.first.isoformat()}-{board.period.last.isoformat()}.csv"
    return web.Response(
        body=("\ufeff" + out.getvalue()).encode("utf-8"),  # the BOM lets spreadsheet apps read UTF-8
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/dashboard", dashboard)
    app.router.add_get("/api/dashboard.csv", dashboard_csv)
