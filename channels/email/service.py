"""The e-mail channel at work: read the support folder, answer each new mail once.

One pass of the intake (:meth:`EmailService.poll_once`):

1. open the folder read-only; on the first connection start at its current end, so old
   mail is never answered; when the server renumbered the folder (a new UIDVALIDITY), read
   again what arrived since the day of the last poll (mail processed before is recognised
   by its Message-ID);
2. record each new UID in the shared inbox (:mod:`channels.toolkit.inbox`), committed,
   *before* the read position (:mod:`.store`) moves past it: a restart, or a second Rasa
   server on the same mailbox, processes nothing twice, and a mail a crash left unfinished
   is replayed by the inbox;
3. the inbox's workers process each mail (:meth:`EmailService.process`), in order per
   sender: automatic mail is ignored (:mod:`.noise`), the sender's reply rate is limited,
   mails over the limits get a notice, a number answers the latest numbered options, a
   problem report is filed as a ticket (:mod:`.triage`), anything else is a bot turn; the
   answer is one mail in the thread, enqueued in the shared outbox (:mod:`.outbox`) under a
   key derived from the mail, so a replay cannot send it twice.

Agent answers and status changes arrive through :meth:`EmailService.deliver` (Rasa's
``output_channel=latest``). Nothing personal is logged: conversation keys, masked addresses
and sizes only.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta
from email import policy
from email.parser import BytesParser

from rasa.core.channels.channel import UserMessage

from channels.email import limits as mail_limits
from channels.email import options as mail_options
from channels.email import texts, threads, transport
from channels.email.compose import FALLBACK_SUBJECTS, compose, compose_reply, wire_bytes
from channels.email.conversation import MAIL_KEY, RasaConversations, Say
from channels.email.noise import noise_reason
from channels.email.outbox import outgoing, send_mail
from channels.email.output import CHANNEL, BotMessage, EmailOutput, TurnCollector, mail_body
from channels.email.parse import IncomingMail, header, parse_mail, sender_address
from channels.email.settings import EmailSettings
from channels.email.store import EmailStore, MailRef, Position, Thread, mailbox_id
from channels.email.triage import Triage, bare_text, triage
from channels.toolkit import conventions
from channels.toolkit.backoff import Backoff
from channels.toolkit.inbox import Defer, Inbox, InboxEntry, InboxProcessor
from channels.toolkit.outbox import Outbox, OutboxWorker
from gopay_support.core import language, tracking
from gopay_support.core.clock import utcnow
from gopay_support.core.contact import ContactKind, parse_contact
from gopay_support.core.pii import mask
from gopay_support.core.ratelimit import SlidingWindowLimiter
from gopay_support.core.tickets.model import NewTicket, TicketStatus
from gopay_support.wiring import Services

logger = logging.getLogger(__name__)

_PROBLEM_NOTICES = {
    mail_limits.TOO_LARGE: texts.TOO_LARGE,
    mail_limits.TOO_MANY_ATTACHMENTS: texts.TOO_MANY_ATTACHMENTS,
    mail_limits.TOO_MANY_PARTS: texts.TOO_COMPLEX,
}
_UNFINISHED = {
    TicketStatus.OPEN,
    TicketStatus.IN_PROGRESS,
    TicketStatus.WAITING_FOR_USER,
    TicketStatus.RESOLVED,
}


class EmailService:
    def __init__(
        self,
        settings: EmailSettings,
        services: Services,
        *,
        store: EmailStore | None = None,
        inbox: Inbox | None = None,
        outbox: Outbox | None = None,
        mailbox: transport.Mailbox | None = None,
    ) -> None:
        self.settings = settings
        self.services = services
        self.store = store or EmailStore(services.database)
        self.outbox = outbox or Outbox(services.database)
        self.mailbox = mailbox or transport.Mailbox(settings)
        self.mailbox_id = mailbox_id(settings.imap_host, settings.imap_user, settings.imap_folder)
        self.inbox = InboxProcessor(
            inbox or Inbox(services.database),
            CHANNEL,
            self._handle_entry,
            give_up=self._gave_up,
            max_age=timedelta(seconds=settings.retry_seconds),
        )
        self.worker = OutboxWorker(self.outbox, {CHANNEL: send_mail(settings)}, name="email-outbox")
        self.limiter = SlidingWindowLimiter(settings.reply_limit, settings.reply_window)
        self.output = EmailOutput(self.deliver)
        self.conversations: RasaConversations | None = None
        self.ready = False
        self.last_error: str | None = None
        self._uidvalidity: int | None = None
        self._imap_lock = asyncio.Lock()
        self._intake_task: asyncio.Task[None] | None = None

    # -- lifecycle -----------------------------------------------------------------------
    def start(self, conversations: RasaConversations) -> None:
        self.conversations = conversations
        self.worker.start()
        self.inbox.start()  # replays mails a crash left unfinished
        self._intake_task = asyncio.get_running_loop().create_task(self._intake())

    async def stop(self) -> None:
        if self._intake_task is not None:
            self._intake_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._intake_task
            self._intake_task = None
        await self.inbox.stop()
        await self.worker.stop()
        async with self._imap_lock:
            await asyncio.to_thread(self.mailbox.close)

    async def _intake(self) -> None:
        backoff = Backoff(first=self.settings.poll_seconds, maximum=max(300.0, self.settings.poll_seconds))
        failures = 0
        while True:
            try:
                await self.poll_once()
                failures, self.last_error = 0, None
                delay = self.settings.poll_seconds
            except asyncio.CancelledError:
                raise
            except Exception as error:  # the mailbox or the database away: keep trying
                failures += 1
                delay = backoff.delay(failures)
                self.last_error = type(error).__name__
                logger.warning(
                    "email: reading the mailbox failed (%s); next try in %.0fs", self.last_error, delay
                )
            await asyncio.sleep(delay)

    # -- intake --------------------------------------------------------------------------
    async def poll_once(self) -> int:
        """Record every new mail of the folder in the inbox; the number recorded.

        Each mail is recorded (committed) in the shared inbox before the read position moves
        past it; the inbox's workers then process it (:meth:`_handle_entry`), in order per
        sender, and replay it after a crash.
        """
        if self.conversations is None or not self.conversations.ready:
            return 0
        async with self._imap_lock:
            folder = await asyncio.to_thread(self.mailbox.open)
        self._uidvalidity = folder.uidvalidity
        position = await asyncio.to_thread(self.store.position, self.mailbox_id)
        if position is None:
            async with self._imap_lock:
                highest = await asyncio.to_thread(self.mailbox.highest_uid)
            logger.info("email: first connection to the folder; mail already there is left alone")
            await asyncio.to_thread(
                self.store.set_position, self.mailbox_id, Position(folder.uidvalidity, highest)
            )
            self.ready = True
            return 0
        if position.uidvalidity != folder.uidvalidity:
            return await self._renumbered(folder.uidvalidity)
        self.ready = True
        async with self._imap_lock:
            uids = await asyncio.to_thread(self.mailbox.uids_after, position.last_uid)
        await self._record(folder.uidvalidity, uids)
        return len(uids)

    async def _renumbered(self, uidvalidity: int) -> int:
        """The server renumbered the folder: every UID is new. Mail that arrived since the
        day of the last poll is read again; what was processed before is known by its
        Message-ID and ignored (``duplicate``), so only mail that came in between is answered."""
        since = await asyncio.to_thread(self.store.position_updated, self.mailbox_id)
        day = (since or utcnow()).date()
        async with self._imap_lock:
            uids = await asyncio.to_thread(self.mailbox.uids_since, day)
        logger.warning(
            "email: the folder was renumbered (UIDVALIDITY); reading its %d mails since %s", len(uids), day
        )
        await self._record(uidvalidity, uids)
        if not uids:
            await asyncio.to_thread(self.store.set_position, self.mailbox_id, Position(uidvalidity, 0))
        self.ready = True
        return len(uids)

    async def _record(self, uidvalidity: int, uids: list[int]) -> None:
        """Record each mail in the inbox (committed), then move the read position past it."""
        for uid in uids:
            ref = MailRef(self.mailbox_id, uidvalidity, uid)
            async with self._imap_lock:
                headers = await asyncio.to_thread(self.mailbox.fetch, uid, True)
            await self.inbox.accept(
                _queue_of(headers),
                f"{ref.mailbox}/{ref.uidvalidity}/{ref.uid}",
                {"mailbox": ref.mailbox, "uidvalidity": ref.uidvalidity, "uid": ref.uid},
                sequence=uid,
            )
            await asyncio.to_thread(self.store.set_position, self.mailbox_id, Position(uidvalidity, uid))

    async def _handle_entry(self, entry: InboxEntry) -> dict[str, str]:
        """The inbox's handler: fetch the mail by its UID and process it."""
        ref = MailRef(
            str(entry.payload["mailbox"]), int(entry.payload["uidvalidity"]), int(entry.payload["uid"])
        )
        if self._uidvalidity is not None and ref.uidvalidity != self._uidvalidity:
            return {"outcome": "renumbered"}  # its UID means another mail now
        try:
            async with self._imap_lock:
                size = await asyncio.to_thread(self.mailbox.size, ref.uid)
                raw = None
                if size is not None:
                    too_large = size > self.settings.limits.max_message_bytes
                    raw = await asyncio.to_thread(self.mailbox.fetch, ref.uid, too_large)
        except transport.MailboxError as error:
            raise Defer(f"mailbox unavailable ({type(error).__name__})") from None
        outcome = "gone" if raw is None else await self.process(ref, raw, size)
        return {"outcome": outcome}

    async def _gave_up(self, entry: InboxEntry, reason: str) -> None:
        logger.error("email: mail %s given up: %s", entry.key, reason)

    # -- one mail ------------------------------------------------------------------------
    async def process(self, ref: MailRef, raw: bytes, size: int | None = None) -> str:
        """Handle one customer mail; returns what happened (kept with the inbox entry)."""
        mail = parse_mail(raw, self.settings.limits, size=size)
        assert mail.message is not None
        reason = noise_reason(mail.message, self.settings.own_addresses)
        if reason:
            logger.info("email: %s ignored (%s)", mail.summary(), reason)
            return f"ignored:{reason}"
        if await asyncio.to_thread(self.store.seen_inbound, mail.message_id):
            logger.info("email: %s seen before (same Message-ID); ignored", mail.summary())
            return "duplicate"
        thread = await self._thread_for(mail)
        if not self.limiter.allow(mail.sender):
            logger.warning("email: %s over the reply limit of its sender; not answered", mail.summary())
            await asyncio.to_thread(self.store.remember_message_id, mail.message_id, thread.key, False)
            return "rate-limited"
        hint = language.normalize(header(mail.message, "Content-Language"))
        lang = language.resolve(mail.text, hint, thread.language)
        thread = replace(thread, language=lang, name=mail.sender_name or thread.name)
        logger.info("email: %s -> conversation %s", mail.summary(), thread.conversation_id)
        if mail.problem:
            notice = _PROBLEM_NOTICES.get(mail.problem, texts.TOO_COMPLEX).format(
                lang,
                size=_size_text(mail.size),
                limit=_limit_text(mail.problem, self.settings),
            )
            await self._reply(ref, mail, thread, [BotMessage(notice)], lang)
            return f"notice:{mail.problem}"
        if not mail.text.strip():
            await self._reply(ref, mail, thread, [BotMessage(texts.EMPTY.get(lang))], lang)
            return "notice:empty"
        messages, thread, outcome = await self._converse(ref, mail, thread, lang, hint)
        await self._reply(ref, mail, thread, messages, lang)
        return outcome

    async def _converse(
        self, ref: MailRef, mail: IncomingMail, thread: Thread, lang: str, hint: str | None
    ) -> tuple[list[BotMessage], Thread, str]:
        conversations = self.conversations
        assert conversations is not None
        sender_id = thread.conversation_id
        done = await conversations.answered(sender_id, ref.key)
        if done is not None:
            logger.info("email: mail %s was answered before a restart; its answer is reused", ref.key)
            return done, thread, "replayed"
        choice = mail_options.choose(mail.text, thread.options)
        text = choice or bare_text(mail.text)
        message = UserMessage(
            text=text,
            output_channel=TurnCollector(),
            sender_id=sender_id,
            input_channel=CHANNEL,
            metadata=conventions.metadata(
                CHANNEL, hint, **{MAIL_KEY: ref.key, "attachments": len(mail.attachments)}
            ),
        )
        state = await conversations.state(sender_id)
        if choice is None and not state.paused and state.active_form is None:
            decided = triage(await conversations.parse(text), text, self.settings.limits.max_text_chars)
            if decided.is_ticket:
                return await self._file(ref, mail, thread, lang, message, decided)
        await conversations.turn(message)
        collector = message.output_channel
        assert isinstance(collector, TurnCollector)
        return collector.messages, thread, "choice" if choice else "turn"

    async def _file(
        self,
        ref: MailRef,
        mail: IncomingMail,
        thread: Thread,
        lang: str,
        message: UserMessage,
        decided: Triage,
    ) -> tuple[list[BotMessage], Thread, str]:
        """A problem report: a new ticket, or more information for the thread's open one."""
        conversations = self.conversations
        assert conversations is not None
        tickets = self.services.tickets
        existing = await asyncio.to_thread(tickets.get, thread.ticket_number or "")
        if existing is not None and existing.status in _UNFINISHED:
            notice = texts.TICKET_FOLLOWUP.format(lang, ticket_id=existing.tracking_number)
            messages = await conversations.record(message, [Say(text=notice, action="action_email_followup")])
            logger.info("email: mail %s added to ticket %s", ref.key, existing.tracking_number)
            return messages, thread, "ticket-followup"
        contact = parse_contact(mail.sender)
        new = NewTicket(
            category=decided.category or "other",
            description=mask(_description(mail)),
            contact=contact.value if contact else mail.sender,
            contact_kind=contact.kind if contact else ContactKind.EMAIL,
            sender_id=thread.conversation_id,
            language=lang,
            channel=CHANNEL,
        )
        ticket, created = await asyncio.to_thread(tickets.create, new, f"email:{ref.key}")
        logger.info(
            "email: ticket %s %s from mail %s (%s, category %s)",
            ticket.tracking_number,
            "filed" if created else "found",
            ref.key,
            decided.reason,
            ticket.category,
        )
        hours = self.services.settings.hours
        answers = []
        if decided.faq_topic:
            answers.append(Say(response=f"utter_{decided.faq_topic}", action="utter_faq"))
        answers.append(Say(response="utter_ticket_created", params={"ticket_id": ticket.tracking_number}))
        answers.append(
            Say(
                response="utter_ticket_next_steps_staffed"
                if hours.is_fast(utcnow())
                else "utter_ticket_next_steps_off_hours",
                params={"staffed_hours": hours.staffed_text},
            )
        )
        messages = await conversations.record(message, answers, {"ticket_number": ticket.tracking_number})
        return messages, replace(thread, ticket_number=ticket.tracking_number), "ticket"

    # -- threads -------------------------------------------------------------------------
    async def _thread_for(self, mail: IncomingMail) -> Thread:
        """The conversation ``mail`` continues, or a new one (see docs/email.md)."""
        known_ids = (*mail.references, *threads.message_ids(mail.in_reply_to))
        key = await asyncio.to_thread(self.store.conversation_of, known_ids)
        if key is not None:
            found = await asyncio.to_thread(self.store.thread, key)
            if found is not None and found.address == mail.sender:
                return found
        found = await asyncio.to_thread(self.store.thread, mail.conversation_key)
        if found is not None and found.address == mail.sender:
            return found
        number = mail.tracking_number
        if number:
            ticket = await asyncio.to_thread(self.services.tickets.get, number)
            if (
                ticket is not None
                and ticket.contact.strip().lower() == mail.sender
                and conventions.channel_of(ticket.sender_id) == CHANNEL
            ):
                found = await asyncio.to_thread(
                    self.store.thread, conventions.local_id(CHANNEL, ticket.sender_id)
                )
                if found is not None:
                    return found
        return Thread(
            key=mail.conversation_key,
            address=mail.sender,
            name=mail.sender_name,
            subject=threads.clean_subject(mail.subject),
            ticket_number=None,
        )

    # -- answers -------------------------------------------------------------------------
    async def _reply(
        self, ref: MailRef, mail: IncomingMail, thread: Thread, messages: Sequence[BotMessage], lang: str
    ) -> None:
        """Queue the answer to ``mail`` (if the bot said anything) and save the thread."""
        thread = thread.with_message(mail.message_id)
        known = {thread.ticket_number, mail.tracking_number, *(n for _, _, n in tracking.find_all(mail.text))}
        messages = await self._guard(messages, thread, known, lang)
        thread = await self._adopt_ticket(thread, messages)
        body = mail_body(messages, lang)
        if body.text:
            reply = compose_reply(
                mail,
                body.text,
                from_address=self.settings.from_address,
                from_name=self.settings.from_name,
                language=lang,
                tracking_number=thread.ticket_number,
                domain=self.settings.domain,
            )
            message_id = _set_message_id(reply, f"reply:{ref.key}", self.settings.domain)
            await self._queue(f"reply:{ref.key}", thread, wire_bytes(reply), message_id)
            thread = replace(thread.with_message(message_id), options=body.options)
        await asyncio.to_thread(self.store.save_thread, thread)
        # Last: until now a replay of this mail must not take it for a duplicate.
        await asyncio.to_thread(self.store.remember_message_id, mail.message_id, thread.key, False)

    async def deliver(self, recipient_id: str, messages: Sequence[BotMessage]) -> None:
        """A message from outside a turn (agent, status change): one mail in the thread."""
        try:
            key = conventions.local_id(CHANNEL, recipient_id)
        except ValueError:
            logger.warning("email: output for a conversation of another channel ignored")
            return
        thread = await asyncio.to_thread(self.store.thread, key)
        if thread is None:
            logger.warning("email: no mail thread for conversation %s; message not sent", recipient_id)
            return
        lang = thread.language or language.DEFAULT
        messages = await self._guard(messages, thread, {thread.ticket_number}, lang)
        thread = await self._adopt_ticket(thread, messages)
        body = mail_body(messages, lang)
        if not body.text:
            return
        by_agent = any(m.agent for m in messages)
        mail = compose(
            from_address=self.settings.from_address,
            from_name=self.settings.from_name,
            to=thread.address,
            to_name=thread.name,
            subject=threads.reply_subject(thread.subject, thread.ticket_number, fallback=_fallback(lang)),
            text=body.text,
            language=lang,
            in_reply_to=thread.last_message_id,
            references=thread.references,
            auto_submitted="no" if by_agent else "auto-generated",
            domain=self.settings.domain,
        )
        message_id = str(mail["Message-ID"])
        await self._queue(f"push:{message_id}", thread, wire_bytes(mail), message_id)
        thread = thread.with_message(message_id)
        if body.options:
            thread = replace(thread, options=body.options)
        await asyncio.to_thread(self.store.save_thread, thread)
        logger.info("email: %s message queued for %s", "agent" if by_agent else "bot", recipient_id)

    async def _queue(self, key: str, thread: Thread, raw: bytes, message_id: str) -> None:
        [queued] = await self.outbox.aenqueue(
            CHANNEL, thread.conversation_id, [outgoing(key, thread.address, raw, message_id)]
        )
        if queued:
            await asyncio.to_thread(self.store.remember_message_id, message_id, thread.key, True)
            self.worker.kick()

    async def _guard(
        self, messages: Sequence[BotMessage], thread: Thread, known: set[str | None], lang: str
    ) -> list[BotMessage]:
        """Ticket details go only to the ticket's own conversation, or to its contact
        address in a thread that carries its tracking number (a forged From learns nothing)."""
        result: list[BotMessage] = []
        for message in messages:
            numbers = {n for _, _, n in tracking.find_all(message.text)}
            allowed = True
            for number in numbers:
                ticket = await asyncio.to_thread(self.services.tickets.get, number)
                if ticket is None or ticket.sender_id == thread.conversation_id:
                    continue
                if ticket.contact.strip().lower() == thread.address and number in known:
                    continue
                allowed = False
            if allowed:
                result.append(message)
            else:
                logger.info("email: ticket details withheld from conversation %s", thread.conversation_id)
                result.append(BotMessage(texts.TICKET_DETAILS_WITHHELD.get(lang)))
        return result

    async def _adopt_ticket(self, thread: Thread, messages: Sequence[BotMessage]) -> Thread:
        """A thread without a ticket takes the first ticket of its own conversation that the
        bot names (a handoff files one), so its number goes into the subject from now on."""
        if thread.ticket_number:
            return thread
        for message in messages:
            for _, _, number in tracking.find_all(message.text):
                ticket = await asyncio.to_thread(self.services.tickets.get, number)
                if ticket is not None and ticket.sender_id == thread.conversation_id:
                    return replace(thread, ticket_number=ticket.tracking_number)
        return thread

    def health(self) -> dict[str, object]:
        """For the channel's status page: no addresses, no text."""
        return {"mailbox_ready": self.ready, "last_error": self.last_error}


def _queue_of(headers: bytes | None) -> str:
    """The inbox queue of a mail: one per sender address (their mails in order), by hash."""
    address = ""
    if headers:
        address, _ = sender_address(BytesParser(policy=policy.default).parsebytes(headers, headersonly=True))
    digest = hashlib.sha256(address.encode()).hexdigest()[:24]
    return conventions.conversation_id(CHANNEL, f"from-{digest}")


def _description(mail: IncomingMail) -> str:
    """The ticket description: the subject, the mail's new text, the attachments noted."""
    parts = []
    subject = threads.clean_subject(mail.subject)
    if subject:
        parts.append(subject)
    parts.append(mail.text)
    if mail.attachments:
        notes = ", ".join(
            f"{a.filename or '?'} ({a.content_type}, {_size_text(a.size)})" for a in mail.attachments
        )
        parts.append(f"[attachments: {notes}]")
    return "\n\n".join(parts)


def _set_message_id(message: object, key: str, domain: str) -> str:
    """Give a reply a Message-ID derived from what it answers: a replay re-composes the same."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    message_id = f"<gopay.{digest}@{domain}>"
    del message["Message-ID"]  # type: ignore[attr-defined]
    message["Message-ID"] = message_id  # type: ignore[index]
    return message_id


def _size_text(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    if size >= 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size} B"


def _limit_text(problem: str, settings: EmailSettings) -> str:
    if problem == mail_limits.TOO_LARGE:
        return _size_text(settings.limits.max_message_bytes)
    if problem == mail_limits.TOO_MANY_ATTACHMENTS:
        return str(settings.limits.max_attachments)
    return str(settings.limits.max_parts)


def _fallback(lang: str) -> str:
    return FALLBACK_SUBJECTS.get(lang, FALLBACK_SUBJECTS["en"])
