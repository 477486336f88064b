"""Retrieval quality on a question set in the shared format (the `qa eval` command is in
`qa.commands`; this module never imports it, so evaluation runs one way).

A set is `articles/*.txt` plus `questions.jsonl` lines with `question`, `article`,
`paragraph` and `relevant` ([file, paragraph] pairs). The articles are indexed into a
cached index keyed by the folder and the model, so re-running an evaluation re-embeds
nothing. Metrics are per paragraph: several passages of one paragraph count once.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from index.errors import UsageError
from index.locations import cache_dir
from qa.confidence import DEFAULT_MODEL
from qa.library import Library, check_question

if TYPE_CHECKING:
    from qa.answer import Answer

CUTOFFS = (1, 5, 10)


@dataclass(frozen=True)
class EvalQuestion:
    question: str
    relevant: frozenset[tuple[str, int]]
    answers: tuple[str, ...]


@dataclass(frozen=True)
class EvalResult:
    questions: int
    retriever: str
    recall_at_1: float
    recall_at_5: float
    recall_at_10: float
    mrr_at_10: float
    ndcg_at_10: float
    highlight_accuracy: float | None
    """Share of top-1 gold hits whose highlighted sentence contains a gold answer string."""
    flagged_rate: float
    """Share of these (in-library) questions answered with `confident=False`: should be low."""
    latency_p50_ms: float
    latency_p95_ms: float
    foreign_questions: int = 0
    """Questions from another library asked of this one (`--foreign`)."""
    foreign_flagged_rate: float | None = None
    """Share of the foreign questions flagged not confident: should be high."""
    confidence_auroc: float | None = None
    """How well `Answer.confidence` ranks right top hits above wrong ones (0.5: not at
    all, 1: perfectly); None when every top hit is right, or every one wrong."""
    confident_error_rate: float | None = None
    """Share of the confident answers whose top hit is wrong: should be low."""
    flagged_error_rate: float | None = None
    """Share of the flagged answers whose top hit is wrong: should be high."""


def load_questions(path: Path, limit: int | None = None) -> list[EvalQuestion]:
    questions = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise UsageError(f"{path}: cannot read question set ({error.strerror})") from None
    except UnicodeDecodeError as error:
        raise UsageError(f"{path}: not UTF-8 text (byte {error.start})") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            if not isinstance(row["question"], str):
                raise TypeError("the question is not a string")
            check_question(row["question"])
            relevant = row.get("relevant") or [[row["article"], row["paragraph"]]]
            questions.append(
                EvalQuestion(
                    question=row["question"],
                    relevant=frozenset((str(f), int(p)) for f, p in relevant),
                    answers=tuple(str(a) for a in row.get("answers", [])),
                )
            )
        except (ValueError, KeyError, TypeError, UsageError, RecursionError) as error:
            raise UsageError(f"{path}:{number}: not a question line ({error})") from None
        if limit and len(questions) >= limit:
            break
    if not questions:
        raise UsageError(f"{path}: no questions")
    return questions


def eval_index_dir(articles: Path, model_id: str) -> Path:
    key = hashlib.sha256(f"{articles.resolve()}|{model_id}".encode()).hexdigest()[:16]
    return cache_dir() / "eval" / key


def evaluate(
    library: Library, questions: list[EvalQuestion], *, k: int = 10, mode: str = "hybrid"
) -> EvalResult:
    recall = {cutoff: 0 for cutoff in CUTOFFS}
    mrr = ndcg = 0.0
    highlight_hits = highlight_total = flagged = 0
    latencies = []
    confidences: list[float] = []
    right: list[bool] = []
    for item in questions:
        started = time.perf_counter()
        answer = library.ask(item.question, k=max(k, 10), mode=mode)
        latencies.append(time.perf_counter() - started)
        ranked = _paragraph_ranking(answer)
        flagged += not answer.confident
        confidences.append(answer.confidence)
        right.append(bool(ranked) and ranked[0] in item.relevant)
        for cutoff in CUTOFFS:
            recall[cutoff] += any(p in item.relevant for p in ranked[:cutoff])
        for position, paragraph in enumerate(ranked[:10], start=1):
            if paragraph in item.relevant:
                mrr += 1.0 / position
                break
        dcg = sum(1.0 / math.log2(i + 2) for i, p in enumerate(ranked[:10]) if p in item.relevant)
        ideal = sum(1.0 / math.log2(i + 2) for i in range(min(len(item.relevant), 10)))
        ndcg += dcg / ideal if ideal else 0.0
        if item.answers and ranked and ranked[0] in item.relevant:
            highlight_total += 1
            sentence = answer.hits[0].best_sentence
            highlight_hits += any(a in sentence for a in item.answers)
    n = len(questions)
    latencies.sort()
    return EvalResult(
        questions=n,
        retriever=mode,
        recall_at_1=recall[1] / n,
        recall_at_5=recall[5] / n,
        recall_at_10=recall[10] / n,
        mrr_at_10=mrr / n,
        ndcg_at_10=ndcg / n,
        highlight_accuracy=highlight_hits / highlight_total if highlight_total else None,
        flagged_rate=flagged / n,
        latency_p50_ms=_percentile(latencies, 0.50) * 1000,
        latency_p95_ms=_percentile(latencies, 0.95) * 1000,
        confidence_auroc=auroc(confidences, right),
        confident_error_rate=_error_rate(confidences, right, flagged=False),
        flagged_error_rate=_error_rate(confidences, right, flagged=True),
    )


def auroc(scores: list[float], positive: list[bool]) -> float | None:
    """Area under the ROC curve: the chance a random positive outscores a random negative
    (ties count half); None without both kinds."""
    pos = [s for s, p in zip(scores, positive, strict=True) if p]
    neg = [s for s, p in zip(scores, positive, strict=True) if not p]
    if not pos or not neg:
        return None
    ordered = sorted(neg)
    wins = 0.0
    for s in pos:
        below = bisect.bisect_left(ordered, s)
        wins += below + 0.5 * (bisect.bisect_right(ordered, s) - below)
    return wins / (len(pos) * len(neg))


def _error_rate(confidences: list[float], right: list[bool], *, flagged: bool) -> float | None:
    """Share of wrong top hits among the flagged (or the confident) answers; None if none."""
    wrong = [
        not r
        for c, r in zip(confidences, right, strict=True)
        if (c < DEFAULT_MODEL.threshold) == flagged
    ]
    return sum(wrong) / len(wrong) if wrong else None


def flagged_share(library: Library, questions: list[EvalQuestion], mode: str = "hybrid") -> float:
    """Share of `questions` the library answers with `confident=False`."""
    flagged = sum(not library.ask(q.question, k=5, mode=mode).confident for q in questions)
    return flagged / len(questions) if questions else 0.0


def _paragraph_ranking(answer: Answer) -> list[tuple[str, int]]:
    ranked: list[tuple[str, int]] = []
    for hit in answer.hits:
        for citation in (hit.citation, *hit.also_cited):
            key = (Path(citation.article).name, citation.paragraph)
            if key not in ranked:
                ranked.append(key)
    return ranked


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    return values[min(len(values) - 1, int(q * len(values)))]


def render_result(result: EvalResult) -> str:
    highlight = (
        f"{result.highlight_accuracy:.3f}" if result.highlight_accuracy is not None else "n/a"
    )
    return (
        f"questions {result.questions}  retriever {result.retriever}\n"
        f"R@1 {result.recall_at_1:.3f}  R@5 {result.recall_at_5:.3f}  "
        f"R@10 {result.recall_at_10:.3f}  MRR@10 {result.mrr_at_10:.3f}  "
        f"nDCG@10 {result.ndcg_at_10:.3f}\n"
        f"highlight contains the answer: {highlight}\n"
        f"not confident: {result.flagged_rate:.3f} of these questions"
        + (
            f", {result.foreign_flagged_rate:.3f} of {result.foreign_questions} foreign ones\n"
            if result.foreign_flagged_rate is not None
            else "\n"
        )
        + _confidence_line(result)
        + f"latency p50 {result.latency_p50_ms:.1f} ms  p95 {result.latency_p95_ms:.1f} ms\n"
    )


def _confidence_line(result: EvalResult) -> str:
    def share(value: float | None) -> str:
        return f"{value:.3f}" if value is not None else "n/a"

    return (
        f"confidence AUROC (top hit right) {share(result.confidence_auroc)}; top hit wrong: "
        f"{share(result.confident_error_rate)} of confident, "
        f"{share(result.flagged_error_rate)} of flagged answers\n"
    )
