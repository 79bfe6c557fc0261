"""The NLU gate's scoring: slices from the held-out metadata, the topic-threshold table and
the thresholds of issue 12 (no model needed: rows are built from parse results)."""

from __future__ import annotations

from pathlib import Path

from devtools.nlu_gate import Example, gate_failures, load_examples, row_of, summarise, trade_off


def _parse(intent: str, topic: str | None = None, confidence: float = 0.9, gated: bool = False) -> dict:
    parse: dict = {"intent": {"name": intent, "confidence": 0.9}}
    if topic:
        parse["response_selector"] = {
            "faq": {"response": {"intent_response_key": topic, "confidence": confidence}}
        }
    if gated:
        parse["faq_gate"] = {"topic": topic, "confidence": confidence, "threshold": 0.4}
    return parse


def test_slices_and_language_come_from_the_metadata(tmp_path: Path) -> None:
    data = tmp_path / "heldout.yml"
    data.write_text(
        'version: "3.1"\nnlu:\n'
        "- intent: faq/topup_failed\n  examples: |\n    - 充值失败了\n"
        "- intent: faq/topup_failed\n  metadata:\n    slice: pinyin\n    language: zh\n"
        "  examples: |\n    - chongzhi shibai\n"
        "- intent: out_of_scope\n  metadata:\n    slice: near_domain\n  examples: |\n    - paypal fees\n",
        encoding="utf-8",
    )
    examples = load_examples(data)
    assert [(e.label, e.slices, e.language) for e in examples] == [
        ("faq/topup_failed", (), None),
        ("faq/topup_failed", ("pinyin",), "zh"),
        ("out_of_scope", ("near_domain", "out_of_scope"), None),
    ]
    assert row_of(examples[1], _parse("faq", "faq/topup_failed"))["language"] == "zh"
    assert row_of(examples[2], _parse("out_of_scope"))["language"] == "en"


def _rows() -> list[dict]:
    return [
        row_of(Example("a", "faq/topup_failed"), _parse("faq", "faq/topup_failed", 0.9)),
        row_of(Example("b", "faq/refund_failed"), _parse("nlu_fallback", "faq/refund_failed", 0.3, True)),
        row_of(Example("c", "out_of_scope", ("out_of_scope",)), _parse("faq", "faq/register", 0.6)),
        row_of(
            Example("d", "out_of_scope", ("out_of_scope",)), _parse("nlu_fallback", "faq/register", 0.2, True)
        ),
    ]


def test_the_trade_off_relabels_the_gated_and_ungated_faq_answers() -> None:
    table = {row["threshold"]: row for row in trade_off(_rows(), [0.0, 0.25, 0.5, 0.7])}
    assert table[0.0]["faq_answers"] == 4 and table[0.0]["oos_recall"] == 0.0
    assert table[0.25]["oos_answered_as_faq"] == 1 and table[0.25]["faq_coverage"] == 1.0
    assert table[0.5]["accuracy"] == 0.5  # b now clarified, d still right, c still wrong
    assert table[0.7] == {
        "threshold": 0.7,
        "accuracy": 0.75,
        "faq_answers": 1,
        "faq_precision": 1.0,
        "faq_coverage": 0.5,
        "oos_answered_as_faq": 0,
        "oos_recall": 1.0,
        "in_scope_to_oos": 0.5,
    }


def test_the_gate_fails_on_each_threshold_of_issue_12() -> None:
    summary = summarise(_rows())
    assert summary["out_of_scope_recall"] == 0.5 and summary["in_scope_to_out_of_scope"] == 0.5
    failures = gate_failures(summary, 0.97, 0.95, 0.02)
    assert any(f.startswith("accuracy overall") for f in failures)
    assert any(f.startswith("out-of-scope recall") for f in failures)
    assert any(f.startswith("in-scope -> out_of_scope") for f in failures)
    perfect = {**summary, "accuracy": 1.0, "accuracy_by_language": {"en": 1.0}}
    assert (
        gate_failures(
            {**perfect, "out_of_scope_recall": 1.0, "in_scope_to_out_of_scope": 0.0}, 0.97, 0.95, 0.02
        )
        == []
    )
