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

#: Warnings that are understood and harmless here, each with the reason.
EXPECTED = [
    # Filled by gopay_support.nlu.entities, not annotated in training examples.
    re.compile(r"entity '(language|ticket_id)'.*(not|isn't) (used|annotated|present)", re.I),
    re.compile(r"The entity '(language|ticket_id)' is not used in any training example", re.I),
    # Intents that only exist to be triggered by the system (EXTERNAL_*) or by buttons.
    re.compile(r"The intent '(EXTERNAL_\w+|nlu_fallback)' is not used", re.I),
    re.compile(r"intent 'EXTERNAL_\w+' is (listed|not used)", re.I),
]
WARNING_RE = re.compile(r"UserWarning: (.*)")
ACTION_RESPONSE_RE = re.compile(r"""response\s*=\s*["'](utter_\w+)["']""")


def responses_sent_by_actions() -> set[str]:
    """Responses that custom actions send by name: unused in stories by design."""
    names: set[str] = set()
    for path in Path("actions").rglob("*.py"):
        names.update(ACTION_RESPONSE_RE.findall(path.read_text(encoding="utf-8")))
    return names


def is_expected(warning: str, action_responses: set[str]) -> bool:
    unused = re.match(r"The utterance '(\w+)' is not used in any story or rule", warning)
    if unused and unused.group(1) in action_responses:
        return True
    return any(p.search(warning) for p in EXPECTED)


def main() -> int:
    result = subprocess.run(
        [sys.executable, "-m", "rasa", "data", "validate", "--domain", "domain"],
        capture_output=True, text=True,
    )
    output = result.stdout + result.stderr
    warnings = [m.group(1).strip() for m in WARNING_RE.finditer(output)]
    action_responses = responses_sent_by_actions()
    unexpected = [w for w in warnings if not is_expected(w, action_responses)]
    for warning in warnings:
        print(("  expected: " if warning not in unexpected else "UNEXPECTED: ") + warning)
    if result.returncode != 0 or unexpected:
        print(output[-4000:], file=sys.stderr)
        print(f"data validation failed: exit {result.returncode}, "
              f"{len(unexpected)} unexpected warning(s)", file=sys.stderr)
        return 1
    print(f"data validation passed ({len(warnings)} expected warning(s))")
    return 0


if __name__ == "__main__":
    sys.exit(main())
