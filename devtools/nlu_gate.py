"""Held-out NLU evaluation with the label contract of the assistant, and a quality gate.

The contract label of a message is the FAQ topic (``faq/<topic>``, from the response
selector) when the intent is ``faq``, the intent otherwise, and ``out_of_scope`` for a
low-confidence ``nlu_fallback``. ``rasa test nlu`` scores intents and response selection
separately, so this tool scores the combined label, overall and per language, writes a
report (per-label precision/recall/F1, confusion matrix image) and fails below the bar.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from collections import Counter, defaultdict
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from gopay_support.core import language, parse_data  # noqa: E402


def contract_label(parse: dict) -> str:
    return parse_data.contract_label(parse)


def load_examples(path: Path) -> list[tuple[str, str]]:
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(path))
    examples = []
    for message in data.intent_examples:
        label = message.get("intent_response_key") or message.get("intent")
        examples.append((message.get("text"), label))
    return examples


async def predict(model: Path, texts: list[str]) -> list[dict]:
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))
    return [await agent.parse_message(text) for text in texts]


def summarise(rows: list[dict]) -> dict:
    def accuracy(subset: list[dict]) -> float:
        return sum(r["expected"] == r["predicted"] for r in subset) / len(subset) if subset else 0.0

    by_lang: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        by_lang[row["language"]].append(row)
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
    parser.add_argument("--min-accuracy", type=float, default=0.95)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)

    examples = load_examples(args.data)
    parses = asyncio.run(predict(args.model, [text for text, _ in examples]))
    rows = [
        {
            "text": text,
            "expected": expected,
            "predicted": contract_label(parse),
            "confidence": round((parse.get("intent") or {}).get("confidence", 0.0), 3),
            "language": language.resolve(text),
        }
        for (text, expected), parse in zip(examples, parses, strict=True)
    ]
    summary = summarise(rows)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "contract_report.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2))
    (args.out / "contract_errors.json").write_text(
        json.dumps([r for r in rows if r["expected"] != r["predicted"]], ensure_ascii=False, indent=2)
    )
    plot_confusion(rows, args.out / "contract_confusion_matrix.png")

    print(f"held-out examples: {summary['examples']}  accuracy: {summary['accuracy']:.4f}")
    for lang, acc in summary["accuracy_by_language"].items():
        print(f"  {lang}: {acc:.4f} on {summary['examples_by_language'][lang]} examples")
    for confusion, count in summary["confusions"]:
        print(f"  miss x{count}: {confusion}")
    failing = {
        k: v
        for k, v in {"overall": summary["accuracy"], **summary["accuracy_by_language"]}.items()
        if v < args.min_accuracy
    }
    if failing:
        print(f"NLU gate FAILED: below {args.min_accuracy}: {failing}", file=sys.stderr)
        return 1
    print(f"NLU gate passed (>= {args.min_accuracy} overall and per language)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
