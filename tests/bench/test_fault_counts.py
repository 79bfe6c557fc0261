"""The fault benchmark's criteria for lost and duplicated messages and tickets."""

from __future__ import annotations

from bench.fault_counts import MESSAGE_DUPLICATED, MESSAGE_LOST, TICKET_DUPLICATED, Finding, Sent, classify

A = "rest:a"


def sent(*texts: str, acknowledged: bool = True) -> list[Sent]:
    return [Sent(A, text, acknowledged) for text in texts]


def test_everything_recorded_once_is_neither_lost_nor_duplicated() -> None:
    counts = classify(sent("hi", "refund", "bye"), {A: ["hi", "refund", "bye"]}, {})
    assert (counts.messages_acknowledged, counts.messages_lost, counts.messages_duplicated) == (3, 0, 0)
    assert counts.conversations_out_of_order == 0


def test_an_acknowledged_message_missing_from_the_tracker_is_lost() -> None:
    counts = classify(sent("hi", "refund", "bye"), {A: ["hi", "bye"]}, {})
    assert counts.messages_lost == 1 and counts.messages_duplicated == 0
    assert counts.findings == [Finding(MESSAGE_LOST, A, "refund")]


def test_a_message_the_client_gave_up_on_is_not_lost_and_if_recorded_not_duplicated() -> None:
    messages = sent("hi") + sent("refund", acknowledged=False)
    assert classify(messages, {A: ["hi"]}, {}).messages_lost == 0
    counts = classify(messages, {A: ["hi", "refund"]}, {})
    assert counts.unacknowledged_recorded == 1 and counts.messages_duplicated == 0


def test_a_retry_recorded_twice_is_one_duplicate_even_when_not_adjacent() -> None:
    counts = classify(sent("hi", "refund", "bye"), {A: ["hi", "refund", "refund", "bye", "hi"]}, {})
    assert counts.messages_duplicated == 2 and counts.messages_lost == 0
    assert sorted(f.text for f in counts.findings if f.kind == MESSAGE_DUPLICATED) == ["hi", "refund"]


def test_a_kept_message_overtaken_by_a_later_one_is_out_of_order() -> None:
    counts = classify(sent("hi", "refund", "bye"), {A: ["hi", "bye", "refund"]}, {})
    assert counts.conversations_out_of_order == 1 and counts.messages_lost == 0


def test_tickets_promised_to_the_client_must_exist_exactly_once() -> None:
    b, c, d = "rest:b", "rest:c", "rest:d"
    messages = [Sent(b, "yes", True, ticket_promised=True), Sent(c, "yes", True, ticket_promised=True)]
    messages.append(Sent(d, "yes", False))
    counts = classify(messages, {b: ["yes"], c: ["yes"], d: ["yes"]}, {b: 0, c: 3, d: 1})
    assert counts.tickets_promised == 2
    assert (counts.tickets_lost, counts.tickets_duplicated, counts.tickets_unpromised) == (1, 2, 1)
    assert [f.conversation for f in counts.findings if f.kind == TICKET_DUPLICATED] == [c, c]
