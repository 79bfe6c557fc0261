"""The learning loop: messages the bot did not understand, their review, the training file.

Misunderstood messages are found in conversations (serialised Rasa events): a message the
NLU could not classify (``nlu_fallback``: the bot asked "did you mean" or gave its help
text), one classified as ``out_of_scope``, one whose suggestions the customer rejected
("none of these"), and one after which the customer asked for a person. An agent or a
supervisor gives each the right label (or confirms it is out of scope); reviewed examples
are written to ``data/nlu/reviewed.yml`` (:data:`TRAINING_FILE`), which ``make train``
reads with the rest of ``data/``. Texts of the held-out test set never go there.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from gopay_support.core import language, parse_data
from gopay_support.core.catalogue import Bilingual
from gopay_support.core.pii import mask
from gopay_support.core.topics import TOPIC_TITLES

TRAINING_FILE = "data/nlu/reviewed.yml"
HELDOUT_GLOB = "tests/nlu_heldout*.yml"


class Reason:
    NOT_UNDERSTOOD = "not_understood"
    OUT_OF_SCOPE = "out_of_scope"
    REJECTED_SUGGESTIONS = "rejected_suggestions"
    HANDOFF_AFTER_MISS = "handoff_after_miss"


#: Stronger evidence replaces weaker for the same message.
_STRENGTH = {
    Reason.OUT_OF_SCOPE: 0,
    Reason.NOT_UNDERSTOOD: 1,
    Reason.REJECTED_SUGGESTIONS: 2,
    Reason.HANDOFF_AFTER_MISS: 3,
}

#: Labels besides the topics that a reviewer may give (docs/nlu_labels.md).
SMALL_TALK: dict[str, Bilingual] = {
    "greet": Bilingual("问候", "Greeting"),
    "goodbye": Bilingual("道别", "Goodbye"),
    "thanks": Bilingual("感谢", "Thanks"),
    "affirm": Bilingual("肯定", "Yes"),
    "deny": Bilingual("否定", "No"),
    "bot_challenge": Bilingual("问是否机器人", "Are you a bot?"),
    "vague_problem": Bilingual("描述模糊的问题", "Vague complaint"),
    "switch_language": Bilingual("切换回复语言", "Reply language request"),
    parse_data.OUT_OF_SCOPE: Bilingual("超出范围", "Out of scope"),
}
LABELS: dict[str, Bilingual] = {**TOPIC_TITLES, **SMALL_TALK}

_SPACE_RE = re.compile(r"\s+")
#: Rasa's training-data syntax for entities: such text would be read as an annotation.
_ANNOTATION_RE = re.compile(r"\]\s*[({]")
MAX_TEXT = 300


@dataclass(frozen=True)
class Miss:
    """One misunderstood message, masked."""

    text: str
    language: str
    reason: str
    predicted: str
    confidence: float
    sender_id: str
    timestamp: float

    @property
    def key(self) -> str:
        return text_key(self.text)


def normalise(text: str) -> str:
    return _SPACE_RE.sub(" ", unicodedata.normalize("NFKC", text)).strip()


def text_key(text: str) -> str:
    """Same message however it was spaced or cased: one review item."""
    return hashlib.sha256(normalise(text).casefold().encode()).hexdigest()


def is_label(label: str) -> bool:
    return label in LABELS


def label_title(label: str, lang: str) -> str:
    found = LABELS.get(label)
    return found.get(lang) if found else label


def misses(sender_id: str, events: Sequence[Mapping[str, Any]]) -> list[Miss]:
    """The misunderstood messages in one conversation's events (oldest first)."""
    found: dict[int, Miss] = {}
    last_miss: int | None = None
    for index, event in enumerate(events):
        if event.get("event") != "user":
            continue
        text = event.get("text")
        parse = event.get("parse_data")
        intent = parse_data.intent(parse) or ""
        if not isinstance(text, str) or intent.startswith("EXTERNAL_"):
            continue
        typed = not text.startswith("/")
        if typed and intent in (parse_data.FALLBACK_INTENT, parse_data.OUT_OF_SCOPE):
            reason = Reason.NOT_UNDERSTOOD if intent == parse_data.FALLBACK_INTENT else Reason.OUT_OF_SCOPE
            found[index] = _miss(sender_id, event, text, parse, reason)
            last_miss = index if reason == Reason.NOT_UNDERSTOOD else None
            continue
        if last_miss is not None and not typed and intent == parse_data.OUT_OF_SCOPE:
            _upgrade(found, last_miss, Reason.REJECTED_SUGGESTIONS)  # "none of these"
            continue
        if last_miss is not None and intent == "human_handoff":
            _upgrade(found, last_miss, Reason.HANDOFF_AFTER_MISS)
        last_miss = None
    return [found[i] for i in sorted(found)]


def _miss(sender_id: str, event: Mapping[str, Any], text: str, parse: Any, reason: str) -> Miss:
    ranking = parse_data.intent_ranking(parse)
    guess = next((name for name in ranking if name != parse_data.FALLBACK_INTENT), "")
    if guess == parse_data.FAQ_INTENT:
        guess = next(iter(parse_data.faq_ranking(parse)), guess)
    ranked = (parse or {}).get("intent_ranking") or []
    confidence = next(
        (
            float(r.get("confidence") or 0)
            for r in ranked
            if isinstance(r, Mapping) and r.get("name") != "nlu_fallback"
        ),
        0.0,
    )
    clean = mask(normalise(text))[:MAX_TEXT]
    return Miss(
        text=clean,
        language=language.resolve(text, (event.get("metadata") or {}).get("language")),
        reason=reason,
        predicted=guess,
        confidence=round(confidence, 3),
        sender_id=sender_id,
        timestamp=float(event.get("timestamp") or 0),
    )


def _upgrade(found: dict[int, Miss], index: int, reason: str) -> None:
    miss = found[index]
    if _STRENGTH[reason] > _STRENGTH[miss.reason]:
        found[index] = Miss(**{**miss.__dict__, "reason": reason})


def stronger(old: str, new: str) -> str:
    return new if _STRENGTH.get(new, 0) > _STRENGTH.get(old, 0) else old


def trainable(text: str) -> bool:
    """Whether ``text`` can be a training example as it is."""
    return bool(text.strip()) and "\n" not in text and not _ANNOTATION_RE.search(text)


def training_file(examples: Iterable[tuple[str, str]], excluded: Iterable[str] = ()) -> str:
    """Rasa NLU training data (YAML) for ``(label, text)`` pairs, grouped by label.

    Texts in ``excluded`` (the held-out test set) and texts that Rasa would misread are
    left out, so a reviewed example can never make the held-out figures look better.
    """
    skip = {normalise(t).casefold() for t in excluded}
    by_label: dict[str, list[str]] = {}
    for label, text in examples:
        clean = normalise(text)
        if not is_label(label) or not trainable(clean) or clean.casefold() in skip:
            continue
        texts = by_label.setdefault(label, [])
        if clean not in texts:
            texts.append(clean)
    lines = [
        "# Reviewed examples from the agent console's learning loop (docs/learning_loop.md).",
        "# Written by the console's export; edits by hand are replaced at the next export.",
        'version: "3.1"',
        "",
    ]
    if not by_label:
        lines.append("nlu: []")
        return "\n".join(lines) + "\n"
    lines.append("nlu:")
    for label in sorted(by_label):
        lines.append(f"- intent: {label}")
        lines.append("  examples: |")
        lines.extend(f"    - {text}" for text in by_label[label])
    return "\n".join(lines) + "\n"


_EXAMPLE_RE = re.compile(r"^\s*-\s+(?P<text>.+?)\s*$")


def example_texts(training_data: str) -> list[str]:
    """The example texts of a Rasa NLU YAML file (the ``- text`` lines of ``examples: |``)."""
    texts: list[str] = []
    in_examples = False
    for line in training_data.splitlines():
        if line.strip().startswith("examples:"):
            in_examples = True
            continue
        if in_examples:
            if line.startswith("    ") or not line.strip():
                found = _EXAMPLE_RE.match(line)
                if found:
                    texts.append(found.group("text"))
                continue
            in_examples = False
    return texts


def overlap(reviewed: Iterable[str], heldout: Iterable[str]) -> list[str]:
    """Reviewed texts that are also in the held-out set (must be empty)."""
    held = {normalise(t).casefold() for t in heldout}
    return [t for t in reviewed if normalise(t).casefold() in held]
