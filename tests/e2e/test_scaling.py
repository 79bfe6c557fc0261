"""The documented scaling path, run for real: two Rasa servers (each with its action
server) share a PostgreSQL tracker store, a Redis lock store and a PostgreSQL ticket store,
configured by deploy/endpoints.scale.yml. One conversation alternates between the servers
and must continue as if it were one."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg2
import pytest
import redis
import requests
from support.replies import texts

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

ROOT = Path(__file__).resolve().parents[2]
PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres", "dbname": "postgres"}


@pytest.fixture(scope="module")
def scale_database() -> str:
    name = f"gopay_scale_{uuid.uuid4().hex[:10]}"
    admin = psycopg2.connect(**PG)
    admin.autocommit = True
    admin.cursor().execute(f'CREATE DATABASE "{name}"')
    yield name
    admin.cursor().execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,)
    )
    admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}"')
    admin.close()


@pytest.fixture(scope="module")
def two_servers(start_stack, scale_database):
    prefix = f"gopaytest{uuid.uuid4().hex[:8]}"  # Rasa accepts only alphanumeric prefixes
    env = {
        "TRACKER_DB_HOST": "127.0.0.1",
        "TRACKER_DB_PORT": "5432",
        "TRACKER_DB_NAME": scale_database,
        "TRACKER_DB_USER": "postgres",
        "TRACKER_DB_PASSWORD": "",
        "REDIS_HOST": "127.0.0.1",
        "REDIS_PORT": "6379",
        "REDIS_DB": "0",
        "REDIS_KEY_PREFIX": prefix,
        "TICKETS_DB_URL": f"postgresql://postgres@127.0.0.1:5432/{scale_database}",
        "GOPAY_REDIS_URL": "redis://127.0.0.1:6379/0",  # the channels' rate limits, shared
        "GOPAY_REDIS_PREFIX": prefix,
        "GOPAY_REST_RATE_LIMIT": "30/60",  # the production default (tests otherwise raise it)
    }
    template = ROOT / "deploy" / "endpoints.scale.yml"
    first = start_stack(env=env, endpoints_template=template, name="scale-a")
    second = start_stack(env=env, endpoints_template=template, name="scale-b")
    yield first, second, prefix
    client = redis.Redis(host="127.0.0.1", port=6379)
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)


def tracker(stack, sender: str) -> dict:
    reply = stack.api("GET", f"/conversations/{stack.conversation(sender)}/tracker", timeout=10)
    reply.raise_for_status()
    return reply.json()


def test_a_conversation_continues_across_servers(two_servers, sender):
    first, second, _ = two_servers
    assert "智能客服" in texts(first.send(sender, "你好"))
    assert texts(second.send(sender, "提现三天了还没到账"))
    # The second server sees the whole conversation the first one started.
    events = [e for e in tracker(second, sender)["events"] if e["event"] == "user"]
    assert [e["text"] for e in events] == ["你好", "提现三天了还没到账"]
    # ...and a form started on one server is finished on the other.
    first.send(sender, "我要投诉")
    assert tracker(second, sender)["active_loop"].get("name") == "ticket_form"


def test_concurrent_messages_of_one_conversation_are_serialised(two_servers, sender):
    first, second, _ = two_servers
    messages = [f"hello {i}" for i in range(12)]

    def post(pair):
        index, text = pair
        return (first if index % 2 else second).send(sender, text)

    with ThreadPoolExecutor(12) as pool:
        replies = list(pool.map(post, enumerate(messages)))
    assert all(replies)
    events = tracker(first, sender)["events"]
    user_texts = [e["text"] for e in events if e["event"] == "user"]
    assert sorted(user_texts) == sorted(messages)
    # With the lock store, each user message is followed by its own bot turn before the
    # next user message is processed: no interleaving of two turns.
    kinds = [e["event"] for e in events if e["event"] in {"user", "bot"}]
    for index, kind in enumerate(kinds[:-1]):
        if kind == "user":
            assert kinds[index + 1] == "bot", f"turns interleaved: {kinds}"


def test_redis_lock_store_holds_the_conversation_lock(two_servers, sender):
    """A lock key with our prefix exists in Redis while a turn is being processed."""
    first, second, prefix = two_servers
    client = redis.Redis(host="127.0.0.1", port=6379)
    seen: set[bytes] = set()
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            seen.update(client.scan_iter(f"{prefix}:*"))

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        for index in range(12):
            (first if index % 2 else second).send(sender, "充值失败了怎么办")
    finally:
        done.set()
        watcher.join()
    assert f"{prefix}:lock:rest:{sender}".encode() in seen


def test_a_senders_rate_limit_counts_on_both_servers(two_servers):
    """30 messages a minute per REST sender, spread over two servers: 30 in all, not 60."""
    first, second, _ = two_servers
    sender = f"flood-{uuid.uuid4().hex[:8]}"
    statuses = []
    for index in range(34):
        server = first if index % 2 else second
        reply = requests.post(
            f"{server.config.rasa_url}/webhooks/rest/webhook",
            json={"sender": sender, "message": "你好"},
            timeout=30,
        )
        statuses.append(reply.status_code)
    assert statuses.count(200) == 30 and statuses.count(429) == 4, statuses
