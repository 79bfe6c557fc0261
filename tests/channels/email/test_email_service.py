"""The channel's handling of one mail, with a stand-in for Rasa (support.email): notices
for mails over the limits, the reply limit per sender, numbered options, problem reports
filed once, ticket details withheld from strangers, a replayed mail not asked twice."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from support.email import FakeConversations, inbox_outcomes, queued_mails
from support.mail import MailServer, customer_mail, mail_server_fixture, raw_mail  # noqa: F401
from support.services import make_services, sqlite_url

from channels.email.limits import MailLimits
from channels.email.output import BotMessage
from channels.email.service import EmailService
from channels.email.settings import EmailSettings
from channels.email.store import MailRef, Position, Thread
from gopay_support.core.contact import ContactKind
from gopay_support.core.tickets.model import NewTicket

CUSTOMER = "li@customer.example"


def make(tmp_path: Path, **changes: Any) -> tuple[EmailService, FakeConversations]:
    settings = EmailSettings(
        imap_host="127.0.0.1",
        imap_user="support@gopay.test",
        imap_password="x",
        imap_tls="none",
        smtp_host="127.0.0.1",
        smtp_tls="none",
        from_address="support@gopay.test",
        **changes,
    )
    service = EmailService(settings, make_services(sqlite_url(tmp_path)))
    conversations = FakeConversations()
    service.conversations = conversations  # type: ignore[assignment]
    return service, conversations


_uids = iter(range(1, 10_000))


def process(service: EmailService, raw: bytes, ref: MailRef | None = None) -> str:
    ref = ref or MailRef(service.mailbox_id, 1, next(_uids))
    return asyncio.run(service.process(ref, raw))


def queued(service: EmailService) -> list[Any]:
    return queued_mails(service.services.database)


def test_a_question_is_one_bot_turn_answered_by_one_mail_in_its_thread(tmp_path: Path) -> None:
    service, rasa = make(tmp_path)
    raw, message_id = customer_mail(CUSTOMER, "注册", "您好，请问怎么注册？\n\n谢谢")
    assert process(service, raw) == "turn"
    [turn] = rasa.turns
    assert turn.text == "请问怎么注册？"  # salutation and closing left out
    assert turn.sender_id.startswith("email:email-") and turn.input_channel == "email"
    assert turn.metadata["channel"] == "email" and "mail" in turn.metadata["email"]
    [reply] = queued(service)
    assert reply["In-Reply-To"] == message_id and reply["To"] == CUSTOMER
    assert reply.get_content().strip() == "答复"


def test_oversize_and_empty_mails_get_a_notice_and_never_reach_the_bot(tmp_path: Path) -> None:
    service, rasa = make(tmp_path, limits=MailLimits(max_message_bytes=2000))
    big, _ = customer_mail(CUSTOMER, "截图", "请看附件" + "。" * 2000)
    assert process(service, big) == "notice:too_large"
    empty, _ = customer_mail(CUSTOMER, "hello", "> only a quote of an earlier mail")
    assert process(service, empty) == "notice:empty"
    assert rasa.turns == []
    notices = [m.get_content() for m in queued(service)]
    assert "太大" in notices[0] and "正文" in notices[1]


def test_automatic_mail_is_ignored(tmp_path: Path) -> None:
    service, rasa = make(tmp_path)
    raw, _ = customer_mail(
        CUSTOMER, "Out of Office: 注册", "I am away.", headers={"Auto-Submitted": "auto-replied"}
    )
    assert process(service, raw) == "ignored:auto-submitted"
    own, _ = customer_mail("support@gopay.test", "loop", "hello")
    assert process(service, own) == "ignored:own-address"
    assert rasa.turns == [] and queued(service) == []


def test_a_sender_over_the_reply_limit_is_not_answered(tmp_path: Path) -> None:
    service, rasa = make(tmp_path, reply_limit=2)
    outcomes = [process(service, customer_mail(CUSTOMER, f"q{n}", "怎么注册？")[0]) for n in range(3)]
    assert outcomes == ["turn", "turn", "rate-limited"]
    assert process(service, customer_mail("wang@customer.example", "q", "怎么注册？")[0]) == "turn"
    assert len(rasa.turns) == 3 and len(queued(service)) == 3


def test_a_number_picks_the_option_of_the_threads_latest_answer(tmp_path: Path) -> None:
    service, rasa = make(tmp_path)
    rasa.answers = [
        BotMessage("哪一个？", ({"title": "充值", "payload": "/a"}, {"title": "提现", "payload": "/b"}))
    ]
    raw, first = customer_mail(CUSTOMER, "问题", "我有问题")
    process(service, raw)
    [reply] = queued(service)
    assert "1. 充值" in reply.get_content() and "2. 提现" in reply.get_content()
    answer, _ = customer_mail(
        CUSTOMER, "Re: 问题", "2", in_reply_to=reply["Message-ID"], references=(first, reply["Message-ID"])
    )
    assert process(service, answer) == "choice"
    assert rasa.turns[-1].text == "/b"
    assert rasa.turns[-1].sender_id == rasa.turns[0].sender_id


def test_a_problem_report_is_filed_once_and_a_second_one_in_the_thread_is_added(tmp_path: Path) -> None:
    service, rasa = make(tmp_path)
    rasa.parse_result = {
        "intent": {"name": "faq", "confidence": 0.9},
        "response_selector": {"faq": {"response": {"intent_response_key": "faq/topup_failed"}}},
    }
    text = "昨天充值了200元，卡号 6222 0212 3456 7890 已经扣款，但是余额没有到账。"
    raw, first = customer_mail(CUSTOMER, "充值失败", text)
    ref = MailRef(service.mailbox_id, 1, 500)
    assert process(service, raw, ref) == "ticket"
    [ticket] = service.services.tickets.list()
    assert (
        ticket.contact == CUSTOMER and ticket.contact_kind is ContactKind.EMAIL and ticket.category == "topup"
    )
    assert "6222 0212 3456 7890" not in ticket.description
    [reply] = queued(service)
    assert reply["Subject"] == f"Re: 充值失败 [{ticket.tracking_number}]"
    [(_, answers, slots)] = rasa.recorded
    assert [a.response for a in answers][:2] == ["utter_faq/topup_failed", "utter_ticket_created"]
    assert slots == {"ticket_number": ticket.tracking_number}

    again, _ = customer_mail(
        CUSTOMER,
        reply["Subject"],
        "今天又试了一次，还是没有到账。",
        in_reply_to=reply["Message-ID"],
        references=(first,),
    )
    assert process(service, again) == "ticket-followup"
    assert len(service.services.tickets.list()) == 1
    assert ticket.tracking_number in rasa.recorded[-1][1][0].text


def test_a_replayed_mail_reuses_its_turn_and_queues_no_second_answer(tmp_path: Path) -> None:
    service, rasa = make(tmp_path)
    raw, _ = customer_mail(CUSTOMER, "注册", "怎么注册？")
    ref = MailRef(service.mailbox_id, 1, 900)
    remember = service.store.remember_message_id

    def crash(*args: Any) -> None:  # the process dies right after the answer was queued
        raise RuntimeError("killed")

    service.store.remember_message_id = crash  # type: ignore[method-assign]
    with pytest.raises(RuntimeError):
        process(service, raw, ref)
    service.store.remember_message_id = remember  # type: ignore[method-assign]
    assert process(service, raw, ref) == "replayed"  # the inbox replays the entry
    assert len(rasa.turns) == 1 and len(queued(service)) == 1
    # The same mail again under another UID (a renumbered folder): known by its Message-ID.
    assert process(service, raw, MailRef(service.mailbox_id, 2, 1)) == "duplicate"
    assert len(rasa.turns) == 1 and len(queued(service)) == 1


@pytest.mark.parametrize(
    "sender,tagged,shown",
    [
        (CUSTOMER, True, True),  # the ticket's address, in a thread with its number
        (CUSTOMER, False, False),  # the right address, but the number is not in the thread
        ("mallory@evil.example", True, False),  # a stranger who knows the number
    ],
)
def test_ticket_details_go_only_to_its_address_in_a_thread_with_its_number(
    tmp_path: Path, sender: str, tagged: bool, shown: bool
) -> None:
    service, rasa = make(tmp_path)
    other, _ = service.services.tickets.create(
        NewTicket("topup", "x", CUSTOMER, ContactKind.EMAIL, sender_id="webchat:abc", channel="webchat"), "k1"
    )
    rasa.answers = [BotMessage(f"工单 {other.tracking_number} 的状态：处理中")]
    subject = f"工单 [{other.tracking_number}]" if tagged else "工单"
    process(service, customer_mail(sender, subject, "进度怎么样了")[0])
    [reply] = queued(service)
    assert (other.tracking_number in reply.get_content()) is shown
    assert ("工单详情只会发送到" in reply.get_content()) is not shown


def test_an_agent_message_is_mailed_in_the_thread(tmp_path: Path) -> None:
    service, _ = make(tmp_path)
    thread = Thread(key="email-abc", address=CUSTOMER, subject="充值", language="zh").with_message("<m1@x>")
    service.store.save_thread(thread)
    asyncio.run(
        service.output.send_response("email:email-abc", {"text": "您好，我是客服小王", "gopay_agent": "wang"})
    )
    asyncio.run(service.output.send_response("email:email-unknown", {"text": "lost"}))
    asyncio.run(service.output.send_response("telegram:1", {"text": "not ours"}))
    [mail] = queued(service)
    assert mail["To"] == CUSTOMER and mail["In-Reply-To"] == "<m1@x>" and mail["Auto-Submitted"] == "no"
    saved = service.store.thread("email-abc")
    assert saved is not None and saved.last_message_id == mail["Message-ID"]
    assert saved.options == ()


def test_a_reported_mail_notes_its_attachments_in_the_ticket_never_their_content(tmp_path: Path) -> None:
    service, rasa = make(tmp_path)
    rasa.parse_result = {"intent": {"name": "open_ticket", "confidence": 0.95}}
    assert process(service, raw_mail("attachments")) == "ticket"
    [ticket] = service.services.tickets.list()
    assert "退款收据.pdf (application/pdf" in ticket.description
    assert "setup.exe" in ticket.description and "fakepath" not in ticket.description
    assert ticket.contact == "bob@example.com" and ticket.channel == "email"


def test_the_intake_reads_new_mail_once_and_rereads_a_renumbered_folder(
    tmp_path: Path, mail_server: MailServer
) -> None:
    settings = EmailSettings.from_env(mail_server.env())
    assert settings is not None
    service = EmailService(settings, make_services(sqlite_url(tmp_path)))
    rasa = FakeConversations()
    service.conversations = rasa  # type: ignore[assignment]
    database = service.services.database
    old, _ = customer_mail(CUSTOMER, "old", "这封邮件在渠道开通前就在了？")
    mail_server.deliver(old)

    async def scenario() -> None:
        assert await service.poll_once() == 0  # first connection: what is there is left alone
        mail_server.deliver(customer_mail(CUSTOMER, "注册", "怎么注册？")[0])
        assert await service.poll_once() == 1
        await service.inbox.idle()
        assert await service.poll_once() == 0  # nothing twice
        assert sorted(o for o in inbox_outcomes(database).values()) == ["turn"]
        # The read position says another UIDVALIDITY (as after the server renumbered the folder)
        # and a mail arrives meanwhile. (Dovecot keeps its real UIDVALIDITY here, so the mail
        # read before is recognised by its inbox key; after a real renumbering its Message-ID
        # recognises it: test_a_replayed_mail_reuses_its_turn_and_queues_no_second_answer.)
        box = service.mailbox_id
        position = service.store.position(box)
        assert position is not None
        service.store.set_position(box, Position(position.uidvalidity + 1, 999))
        mail_server.deliver(customer_mail(CUSTOMER, "提现", "提现多久到账？")[0])
        assert await service.poll_once() == 3  # today's mails read again
        await service.inbox.idle()
        await service.inbox.stop()
        await asyncio.to_thread(service.mailbox.close)

    asyncio.run(scenario())
    # The old mail (never seen) and the new one are answered now; the first one not again.
    assert sorted(o or "" for o in inbox_outcomes(database).values()) == ["turn", "turn", "turn"]
    assert sorted(m.text for m in rasa.turns) == sorted(
        ["怎么注册？", "这封邮件在渠道开通前就在了？", "提现多久到账？"]
    )
