"""Figures for the supervisor dashboard, computed from plain records.

The console reads the conversations from Rasa's tracker store (serialised events, grouped by
conversation id) and handoffs and tickets from the app database; this module only counts.

Definitions (docs/agent_console.md, "Supervisor dashboard"):

* a **conversation** is one Rasa session of one conversation id with at least one message
  the customer typed or clicked; it belongs to the day (service time zone) of its first one;
* **handed off**: the bot paused the conversation for a person (it reached the agent queue);
* **asked for a person**: handed off, or the customer asked for one (``human_handoff``,
  ``account_compromised``) even when nobody was available;
* **contained**: resolved without a person: nobody was asked for, and the customer's last
  message was understood (not ``nlu_fallback`` / ``out_of_scope``);
* **wait**: from entering the queue to an agent's claim; **handling**: claim to resolution.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from gopay_support.core import language, parse_data
from gopay_support.core.handoff.model import CSAT_RANGE, Handoff
from gopay_support.core.tickets.model import Ticket, TicketStatus

#: Intents that mean "I want a person" (a button press arrives as ``human_handoff``).
PERSON_INTENTS = frozenset({"human_handoff", "account_compromised"})
#: Labels of messages the bot did not understand.
MISSED = frozenset({parse_data.FALLBACK_INTENT, parse_data.OUT_OF_SCOPE})
#: Intents that are part of the machinery, not something the customer said.
_MACHINERY_PREFIX = "EXTERNAL_"
#: Age buckets of unfinished tickets: (key, upper bound in days).
AGE_BUCKETS: tuple[tuple[str, float], ...] = (("<1d", 1), ("1-3d", 3), ("3-7d", 7), (">7d", float("inf")))
_UNFINISHED = {TicketStatus.OPEN, TicketStatus.IN_PROGRESS, TicketStatus.WAITING_FOR_USER}


@dataclass(frozen=True)
class Conversation:
    sender_id: str
    started_at: datetime
    channel: str
    language: str
    #: Topic labels the customer asked about (``faq/<topic>`` or an intent), once each.
    topics: tuple[str, ...]
    handed_off: bool
    asked_for_person: bool
    last_understood: bool
    user_messages: int

    @property
    def contained(self) -> bool:
        return not self.asked_for_person and self.last_understood


def conversations(events_by_sender: Mapping[str, Sequence[Mapping[str, Any]]]) -> list[Conversation]:
    """Split each conversation id's serialised events into sessions and summarise them."""
    found: list[Conversation] = []
    for sender_id, events in events_by_sender.items():
        session: list[Mapping[str, Any]] = []
        for event in events:
            if event.get("event") == "session_started" and session:
                found.extend(_summarise(sender_id, session))
                session = []
            session.append(event)
        found.extend(_summarise(sender_id, session))
    return sorted(found, key=lambda c: c.started_at)


def _is_customer_turn(event: Mapping[str, Any]) -> bool:
    if event.get("event") != "user":
        return False
    intent = parse_data.intent(event.get("parse_data"))
    text = event.get("text")
    return not (intent or "").startswith(_MACHINERY_PREFIX) and not (
        isinstance(text, str) and text.startswith("EXTERNAL: ")
    )


def _summarise(sender_id: str, events: Sequence[Mapping[str, Any]]) -> list[Conversation]:
    turns = [e for e in events if _is_customer_turn(e)]
    if not turns:
        return []
    first = turns[0]
    channel = next((str(t["input_channel"]) for t in turns if t.get("input_channel")), "")
    if not channel:
        channel = sender_id.split(":", 1)[0] if ":" in sender_id else "unknown"
    topics: list[str] = []
    asked = False
    for turn in turns:
        parse = turn.get("parse_data")
        label = parse_data.contract_label(parse)
        if parse_data.intent(parse) in PERSON_INTENTS:
            asked = True
        if label not in MISSED and label not in topics and label != "csat_rate":
            topics.append(label)
    handed_off = any(e.get("event") == "pause" for e in events)
    last_label = parse_data.contract_label(turns[-1].get("parse_data"))
    return [
        Conversation(
            sender_id=sender_id,
            started_at=_when(first.get("timestamp")),
            channel=channel,
            language=language.of_conversation(reversed(turns)),
            topics=tuple(topics),
            handed_off=handed_off,
            asked_for_person=asked or handed_off,
            last_understood=last_label not in MISSED,
            user_messages=len(turns),
        )
    ]


def _when(timestamp: Any) -> datetime:
    seconds = float(timestamp) if isinstance(timestamp, int | float) else 0.0
    return datetime.fromtimestamp(seconds, tz=timezone.utc)


@dataclass(frozen=True)
class Period:
    """Whole days ``first`` to ``last`` (inclusive) in the service time zone."""

    first: date
    last: date
    timezone: str = "Asia/Shanghai"

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, datetime.min.time(), ZoneInfo(self.timezone))

    @property
    def end(self) -> datetime:
        return datetime.combine(self.last + timedelta(days=1), datetime.min.time(), ZoneInfo(self.timezone))

    def days(self) -> list[date]:
        return [self.first + timedelta(days=i) for i in range((self.last - self.first).days + 1)]

    def day_of(self, moment: datetime) -> date:
        return moment.astimezone(ZoneInfo(self.timezone)).date()

    def contains(self, moment: datetime | None) -> bool:
        return moment is not None and self.start <= moment < self.end


@dataclass
class Dashboard:
    period: Period
    conversations: int = 0
    contained: int = 0
    handed_off: int = 0
    asked_for_person: int = 0
    by_day: dict[str, dict[str, Any]] = field(default_factory=dict)
    by_channel: dict[str, int] = field(default_factory=dict)
    by_language: dict[str, int] = field(default_factory=dict)
    topics: dict[str, int] = field(default_factory=dict)
    median_wait_seconds: float | None = None
    median_handling_seconds: float | None = None
    handoffs: int = 0
    handoffs_cancelled: int = 0
    csat_distribution: dict[str, int] = field(default_factory=dict)
    csat_average: float | None = None
    tickets_by_status: dict[str, int] = field(default_factory=dict)
    open_tickets_by_age: dict[str, int] = field(default_factory=dict)

    @property
    def containment_rate(self) -> float | None:
        return self.contained / self.conversations if self.conversations else None

    @property
    def handoff_rate(self) -> float | None:
        return self.handed_off / self.conversations if self.conversations else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "from": self.period.first.isoformat(),
            "to": self.period.last.isoformat(),
            "timezone": self.period.timezone,
            "conversations": self.conversations,
            "contained": self.contained,
            "containment_rate": self.containment_rate,
            "handed_off": self.handed_off,
            "asked_for_person": self.asked_for_person,
            "handoff_rate": self.handoff_rate,
            "by_day": self.by_day,
            "by_channel": self.by_channel,
            "by_language": self.by_language,
            "topics": self.topics,
            "handoffs": self.handoffs,
            "handoffs_cancelled": self.handoffs_cancelled,
            "median_wait_seconds": self.median_wait_seconds,
            "median_handling_seconds": self.median_handling_seconds,
            "csat_distribution": self.csat_distribution,
            "csat_average": self.csat_average,
            "tickets_by_status": self.tickets_by_status,
            "open_tickets_by_age": self.open_tickets_by_age,
        }


def _empty_day() -> dict[str, Any]:
    return {
        "conversations": 0,
        "contained": 0,
        "handed_off": 0,
        "channels": {},
        "languages": {},
        "csat_count": 0,
        "csat_sum": 0,
        "waits": [],
        "handling": [],
    }


def build(
    period: Period,
    found: Iterable[Conversation],
    handoffs: Iterable[Handoff],
    tickets: Iterable[Ticket],
    now: datetime,
) -> Dashboard:
    board = Dashboard(period)
    days: dict[str, dict[str, Any]] = {d.isoformat(): _empty_day() for d in period.days()}
    channels: Counter[str] = Counter()
    languages: Counter[str] = Counter()
    topics: Counter[str] = Counter()
    for conv in found:
        if not period.contains(conv.started_at):
            continue
        day = days[period.day_of(conv.started_at).isoformat()]
        board.conversations += 1
        day["conversations"] += 1
        day["channels"][conv.channel] = day["channels"].get(conv.channel, 0) + 1
        day["languages"][conv.language] = day["languages"].get(conv.language, 0) + 1
        channels[conv.channel] += 1
        languages[conv.language] += 1
        topics.update(conv.topics)
        if conv.contained:
            board.contained += 1
            day["contained"] += 1
        if conv.handed_off:
            board.handed_off += 1
            day["handed_off"] += 1
        if conv.asked_for_person:
            board.asked_for_person += 1

    waits: list[float] = []
    handling: list[float] = []
    csat: Counter[int] = Counter()
    for h in handoffs:
        if period.contains(h.created_at):
            board.handoffs += 1
            board.handoffs_cancelled += h.status.value == "cancelled"
            day = days[period.day_of(h.created_at).isoformat()]
            if h.claimed_at:
                wait = (h.claimed_at - h.created_at).total_seconds()
                waits.append(wait)
                day["waits"].append(wait)
                if h.resolved_at and h.status.value == "resolved":
                    spent = (h.resolved_at - h.claimed_at).total_seconds()
                    handling.append(spent)
                    day["handling"].append(spent)
        if h.csat_rating in CSAT_RANGE and period.contains(h.csat_at):
            assert h.csat_rating is not None and h.csat_at is not None
            csat[h.csat_rating] += 1
            day = days[period.day_of(h.csat_at).isoformat()]
            day["csat_count"] += 1
            day["csat_sum"] += h.csat_rating

    board.median_wait_seconds = statistics.median(waits) if waits else None
    board.median_handling_seconds = statistics.median(handling) if handling else None
    board.csat_distribution = {str(n): csat.get(n, 0) for n in CSAT_RANGE}
    rated = sum(csat.values())
    board.csat_average = round(sum(n * c for n, c in csat.items()) / rated, 2) if rated else None
    for key, day in days.items():
        board.by_day[key] = {
            "conversations": day["conversations"],
            "contained": day["contained"],
            "handed_off": day["handed_off"],
            "channels": day["channels"],
            "languages": day["languages"],
            "csat_count": day["csat_count"],
            "csat_average": round(day["csat_sum"] / day["csat_count"], 2) if day["csat_count"] else None,
            "median_wait_seconds": statistics.median(day["waits"]) if day["waits"] else None,
            "median_handling_seconds": statistics.median(day["handling"]) if day["handling"] else None,
        }
    board.by_channel = dict(channels.most_common())
    board.by_language = dict(languages.most_common())
    board.topics = dict(topics.most_common())

    statuses: Counter[str] = Counter()
    ages: dict[str, int] = {key: 0 for key, _ in AGE_BUCKETS}
    for ticket in tickets:
        if not period.contains(ticket.created_at):
            continue
        statuses[ticket.status.value] += 1
        if ticket.status in _UNFINISHED:
            age_days = (now - ticket.created_at).total_seconds() / 86400
            key = next(k for k, bound in AGE_BUCKETS if age_days < bound)
            ages[key] += 1
    board.tickets_by_status = {s.value: statuses.get(s.value, 0) for s in TicketStatus}
    board.open_tickets_by_age = ages
    return board


CSV_COLUMNS = (
    "date",
    "conversations",
    "contained",
    "handed_off",
    "channels",
    "languages",
    "median_wait_seconds",
    "median_handling_seconds",
    "csat_count",
    "csat_average",
)


def csv_rows(board: Dashboard) -> list[list[str]]:
    """One row per day, then the totals of the period; every value as text."""

    def cell(value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, dict):
            return " ".join(f"{k}={v}" for k, v in sorted(value.items()))
        if isinstance(value, float):
            return f"{value:.2f}"
        return str(value)

    rows = [list(CSV_COLUMNS)]
    for key, day in board.by_day.items():
        rows.append([key, *(cell(day[c]) for c in CSV_COLUMNS[1:])])
    rows.append(
        [
            "total",
            cell(board.conversations),
            cell(board.contained),
            cell(board.handed_off),
            cell(board.by_channel),
            cell(board.by_language),
            cell(board.median_wait_seconds),
            cell(board.median_handling_seconds),
            cell(sum(board.csat_distribution.values())),
            cell(board.csat_average),
        ]
    )
    rows.append([])
    rows.append(["containment_rate", cell(board.containment_rate)])
    rows.append(["handoff_rate", cell(board.handoff_rate)])
    rows.append(["topics", cell(board.topics)])
    rows.append(["csat_distribution", cell(board.csat_distribution)])
    rows.append(["tickets_by_status", cell(board.tickets_by_status)])
    rows.append(["open_tickets_by_age", cell(board.open_tickets_by_age)])
    return rows


def default_period(today: date, tz: str, days: int = 14) -> Period:
    return Period(today - timedelta(days=days - 1), today, tz)


def group_by_day(values: Iterable[tuple[date, float]]) -> dict[date, list[float]]:
    grouped: dict[date, list[float]] = defaultdict(list)
    for day, value in values:
        grouped[day].append(value)
    return dict(grouped)
