"""A conversation with a phone number, an e-mail address, a card number, an ID number and a
password, through every channel and every error path, leaves none of them in any log file
of any process (issue 9, item 7)."""

from __future__ import annotations

import json
import time
import uuid

import pytest
from support.edge import EDGE_PASSWORDS, Chat, fresh_address, request, run
from support.telegram_fake import FakeTelegram, load_update
from support.telegram_fake.harness import SECRET

from devtools.stack import Stack
from gopay_support.wiring import ACTION_TOKEN, ACTION_TOKEN_HEADER

pytestmark = [pytest.mark.e2e]

PHONE, EMAIL, CARD, ID_NUMBER = (
    "13712345698",
    "log.scan.user@example.com",
    "6222029876543210",
    "11010519491231002X",
)
PASSWORD, PASSWORD_ZH, PIN = "Hunter2secret", "abc98765", "8642"
VALUES = (PHONE, EMAIL, CARD, ID_NUMBER, PASSWORD, PASSWORD_ZH)
TEXT = (
    f"my phone {PHONE} mail {EMAIL} card {CARD} id {ID_NUMBER} my password is {PASSWORD} 密码是{PASSWORD_ZH}"
)


def drive_every_path(edge: Stack, fake: FakeTelegram) -> None:
    rasa, source = edge.config.rasa_url, fresh_address()
    sender = f"logscan-{uuid.uuid4().hex[:8]}"

    def rest(body: object, raw: bytes | None = None) -> None:
        request(
            "POST",
            f"{rasa}/webhooks/rest/webhook",
            source=source,
            body=raw,
            json_body=None if raw is not None else body,
            headers={"Content-Type": "application/json"},
        )

    # REST: a normal turn, an intent shortcut with digits (Rasa warns, quoting it), escaped
    # text, a ticket whose description holds everything, and malformed input.
    rest({"sender": sender, "message": TEXT})
    rest({"sender": sender, "message": f"/{PHONE}{CARD}"})
    rest({"sender": sender, "message": f'/faq{{"x": "{ID_NUMBER} my password is {PASSWORD}"}}'})
    rest({}, raw=json.dumps({"sender": sender, "message": "是" + PHONE}, ensure_ascii=True).encode())
    for text in ("我要提交工单", "充值", TEXT, PHONE, '/ticket_choose{"ticket_choice":"skip"}'):
        rest({"sender": sender, "message": text})
    rest({}, raw=("{" + TEXT).encode())
    rest({"sender": sender + ":" + PHONE, "message": TEXT})
    rest({"sender": sender, "message": TEXT * 100})
    # Rasa's API: a parse and a malformed parse.
    edge.api("POST", "/model/parse", json={"text": TEXT})
    edge.api("POST", "/model/parse", data=("{" + TEXT).encode(), headers={"Content-Type": "application/json"})
    request("GET", f"{rasa}/conversations/{PHONE}/tracker", source=source)

    # Web chat: a message, an over-long one and a malformed one.
    async def web_chat() -> None:
        async with Chat(rasa, source, rasa) as chat:
            await chat.session(None)
            await chat.say(TEXT)
            await chat.say(TEXT * 100)
            await chat.sio.call(
                "user_uttered", {"message": [TEXT], "metadata": {"language": TEXT}}, timeout=10
            )
            await chat.sio.emit("session_request", {"session_id": TEXT})

    run(web_chat())

    # Telegram: a message, a malformed update and a wrong secret.
    chat_id = 940000000 + int(time.time()) % 100000
    update = load_update(
        "private_text_en", update_id=900000000 + chat_id % 1000000, chat_id=chat_id, text=TEXT
    )
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"}
    request("POST", f"{rasa}/webhooks/telegram/webhook", body=json.dumps(update).encode(), headers=headers)
    broken = {**update, "update_id": 2**64, "message": {"chat": {"id": [PHONE]}, "text": TEXT}}
    request("POST", f"{rasa}/webhooks/telegram/webhook", body=json.dumps(broken).encode(), headers=headers)
    request("POST", f"{rasa}/webhooks/telegram/webhook", body=json.dumps(update).encode(), headers={})
    fake.wait_for(lambda: fake.sent_messages(chat_id), timeout=60)

    # Console: logins with personal data as name and password, a malformed body.
    console = edge.config.console_url
    request("POST", f"{console}/api/login", json_body={"agent": EMAIL, "password": PASSWORD})
    request("POST", f"{console}/api/login", json_body={"agent": "alice", "password": TEXT})
    request(
        "POST",
        f"{console}/api/login",
        body=("{" + TEXT).encode(),
        headers={"Content-Type": "application/json"},
    )
    request("POST", f"{console}/api/login", json_body={"agent": "alice", "password": EDGE_PASSWORDS["alice"]})

    # Action server: a call that fails inside an action (error record with a traceback) and
    # malformed calls, with and without the token.
    token = {ACTION_TOKEN_HEADER: edge.secret(ACTION_TOKEN), "Content-Type": "application/json"}
    failing = {
        "next_action": "action_ticket_status",
        "tracker": {
            "sender_id": f"rest:{PHONE}",
            "slots": {"ticket_number": TEXT},
            "events": [{"event": "user", "text": TEXT, "parse_data": TEXT}],
        },
        "version": "3.6.21",
    }
    for headers in (token, {"Content-Type": "application/json"}):
        request(
            "POST", f"{edge.config.action_url}/webhook", body=json.dumps(failing).encode(), headers=headers
        )
        request("POST", f"{edge.config.action_url}/webhook", body=("{" + TEXT).encode(), headers=headers)
        bad_name = {**failing, "next_action": f"action_{PHONE}\n{TEXT}"}
        request(
            "POST", f"{edge.config.action_url}/webhook", body=json.dumps(bad_name).encode(), headers=headers
        )
    time.sleep(3)  # let the processes flush


def test_no_personal_data_in_any_log(edge: Stack, edge_fake: FakeTelegram) -> None:
    drive_every_path(edge, edge_fake)
    logs = sorted(edge.config.run_dir.glob("*.log"))
    assert {p.stem for p in logs} >= {"rasa", "actions", "console"}
    leaks = {}
    for path in logs:
        text = path.read_text(encoding="utf-8", errors="replace")
        found = [v for v in VALUES if v in text or v.lower() in text.lower()]
        if found:
            leaks[path.name] = found
    assert leaks == {}, f"personal data in the logs: {leaks}"
