"""Fault benchmark (issue 11, item 7, second half): the load of bench/bench_load.py on the
scaled profile while one Rasa server, one action server, Redis and PostgreSQL are each
killed or stopped and brought back, counting lost and duplicated messages and tickets.

The scaled profile runs on a **private** Redis and PostgreSQL
(:mod:`devtools.private_services`), so stopping them hurts nobody else on the machine.
Each client behaves like a real one: every message carries a client message id, and a
connection error, a 5xx or a time-out makes it send the same message again with backoff
until it is answered (at most ``RETRY_LIMIT`` seconds), then it goes on with the
conversation. An answer saying the message is kept counts as acknowledged. Afterwards the
trackers' user events and the tickets table (SQL on the private PostgreSQL) are compared
with what the clients were told (:mod:`bench.fault_counts`).

Loopback only, bounded (``--max-seconds`` overall; every process and temporary folder is
removed at the end); prints JSON and writes reports/bench_faults.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_load import SCRIPTS, SUBMIT_STEP, Scaled, scaled_env, scaled_servers  # noqa: E402
from bench.fault_counts import Finding, Sent, classify  # noqa: E402
from devtools.private_services import PrivatePostgres, PrivateRedis  # noqa: E402
from gopay_support.core import catalogue  # noqa: E402

NUMBER_RE = re.compile(r"GP-[0-9A-HJKMNP-TV-Z]{8}")
KEPT = {catalogue.text("notice.temporarily_unavailable", lang) for lang in ("zh", "en")}
#: How long a client keeps sending one message before it gives up on it.
RETRY_LIMIT = 120.0
#: One try's time-out: longer than the Rasa server's patience with the action server (10 s).
TRY_TIMEOUT = 30.0
RETRIED_STATUSES = frozenset({500, 502, 503, 504})


@dataclass
class Attempted:
    """One message after all its tries."""

    conversation: str
    step: int
    text: str
    acknowledged: bool = False
    kept: bool = False
    ticket_promised: bool = False
    tries: int = 0
    first_sent: float = 0.0
    #: When the client got its 200 (0: never).
    answered_at: float = 0.0


@dataclass
class Journal:
    """Everything the clients saw, shared by their threads."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    messages: list[Attempted] = field(default_factory=list)
    #: (monotonic time, kind) of every failed try and every "kept" answer.
    troubles: list[tuple[float, str]] = field(default_factory=list)
    answered: list[float] = field(default_factory=list)
    submit_without_number: int = 0
    #: (when, conversation, what the bot said) of those submits.
    submit_replies: list[tuple[float, str, str]] = field(default_factory=list)
    #: Set when the clients should start no new message.
    closing: threading.Event = field(default_factory=threading.Event)
    #: Whether messages carry a client message id (without: a resend may be a second turn).
    client_ids: bool = True

    def trouble(self, kind: str) -> None:
        with self.lock:
            self.troubles.append((time.monotonic(), kind))


def send_until_answered(
    session: requests.Session, url: str, sender: str, message: Attempted, journal: Journal
) -> list[dict]:
    """Send one message until it is answered 200 (or ``RETRY_LIMIT`` passes), same client id."""
    body = {"sender": sender, "message": message.text}
    if journal.client_ids:
        body["client_message_id"] = uuid.uuid4().hex
    message.first_sent = time.monotonic()
    give_up = time.monotonic() + RETRY_LIMIT
    wait = 0.25
    while True:
        message.tries += 1
        try:
            reply = session.post(f"{url}/webhooks/rest/webhook", json=body, timeout=TRY_TIMEOUT)
            if reply.status_code == 200:
                answer = reply.json()
                message.acknowledged = True
                message.answered_at = time.monotonic()
                texts = " ".join(str(m.get("text", "")) for m in answer)
                message.kept = any(k in texts for k in KEPT)
                with journal.lock:
                    journal.answered.append(time.monotonic())
                if message.kept:
                    journal.trouble("answered: kept for later")
                return answer
            kind = f"http {reply.status_code}"
            if reply.status_code not in RETRIED_STATUSES:
                journal.trouble(kind)
                return []  # refused for good (4xx): a client would not send it again
        except requests.Timeout:
            kind = "time-out"
        except requests.RequestException as error:
            kind = type(error).__name__
        journal.trouble(kind)
        if time.monotonic() + wait > give_up:
            journal.trouble("client gave up on a message")
            return []
        time.sleep(wait)
        wait = min(wait * 2, 4.0)


def conversation_loop(url: str, lang: str, journal: Journal) -> None:
    session = requests.Session()
    while not journal.closing.is_set():
        sender = f"fault-{lang}-{uuid.uuid4().hex[:16]}"
        number = ""
        for step, template in enumerate(SCRIPTS[lang]):
            if journal.closing.is_set():
                return
            text = template.replace("{number}", number or "GP-00000000")
            message = Attempted(f"rest:{sender}", step, text)
            with journal.lock:
                journal.messages.append(message)
            answer = send_until_answered(session, url, sender, message, journal)
            if not message.acknowledged:
                break  # given up: a real customer would start over
            if step == SUBMIT_STEP:
                found = NUMBER_RE.findall(" ".join(str(m.get("text", "")) for m in answer))
                message.ticket_promised = bool(found) or message.kept
                number = found[0] if found else ""
                if not message.ticket_promised:
                    said = " | ".join(str(m.get("text", "")) for m in answer)
                    with journal.lock:
                        journal.submit_without_number += 1
                        journal.submit_replies.append((message.first_sent, message.conversation, said[:300]))


def guarded_loop(url: str, lang: str, journal: Journal) -> None:
    """A client whose own failure is counted, not lost with its thread."""
    try:
        conversation_loop(url, lang, journal)
    except Exception as error:  # noqa: BLE001 - reported as an error of the run
        journal.trouble(f"benchmark client: {type(error).__name__}")


@dataclass
class Fault:
    name: str
    #: Takes the component down (kill -9 / immediate stop).
    down: Callable[[], None]
    #: Brings it back; returns when it answers again.
    up: Callable[[], object]
    #: Seconds between down and up.
    away: float


def faults(scaled: Scaled, pg: PrivatePostgres, redis_server: PrivateRedis, away: float) -> list[Fault]:
    rasa, actions = scaled.stacks[0], scaled.stacks[1]
    return [
        Fault("rasa server kill -9", lambda: rasa.kill("rasa"), rasa.start_rasa, 3.0),
        Fault("action server kill -9", lambda: actions.kill("actions"), actions.start_actions, 3.0),
        Fault("redis kill -9", redis_server.kill, redis_server.start, away),
        Fault("postgresql stop -m immediate", pg.stop_immediately, pg.start, away),
    ]


def inject(schedule: list[Fault], warmup: float, settle: float) -> list[dict]:
    """Each fault in turn, with time to recover between them; when each happened."""
    timeline = []
    time.sleep(warmup)
    for fault in schedule:
        print(f"-- {fault.name}", flush=True)
        started = time.monotonic()
        fault.down()
        time.sleep(fault.away)
        fault.up()
        back = time.monotonic()
        timeline.append({"name": fault.name, "at": started, "back": back})
        time.sleep(settle)
    return timeline


def recovery(timeline: list[dict], journal: Journal, end: float) -> list[dict]:
    """Per fault: how long it was away, and until the last trouble a client saw in its window."""
    report = []
    for i, fault in enumerate(timeline):
        window_end = timeline[i + 1]["at"] if i + 1 < len(timeline) else end
        seen = [(t, kind) for t, kind in journal.troubles if fault["at"] <= t < window_end]
        kinds: dict[str, int] = {}
        for _, kind in seen:
            kinds[kind] = kinds.get(kind, 0) + 1
        last = max((t for t, _ in seen), default=fault["at"])
        report.append(
            {
                "fault": fault["name"],
                "brought_back_after_s": round(fault["back"] - fault["at"], 1),
                "clients_recovered_after_s": round(last - fault["at"], 1),
                "client_troubles": kinds,
            }
        )
    return report


def per_fault(timeline: list[dict], journal: Journal, findings: list[Finding]) -> dict[str, dict[str, int]]:
    """Losses and duplicates by the fault in whose window their message was answered (a
    turn in flight when the fault struck belongs to it), or sent if it never was."""
    sent_at = {(m.conversation, m.text): m.answered_at or m.first_sent for m in journal.messages}
    submits = {
        m.conversation: m.answered_at or m.first_sent for m in journal.messages if m.step == SUBMIT_STEP
    }
    started: dict[str, float] = {}
    for m in journal.messages:
        started.setdefault(m.conversation, m.first_sent)
    windows: dict[str, dict[str, int]] = {"before the first fault": {}} | {f["name"]: {} for f in timeline}
    for finding in findings:
        if finding.text:
            at = sent_at.get((finding.conversation, finding.text), 0.0)
        else:
            at = submits.get(finding.conversation, started.get(finding.conversation, 0.0))
        window = "before the first fault"
        for fault in timeline:
            if at >= fault["at"]:
                window = fault["name"]
        counted: dict[str, int] = windows[window]
        counted[finding.kind] = counted.get(finding.kind, 0) + 1
    return windows


def read_stores(database_url: str) -> tuple[dict[str, list[str]], dict[str, int], int]:
    """User texts per conversation (in order), tickets per conversation, pending inbox entries."""
    import psycopg2

    connection = psycopg2.connect(database_url)
    try:
        cursor = connection.cursor()
        cursor.execute(
            "SELECT sender_id, data FROM events WHERE type_name = 'user' AND sender_id LIKE 'rest:fault-%' "
            "ORDER BY id"
        )
        recorded: dict[str, list[str]] = {}
        for sender, data in cursor.fetchall():
            recorded.setdefault(sender, []).append(json.loads(data).get("text") or "")
        cursor.execute("SELECT sender_id, count(*) FROM tickets GROUP BY sender_id")
        tickets = {sender: int(n) for sender, n in cursor.fetchall()}
        cursor.execute("SELECT count(*) FROM inbox_messages WHERE state = 'pending'")
        pending = int(cursor.fetchone()[0])
        return recorded, tickets, pending
    finally:
        connection.close()


def settled_stores(database_url: str, limit: float) -> tuple[dict[str, list[str]], dict[str, int], float]:
    """The stores once every kept message was replayed (or ``limit`` passed)."""
    started = time.monotonic()
    while True:
        try:
            recorded, tickets, pending = read_stores(database_url)
        except Exception:  # noqa: BLE001 - the database may still be recovering
            pending = -1
        if pending == 0 or time.monotonic() - started > limit:
            time.sleep(3)  # anything doubled by a late replay shows up by now
            recorded, tickets, pending = read_stores(database_url)
            return recorded, tickets, time.monotonic() - started
        time.sleep(1)


def run(
    work: Path, conversations: int, warmup: float, away: float, settle: float, client_ids: bool = True
) -> dict:
    """Start the private services and the scaled profile, run the load under faults, count."""
    pg = PrivatePostgres()
    redis_server = PrivateRedis(work / "redis")
    database = "gopay_faults"
    try:
        pg.init()
        pg.start()
        pg.create_database(database)
        redis_server.start()
        env = scaled_env(database, pg.port, redis_server.port, "gopayfaults")
        env["GOPAY_REDIS_URL"] = redis_server.url
        with scaled_servers(work, env) as scaled:
            for lang in SCRIPTS:  # warm-up, not counted
                body = {"sender": f"warm-{lang}", "message": "hi"}
                requests.post(f"{scaled.url}/webhooks/rest/webhook", json=body, timeout=60)
            journal = Journal(client_ids=client_ids)
            schedule = faults(scaled, pg, redis_server, away)
            # The clients run until the last fault has settled; a message in flight then
            # still gets its retries.
            threads = [
                threading.Thread(
                    target=guarded_loop,
                    args=(scaled.url, "zh" if i % 2 else "en", journal),
                    daemon=True,
                )
                for i in range(conversations)
            ]
            started = time.monotonic()
            for thread in threads:
                thread.start()
            timeline = inject(schedule, warmup, settle)
            faults_over = time.monotonic()
            journal.closing.set()
            for thread in threads:
                thread.join(RETRY_LIMIT + TRY_TIMEOUT + 10)
            ended = time.monotonic()
            recorded, tickets, replay_wait = settled_stores(env["TICKETS_DB_URL"], 90)
    finally:
        redis_server.close()
        pg.close()
    sent = [Sent(m.conversation, m.text, m.acknowledged, m.ticket_promised) for m in journal.messages]
    counts = classify(sent, recorded, tickets)
    elapsed = ended - started
    tries = [m.tries for m in journal.messages]
    kinds: dict[str, int] = {}
    for _, kind in journal.troubles:
        kinds[kind] = kinds.get(kind, 0) + 1
    findings = counts.findings
    counts.findings = []
    return {
        "conversations": conversations,
        "client_message_ids": client_ids,
        "seconds": round(elapsed, 1),
        "throughput_msg_s": round(len(journal.answered) / elapsed, 1),
        "messages_kept_for_later": sum(1 for m in journal.messages if m.kept),
        "submit_answered_without_number_or_notice": journal.submit_without_number,
        "submit_replies_without_number": [
            {"after_start_s": round(t - started, 1), "conversation": c, "said": said}
            for t, c, said in journal.submit_replies[:10]
        ],
        "fault_times_s": {f["name"]: round(f["at"] - started, 1) for f in timeline},
        "tries_per_message_mean": round(statistics.mean(tries), 2) if tries else 0,
        "client_troubles": kinds,
        "faults": recovery(timeline, journal, faults_over),
        "replay_wait_s": round(replay_wait, 1),
        "counts": asdict(counts) | {"by_fault": per_fault(timeline, journal, findings)},
        "findings": [asdict(f) for f in findings[:30]],
    }


def _time_limit(signum: int, frame: FrameType | None) -> None:
    raise TimeoutError("the fault benchmark ran out of time")


def bounded_run(max_seconds: float, keep_logs: bool = False, **options: Any) -> dict:
    """:func:`run` in a temporary folder, stopped (and cleaned up) after ``max_seconds``;
    the report is also written to reports/bench_faults.json."""
    previous = signal.signal(signal.SIGALRM, _time_limit)
    signal.alarm(int(max_seconds))
    work = Path(tempfile.mkdtemp(prefix="bench-faults-"))
    try:
        report = {"machine": {"cpus": os.cpu_count(), "loadavg_before": os.getloadavg()}}
        report |= run(work, **options)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
        if keep_logs:
            logs = ROOT / "reports" / "bench_faults_logs"
            shutil.rmtree(logs, ignore_errors=True)
            for log in work.glob("*/*.log"):
                (logs / log.parent.name).mkdir(parents=True, exist_ok=True)
                shutil.copy(log, logs / log.parent.name / log.name)
        shutil.rmtree(work, ignore_errors=True)
    report["machine"]["loadavg_after"] = os.getloadavg()
    (ROOT / "reports").mkdir(exist_ok=True)
    (ROOT / "reports" / "bench_faults.json").write_text(json.dumps(report, indent=2, ensure_ascii=False))
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--conversations", type=int, default=16)
    parser.add_argument("--warmup", type=float, default=10, help="seconds of load before the first fault")
    parser.add_argument("--away", type=float, default=12, help="seconds Redis and PostgreSQL stay down")
    parser.add_argument("--settle", type=float, default=10, help="seconds of load after each fault")
    parser.add_argument("--max-seconds", type=float, default=900, help="hard limit for the whole run")
    parser.add_argument("--keep-logs", action="store_true", help="copy the servers' logs to reports/")
    parser.add_argument(
        "--no-client-ids", action="store_true", help="clients send no client message id (the code before)"
    )
    args = parser.parse_args(argv)
    report = bounded_run(
        args.max_seconds,
        args.keep_logs,
        conversations=args.conversations,
        warmup=args.warmup,
        away=args.away,
        settle=args.settle,
        client_ids=not args.no_client_ids,
    )
    print(json.dumps(report, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
