"""The learning loop's training file never holds a held-out test text (make validate checks
the same), so the held-out figures keep measuring understanding of unseen messages."""

from __future__ import annotations

from devtools.validate_data import reviewed_in_heldout, training_in_heldout
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


def test_no_training_example_is_a_heldout_example():
    assert training_in_heldout(PROJECT_ROOT) == []


def test_the_training_check_reads_traditional_and_simplified_as_one_text(tmp_path):
    (tmp_path / "data" / "nlu").mkdir(parents=True)
    (tmp_path / "tests").mkdir()
    (tmp_path / "data" / "nlu" / "faq.yml").write_text(
        "nlu:\n- intent: faq/topup_failed\n  examples: |\n    - 儲值失敗了\n    - 别的说法\n",
        encoding="utf-8",
    )
    (tmp_path / "tests" / "nlu_heldout.yml").write_text(
        "nlu:\n- intent: faq/topup_failed\n  metadata:\n    slice: traditional\n"
        "  examples: |\n    - 储值失败了\n",
        encoding="utf-8",
    )
    assert training_in_heldout(tmp_path) == [("data/nlu/faq.yml", "儲值失敗了")]
