"""E-mail end to end: customers write to the support mailbox of a real Dovecot, the real
Rasa server (with the e-mail channel reading the mailbox over IMAPS) and action server
answer through the real SMTP relay (aiosmtpd, STARTTLS + AUTH), and the answers arrive in
the customers' own mailboxes, where a test reads them over IMAP. Agents use the real
console; status changes go through the ticket command line. Nothing leaves loopback.
"""

from __future__ import annotations

import itertools
import re
import subprocess
import sys
import time
from collections.abc import Callable
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
import requests
from support.email import inbox_outcomes
from support.mail import MailServer, customer_mail, mail_server_fixture, raw_mail  # noqa: F401

from channels.email.store import EmailStore
from console.passwords import hash_password
from devtools.stack import Stack
from gopay_support.adapters.db import Database, TicketStore
from gopay_support.core import language, tracking
from gopay_support.wiring import PROJECT_ROOT

pytestmark = pytest.mark.e2e

PASSWORD = "alice-e2e-password"
TAG_RE = re.compile(r"\[(GP-[0-9A-Z]{8})\]")
WAIT = 60.0
_customers = itertools.count(1)


@pytest.fixture(scope="module")
def stack(start_stack: Any, mail_server: MailServer) -> Stack:
    started = start_stack(
        name="email",
        env={
            **mail_server.env(),
            "GOPAY_EMAIL_POLL_SECONDS": "0.5",
            "GOPAY_AGENTS": f"alice:{hash_password(PASSWORD)}",
        },
    )
    wait_for(lambda: channel_status(started).get("mailbox_ready"), "the channel to open the mailbox")
    return started


@pytest.fixture(scope="module")
def app_db(stack: Stack) -> Database:
    database = Database(stack.environment()["TICKETS_DB_URL"])
    yield database
    database.dispose()


def channel_status(stack: Stack) -> dict[str, Any]:
    try:
        return requests.get(f"{stack.config.rasa_url}/webhooks/email/", timeout=5).json()
    except requests.RequestException:
        return {}


def wait_for(condition: Callable[[], Any], what: str, timeout: float = WAIT) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def new_customer(mail_server: MailServer, name: str) -> str:
    address = f"{name}{next(_customers)}@customer.example"
    mail_server.add_user(address)
    return address


def inbox(mail_server: MailServer, address: str) -> list[EmailMessage]:
    return [
        message_from_bytes(raw, policy=policy.default)  # type: ignore[misc]
        for _, raw in mail_server.messages(address)
    ]


def next_reply(mail_server: MailServer, address: str, count: int) -> EmailMessage:
    """The ``count``-th mail in the customer's mailbox, once it is there."""
    found = wait_for(
        lambda: len(mail_server.messages(address)) >= count and inbox(mail_server, address), "a reply"
    )
    return found[count - 1]


def body(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def write(mail_server: MailServer, sender: str, subject: str, text: str, **kwargs: Any) -> str:
    raw, message_id = customer_mail(sender, subject, text, **kwargs)
    mail_server.deliver(raw, mail_from=sender)
    return message_id


def user_texts(stack: Stack, conversation_id: str) -> list[str]:
    events = stack.tracker(conversation_id).get("events", [])  # Rasa's API needs its token
    return [e.get("text") for e in events if e.get("event") == "user"]


def tickets_of(app_db: Database, address: str) -> list[Any]:
    return [t for t in TicketStore(app_db).list(limit=200) if t.contact == address]


def sent_to(mail_server: MailServer, address: str) -> int:
    return sum(1 for sent in mail_server.sent if address in sent.rcpt_tos)


def test_a_chinese_faq_mail_is_answered_in_chinese_in_its_thread(stack: Stack, mail_server: MailServer):
    customer = new_customer(mail_server, "li")
    asked = write(mail_server, customer, "注册问题", "您好，请问怎么注册 Gopay 账号？谢谢！")
    reply = next_reply(mail_server, customer, 1)
    assert reply["In-Reply-To"] == asked
    assert asked in reply["References"]
    assert reply["Subject"] == "Re: 注册问题"
    assert reply["Auto-Submitted"] == "auto-replied"
    assert reply["Content-Language"] == "zh-CN"
    text = body(reply)
    assert "注册" in text and language.detect(text) == "zh"
    assert not TAG_RE.search(reply["Subject"])  # a question, not a problem: no ticket
    assert tickets_of(Database(stack.environment()["TICKETS_DB_URL"]), customer) == []


def test_an_english_faq_mail_is_answered_in_english(stack: Stack, mail_server: MailServer, app_db: Database):
    customer = new_customer(mail_server, "john")
    write(
        mail_server,
        customer,
        "Opening hours",
        "Hello,\nwhat are your customer service hours?\n\nThanks,\nJohn",
    )
    reply = next_reply(mail_server, customer, 1)
    assert reply["Subject"] == "Re: Opening hours"
    assert reply["Content-Language"] == "en"
    text = body(reply)
    assert re.search(r"\bhours\b", text, re.IGNORECASE) and "Thanks" not in text
    assert language.detect(text) == "en"  # (contact names such as the social account may be Chinese)
    assert tickets_of(app_db, customer) == []


def test_a_problem_mail_is_filed_as_a_ticket_and_the_thread_continues_it(
    stack: Stack, mail_server: MailServer, app_db: Database
):
    customer = new_customer(mail_server, "wang")
    first = write(
        mail_server,
        customer,
        "充值失败",
        "昨天我用银行卡 6222 0212 3456 7890 充值了200元，银行已经扣款，但是钱包余额一直没有到账。",
    )
    reply = next_reply(mail_server, customer, 1)
    tag = TAG_RE.search(reply["Subject"])
    assert tag, reply["Subject"]
    number = tag.group(1)
    assert tracking.is_valid(number)
    assert reply["Subject"] == f"Re: 充值失败 [{number}]"
    assert number in body(reply)
    [ticket] = tickets_of(app_db, customer)
    assert ticket.tracking_number == number
    assert ticket.channel == "email" and ticket.category == "topup"
    assert ticket.sender_id.startswith("email:email-")
    assert "6222 0212 3456 7890" not in ticket.description and "7890" in ticket.description
    assert "余额" in ticket.description

    # The customer answers in the thread, as a mail client does: Re:, the tag, References.
    second = write(
        mail_server,
        customer,
        reply["Subject"],
        "今天早上我又试了一次，还是充值失败，余额也没有变化，请尽快帮我处理。",
        in_reply_to=reply["Message-ID"],
        references=(first, reply["Message-ID"]),
    )
    followup = next_reply(mail_server, customer, 2)
    assert followup["In-Reply-To"] == second
    assert f"[{number}]" in followup["Subject"]
    assert len(tickets_of(app_db, customer)) == 1  # the same ticket, not a second one
    texts = user_texts(stack, ticket.sender_id)
    assert len(texts) == 2 and "又试了一次" in texts[1]


def test_a_reply_with_in_reply_to_only_still_finds_its_conversation(
    stack: Stack, mail_server: MailServer, app_db: Database
):
    customer = new_customer(mail_server, "ann")
    write(mail_server, customer, "Withdrawal", "Hi, how long does a withdrawal to my bank card take?")
    reply = next_reply(mail_server, customer, 1)
    write(mail_server, customer, "Re: Withdrawal", "Thank you!", in_reply_to=reply["Message-ID"])
    second = next_reply(mail_server, customer, 2)
    assert second["Subject"] == "Re: Withdrawal"
    store = EmailStore(app_db)
    key = store.conversation_of([reply["Message-ID"]])
    assert key is not None
    assert len(user_texts(stack, f"email:{key}")) == 2


def test_an_agent_answer_and_a_status_change_arrive_by_mail(
    stack: Stack, mail_server: MailServer, app_db: Database
):
    console = requests.Session()
    login = console.post(
        f"{stack.config.console_url}/api/login", json={"agent": "alice", "password": PASSWORD}, timeout=10
    )
    login.raise_for_status()
    csrf = {"X-CSRF-Token": login.json()["csrf_token"]}
    customer = new_customer(mail_server, "zhao")
    write(mail_server, customer, "Need help", "I want to talk to a human agent please.")
    queued = next_reply(mail_server, customer, 1)
    number = TAG_RE.search(queued["Subject"])
    assert number, queued["Subject"]  # the handoff's ticket is carried in the subject from now on

    def waiting() -> dict[str, Any] | None:
        queue = console.get(f"{stack.config.console_url}/api/queue", timeout=10).json()["queue"]
        return next((i for i in queue if i["channel"] == "email" and i["status"] == "waiting"), None)

    item = wait_for(waiting, "the mail conversation in the agents' queue")
    console.post(f"{stack.config.console_url}/api/handoffs/{item['id']}/claim", headers=csrf, timeout=10)
    answer = console.post(
        f"{stack.config.console_url}/api/handoffs/{item['id']}/reply",
        json={"text": "Hello, this is Alice from Gopay support. I am looking into it."},
        headers=csrf,
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    agent_mail = next_reply(mail_server, customer, 2)
    assert "this is Alice" in body(agent_mail)
    assert agent_mail["In-Reply-To"] == queued["Message-ID"]
    assert f"[{number.group(1)}]" in agent_mail["Subject"]
    assert agent_mail["Auto-Submitted"] == "no"  # a person wrote it

    # A ticket status change is pushed through Rasa into the conversation: it comes by mail.
    problem = new_customer(mail_server, "sun")
    write(
        mail_server, problem, "Refund", "My refund for the order of last week never arrived, it was 80 yuan."
    )
    filed = next_reply(mail_server, problem, 1)
    ticket_number = TAG_RE.search(filed["Subject"])
    assert ticket_number, filed["Subject"]
    env = {**stack.environment(), "PYTHONWARNINGS": "ignore"}
    cli = subprocess.run(
        [
            sys.executable,
            "-m",
            "gopay_support",
            "tickets",
            "set-status",
            ticket_number.group(1),
            "in_progress",
        ],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert cli.returncode == 0, cli.stdout + cli.stderr
    update = next_reply(mail_server, problem, 2)
    assert ticket_number.group(1) in body(update)
    assert re.search(r"in progress", body(update), re.IGNORECASE)
    assert update["Auto-Submitted"] == "auto-generated"
    assert update["In-Reply-To"] == filed["Message-ID"]


def test_auto_replies_and_bounces_are_ignored(stack: Stack, mail_server: MailServer, app_db: Database):
    before = len(mail_server.sent)
    handled = set(inbox_outcomes(app_db))
    for name in ("out_of_office_qq", "out_of_office_outlook", "bounce_dsn", "mailing_list"):
        mail_server.deliver(raw_mail(name))
    customer = new_customer(mail_server, "auto")
    write(
        mail_server,
        customer,
        "Automatic reply: your mail",
        "I am out of the office until Monday.",
        headers={"Auto-Submitted": "auto-replied"},
    )

    def outcomes() -> list[str] | None:
        found = {uid: o for uid, o in inbox_outcomes(app_db).items() if uid not in handled}
        return sorted(o or "" for o in found.values()) if len(found) == 5 and all(found.values()) else None

    done = wait_for(outcomes, "the five automatic mails to be processed")
    assert all(outcome.startswith("ignored:") for outcome in done), done
    time.sleep(1.0)
    assert len(mail_server.sent) == before  # nothing was answered


def test_a_restart_processes_nothing_again(stack: Stack, mail_server: MailServer, app_db: Database):
    customer = new_customer(mail_server, "restart")
    write(mail_server, customer, "Login", "How do I reset my login password?")
    next_reply(mail_server, customer, 1)
    outcomes_before = inbox_outcomes(app_db)
    sent_before = len(mail_server.sent)
    stack.stop("rasa")
    stack.start_rasa()
    wait_for(lambda: channel_status(stack).get("mailbox_ready"), "the channel to open the mailbox again")
    time.sleep(2.0)  # several polls
    assert inbox_outcomes(app_db) == outcomes_before
    assert len(mail_server.sent) == sent_before
    # ... and mail that arrives now is answered once.
    write(mail_server, customer, "Login again", "How do I change my phone number?")
    next_reply(mail_server, customer, 2)
    time.sleep(1.5)
    assert sent_to(mail_server, customer) == 2


def test_the_channel_reports_its_state_without_personal_data(stack: Stack, mail_server: MailServer):
    status = channel_status(stack)
    assert status == {"status": "ok", "mailbox_ready": True, "last_error": None}
    log = stack.log_path("rasa").read_text(errors="replace")
    assert "@customer.example" not in log.replace("***@customer.example", "")
    assert mail_server.support_password not in log and mail_server.smtp_password not in log
