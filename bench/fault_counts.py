"""Lost and duplicated messages and tickets: what a client was told against what the stores hold.

Kept apart from the benchmark that produces the inputs (bench/bench_faults.py) so the
criteria can be tested on their own. The criteria:

* a message is **lost** when the client was answered 200 for it (a reply, or the notice that
  it is kept for later) and its conversation's tracker does not record it as many times as
  it was acknowledged;
* a message is **duplicated** for every extra time the tracker records a text beyond the
  number of times the client sent it (every text of a benchmark conversation is different,
  so a repeated text is a repeated turn, whatever the reason: a retry, a replay);
* messages recorded **out of order**: the tracker's user texts, with duplicates removed,
  are not the client's sequence (a kept message must not be overtaken by a later one);
* a ticket is **lost** when the submit turn was acknowledged with the tracking number or
  the notice that the message is kept, and the tickets table has no ticket for the
  conversation; **duplicated** for every ticket beyond the first.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

MESSAGE_LOST, MESSAGE_DUPLICATED, OUT_OF_ORDER = "message lost", "message duplicated", "out of order"
TICKET_LOST, TICKET_DUPLICATED = "ticket lost", "ticket duplicated"


@dataclass(frozen=True)
class Sent:
    """One message as the client saw it (after all its tries)."""

    conversation: str
    text: str
    #: Answered 200 at some try (replies, or the "kept" notice).
    acknowledged: bool
    #: The turn that confirms a ticket, answered with the tracking number or the "kept" notice.
    ticket_promised: bool = False


@dataclass
class Counts:
    messages_sent: int = 0
    messages_acknowledged: int = 0
    messages_lost: int = 0
    messages_duplicated: int = 0
    conversations_out_of_order: int = 0
    #: Sent, never acknowledged (the client gave up), but recorded: neither lost nor doubled.
    unacknowledged_recorded: int = 0
    tickets_promised: int = 0
    tickets_lost: int = 0
    tickets_duplicated: int = 0
    #: Tickets of conversations whose submit was never acknowledged to the client.
    tickets_unpromised: int = 0
    #: Each loss, duplicate or disorder: (kind, conversation, text; "" for a conversation).
    findings: list[Finding] = field(default_factory=list)

    def note(self, kind: str, conversation: str, text: str = "", times: int = 1) -> None:
        self.findings.extend(Finding(kind, conversation, text) for _ in range(times))


@dataclass(frozen=True)
class Finding:
    kind: str
    conversation: str
    text: str


def classify(
    sent: Sequence[Sent], recorded: Mapping[str, Sequence[str]], tickets: Mapping[str, int]
) -> Counts:
    """Compare the client's messages with the trackers' user texts (``recorded``, per
    conversation, in order) and the number of tickets per conversation."""
    counts = Counts()
    by_conversation: dict[str, list[Sent]] = {}
    for message in sent:
        by_conversation.setdefault(message.conversation, []).append(message)
    for conversation, messages in by_conversation.items():
        texts = list(recorded.get(conversation, ()))
        in_tracker = Counter(texts)
        sent_times = Counter(m.text for m in messages)
        acknowledged_times = Counter(m.text for m in messages if m.acknowledged)
        counts.messages_sent += len(messages)
        counts.messages_acknowledged += sum(acknowledged_times.values())
        for text, times in acknowledged_times.items():
            missing = times - in_tracker[text]
            if missing > 0:
                counts.messages_lost += missing
                counts.note(MESSAGE_LOST, conversation, text, missing)
        for text, times in in_tracker.items():
            extra = times - sent_times[text]
            if extra > 0:
                counts.messages_duplicated += extra
                counts.note(MESSAGE_DUPLICATED, conversation, text, extra)
        for text in sent_times:
            if acknowledged_times[text] == 0 and in_tracker[text] > 0:
                counts.unacknowledged_recorded += 1
        order = [m.text for m in messages if in_tracker[m.text] > 0]
        if list(dict.fromkeys(texts)) != list(dict.fromkeys(order)):
            counts.conversations_out_of_order += 1
            counts.note(OUT_OF_ORDER, conversation)
        promised = any(m.ticket_promised for m in messages)
        filed = tickets.get(conversation, 0)
        if promised:
            counts.tickets_promised += 1
            if filed == 0:
                counts.tickets_lost += 1
                counts.note(TICKET_LOST, conversation)
            counts.tickets_duplicated += max(filed - 1, 0)
            counts.note(TICKET_DUPLICATED, conversation, times=filed - 1)
        else:
            counts.tickets_unpromised += filed
    return counts
