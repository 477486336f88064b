"""Fit and report the confidence model (`qa.confidence.DEFAULT_MODEL`) on two question sets.

Each question is ranked as `qa eval` ranks it (`Library.ask` with k=10 keeps the top
30 passages), and the features `qa.confidence.top_features` computes from that ranking
are kept with whether the top paragraph is gold; one .npz per set (no pickle) so that
refits take seconds. The halves are those of `bench/news_tune.py`: news by quiz week
(sorted weeks, even positions tune, odd ones held out), SQuAD by article file.

The model is a logistic regression fit by Newton's method on the two tune halves
together, each half weighing the same (SQuAD's 2,000 tune questions would otherwise
drown news's 220, and the flag must mean something on both). Its coefficients are then
copied into `qa.confidence.DEFAULT_MODEL` by hand; the report gives AUROC, the flagged
share and the error rates of confident and flagged answers, current model and new fit,
tune and held-out halves and the whole set.

    python bench/fit_confidence.py --news-index DIR --squad-index DIR --cache /tmp/conf
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from qa.confidence import DEFAULT_MODEL, FEATURES, ConfidenceModel, top_features
from qa.evaluate import auroc
from qa.library import Library, rivals
from qa.retrieve import rank_passages

EVAL = Path("/work/shared/eval")
SETS = {"news": "news_realtimeqa_dev", "squad": "squad_dev_v1.1"}
RANKED = 30
"""Passages `Library.ask` ranks for `qa eval` (k=10: 2k + 10)."""


def question_rows(kind: str, stride: int) -> tuple[list[dict], np.ndarray]:
    """Every `stride`-th question of a set, and each one's half (0 tune, 1 held out)."""
    folder = EVAL / SETS[kind]
    rows = [json.loads(line) for line in (folder / "questions.jsonl").open() if line.strip()]
    rows = rows[::stride]
    if kind == "news":
        order = {w: i for i, w in enumerate(sorted({r["quiz_week"] for r in rows}))}
        side = np.array([order[r["quiz_week"]] % 2 for r in rows])
    else:
        files = sorted(p.name for p in (folder / "articles").iterdir())
        order = {name: i for i, name in enumerate(files)}
        side = np.array([order[r["article"]] % 2 for r in rows])
    return rows, side


def collect(index: Path, rows: list[dict]) -> dict[str, np.ndarray]:
    """Per question: the confidence features, the top hit's best sentence cosine and
    coverage (the model's "nothing fits" cap), and whether its paragraph is gold."""
    library = Library.open(index)
    library.warm()
    vectors = library.encode_questions([r["question"] for r in rows])
    features, cap, right = [], [], []
    started = time.perf_counter()
    for number, (row, vector) in enumerate(zip(rows, vectors, strict=True)):
        gold = {(f, int(p)) for f, p in row.get("relevant") or [[row["article"], row["paragraph"]]]}
        ranked = rank_passages(library.snapshot(), row["question"], vector, k=RANKED)
        if not ranked:
            features.append((0.0,) * len(FEATURES))
            cap.append((0.0, 0.0))
            right.append(False)
            continue
        top = ranked[0]
        features.append(top_features(top, rivals(ranked)))
        cap.append((top.sentence_cos, top.coverage))
        right.append((Path(top.record.article.key).name, top.record.ordinal) in gold)
        if number % 500 == 499:
            rate = (number + 1) / (time.perf_counter() - started)
            print(f"{number + 1} questions, {rate:.0f}/s", file=sys.stderr)
    library.close()
    return {"features": np.array(features), "cap": np.array(cap), "right": np.array(right)}


def fit_logistic(
    x: np.ndarray, y: np.ndarray, weight: np.ndarray, ridge: float = 1e-2
) -> np.ndarray:
    """[intercept, coefficients...] of a weighted logistic regression by Newton's method,
    with a little L2 for stability."""
    design = np.hstack([np.ones((len(x), 1)), x])
    weight = weight / weight.mean()
    beta = np.zeros(design.shape[1])
    for _ in range(50):
        p = 1 / (1 + np.exp(-design @ beta))
        gradient = design.T @ (weight * (y - p)) - ridge * beta
        curvature = weight * p * (1 - p)
        hessian = design.T @ (design * curvature[:, None]) + ridge * np.eye(len(beta))
        step = np.linalg.solve(hessian, gradient)
        beta += step
        if np.abs(step).max() < 1e-8:
            break
    return beta


def report(model: ConfidenceModel, data: dict[str, np.ndarray], qs: np.ndarray) -> str:
    """AUROC, flagged share, and the share of wrong top hits among confident and among
    flagged answers, as `qa eval` reports them."""
    pairs = zip(data["features"][qs], data["cap"][qs], strict=True)
    p = np.array([model.probability(features, *cap) for features, cap in pairs])
    right = data["right"][qs]
    flagged = p < model.threshold
    area = auroc(p.tolist(), right.tolist())

    def wrong(among: np.ndarray) -> str:
        return f"{(~right[among]).mean():.3f}" if among.any() else "-"

    return (
        f"n {len(qs):5d}  hit@1 {right.mean():.3f}  AUROC {area or 0.0:.3f}  "
        f"flagged {flagged.mean():.3f}  wrong|confident {wrong(~flagged)}  "
        f"wrong|flagged {wrong(flagged)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--news-index", type=Path, required=True)
    parser.add_argument("--squad-index", type=Path, required=True)
    parser.add_argument("--squad-stride", type=int, default=5, help="every n-th SQuAD question")
    parser.add_argument("--cache", type=Path, help="folder of the per-set .npz (reused if there)")
    args = parser.parse_args()
    sets, halves = {}, {}
    for kind, index, stride in (
        ("news", args.news_index, 1),
        ("squad", args.squad_index, args.squad_stride),
    ):
        rows, halves[kind] = question_rows(kind, stride)
        cached = args.cache / f"{kind}-{stride}.npz" if args.cache else None
        if cached is not None and cached.exists():
            with np.load(cached, allow_pickle=False) as stored:
                sets[kind] = {name: stored[name] for name in stored.files}
        else:
            sets[kind] = collect(index, rows)
            if cached is not None:
                cached.parent.mkdir(parents=True, exist_ok=True)
                np.savez(cached, **sets[kind])
    x, y, weight = [], [], []
    for kind, data in sets.items():
        tune = np.flatnonzero(halves[kind] == 0)
        x.append(data["features"][tune])
        y.append(data["right"][tune].astype(float))
        weight.append(np.full(len(tune), 1.0 / len(tune)))
    beta = fit_logistic(np.vstack(x), np.concatenate(y), np.concatenate(weight))
    fitted = replace(DEFAULT_MODEL, intercept=float(beta[0]), coefficients=tuple(beta[1:]))
    terms = ", ".join(f"{n} {c:.2f}" for n, c in zip(FEATURES, beta[1:], strict=True))
    print(f"fit: intercept {beta[0]:.2f}, {terms}")
    for name, model in (("current", DEFAULT_MODEL), ("fitted", fitted)):
        for kind, data in sets.items():
            side = halves[kind]
            for part, qs in (
                ("tune", np.flatnonzero(side == 0)),
                ("held-out", np.flatnonzero(side == 1)),
                ("all", np.arange(len(side))),
            ):
                print(f"{name:8} {kind:6} {part:9} {report(model, data, qs)}")


if __name__ == "__main__":
    main()
