"""The learning loop's training file never holds a held-out test text (make validate checks
the same), so the held-out figures keep measuring understanding of unseen messages."""

from __future__ import annotations

from devtools.validate_data import reviewed_in_heldout
from gopay_support.wiring import PROJECT_ROOT


def test_reviewed_examples_are_not_in_the_heldout_set():
    assert reviewed_in_heldout(PROJECT_ROOT) == []


def test_the_check_finds_a_leaked_text(tmp_path):
    (tmp_path / "data" / "nlu").mkdir(parents=True)
    (tmp_path / "tests").mkdir()
    (tmp_path / "data" / "nlu" / "reviewed.yml").write_text(
        "nlu:\n- intent: faq/register\n  examples: |\n    - gopay怎么注册啊\n    - 新的说法\n",
        encoding="utf-8",
    )
    (tmp_path / "tests" / "nlu_heldout_extra.yml").write_text(
        "nlu:\n- intent: faq/register\n  examples: |\n    - GoPay怎么注册啊\n", encoding="utf-8"
    )
    assert reviewed_in_heldout(tmp_path) == ["gopay怎么注册啊"]
