"""``python -m gopay_support tickets ...`` and the status push, on a real SQLite store.

The push goes over real HTTP to a small local server that records what Rasa would receive.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from channels.toolkit import conversation
from channels.toolkit.outbox import Outbox, OutboxWorker
from gopay_support.adapters.db import Database, TicketStore
from gopay_support.adapters.rasa.client import RasaClient
from gopay_support.cli import main
from gopay_support.core.contact import ContactKind
from gopay_support.core.tickets.model import NewTicket, TicketStatus
from gopay_support.core.tickets.notify import TICKET_UPDATE_INTENT


class FakeRasa:
    """Records the trigger_intent calls; answers with ``status``."""

    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.calls: list[tuple[str, dict]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.calls.append((self.path, json.loads(body)))
                self.send_response(outer.status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args: object) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def rasa() -> Iterator[FakeRasa]:
    fake = FakeRasa()
    yield fake
    fake.server.shutdown()


@pytest.fixture
def db(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'tickets.db'}"


def store_on(url: str) -> TicketStore:
    return TicketStore(Database(url))


@pytest.fixture
def number(db: str) -> str:
    store = store_on(db)
    ticket, _ = store.create(
        NewTicket(
            "refund",
            "退款三天了还没到账，订单号 A123",
            "13812345678",
            ContactKind.PHONE,
            "user 1/web",
            channel="rest",
        ),
        "k",
    )
    return ticket.tracking_number


@pytest.fixture(autouse=True)
def _environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    monkeypatch.delenv("RASA_TOKEN", raising=False)
    yield monkeypatch


def run(db: str, *args: str, rasa_url: str = "http://127.0.0.1:9") -> int:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RASA_URL", rasa_url)
        return main(["--db", db, "tickets", *args])


def test_list_and_show(db: str, number: str, capsys) -> None:
    assert run(db, "list") == 0
    out = capsys.readouterr().out
    assert number in out and "138****5678" in out and "13812345678" not in out
    assert run(db, "list", "--status", "closed") == 0
    assert capsys.readouterr().out.strip() == "no tickets"
    assert run(db, "show", number.lower().replace("-", " "), "--json") == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["tracking_number"] == number and shown["contact"] == "138****5678"
    assert [h["to"] for h in shown["history"]] == ["open"]
    assert run(db, "show", number, "--reveal") == 0
    assert "13812345678" in capsys.readouterr().out


def test_set_status_records_history_and_pushes_to_the_conversation(
    db: str, number: str, rasa: FakeRasa, capsys
) -> None:
    assert (
        run(
            db,
            "set-status",
            number,
            "in_progress",
            "--note",
            "checking with bank",
            "--actor",
            "agent7",
            rasa_url=rasa.url,
        )
        == 0
    )
    assert "user notified" in capsys.readouterr().out
    path, body = rasa.calls[0]
    assert path == "/conversations/user%201%2Fweb/trigger_intent?output_channel=latest"
    last = store_on(db).require(number).history[-1]
    assert body == {
        "name": TICKET_UPDATE_INTENT,
        "entities": {"ticket_id": number, "gopay_outbox_key": f"status:{last.id}"},
    }
    last = store_on(db).require(number).history[-1]
    assert (last.to_status, last.actor, last.note) == (
        TicketStatus.IN_PROGRESS,
        "agent7",
        "checking with bank",
    )
    assert last.notified_at is not None and last.notify_error is None


def test_failed_push_keeps_the_status_change_and_the_push_for_later(
    db: str, number: str, rasa: FakeRasa, capsys
) -> None:
    # nothing listens on port 9: the push fails, the change stays, the push waits in the
    # outbox for the console's worker (here: a second run of the command's worker)
    assert run(db, "set-status", number, "resolved") == 5
    assert "queued and retried by the agent console" in capsys.readouterr().err
    ticket = store_on(db).require(number)
    assert ticket.status is TicketStatus.RESOLVED
    assert ticket.history[-1].notified_at is None and ticket.history[-1].notify_error
    outbox = Outbox.from_url(db)
    assert outbox.pending_count([conversation.CHANNEL]) == 1

    async def later() -> None:
        await asyncio.sleep(0.6)  # the first retry is due after half a second
        async with RasaClient(rasa.url) as client:
            sender = conversation.rasa_sender(client, store_on(db))
            await OutboxWorker(outbox, {conversation.CHANNEL: sender}).run_until_idle()

    asyncio.run(later())
    assert [body["name"] for _, body in rasa.calls] == [TICKET_UPDATE_INTENT]
    assert store_on(db).require(number).history[-1].notified_at is not None


def test_rasa_error_status_is_a_failed_push(db: str, number: str, rasa: FakeRasa) -> None:
    rasa.status = 404
    assert run(db, "set-status", number, "closed", rasa_url=rasa.url) == 5
    assert "HTTP 404" in store_on(db).require(number).history[-1].notify_error


def test_no_notify(db: str, number: str, rasa: FakeRasa) -> None:
    assert run(db, "set-status", number, "closed", "--no-notify", rasa_url=rasa.url) == 0
    assert rasa.calls == []


def test_clear_errors_and_exit_codes(db: str, number: str, capsys) -> None:
    assert run(db, "show", "GP-7K3D9Q2X") == 3
    assert "no ticket with tracking number 'GP-7K3D9Q2X'" in capsys.readouterr().err
    assert run(db, "set-status", "GP-7K3D9Q2X", "closed") == 3
    assert run(db, "set-status", number, "closed", "--no-notify") == 0
    assert run(db, "set-status", number, "in_progress", "--no-notify") == 4
    err = capsys.readouterr().err
    assert "cannot go from closed to in_progress" in err and "none (final)" in err
    with pytest.raises(SystemExit) as usage:
        run(db, "set-status", number, "done")
    assert usage.value.code == 2


def test_module_entry_point(db: str, number: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "gopay_support", "--db", db, "tickets", "show", "nope"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 3 and "no ticket with tracking number 'nope'" in result.stderr


def test_privacy_purge_and_erase(db: str, number: str, tmp_path, capsys) -> None:
    import asyncio
    import time

    import yaml
    from rasa.shared.core.events import UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from gopay_support.adapters.rasa.tracker_store import SQLTrackerStoreFastEvents

    tracker_db = tmp_path / "tracker.db"
    endpoints = tmp_path / "endpoints.yml"
    kind = "gopay_support.adapters.rasa.tracker_store.SQLTrackerStoreFastEvents"
    endpoints.write_text(
        yaml.safe_dump({"tracker_store": {"type": kind, "dialect": "sqlite", "db": str(tracker_db)}})
    )
    trackers = SQLTrackerStoreFastEvents(dialect="sqlite", db=str(tracker_db))
    old = time.time() - 40 * 86400
    for sender, at in (("rest:old", old), ("rest:new", time.time()), ("user 1/web", time.time())):
        asyncio.run(
            trackers.save(DialogueStateTracker.from_events(sender, [UserUttered("hi", timestamp=at)]))
        )

    assert (
        main(["--db", db, "privacy", "purge", "--older-than-days", "30", "--endpoints", str(endpoints)]) == 0
    )
    assert "removed 1 conversations" in capsys.readouterr().out
    assert asyncio.run(trackers.retrieve("rest:old")) is None
    assert asyncio.run(trackers.retrieve("rest:new")) is not None

    assert main(["--db", db, "privacy", "erase", "user 1/web", "--endpoints", str(endpoints)]) == 0
    assert number in capsys.readouterr().out
    assert asyncio.run(trackers.retrieve("user 1/web")) is None
    assert store_on(db).require(number).contact != "13812345678"
