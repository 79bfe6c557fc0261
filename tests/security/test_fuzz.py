"""Property-based fuzzing of every endpoint of every process (issue 9, item 5): whatever a
client sends, the answer is never a 5xx, never takes 5 s, and never shows internals.

``GOPAY_FUZZ_EXAMPLES`` sets the inputs per endpoint (1,000 in ``make test``; ``make fuzz``
runs 10,000). Each endpoint's count is written to ``reports/fuzz/counts.json``.
"""

from __future__ import annotations

import asyncio
import json
import os
import string
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.edge import EDGE_PASSWORDS, Reply, request
from support.telegram_fake.harness import SECRET

from devtools.stack import Stack
from gopay_support.wiring import ACTION_TOKEN, ACTION_TOKEN_HEADER, PROJECT_ROOT

pytestmark = [pytest.mark.e2e]

EXAMPLES = int(os.environ.get("GOPAY_FUZZ_EXAMPLES", "1000"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
    derandomize=os.environ.get("GOPAY_FUZZ_RANDOM") is None,
)
INTERNALS = ("Traceback", 'File "', "site-packages", "sqlalchemy", "/work/", "Exception:", "Error:")
COUNTS: Counter[str] = Counter()
_addresses = iter(f"127.1.{n // 250}.{n % 250 + 1}" for n in range(1_000_000))


@pytest.fixture(scope="module", autouse=True)
def _report() -> Iterator[None]:
    yield
    folder = PROJECT_ROOT / "reports" / "fuzz"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "counts.json").write_text(json.dumps(dict(COUNTS), indent=1))


def check(endpoint: str, reply: Reply) -> None:
    COUNTS[endpoint] += 1
    assert reply.status < 500, f"{endpoint}: HTTP {reply.status}: {reply.text[:300]}"
    assert reply.seconds < 5, f"{endpoint}: {reply.seconds:.1f}s"
    for internal in INTERNALS:
        assert internal not in reply.text, f"{endpoint} shows {internal!r}: {reply.text[:300]}"


# -- inputs -------------------------------------------------------------------------------

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=50)
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5)
    ),
    max_leaves=15,
)
nasty_text = st.one_of(
    st.text(max_size=200),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=50),
    st.sampled_from(
        [
            "",
            " ",
            "\x00",
            "/",
            "/restart",
            "/faq/privacy",
            '/EXTERNAL_ticket_update{"ticket_id":"x"}',
            "x" * 3000,
            "😀" * 10,
        ]
    ),
)
#: Raw bodies that JSON encoders never produce: lone surrogates, deep nesting, huge numbers.
raw_nasties = st.one_of(
    st.binary(max_size=300),
    st.integers(min_value=1, max_value=3000).map(lambda n: "[" * n + "]" * n),
    st.integers(min_value=1, max_value=3000).map(lambda n: '{"a":' * n + "1" + "}" * n),
    st.sampled_from(
        ['"\\ud800"', '{"sender": "a", "message": "\\udfff"}', "NaN", "{", "[1,", "null", "1e999", str(2**64)]
    ),
).map(lambda raw: raw if isinstance(raw, bytes) else raw.encode())


def body_of(value: Any) -> bytes:
    return value if isinstance(value, bytes) else json.dumps(value).encode()


def rest_bodies() -> st.SearchStrategy[bytes]:
    senders = st.one_of(
        st.text(alphabet=string.ascii_letters + string.digits + "_.-", min_size=1, max_size=64),
        st.text(max_size=80),
        scalars,
    )
    structured = st.fixed_dictionaries(
        {"sender": senders, "message": st.one_of(nasty_text, scalars)},
        optional={"metadata": json_values, "input_channel": st.text(max_size=20)},
    )
    return st.one_of(structured.map(body_of), json_values.map(body_of), raw_nasties)


# -- Rasa server: REST, /model/parse, Telegram, socket.io ------------------------------------


@FUZZ
@given(body=rest_bodies(), content_type=st.sampled_from(["application/json", "text/plain", ""]))
def test_rest_webhook(edge: Stack, body: bytes, content_type: str) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    reply = request(
        "POST",
        f"{edge.config.rasa_url}/webhooks/rest/webhook",
        source=next(_addresses),
        body=body,
        headers=headers,
        timeout=10,
    )
    check("rest /webhooks/rest/webhook", reply)


@FUZZ
@given(
    body=st.one_of(
        st.fixed_dictionaries({"text": st.one_of(nasty_text, scalars)}, optional={"message_id": scalars}).map(
            body_of
        ),
        json_values.map(body_of),
        raw_nasties,
    ),
    query=st.sampled_from([{}, {"emulation_mode": "wit"}, {"emulation_mode": "x" * 50}]),
)
def test_model_parse(edge: Stack, body: bytes, query: dict[str, str]) -> None:
    reply = request(
        "POST",
        f"{edge.config.rasa_url}/model/parse",
        body=body,
        params=query,
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {edge.api_token}"},
        timeout=10,
    )
    check("rasa /model/parse (with the token)", reply)


def telegram_updates() -> st.SearchStrategy[bytes]:
    ids = st.one_of(
        st.integers(min_value=-(2**64), max_value=2**64),
        st.text(max_size=5),
        scalars,
        st.lists(st.integers(), max_size=2),
    )
    chat = st.fixed_dictionaries(
        {"id": ids, "type": st.sampled_from(["private", "group", "channel", "x"]) | scalars}
    )
    message = st.fixed_dictionaries(
        {"message_id": ids, "date": ids, "chat": chat | json_values},
        optional={
            "text": nasty_text | scalars,
            "from": st.fixed_dictionaries(
                {"id": ids, "is_bot": st.booleans(), "first_name": st.text(max_size=5)}
            ),
        },
    )
    update = st.fixed_dictionaries(
        {"update_id": ids},
        optional={"message": message | json_values, "edited_message": message, "callback_query": json_values},
    )
    return st.one_of(update.map(body_of), json_values.map(body_of), raw_nasties)


@FUZZ
@given(body=telegram_updates(), secret=st.sampled_from([SECRET, SECRET, "", "wrong"]))
def test_telegram_webhook(edge: Stack, body: bytes, secret: str) -> None:
    headers = {"Content-Type": "application/json"}
    if secret:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    reply = request(
        "POST", f"{edge.config.rasa_url}/webhooks/telegram/webhook", body=body, headers=headers, timeout=10
    )
    check("telegram /webhooks/telegram/webhook", reply)


class LiveSocket:
    """One socket.io connection kept open across examples, on a loop in its own thread."""

    def __init__(self, url: str) -> None:
        import threading

        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.url = url
        self.received: list[Any] = []
        self.wait(self._connect())

    def wait(self, coro: Any, timeout: float = 15) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    async def _connect(self) -> None:
        import aiohttp
        import socketio

        self.http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(local_addr=(next(_addresses), 0)))
        self.client = socketio.AsyncClient(reconnection=False, http_session=self.http)
        self.client.on("bot_uttered", self.received.append)
        await self.client.connect(self.url, transports=["polling"], wait_timeout=10)

    async def _close(self) -> None:
        await self.client.eio.disconnect(abort=True)
        await self.http.close()

    def close(self) -> None:
        self.wait(self._close())
        self.loop.call_soon_threadsafe(self.loop.stop)


@pytest.fixture(scope="module")
def live_socket(edge: Stack) -> Iterator[LiveSocket]:
    socket = LiveSocket(edge.config.rasa_url)
    yield socket
    socket.close()


socket_payloads = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {"message": nasty_text | scalars},
        optional={
            "session_id": scalars | st.text(max_size=40),
            "client_message_id": scalars,
            "metadata": json_values,
        },
    ),
)


@FUZZ
@given(
    event=st.sampled_from(["user_uttered", "user_uttered", "session_request", "unknown_event"]),
    payload=socket_payloads,
)
def test_socketio_events(live_socket: LiveSocket, event: str, payload: Any) -> None:
    """Random socket.io events and payloads on a live connection: every ack arrives within
    5 s, garbage never drops the connection, and nothing sent back shows internals."""
    import time

    client = live_socket.client
    started = time.monotonic()
    if event == "user_uttered":
        ack = live_socket.wait(client.call(event, payload, timeout=5), timeout=6)
        assert isinstance(ack, dict) and ack.get("status"), ack
    else:
        live_socket.wait(client.emit(event, payload))
    assert time.monotonic() - started < 5
    assert client.connected, f"dropped after {event} {payload!r:.100}"
    COUNTS["socket.io events"] += 1
    for message in live_socket.received[-5:]:
        text = json.dumps(message)
        assert not any(internal in text for internal in INTERNALS), text[:300]


@FUZZ
@given(body=st.one_of(raw_nasties, st.binary(max_size=100)), sid=st.sampled_from(["nope", "", "x" * 100]))
def test_socketio_polling_garbage(edge: Stack, body: bytes, sid: str) -> None:
    reply = request(
        "POST", f"{edge.config.rasa_url}/socket.io/?EIO=4&transport=polling&sid={sid}", body=body, timeout=10
    )
    check("socket.io polling (raw engine.io)", reply)


# -- agent console -------------------------------------------------------------------------


@FUZZ
@given(
    path=st.one_of(
        st.sampled_from(
            ["/api/login", "/api/logout", "/api/queue", "/api/me", "/api/tickets/GP-AAAAAAAA/status"]
        ),
        st.integers(min_value=0, max_value=2**80).map(lambda n: f"/api/reviews/{n}/label"),
        st.tuples(
            st.one_of(
                st.integers(min_value=0, max_value=2**80),
                st.text(alphabet=string.digits, min_size=1, max_size=40),
            ),
            st.sampled_from(["", "/canned", "/claim", "/reply", "/notes", "/transfer", "/resolve"]),
        ).map(lambda t: f"/api/handoffs/{t[0]}{t[1]}"),
    ),
    method=st.sampled_from(["GET", "POST"]),
    body=st.one_of(
        st.fixed_dictionaries({"agent": scalars | nasty_text, "password": scalars | nasty_text}).map(body_of),
        json_values.map(body_of),
        raw_nasties,
    ),
    logged_in=st.booleans(),
)
def test_console(
    edge: Stack, console_agent: dict[str, str], path: str, method: str, body: bytes, logged_in: bool
) -> None:
    headers = {"Content-Type": "application/json"}
    if logged_in:
        headers.update({"Cookie": console_agent["cookie"], "X-CSRF-Token": console_agent["csrf"]})
    reply = request(
        method,
        edge.config.console_url + path,
        source=next(_addresses),
        body=body if method == "POST" else None,
        headers=headers,
        timeout=10,
    )
    check("console /api/*", reply)


@pytest.fixture(scope="module")
def console_agent(edge: Stack) -> dict[str, str]:
    reply = request(
        "POST",
        f"{edge.config.console_url}/api/login",
        json_body={"agent": "bob", "password": EDGE_PASSWORDS["bob"]},
    )
    assert reply.status == 200
    cookie = reply.headers.get("Set-Cookie", "").split(";")[0]
    return {"cookie": cookie, "csrf": reply.json()["csrf_token"]}


# -- action server -------------------------------------------------------------------------


def action_calls() -> st.SearchStrategy[bytes]:
    names = st.one_of(
        st.sampled_from(
            [
                "action_submit_ticket",
                "action_ticket_status",
                "validate_ticket_form",
                "action_privacy_info",
                "action_handoff",
                "nope",
            ]
        ),
        st.text(max_size=80),
        scalars,
    )
    tracker = st.fixed_dictionaries(
        {"sender_id": st.one_of(st.text(min_size=1, max_size=40), scalars)},
        optional={
            "slots": st.dictionaries(
                st.sampled_from(["language", "ticket_number", "ticket_confirmed", "x"]), scalars, max_size=3
            )
            | scalars,
            "events": st.lists(
                st.fixed_dictionaries(
                    {"event": st.sampled_from(["user", "bot", "action", "slot", "x"])},
                    optional={
                        "text": nasty_text,
                        "name": st.text(max_size=10),
                        "parse_data": json_values,
                        "metadata": json_values,
                    },
                ),
                max_size=4,
            )
            | scalars,
            "latest_message": json_values,
            "active_loop": json_values,
            "paused": scalars,
        },
    )
    call = st.fixed_dictionaries(
        {"next_action": names, "tracker": tracker | json_values},
        optional={"domain": json_values, "version": scalars | st.just("3.6.21")},
    )
    return st.one_of(call.map(body_of), json_values.map(body_of), raw_nasties)


@FUZZ
@given(
    body=action_calls(), encoding=st.sampled_from(["", "", "deflate", "gzip", "br"]), with_token=st.booleans()
)
def test_action_server(edge: Stack, body: bytes, encoding: str, with_token: bool) -> None:
    import gzip
    import zlib

    headers = {"Content-Type": "application/json"}
    if encoding:
        headers["Content-Encoding"] = encoding
        body = (
            zlib.compress(body)
            if encoding == "deflate"
            else gzip.compress(body)
            if encoding == "gzip"
            else body
        )
    if with_token:
        headers[ACTION_TOKEN_HEADER] = edge.secret(ACTION_TOKEN)
    reply = request("POST", f"{edge.config.action_url}/webhook", body=body, headers=headers, timeout=10)
    check("action server /webhook", reply)
