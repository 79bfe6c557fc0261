"""``rasa data validate`` that fails on warnings that matter.

Rasa prints some warnings that are expected in this project (e.g. the ``language`` entity
is filled by a rule-based extractor and so never annotated in training data); everything
else fails the build so that broken stories, unknown actions or responses are caught.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from gopay_support.core import review
from gopay_support.core.script import to_simplified

#: Warnings that are understood and harmless here, each with the reason.
EXPECTED = [
    # Extracted by gopay_support.adapters.rasa.nlu.entities.TrackingNumberExtractor (a rule, not DIET).
    re.compile(r"The entity 'ticket_id' is not used in any training example", re.I),
    # Rasa's importer merges the retrieval intent found in the NLU data into the domain
    # that already declares it (declaring it is required by the story validation).
    re.compile(
        r"^The following duplicated intents have been found across multiple domain "
        r"files: faq$"
    ),
    # Form prompts, asked by Rasa's form loop itself.
    re.compile(r"The utterance 'utter_ask_\w+' is not used in any story or rule"),
    # Sent by Rasa's built-in action_default_fallback (core_fallback_action_name).
    re.compile(r"The utterance 'utter_default' is not used in any story or rule"),
    # Button-only intents: sent as /intent{...} payloads, never typed, so no NLU examples;
    # they act through slot mappings (domain/tickets.yml), not through rules.
    re.compile(
        r"The intent 'ticket_choose' is (listed in the domain file, but is not found "
        r"in the NLU training data|not used in any story or rule)"
    ),
    # The CSAT rating buttons after a human handoff (domain/handoff.yml), same reason.
    re.compile(
        r"The intent 'csat_rate' is listed in the domain file, but is not found "
        r"in the NLU training data"
    ),
    # Intents that only exist to be triggered by the system (EXTERNAL_*) or by buttons.
    re.compile(r"The intent '(EXTERNAL_\w+|nlu_fallback)' is not used", re.I),
    re.compile(r"intent 'EXTERNAL_\w+' is (listed|not used)", re.I),
]
WARNING_RE = re.compile(r"UserWarning: (.*)")
# "utter_x" literals, and f"utter_x_{status}" families, in the code of custom actions.
ACTION_RESPONSE_RE = re.compile(r"""f?["'](utter_\w+?)(\{|["'])""")


def responses_sent_by_actions() -> tuple[set[str], set[str]]:
    """Response names (and name prefixes) that custom actions send: unused in stories by
    design, since the action decides which one to send."""
    names: set[str] = set()
    prefixes: set[str] = set()
    for path in Path("actions").rglob("*.py"):
        for name, end in ACTION_RESPONSE_RE.findall(path.read_text(encoding="utf-8")):
            (prefixes if end == "{" else names).add(name)
    return names, prefixes


def is_expected(warning: str, action_responses: tuple[set[str], set[str]]) -> bool:
    unused = re.match(r"The utterance '(\w+)' is not used in any story or rule", warning)
    if unused:
        names, prefixes = action_responses
        name = unused.group(1)
        if name in names or any(name.startswith(prefix) for prefix in prefixes):
            return True
    return any(p.search(warning) for p in EXPECTED)


def reviewed_in_heldout(root: Path = Path(".")) -> list[str]:
    """Texts of the learning loop's training file that are also held-out test examples:
    training on them would make the held-out figures meaningless."""
    reviewed = root / review.TRAINING_FILE
    if not reviewed.exists():
        return []
    heldout = _heldout_texts(root)
    return review.overlap(review.example_texts(reviewed.read_text(encoding="utf-8")), heldout)


def _heldout_texts(root: Path) -> list[str]:
    return [
        text
        for path in sorted(root.glob(review.HELDOUT_GLOB))
        for text in review.example_texts(path.read_text(encoding="utf-8"))
    ]


def training_in_heldout(root: Path = Path(".")) -> list[tuple[str, str]]:
    """``(training file, text)`` for every training example that is also a held-out example,
    compared as the model reads them (spacing, case, traditional or simplified characters)."""

    def key(text: str) -> str:
        return to_simplified(review.normalise(text)).casefold()

    held = {key(text) for text in _heldout_texts(root)}
    return [
        (str(path.relative_to(root)), text)
        for path in sorted((root / "data" / "nlu").glob("*.yml"))
        for text in review.example_texts(path.read_text(encoding="utf-8"))
        if key(text) in held
    ]


def main() -> int:
    leaked = reviewed_in_heldout()
    if leaked:
        for text in leaked:
            print(f"{review.TRAINING_FILE}: held-out test text used for training: {text}", file=sys.stderr)
        return 1
    copied = training_in_heldout()
    if copied:
        for path, text in copied:
            print(f"{path}: held-out test text also used for training: {text}", file=sys.stderr)
        return 1
    result = subprocess.run(
        [sys.executable, "-m", "rasa", "data", "validate", "--domain", "domain"],
        capture_output=True,
        text=True,
    )
    output = result.stdout + result.stderr
    warnings = [m.group(1).strip() for m in WARNING_RE.finditer(output)]
    action_responses = responses_sent_by_actions()
    unexpected = [w for w in warnings if not is_expected(w, action_responses)]
    for warning in warnings:
        print(("  expected: " if warning not in unexpected else "UNEXPECTED: ") + warning)
    if result.returncode != 0 or unexpected:
        print(output[-4000:], file=sys.stderr)
        print(
            f"data validation failed: exit {result.returncode}, {len(unexpected)} unexpected warning(s)",
            file=sys.stderr,
        )
        return 1
    print(f"data validation passed ({len(warnings)} expected warning(s))")
    return 0


if __name__ == "__main__":
    sys.exit(main())
