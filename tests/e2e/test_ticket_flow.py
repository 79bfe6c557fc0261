"""Support tickets end to end (issue 3): the real action server and Rasa server processes,
the trained model and the REST channel, in Chinese and in English.

Each test talks to the shared ``bot`` stack under fresh conversation ids and checks the
replies against the responses of domain/tickets.yml (the fixed text of the zh or en
variation) and the ticket database of that stack.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import requests
import yaml
from support.replies import texts

from devtools.stack import Stack
from gopay_support.adapters.db import Database, TicketStore
from gopay_support.core import tracking
from gopay_support.core.contact import ContactKind
from gopay_support.core.tickets.model import Ticket, TicketStatus
from gopay_support.wiring import ACTION_TOKEN, ACTION_TOKEN_HEADER

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).parents[2]
RESPONSES: dict[str, list[dict]] = {}
for _path in sorted((ROOT / "domain").glob("*.yml")):
    RESPONSES.update((yaml.safe_load(_path.read_text(encoding="utf-8")) or {}).get("responses") or {})

NUMBER_RE = re.compile(r"GP-[0-9A-HJKMNP-TV-Z]{8}")


def pattern(response: str, lang: str) -> re.Pattern:
    """The zh or en variation of a response as a regex, each placeholder matching anything."""
    variations = RESPONSES[response]
    chosen = next(v for v in variations if bool(v.get("condition")) == (lang == "en"))
    parts = re.split(r"\{\w+\}", chosen["text"].strip())
    return re.compile(".+?".join(re.escape(part) for part in parts), re.DOTALL)


def is_response(text: str, response: str, lang: str) -> bool:
    return pattern(response, lang).fullmatch((text or "").strip()) is not None


def said(replies: list[dict], response: str, lang: str) -> bool:
    """Whether one of the replies is exactly ``response`` in ``lang`` (values filled in)."""
    return any(is_response(r.get("text", ""), response, lang) for r in replies)


def button(choice: str) -> str:
    return f'/ticket_choose{{"ticket_choice":"{choice}"}}'


def new_sender() -> str:
    return f"test-{uuid.uuid4().hex}"


def store_of(stack: Stack) -> TicketStore:
    return TicketStore(Database(stack.environment()["TICKETS_DB_URL"]))


def tickets_of(stack: Stack, sender: str) -> list[Ticket]:
    """The tickets REST sender ``sender`` filed (its conversation is ``rest:<sender>``)."""
    store = store_of(stack)
    try:
        return store.list(sender_id=Stack.conversation(sender))
    finally:
        store.dispose()


def ticket(stack: Stack, number: str) -> Ticket:
    store = store_of(stack)
    try:
        return store.require(number)
    finally:
        store.dispose()


def tracker_of(stack: Stack, sender: str) -> dict:
    return stack.tracker(Stack.conversation(sender))


#: One conversation per language: what the user types at each step.
SCRIPT = {
    "zh": {
        "open": "我要提交工单",
        "category": "充值",
        "description": "我昨天充值了100元，银行卡已经扣款但钱包余额没有变化",
        "contact": "138 1234 5678",
        "contact_value": "13812345678",
        "contact_masked": "138****5678",
        "contact_last4": "5678",
        "other_contact": "li.ming@example.com",
        "other_contact_masked": "l***@example.com",
        "transaction": "交易号 TX20261124001",
        "time": "昨天下午3点左右",
        "faq": "客服几点上班？",
        "faq_response": "utter_faq/service_hours",
        "status": "{number} 处理得怎么样了",
        "status_no_number": "我的工单进度",
        "cancel": "算了",
        "invalid_contacts": ("12345", "不告诉你", "1234567"),
        "edit_contact": button("edit_contact"),
        "edit_category": "改一下类别",
        "submit": button("submit"),
    },
    "en": {
        "open": "I want to file a complaint",
        "category": "refund",
        "description": "The refund for my order from last week never arrived in my wallet",
        "contact": "Li.Ming@Example.com",
        "contact_value": "li.ming@example.com",
        "contact_masked": "l***@example.com",
        "contact_last4": "li.ming@example.com",
        "other_contact": "+62 812 3456 7890",
        "other_contact_masked": "+628****7890",
        "transaction": "TX20261124001",
        "time": "yesterday around 3pm",
        "faq": "how long does a refund take?",
        "faq_response": "utter_faq/refund_failed",
        "status": "what's the status of {number}?",
        "status_no_number": "check my ticket status",
        "cancel": "cancel",
        "invalid_contacts": ("12345", "my phone", "abc@"),
        "edit_contact": "change the contact",
        "edit_category": "wrong category",
        "submit": "yes",
    },
}
CATEGORY = {"zh": ("topup", "充值"), "en": ("refund", "Refund")}
LANGS = ["zh", "en"]


def fill_to_confirmation(bot: Stack, sender: str, lang: str) -> list[dict]:
    """Open the form and answer every question; returns the summary turn."""
    s = SCRIPT[lang]
    replies = bot.send(sender, s["open"])
    assert said(replies, "utter_ask_ticket_category", lang)
    titles = [b["title"] for r in replies for b in r.get("buttons", [])]
    assert CATEGORY[lang][1] in titles and len(titles) == 7
    assert said(bot.send(sender, s["category"]), "utter_ask_ticket_description", lang)
    assert said(bot.send(sender, s["description"]), "utter_ask_ticket_contact", lang)
    replies = bot.send(sender, s["contact"])
    assert said(replies, "utter_ticket_contact_ok", lang)
    assert s["contact_masked"] in texts(replies)
    assert said(replies, "utter_ask_ticket_transaction_id", lang)
    assert said(bot.send(sender, s["transaction"]), "utter_ask_ticket_problem_time", lang)
    summary = bot.send(sender, s["time"])
    assert said(summary, "utter_ticket_summary", lang)
    return summary


def submit(bot: Stack, sender: str, lang: str, text: str | None = None) -> str:
    replies = bot.send(sender, text or SCRIPT[lang]["submit"])
    assert said(replies, "utter_ticket_created", lang)
    assert said(replies, "utter_ticket_next_steps_staffed", lang) or said(
        replies, "utter_ticket_next_steps_off_hours", lang
    )
    numbers = NUMBER_RE.findall(texts(replies))
    assert len(set(numbers)) == 1, texts(replies)
    return numbers[0]


def file_ticket(bot: Stack, sender: str, lang: str) -> str:
    fill_to_confirmation(bot, sender, lang)
    return submit(bot, sender, lang)


# -- filing a ticket ---------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_file_a_ticket_start_to_finish(bot: Stack, sender: str, lang: str) -> None:
    s = SCRIPT[lang]
    summary = texts(fill_to_confirmation(bot, sender, lang))
    # the summary shows every field, the contact masked
    assert CATEGORY[lang][1] in summary and s["description"] in summary
    assert s["contact_masked"] in summary and s["contact_value"] not in summary
    assert "TX20261124001" in summary and s["time"] in summary
    number = submit(bot, sender, lang)
    assert tracking.normalize(number) == number

    [stored] = tickets_of(bot, sender)
    assert stored.tracking_number == number
    assert stored.category == CATEGORY[lang][0]
    assert stored.description == s["description"]
    assert stored.contact == s["contact_value"]
    assert stored.contact_kind is (ContactKind.PHONE if lang == "zh" else ContactKind.EMAIL)
    assert stored.transaction_id == "TX20261124001"
    assert stored.problem_time == s["time"]
    assert (stored.language, stored.channel, stored.sender_id) == (lang, "rest", f"rest:{sender}")
    assert stored.status is TicketStatus.OPEN
    assert [h.to_status for h in stored.history] == [TicketStatus.OPEN]


def test_category_is_prefilled_from_the_faq_just_asked(bot: Stack, sender: str) -> None:
    bot.send(sender, "充值失败了钱没到账")
    replies = bot.send(sender, "我要投诉")
    assert said(replies, "utter_ticket_category_prefilled", "zh") and "充值" in texts(replies)
    assert said(replies, "utter_ask_ticket_description", "zh")
    assert not said(replies, "utter_ask_ticket_category", "zh")


@pytest.mark.parametrize("lang", LANGS)
def test_vague_description_is_asked_again_with_a_hint(bot: Stack, sender: str, lang: str) -> None:
    s = SCRIPT[lang]
    bot.send(sender, s["open"])
    bot.send(sender, s["category"])
    replies = bot.send(sender, "我不能用了" if lang == "zh" else "it doesn't work")
    assert said(replies, "utter_ticket_description_vague", lang)
    assert said(replies, "utter_ask_ticket_description", lang)


@pytest.mark.parametrize("lang", LANGS)
def test_correct_a_field_at_the_confirmation(bot: Stack, sender: str, lang: str) -> None:
    s = SCRIPT[lang]
    fill_to_confirmation(bot, sender, lang)
    assert said(bot.send(sender, s["edit_contact"]), "utter_ask_ticket_contact", lang)
    replies = bot.send(sender, s["other_contact"])
    assert said(replies, "utter_ticket_contact_ok", lang)
    # straight back to the confirmation, with the new contact and everything else kept
    assert said(replies, "utter_ticket_summary", lang)
    assert s["other_contact_masked"] in texts(replies) and s["description"] in texts(replies)
    number = submit(bot, sender, lang)
    stored = ticket(bot, number)
    assert stored.contact != s["contact_value"]
    assert stored.contact_kind is (ContactKind.EMAIL if lang == "zh" else ContactKind.PHONE)
    assert stored.description == s["description"]


@pytest.mark.parametrize("lang", LANGS)
def test_correct_an_earlier_field_in_the_middle_of_the_form(bot: Stack, sender: str, lang: str) -> None:
    s = SCRIPT[lang]
    bot.send(sender, s["open"])
    bot.send(sender, s["category"])
    replies = bot.send(sender, s["edit_category"])
    assert said(replies, "utter_ask_ticket_category", lang)
    assert not said(replies, "utter_ticket_cancelled", lang)
    assert said(bot.send(sender, button("withdrawal")), "utter_ask_ticket_description", lang)
    bot.send(sender, s["description"])
    bot.send(sender, s["contact"])
    bot.send(sender, button("skip"))
    summary = bot.send(sender, button("skip"))
    assert ("提现" if lang == "zh" else "Withdrawal") in texts(summary)
    number = submit(bot, sender, lang, button("submit"))
    assert ticket(bot, number).category == "withdrawal"


@pytest.mark.parametrize("lang", LANGS)
def test_cancel_in_the_middle_of_the_form(bot: Stack, sender: str, lang: str) -> None:
    s = SCRIPT[lang]
    bot.send(sender, s["open"])
    bot.send(sender, s["category"])
    bot.send(sender, s["description"])
    replies = bot.send(sender, s["cancel"])
    assert said(replies, "utter_ticket_cancelled", lang)
    assert tickets_of(bot, sender) == []
    # the form is closed and its answers are gone: a new ticket starts from the beginning
    assert said(bot.send(sender, s["open"]), "utter_ask_ticket_category", lang)


@pytest.mark.parametrize("lang", LANGS)
def test_cancel_at_the_confirmation(bot: Stack, sender: str, lang: str) -> None:
    fill_to_confirmation(bot, sender, lang)
    assert said(bot.send(sender, SCRIPT[lang]["cancel"]), "utter_ticket_cancelled", lang)
    assert tickets_of(bot, sender) == []


@pytest.mark.parametrize("lang", LANGS)
def test_faq_in_the_middle_of_the_form_then_continue(bot: Stack, sender: str, lang: str) -> None:
    s = SCRIPT[lang]
    bot.send(sender, s["open"])
    bot.send(sender, s["category"])
    replies = bot.send(sender, s["faq"])
    assert said(replies, s["faq_response"], lang)
    assert said(replies, "utter_ask_ticket_description", lang)  # the form goes on
    assert said(bot.send(sender, s["description"]), "utter_ask_ticket_contact", lang)
    bot.send(sender, s["contact"])
    bot.send(sender, button("skip"))
    bot.send(sender, button("skip"))
    number = submit(bot, sender, lang)
    stored = ticket(bot, number)
    assert stored.description == s["description"]  # not the question
    assert stored.category == CATEGORY[lang][0]


@pytest.mark.parametrize("lang", LANGS)
def test_invalid_contact_three_times(bot: Stack, sender: str, lang: str) -> None:
    s = SCRIPT[lang]
    bot.send(sender, s["open"])
    bot.send(sender, s["category"])
    bot.send(sender, s["description"])
    first, second, third = s["invalid_contacts"]
    for attempt in (first, second):
        replies = bot.send(sender, attempt)
        assert said(replies, "utter_ticket_contact_invalid", lang)
        assert said(replies, "utter_ask_ticket_contact", lang)
    replies = bot.send(sender, third)
    assert said(replies, "utter_ticket_contact_failed", lang)
    assert not said(replies, "utter_ask_ticket_contact", lang)
    assert tickets_of(bot, sender) == []


# -- status lookup -----------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_status_as_the_owner(bot: Stack, sender: str, lang: str) -> None:
    s = SCRIPT[lang]
    number = file_ticket(bot, sender, lang)
    for text in (
        s["status"].format(number=number),
        s["status"].format(number=number.lower()),
        s["status_no_number"],
    ):
        replies = bot.send(sender, text)
        assert said(replies, "utter_ticket_status_open", lang), text
        assert number in texts(replies)
        assert not said(replies, "utter_ask_ticket_verification", lang)


@pytest.mark.parametrize("lang", LANGS)
def test_a_long_conversation_still_files_a_ticket_and_keeps_its_whole_history(
    bot: Stack, sender: str, lang: str
) -> None:
    """Past the tracker store's prediction window (the latest 10-20 user turns are read back
    each turn, gopay_support/adapters/rasa/tracker_store.py), FAQ answers, the ticket form
    and the status look-up still work; Rasa's API still returns every event."""
    s = SCRIPT[lang]
    # A question with no ticket category, so the form asks for one (a refund question
    # just before would pre-fill it).
    question = {"zh": "客服周末上班吗", "en": "is support open on weekends"}[lang]
    for _ in range(25):
        assert said(bot.send(sender, question), "utter_faq/service_hours", lang)
    number = file_ticket(bot, sender, lang)
    for _ in range(22):
        assert said(bot.send(sender, question), "utter_faq/service_hours", lang)
    replies = bot.send(sender, s["status"].format(number=number))
    assert said(replies, "utter_ticket_status_open", lang) and number in texts(replies)
    [stored] = tickets_of(bot, sender)
    assert stored.contact == s["contact_value"]
    events = tracker_of(bot, sender)["events"]
    assert len([e for e in events if e["event"] == "user"]) == 25 + 7 + 22 + 1


@pytest.mark.parametrize("lang", LANGS)
def test_status_from_another_sender(bot: Stack, sender: str, lang: str) -> None:
    s = SCRIPT[lang]
    number = file_ticket(bot, sender, lang)

    # refused without the contact
    other = new_sender()
    replies = bot.send(other, s["status"].format(number=number))
    assert said(replies, "utter_ask_ticket_verification", lang)
    assert not said(replies, "utter_ticket_status_open", lang)

    # shown with it
    replies = bot.send(other, s["contact_last4"])
    assert said(replies, "utter_ticket_status_open", lang) and number in texts(replies)

    # a third conversation guessing: locked after 3 wrong tries
    guesser = new_sender()
    assert said(bot.send(guesser, s["status"].format(number=number)), "utter_ask_ticket_verification", lang)
    for guess in ("1111", "2222"):
        replies = bot.send(guesser, guess)
        assert said(replies, "utter_ticket_verification_failed", lang)
        assert said(replies, "utter_ask_ticket_verification", lang)
    replies = bot.send(guesser, "3333")
    assert said(replies, "utter_ticket_locked", lang)
    assert not said(replies, "utter_ticket_status_open", lang)
    # a new lookup is refused at once: no more tries
    replies = bot.send(guesser, s["status"].format(number=number))
    assert said(replies, "utter_ticket_locked", lang)
    assert not said(replies, "utter_ask_ticket_verification", lang)
    # the owner is never locked out
    assert said(bot.send(sender, s["status"].format(number=number)), "utter_ticket_status_open", lang)


@pytest.mark.parametrize("lang", LANGS)
def test_status_number_asked_for_when_missing(bot: Stack, sender: str, lang: str) -> None:
    s = SCRIPT[lang]
    number = file_ticket(bot, new_sender(), lang)
    assert said(bot.send(sender, s["status_no_number"]), "utter_ask_ticket_number", lang)
    assert said(bot.send(sender, "GP-123"), "utter_ticket_number_invalid", lang)
    spaced = f"{number[:3].lower()} {number[3:7].lower()} {number[7:].lower()}"
    assert said(bot.send(sender, spaced), "utter_ask_ticket_verification", lang)
    assert said(bot.send(sender, s["cancel"]), "utter_ticket_status_cancelled", lang)


@pytest.mark.parametrize("lang", LANGS)
def test_unknown_number_answers_like_someone_elses(bot: Stack, lang: str) -> None:
    s = SCRIPT[lang]
    real = file_ticket(bot, new_sender(), lang)
    unknown = tracking.generate()
    assert store_of(bot).get(unknown) is None

    def conversation(number: str) -> list[str]:
        who = new_sender()
        turns = [
            bot.send(who, s["status"].format(number=number)),
            bot.send(who, "0000"),
            bot.send(who, s["cancel"]),
        ]
        return [texts(t).replace(number, "GP-XXXXXXXX") for t in turns]

    assert conversation(unknown) == conversation(real)


# -- robustness and pushed updates ---------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_restart_the_action_server_between_two_form_steps(bot: Stack, sender: str, lang: str) -> None:
    s = SCRIPT[lang]
    bot.send(sender, s["open"])
    bot.send(sender, s["category"])
    assert said(bot.send(sender, s["description"]), "utter_ask_ticket_contact", lang)
    bot.restart_actions()
    replies = bot.send(sender, s["contact"])
    assert said(replies, "utter_ticket_contact_ok", lang)
    bot.send(sender, button("skip"))
    bot.restart_actions()
    summary = bot.send(sender, button("skip"))
    assert said(summary, "utter_ticket_summary", lang) and s["description"] in texts(summary)
    number = submit(bot, sender, lang)
    assert [t.tracking_number for t in tickets_of(bot, sender)] == [number]


def cli(bot: Stack, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "gopay_support", "tickets", *args],
        env=bot.environment(),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def bot_texts(stack: Stack, sender: str) -> list[str]:
    return [e.get("text") or "" for e in tracker_of(stack, sender)["events"] if e["event"] == "bot"]


@pytest.mark.parametrize("lang", LANGS)
def test_status_change_reaches_the_conversation(bot: Stack, sender: str, lang: str) -> None:
    s = SCRIPT[lang]
    number = file_ticket(bot, sender, lang)
    before = len(bot_texts(bot, sender))

    done = cli(bot, "set-status", number.lower(), "in_progress", "--note", "checking the bank")
    assert done.returncode == 0, done.stderr
    assert "user notified" in done.stdout

    pushed = bot_texts(bot, sender)[before:]
    assert len(pushed) == 1
    assert is_response(pushed[0], "utter_ticket_update_in_progress", lang) and number in pushed[0]
    stored = ticket(bot, number)
    assert stored.status is TicketStatus.IN_PROGRESS
    assert stored.history[-1].notified_at is not None and stored.history[-1].note == "checking the bank"
    # the conversation goes on, and the lookup shows the new status
    assert said(bot.send(sender, s["status"].format(number=number)), "utter_ticket_status_in_progress", lang)

    # a change that is not allowed, and an unknown number: clear errors, nothing pushed
    assert cli(bot, "set-status", number, "open").returncode == 4
    assert cli(bot, "set-status", tracking.generate(), "resolved").returncode == 3
    assert len(bot_texts(bot, sender)) == before + 2  # the pushed update + the status answer


def test_status_change_is_pushed_to_a_socketio_conversation(bot: Stack) -> None:
    """The web chat (socket.io) can receive pushes: the update arrives on the open socket."""
    import asyncio
    import secrets

    import socketio

    async def scenario() -> tuple[str, list[str]]:
        received: list[dict] = []
        confirmed: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        client = socketio.AsyncClient(reconnection=False)
        client.on("bot_uttered", received.append)
        client.on("session_confirm", confirmed.set_result)
        await client.connect(
            bot.config.rasa_url, transports=["polling"], headers={"Origin": bot.config.rasa_url}
        )
        session = secrets.token_hex(16)
        await client.emit("session_request", {"session_id": session})
        conversation = await asyncio.wait_for(confirmed, 10)
        try:
            for text in (
                "我要提交工单",
                "充值",
                SCRIPT["zh"]["description"],
                "13812345678",
                button("skip"),
                button("skip"),
                button("submit"),
            ):
                await client.call("user_uttered", {"message": text, "session_id": session}, timeout=30)
            number = NUMBER_RE.findall("\n".join(m.get("text", "") for m in received))[0]
            before = len(received)
            done = await asyncio.to_thread(cli, bot, "set-status", number, "resolved")
            assert done.returncode == 0, done.stderr
            for _ in range(100):  # the push is emitted to the socket's room right away
                if len(received) > before:
                    break
                await asyncio.sleep(0.1)
            return number, [m.get("text", "") for m in received[before:]]
        finally:
            await client.eio.disconnect(abort=True)
            assert conversation == session

    number, pushed = asyncio.run(scenario())
    assert len(pushed) == 1 and number in pushed[0]
    assert is_response(pushed[0], "utter_ticket_update_resolved", "zh")
    stored = ticket(bot, number)
    assert stored.channel == "webchat" and stored.status is TicketStatus.RESOLVED


def test_status_change_while_the_form_is_open_keeps_the_form(bot: Stack, sender: str) -> None:
    number = file_ticket(bot, sender, "zh")
    assert said(bot.send(sender, "我要提交工单"), "utter_ask_ticket_category", "zh")
    assert cli(bot, "set-status", number, "waiting_for_user").returncode == 0
    pushed = bot_texts(bot, sender)[-2:]
    assert is_response(pushed[0], "utter_ticket_update_waiting_for_user", "zh")
    assert is_response(pushed[1], "utter_ask_ticket_category", "zh")  # asked again
    assert said(bot.send(sender, "充值"), "utter_ask_ticket_description", "zh")


def test_the_same_submit_delivered_twice_creates_one_ticket(bot: Stack, sender: str) -> None:
    fill_to_confirmation(bot, sender, "zh")
    state = tracker_of(bot, sender)
    state["slots"]["ticket_confirmed"] = "yes"  # what the form's last step sets
    domain = bot.api("GET", "/domain", headers={"Accept": "application/json"}).json()
    call = {
        "next_action": "action_submit_ticket",
        "sender_id": Stack.conversation(sender),
        "tracker": state,
        "domain": domain,
        "version": "3.6.21",
    }
    numbers = []
    for _ in range(2):  # Rasa retrying after a timeout sends exactly the same call
        reply = requests.post(
            f"{bot.config.action_url}/webhook",
            json=call,
            headers={ACTION_TOKEN_HEADER: bot.secret(ACTION_TOKEN)},  # as Rasa sends it
            timeout=30,
        )
        assert reply.status_code == 200
        created = [r for r in reply.json()["responses"] if r["response"] == "utter_ticket_created"]
        numbers.append(created[0]["ticket_id"])
    assert numbers[0] == numbers[1]
    assert [t.tracking_number for t in tickets_of(bot, sender)] == numbers[:1]


# -- nothing leaks -----------------------------------------------------------------------

SECRET_TEXT = "我的手机号 13900001111 邮箱 secret.user@example.com"


@pytest.mark.parametrize(
    "body",
    [
        # the tracker is not an object
        json.dumps({"next_action": "action_submit_ticket", "tracker": SECRET_TEXT}),
        # events of the wrong shape
        json.dumps(
            {
                "next_action": "validate_ticket_form",
                "sender_id": "x",
                "tracker": {
                    "sender_id": "x",
                    "slots": {},
                    "events": SECRET_TEXT,
                    "latest_message": {"text": SECRET_TEXT},
                },
            }
        ),
        # not JSON at all
        "{" + SECRET_TEXT,
    ],
    ids=["tracker-not-an-object", "events-not-a-list", "not-json"],
)
def test_action_server_error_body_leaks_no_tracker_or_user_text(bot: Stack, body: str) -> None:
    reply = requests.post(
        f"{bot.config.action_url}/webhook",
        data=body.encode(),
        headers={"Content-Type": "application/json", ACTION_TOKEN_HEADER: bot.secret(ACTION_TOKEN)},
        timeout=30,
    )
    assert 400 <= reply.status_code < 500
    assert set(reply.json()) <= {"error", "error_id", "action_name"}
    for fragment in ("13900001111", "secret.user", "我的手机号", "tracker", "events"):
        assert fragment not in reply.text


def test_logs_hold_no_unmasked_phone_or_email(bot: Stack, sender: str) -> None:
    """Runs a flow that uses a phone number, an e-mail address and a card number (in the
    description), then reads both processes' logs. Last in this module on purpose: the
    logs then also cover every flow above."""
    phone, email, card = "13977776666", "zhang.wei.test@example.com", "6222021234567890123"
    bot.send(sender, "我要提交工单")
    bot.send(sender, "充值")
    bot.send(sender, f"银行卡 {card} 充值100元扣款了但钱包没到账，邮箱 {email}")
    bot.send(sender, phone)
    bot.send(sender, button("skip"))
    bot.send(sender, button("skip"))
    number = submit(bot, sender, "zh", button("submit"))
    assert ticket(bot, number).contact == phone
    bot.send(new_sender(), f"查一下 {number} 的进度")
    values = [
        phone,
        email,
        card,
        "13812345678",
        "li.ming@example.com",
        "6281234567890",
        "13900001111",
        "secret.user@example.com",
    ]
    for process in ("actions", "rasa"):
        log = bot.log_path(process).read_text(encoding="utf-8", errors="replace")
        assert log, f"empty {process} log"
        leaked = [v for v in values if v in log or v.lower() in log.lower()]
        assert leaked == [], f"{process} log contains {leaked}"
