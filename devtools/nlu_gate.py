"""Held-out NLU evaluation with the label contract of the assistant, and a quality gate.

The contract label of a message is the FAQ topic (``faq/<topic>``, from the response
selector) when the intent is ``faq``, the intent otherwise, and ``out_of_scope`` for a
low-confidence ``nlu_fallback``. ``rasa test nlu`` scores intents and response selection
separately, so this tool scores the combined label, overall, per language and per slice,
writes a report (per-label precision/recall/F1, confusion matrix image, the FAQ topic
confidence trade-off table) and fails below the bar.

Slices are tagged in the held-out file with a ``slice`` metadata key on an intent block or an
example (``traditional``, ``pinyin``, ``negation``, ``narrative``, ``near_domain``...); every
out-of-scope example is also in the ``out_of_scope`` slice. A ``language`` metadata key
overrides the language detected from the text (pinyin is Chinese written in Latin letters).

The gate (issue 12): accuracy overall and per language at least ``--min-accuracy``,
out-of-scope recall at least ``--min-oos-recall``, and at most ``--max-in-scope-to-oos`` of
the in-scope messages taken as out of scope.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from gopay_support.core import language, parse_data  # noqa: E402


def contract_label(parse: dict) -> str:
    return parse_data.contract_label(parse)


#: Topic-confidence thresholds shown in the trade-off table.
THRESHOLDS = [round(0.05 * i, 2) for i in range(0, 19)]
OUT_OF_SCOPE = parse_data.OUT_OF_SCOPE


@dataclass(frozen=True)
class Example:
    text: str
    label: str
    slices: tuple[str, ...] = ()
    language: str | None = None


def _metadata_values(metadata: object, key: str) -> list[str]:
    """``key`` of the example's and the intent block's metadata, as a list of strings."""
    found: list[str] = []
    if not isinstance(metadata, dict):
        return found
    for level in ("example", "intent"):
        value = (metadata.get(level) or {}).get(key) if isinstance(metadata.get(level), dict) else None
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, list):
            found.extend(str(v) for v in value)
    return found


def load_examples(path: Path) -> list[Example]:
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(path))
    examples = []
    for message in data.intent_examples:
        label = message.get("intent_response_key") or message.get("intent")
        metadata = message.get("metadata")
        slices = _metadata_values(metadata, "slice")
        if label == OUT_OF_SCOPE:
            slices.append(OUT_OF_SCOPE)
        languages = _metadata_values(metadata, "language")
        examples.append(
            Example(
                message.get("text"),
                label,
                tuple(dict.fromkeys(slices)),
                language.normalize(languages[0]) if languages else None,
            )
        )
    return examples


def faq_candidate(parse: dict) -> tuple[str | None, float]:
    """The FAQ topic the response selector chose before the topic-confidence gate, and its
    confidence; ``(None, 0.0)`` when the message was not taken as an FAQ question."""
    gate = parse.get("faq_gate")
    if isinstance(gate, dict) and gate.get("topic"):
        return gate["topic"], float(gate.get("confidence") or 0.0)
    topic = parse_data.faq_topic(parse)
    return (topic, parse_data.faq_topic_confidence(parse)) if topic else (None, 0.0)


async def predict(model: Path, texts: list[str]) -> list[dict]:
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))
    return [await agent.parse_message(text) for text in texts]


def accuracy(subset: list[dict], key: str = "predicted") -> float:
    return sum(r["expected"] == r[key] for r in subset) / len(subset) if subset else 0.0


def oos_recall(rows: list[dict], key: str = "predicted") -> float:
    oos = [r for r in rows if r["expected"] == OUT_OF_SCOPE]
    return sum(r[key] == OUT_OF_SCOPE for r in oos) / len(oos) if oos else 1.0


def in_scope_to_oos(rows: list[dict], key: str = "predicted") -> float:
    in_scope = [r for r in rows if r["expected"] != OUT_OF_SCOPE]
    return sum(r[key] == OUT_OF_SCOPE for r in in_scope) / len(in_scope) if in_scope else 0.0


def label_at(row: dict, threshold: float) -> str:
    """The contract label ``row`` would get with the topic gate at ``threshold``."""
    topic, confidence = row["faq_candidate"], row["faq_confidence"]
    if topic is None:
        return row["predicted"]
    return topic if confidence >= threshold else OUT_OF_SCOPE


def trade_off(rows: list[dict], thresholds: list[float] = THRESHOLDS) -> list[dict]:
    """Per threshold: how many FAQ answers are given and how many of them are right."""
    table = []
    faq_expected = sum(r["expected"].startswith("faq/") for r in rows)
    for threshold in thresholds:
        labelled = [{**r, "at": label_at(r, threshold)} for r in rows]
        answered = [r for r in labelled if r["faq_candidate"] is not None and r["at"] == r["faq_candidate"]]
        right = sum(r["expected"] == r["at"] for r in answered)
        # Coverage: the FAQ questions answered with their right topic, of all FAQ questions.
        table.append(
            {
                "threshold": threshold,
                "accuracy": round(accuracy(labelled, "at"), 4),
                "faq_answers": len(answered),
                "faq_precision": round(right / len(answered), 4) if answered else 1.0,
                "faq_coverage": round(right / faq_expected, 4) if faq_expected else 0.0,
                "oos_answered_as_faq": sum(r["expected"] == OUT_OF_SCOPE for r in answered),
                "oos_recall": round(oos_recall(labelled, "at"), 4),
                "in_scope_to_oos": round(in_scope_to_oos(labelled, "at"), 4),
            }
        )
    return table


def trade_off_markdown(table: list[dict], chosen: float | None) -> str:
    lines = [
        "| topic threshold | accuracy | FAQ answers | FAQ precision | FAQ coverage "
        "| out-of-scope answered as FAQ | out-of-scope recall | in-scope -> out_of_scope |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in table:
        mark = " (config)" if chosen is not None and abs(row["threshold"] - chosen) < 1e-9 else ""
        lines.append(
            f"| {row['threshold']:.2f}{mark} | {row['accuracy']:.4f} | {row['faq_answers']} | "
            f"{row['faq_precision']:.4f} | {row['faq_coverage']:.4f} | {row['oos_answered_as_faq']} | "
            f"{row['oos_recall']:.4f} | {row['in_scope_to_oos']:.4f} |"
        )
    return "\n".join(lines) + "\n"


def summarise(rows: list[dict]) -> dict:
    by_lang: dict[str, list[dict]] = defaultdict(list)
    by_slice: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        by_lang[row["language"]].append(row)
        for name in row.get("slices", ()):
            by_slice[name].append(row)
    labels = sorted({r["expected"] for r in rows} | {r["predicted"] for r in rows})
    per_label = {}
    for label in labels:
        tp = sum(r["expected"] == label and r["predicted"] == label for r in rows)
        fp = sum(r["expected"] != label and r["predicted"] == label for r in rows)
        fn = sum(r["expected"] == label and r["predicted"] != label for r in rows)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_label[label] = {
            "precision": round(precision, 3),
            "recall": round(recall, 3),
            "f1": round(f1, 3),
            "support": tp + fn,
        }
    return {
        "examples": len(rows),
        "accuracy": round(accuracy(rows), 4),
        "accuracy_by_language": {k: round(accuracy(v), 4) for k, v in sorted(by_lang.items())},
        "examples_by_language": {k: len(v) for k, v in sorted(by_lang.items())},
        "slices": {
            name: {
                "examples": len(subset),
                "accuracy": round(accuracy(subset), 4),
                "accuracy_by_language": {
                    lang: round(accuracy([r for r in subset if r["language"] == lang]), 4)
                    for lang in sorted({r["language"] for r in subset})
                },
            }
            for name, subset in sorted(by_slice.items())
        },
        "out_of_scope_recall": round(oos_recall(rows), 4),
        "out_of_scope_recall_by_language": {k: round(oos_recall(v), 4) for k, v in sorted(by_lang.items())},
        "in_scope_to_out_of_scope": round(in_scope_to_oos(rows), 4),
        "per_label": per_label,
        "confusions": Counter(
            f"{r['expected']} -> {r['predicted']}" for r in rows if r["expected"] != r["predicted"]
        ).most_common(),
    }


def plot_confusion(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import confusion_matrix

    labels = sorted({r["expected"] for r in rows} | {r["predicted"] for r in rows})
    matrix = confusion_matrix([r["expected"] for r in rows], [r["predicted"] for r in rows], labels=labels)
    fig, ax = plt.subplots(figsize=(14, 12))
    ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(len(labels)), labels, rotation=90, fontsize=8)
    ax.set_yticks(range(len(labels)), labels, fontsize=8)
    for i in range(len(labels)):
        for j in range(len(labels)):
            if matrix[i, j]:
                ax.text(
                    j,
                    i,
                    str(matrix[i, j]),
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="white" if matrix[i, j] > matrix.max() / 2 else "black",
                )
    ax.set_xlabel("predicted")
    ax.set_ylabel("expected")
    ax.set_title("Held-out NLU confusion matrix (contract labels)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--out", type=Path, default=Path("reports/nlu"))
    parser.add_argument("--min-accuracy", type=float, default=0.97)
    parser.add_argument("--min-oos-recall", type=float, default=0.95)
    parser.add_argument("--max-in-scope-to-oos", type=float, default=0.02)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)

    examples = load_examples(args.data)
    parses = asyncio.run(predict(args.model, [example.text for example in examples]))
    rows = [row_of(example, parse) for example, parse in zip(examples, parses, strict=True)]
    summary = summarise(rows)
    chosen = configured_threshold(parses)
    table = trade_off(rows)
    summary["faq_topic_threshold"] = chosen
    summary["trade_off"] = table
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "contract_report.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2))
    (args.out / "contract_errors.json").write_text(
        json.dumps([r for r in rows if r["expected"] != r["predicted"]], ensure_ascii=False, indent=2)
    )
    plot_confusion(rows, args.out / "contract_confusion_matrix.png")
    (args.out / "calibration.md").write_text(
        "# FAQ topic confidence: precision / coverage trade-off (held-out set)\n\n"
        + trade_off_markdown(table, chosen)
    )

    print(f"held-out examples: {summary['examples']}  accuracy: {summary['accuracy']:.4f}")
    for lang, acc in summary["accuracy_by_language"].items():
        print(f"  {lang}: {acc:.4f} on {summary['examples_by_language'][lang]} examples")
    for name, figures in summary["slices"].items():
        by_lang = "  ".join(f"{k}: {v:.4f}" for k, v in figures["accuracy_by_language"].items())
        print(f"  slice {name}: {figures['accuracy']:.4f} on {figures['examples']} examples ({by_lang})")
    print(
        f"  out-of-scope recall: {summary['out_of_scope_recall']:.4f}  "
        f"in-scope -> out_of_scope: {summary['in_scope_to_out_of_scope']:.4f}"
    )
    print(f"FAQ topic threshold (config.yml): {chosen}")
    print(trade_off_markdown(table, chosen))
    for confusion, count in summary["confusions"]:
        print(f"  miss x{count}: {confusion}")
    failures = gate_failures(summary, args.min_accuracy, args.min_oos_recall, args.max_in_scope_to_oos)
    if failures:
        for failure in failures:
            print(f"NLU gate FAILED: {failure}", file=sys.stderr)
        return 1
    print(
        f"NLU gate passed (accuracy >= {args.min_accuracy} overall and per language, out-of-scope "
        f"recall >= {args.min_oos_recall}, in-scope -> out_of_scope <= {args.max_in_scope_to_oos})"
    )
    return 0


def row_of(example: Example, parse: dict) -> dict:
    candidate, confidence = faq_candidate(parse)
    return {
        "text": example.text,
        "expected": example.label,
        "predicted": contract_label(parse),
        "confidence": round((parse.get("intent") or {}).get("confidence", 0.0), 3),
        "faq_candidate": candidate,
        "faq_confidence": round(confidence, 4),
        # The language the message is written in ("请用英文回答" is a Chinese message).
        "language": example.language or language.written(example.text) or language.DEFAULT,
        "slices": list(example.slices),
    }


def configured_threshold(parses: list[dict]) -> float | None:
    """The topic gate's threshold, as the model reports it on the messages it gated."""
    for parse in parses:
        gate = parse.get("faq_gate")
        if isinstance(gate, dict) and isinstance(gate.get("threshold"), int | float):
            return float(gate["threshold"])
    return None


def gate_failures(summary: dict, min_accuracy: float, min_oos_recall: float, max_to_oos: float) -> list[str]:
    failures = [
        f"accuracy {name} {value} < {min_accuracy}"
        for name, value in {"overall": summary["accuracy"], **summary["accuracy_by_language"]}.items()
        if value < min_accuracy
    ]
    if summary["out_of_scope_recall"] < min_oos_recall:
        failures.append(f"out-of-scope recall {summary['out_of_scope_recall']} < {min_oos_recall}")
    if summary["in_scope_to_out_of_scope"] > max_to_oos:
        failures.append(f"in-scope -> out_of_scope {summary['in_scope_to_out_of_scope']} > {max_to_oos}")
    return failures


if __name__ == "__main__":
    sys.exit(main())
