"""The learning loop in the console: review misunderstood messages, export training data.

* ``GET /api/reviews?status=pending|labelled|dismissed``: reads new conversations from the
  tracker store first (incrementally), then lists the items, with the labels to choose from;
* ``POST /api/reviews/{id}/label`` ``{"label": "faq/topup_failed"}``; ``{"label": null}``
  dismisses an item (noise); the same answer again changes nothing;
* ``POST /api/reviews/{id}/reopen``;
* ``POST /api/reviews/export``: writes every labelled example to the training file
  (``ConsoleSettings.reviewed_path``, ``data/nlu/reviewed.yml`` by default), leaving out
  texts of the held-out test set; ``make train`` then learns them;
* ``GET /api/reviews/training.yml``: the same file as a download.

``python -m console export-reviewed`` does the export without the web page.
"""

from __future__ import annotations

import asyncio
import glob
import logging
from pathlib import Path
from typing import Any

from aiohttp import web

from console import security
from console.http import error, json_body
from gopay_support.adapters.db.reviews import STATUSES, ReviewItem, ReviewNotFound, ReviewStore
from gopay_support.adapters.rasa.tracker_events import TrackerEvents
from gopay_support.core import review

log = logging.getLogger(__name__)

CURSOR = "nlu_review_events"


def _console(request: web.Request) -> Any:
    from console.app import CONSOLE

    return request.app[CONSOLE]


def scan(tracker: TrackerEvents, reviews: ReviewStore, batches: int = 20) -> int:
    """Read the tracker store's new events into the review list; returns items added."""
    added = 0
    for _ in range(batches):
        position = reviews.cursor(CURSOR)
        conversations, newest, fresh_since = tracker.after(position)
        if newest == position:
            break
        for sender_id, events in conversations.items():
            misses = review.misses(sender_id, events)
            added += reviews.record(misses, fresh_since.get(sender_id, 0.0))
        reviews.move_cursor(CURSOR, newest)
    return added


def heldout_texts(pattern: str) -> list[str]:
    texts: list[str] = []
    for name in sorted(glob.glob(pattern)):
        texts.extend(review.example_texts(Path(name).read_text(encoding="utf-8")))
    return texts


def export(reviews: ReviewStore, path: Path, heldout_pattern: str) -> dict[str, Any]:
    """Write the training file; returns what was written and what was left out."""
    labelled = reviews.labelled()
    heldout = heldout_texts(heldout_pattern)
    left_out = review.overlap([text for _, text in labelled], heldout)
    content = review.training_file(labelled, excluded=heldout)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(path.suffix + ".tmp")
    temporary.write_text(content, encoding="utf-8")
    temporary.replace(path)
    written = len(review.example_texts(content))
    log.info("learning loop: %s reviewed examples written to %s", written, path)
    return {"path": str(path), "examples": written, "heldout_left_out": left_out}


def _item(item: ReviewItem, lang: str) -> dict[str, Any]:
    return {
        "id": item.id,
        "text": item.text,
        "language": item.language,
        "reason": item.reason,
        "predicted": item.predicted,
        "predicted_title": review.label_title(item.predicted, lang) if item.predicted else "",
        "confidence": item.confidence,
        "seen": item.seen,
        "last_seen": item.last_seen.isoformat(),
        "status": item.status,
        "label": item.label,
        "reviewed_by": item.reviewed_by,
    }


async def reviews_list(request: web.Request) -> web.Response:
    console = _console(request)
    status = request.query.get("status", "pending")
    if status not in STATUSES and status != "all":
        return error("unknown status", "bad_status", 400)
    lang = request.query.get("lang", "zh")
    if console.tracker is not None:
        await asyncio.to_thread(scan, console.tracker, console.reviews)
    items = console.reviews.items(None if status == "all" else status)
    labels = [{"key": key, "zh": title.zh, "en": title.en} for key, title in review.LABELS.items()]
    return web.json_response(
        {
            "items": [_item(i, lang) for i in items],
            "counts": console.reviews.counts(),
            "labels": labels,
            "tracker": console.tracker is not None,
            "training_file": str(console.settings.reviewed_path),
        }
    )


async def label(request: web.Request) -> web.Response:
    console, agent = _console(request), security.agent_of(request)
    body = await json_body(request)
    value = body.get("label") if isinstance(body, dict) else None
    if value is not None and (not isinstance(value, str) or not review.is_label(value)):
        return error("unknown label", "bad_label", 400)
    try:
        item = console.reviews.label(int(request.match_info["id"]), value, agent)
    except ReviewNotFound:
        return error("no such item", "not_found", 404)
    return web.json_response(_item(item, request.query.get("lang", "zh")))


async def reopen(request: web.Request) -> web.Response:
    console = _console(request)
    try:
        item = console.reviews.reopen(int(request.match_info["id"]))
    except ReviewNotFound:
        return error("no such item", "not_found", 404)
    return web.json_response(_item(item, request.query.get("lang", "zh")))


async def export_file(request: web.Request) -> web.Response:
    console = _console(request)
    result = await asyncio.to_thread(
        export, console.reviews, console.settings.reviewed_path, console.settings.heldout_glob
    )
    log.info("console: %s exported the reviewed examples", security.agent_of(request))
    return web.json_response(result)


async def download(request: web.Request) -> web.Response:
    console = _console(request)
    heldout = heldout_texts(console.settings.heldout_glob)
    content = review.training_file(console.reviews.labelled(), excluded=heldout)
    return web.Response(
        text=content,
        content_type="application/x-yaml",
        charset="utf-8",
        headers={"Content-Disposition": 'attachment; filename="reviewed.yml"'},
    )


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/reviews", reviews_list)
    app.router.add_post("/api/reviews/export", export_file)
    app.router.add_get("/api/reviews/training.yml", download)
    app.router.add_post("/api/reviews/{id:\\d{1,18}}/label", label)
    app.router.add_post("/api/reviews/{id:\\d{1,18}}/reopen", reopen)
