"""Which mails are problem reports (filed as a ticket at once) and which the bot answers.

A chat asks for a ticket's details one question at a time (the ticket form); a mail already
holds them: the text is the description and the sender's address the contact. So a mail is
filed directly when it is a **problem report**, decided from what the same NLU model
understood (``/model/parse`` of the mail's new text):

1. the customer asks for a ticket or complains (``open_ticket``, ``complaint``); or
2. the mail is about a topic that has a ticket category (a failed top-up, a delayed
   withdrawal, a login problem, ... :data:`~gopay_support.core.tickets.model.TOPIC_CATEGORY`)
   and *tells* what happened instead of asking a question (no sentence of it is a question,
   :func:`~gopay_support.core.tickets.validation.is_question`); the reply then carries the
   FAQ answer for that topic too; or
3. the model did not understand the mail or took it for something the assistant does not
   cover (``nlu_fallback``, ``out_of_scope``) and it is a real description, not a one-liner
   (:func:`~gopay_support.core.tickets.validation.check_description`) nor a question: a
   support mailbox's mail that no FAQ answers is for a person. (In a chat, "I can't help
   with that, want an agent?" is one more turn; by mail it would cost the customer a day.
   It also keeps a report the model misreads as out of scope, e.g. one quoting a card
   number, from being answered with "I can't help".)

Everything else is a conversation turn answered by the bot like on any channel: FAQ
questions, greetings and thanks, status questions, requests for a person, answers to a
question the bot asked (a running form). A mail in a thread that already has an open ticket
is never filed again: problem reports there are added to that ticket's conversation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from gopay_support.core import parse_data
from gopay_support.core.tickets.model import TOPIC_CATEGORY
from gopay_support.core.tickets.validation import (
    category_from_text,
    category_from_topic,
    check_description,
    is_question,
)

_SENTENCE_END_RE = re.compile(r"(?<=[.!?。！？])\s*|\n+")
_GREETING_RE = re.compile(
    r"^\s*(?:(?:hi|hello|hey|dear)\b[^,，!！\n]{0,30}[,，!！]|(?:您好|你好|hi|hello)\s*[,，!！。]?)\s*",
    re.IGNORECASE,
)
_CLOSING_RE = re.compile(
    r"^\s*(?:thanks?(?: you)?(?: (?:very|so) much)?|many thanks|best(?: regards| wishes)?|regards"
    r"|kind regards|cheers|sincerely|yours|谢谢(?:您)?|多谢|感谢|此致|敬礼|祝好)[\s,，.!！。]*$",
    re.IGNORECASE,
)
MAX_NAME_LINES = 2
MAX_NAME_CHARS = 40


def bare_text(text: str) -> str:
    """The mail's text without the salutation and the closing ("Hello," ... "Thanks, John"):
    what the NLU should read. The ticket keeps the whole text."""
    lines = text.strip().split("\n")
    if lines:
        lines[0] = _GREETING_RE.sub("", lines[0], count=1)
    for at in range(len(lines) - 1, max(len(lines) - 2 - MAX_NAME_LINES, -1), -1):
        tail = [line for line in lines[at + 1 :] if line.strip()]
        if _CLOSING_RE.match(lines[at]) and all(len(line) <= MAX_NAME_CHARS for line in tail):
            lines = lines[:at]
            break
    bare = "\n".join(lines).strip()
    return bare or text.strip()


def asks(text: str) -> bool:
    """Whether any sentence of the mail is a question (mails wrap questions in courtesies)."""
    return any(is_question(part) for part in _SENTENCE_END_RE.split(text) if part.strip())


#: Intents that ask for a ticket outright (``complaint`` once the NLU distinguishes it).
TICKET_INTENTS = frozenset({"open_ticket", "complaint"})
#: What the bot cannot answer: a described problem with one of these is for a person.
NOT_ANSWERABLE_INTENTS = frozenset({parse_data.FALLBACK_INTENT, parse_data.OUT_OF_SCOPE})
#: Intents that are handled by the conversation (escalation, status lookups) even when long.
CONVERSATION_INTENTS = frozenset({"account_compromised", "human_handoff", "ticket_status"})


@dataclass(frozen=True)
class Triage:
    """What to do with a mail: file a ticket (``category`` set) or run a bot turn."""

    category: str | None = None
    #: ``faq/<topic>`` whose answer goes with the ticket confirmation.
    faq_topic: str | None = None
    reason: str = "turn"

    @property
    def is_ticket(self) -> bool:
        return self.category is not None


def triage(parse: dict[str, Any] | None, text: str, description_max_chars: int) -> Triage:
    """Decide from the NLU result ``parse`` of the mail's ``text`` (see the module doc)."""
    intent = parse_data.intent(parse)
    topic = parse_data.faq_topic(parse)
    if intent in CONVERSATION_INTENTS:
        return Triage()
    if intent in TICKET_INTENTS:
        category = category_from_text(text) or category_from_topic(topic) or "other"
        return Triage(category, reason=intent or "ticket")
    usable = check_description(text, description_max_chars) is None
    if intent == parse_data.FAQ_INTENT and topic in TOPIC_CATEGORY and not asks(text) and usable:
        return Triage(TOPIC_CATEGORY[topic], faq_topic=topic, reason="problem-topic")
    if intent in NOT_ANSWERABLE_INTENTS and usable and not asks(text):
        return Triage(category_from_text(text) or "other", reason="not-understood")
    return Triage()
