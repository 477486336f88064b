"""`qa eval` figures on two halves of a set, split by article, plus the whole, in one pass.

Why: a change that helps on average may help one kind of article and hurt another; the
halves (sorted article files: even positions, odd positions, as bench/tune_retrieval.py
splits them) show whether a difference holds on articles it was not looked at on. Each
question is asked once, through `qa.evaluate.evaluate`; the whole set's figures are
the halves' combined by question count (highlights by top-1 gold hits).

    python bench/split_eval.py --index DIR --set /work/shared/eval/squad_dev_v1.1 [--every N]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from qa.evaluate import EvalQuestion, EvalResult, evaluate, load_questions  # noqa: E402
from qa.library import Library  # noqa: E402


def halves(questions: list[EvalQuestion], articles: list[str]) -> dict[str, list[EvalQuestion]]:
    position = {name: i for i, name in enumerate(sorted(articles))}
    split: dict[str, list[EvalQuestion]] = {"even": [], "odd": []}
    for item in questions:
        first = min(position.get(name, 0) for name, _ in item.relevant)
        split["odd" if first % 2 else "even"].append(item)
    return split


def figures(result: EvalResult) -> dict[str, float]:
    return {
        "questions": result.questions,
        "R@1": round(result.recall_at_1, 4),
        "MRR@10": round(result.mrr_at_10, 4),
        "highlight": round(result.highlight_accuracy or 0.0, 4),
    }


def combined(parts: list[EvalResult]) -> dict[str, float]:
    count = sum(r.questions for r in parts)
    hits = [r.recall_at_1 * r.questions for r in parts]
    return {
        "questions": count,
        "R@1": round(sum(hits) / count, 4),
        "MRR@10": round(sum(r.mrr_at_10 * r.questions for r in parts) / count, 4),
        "highlight": round(
            sum((r.highlight_accuracy or 0.0) * h for r, h in zip(parts, hits, strict=True))
            / max(1.0, sum(hits)),
            4,
        ),
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--set", type=Path, required=True, help="folder with questions.jsonl")
    parser.add_argument("--every", type=int, default=1, help="only every n-th question")
    args = parser.parse_args(argv)
    questions = load_questions(args.set / "questions.jsonl")[:: max(1, args.every)]
    articles = [path.name for path in (args.set / "articles").glob("*.txt")]
    library = Library.open(args.index)
    results = {name: evaluate(library, part) for name, part in halves(questions, articles).items()}
    report = {name: figures(result) for name, result in results.items()}
    report["all"] = combined(list(results.values()))
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
