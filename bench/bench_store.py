"""The tracker store's own share of a turn, in one process: read the conversation back
(``retrieve``), add one turn's events, ``save`` (one commit), on SQLite files, for Rasa's
``SQLTrackerStore`` as shipped and for this project's store, interleaved turn by turn so
both see the same machine load. Reports the median and p99 per turn early (turns 6-15) and
late (turns 86-95) in 100-turn conversations, to stdout and reports/bench_store.json.

The rest of a turn (NLU, policies, actions, HTTP) is measured by bench/bench_rest.py.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rasa.core.tracker_store import SQLTrackerStore  # noqa: E402
from rasa.shared.core.domain import Domain  # noqa: E402
from rasa.shared.core.events import (  # noqa: E402
    ActionExecuted,
    BotUttered,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker  # noqa: E402

from bench.bench_rest import percentile  # noqa: E402
from gopay_support.adapters.rasa.tracker_store import SQLTrackerStoreFastEvents  # noqa: E402

DOMAIN = Domain.from_path(ROOT / "domain")


def turn_events(n: int) -> list[Event]:
    parse = {"intent": {"name": "faq", "confidence": 0.98}, "entities": [], "text": f"message {n}"}
    return [
        UserUttered(f"message {n}", parse_data=parse),
        SlotSet("language", "zh" if n % 2 else "en"),
        ActionExecuted("utter_faq"),
        BotUttered(f"answer {n}", data={"elements": None, "buttons": None}),
        ActionExecuted("action_listen"),
    ]


async def one_turn(store: SQLTrackerStore, sender: str, n: int) -> float:
    started = time.perf_counter()
    tracker = await store.retrieve(sender)
    if tracker is None:
        tracker = DialogueStateTracker(sender, DOMAIN.slots)
        for event in (
            ActionExecuted("action_session_start"),
            SessionStarted(),
            ActionExecuted("action_listen"),
        ):
            tracker.update(event)
    for event in turn_events(n):
        event.timestamp = time.time()
        tracker.update(event)
    await store.save(tracker)
    return time.perf_counter() - started


def summary(values: list[float]) -> dict:
    return {
        "median_ms": round(statistics.median(values) * 1000, 2),
        "p99_ms": round(percentile(values, 0.99) * 1000, 2),
    }


async def run(turns: int, conversations: int, folder: Path) -> dict:
    stores = {
        "rasa_sql_store": SQLTrackerStore(DOMAIN, dialect="sqlite", db=str(folder / "rasa.db")),
        "this_store": SQLTrackerStoreFastEvents(DOMAIN, dialect="sqlite", db=str(folder / "ours.db")),
    }
    early: dict[str, list[float]] = {name: [] for name in stores}
    late: dict[str, list[float]] = {name: [] for name in stores}
    for c in range(conversations):
        for n in range(1, turns + 1):
            for name, store in stores.items():
                took = await one_turn(store, f"bench-{c}", n)
                if 6 <= n <= 15:
                    early[name].append(took)
                if turns - 14 <= n <= turns - 5:
                    late[name].append(took)
    return {
        name: {
            "early": summary(early[name]),
            "late": summary(late[name]),
            "late_vs_early": round(statistics.median(late[name]) / statistics.median(early[name]), 2),
        }
        for name in stores
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--turns", type=int, default=100)
    parser.add_argument("--conversations", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-store-") as folder:
        results = {
            "loadavg_before": os.getloadavg(),
            **asyncio.run(run(args.turns, args.conversations, Path(folder))),
            "loadavg_after": os.getloadavg(),
        }
    (ROOT / "reports").mkdir(exist_ok=True)
    (ROOT / "reports" / "bench_store.json").write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
