"""`qa eval` figures on the seed set: retrieval, highlight, and the no-answer rates."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from library_fixtures import SHARED, build, embedder

from qa.evaluate import auroc, evaluate, flagged_share, load_questions, render_result
from qa.library import Library

SEED = SHARED / "eval" / "seed"
FOREIGN = [
    "Which NFL team represented the AFC at Super Bowl 50?",
    "What is the chemical symbol of gold?",
    "Who designed the first steam locomotive?",
    "In what year did the Normans conquer England?",
]


def test_eval_reports_recall_highlight_and_flag_rates(tmp_path: Path) -> None:
    articles = tmp_path / "articles"
    shutil.copytree(SEED / "articles", articles)
    build(tmp_path / "index", articles)
    library = Library(tmp_path / "index", embedder())
    questions = load_questions(SEED / "questions.jsonl")
    foreign_file = tmp_path / "foreign.jsonl"
    foreign_file.write_text(
        "".join(
            json.dumps({"question": q, "article": "x.txt", "paragraph": 0}) + "\n" for q in FOREIGN
        )
    )

    result = evaluate(library, questions)
    assert result.recall_at_5 == 1.0
    assert result.recall_at_1 >= 8 / 9
    assert result.flagged_rate == 0.0
    assert flagged_share(library, load_questions(foreign_file)) == 1.0
    text = render_result(result)
    assert "not confident: 0.000 of these questions" in text
    assert "highlight contains the answer: n/a" in text  # the seed set has no answer strings
    assert "confidence AUROC (top hit right)" in text
    assert result.confidence_auroc is None or 0.0 <= result.confidence_auroc <= 1.0


def test_auroc_is_the_chance_a_right_answer_is_more_confident_than_a_wrong_one() -> None:
    assert auroc([0.9, 0.8, 0.3, 0.1], [True, True, False, False]) == 1.0
    assert auroc([0.9, 0.8, 0.3, 0.1], [False, False, True, True]) == 0.0
    assert auroc([0.5, 0.5], [True, False]) == 0.5
    assert auroc([0.7, 0.2, 0.6], [True, False, False]) == 1.0
    assert auroc([0.7, 0.6], [True, True]) is None  # no wrong answer: undefined
