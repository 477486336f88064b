"""Tune the news context weights on tuning halves only.

Reads the candidate features `bench/news_features.py` cached for SQuAD dev and the news
set. Halves: news by quiz week (sorted weeks, even positions tune, odd ones are held
out), SQuAD by article file (even positions tune), as `bench/tune_retrieval.py` splits.
The weights are swept with the production `qa.scoring.fuse`. The confidence model is
fit by `bench/fit_confidence.py` on the same halves: its features compare the top hit
with the passages that are not copies of it, which takes their texts (not cached here).

    python bench/news_tune.py --news /tmp/news.npz --squad /tmp/squad.npz
"""

from __future__ import annotations

import argparse
import itertools
import json
from dataclasses import replace
from pathlib import Path

import numpy as np

from qa.retrieve import SHORTLIST, cheap_shortlist
from qa.scoring import (
    DEFAULT_WEIGHTS,
    RESTATE_CHARS,
    RESTATE_NEW_TERMS,
    Context,
    FusionWeights,
    fuse,
)

EVAL = Path("/work/shared/eval")
SHORT = [SHORTLIST]
"""Candidates the production shortlist keeps (0: all); set by --shortlist."""


def load(path: Path) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as data:
        return {name: data[name] for name in data.files}


def halves(kind: str, stride: int) -> tuple[np.ndarray, np.ndarray]:
    """(tune, held-out) question indices of a set (every `stride`-th question's)."""
    folder = EVAL / ("news_realtimeqa_dev" if kind == "news" else "squad_dev_v1.1")
    rows = [json.loads(line) for line in (folder / "questions.jsonl").open() if line.strip()]
    rows = rows[::stride]
    if kind == "news":
        order = {w: i for i, w in enumerate(sorted({r["quiz_week"] for r in rows}))}
        side = np.array([order[r["quiz_week"]] % 2 for r in rows])
    else:
        order = {
            a: i for i, a in enumerate(sorted(p.name for p in (folder / "articles").iterdir()))
        }
        side = np.array([order[r["article"]] % 2 for r in rows])
    return np.flatnonzero(side == 0), np.flatnonzero(side == 1)


def scores(
    f: dict[str, np.ndarray], lo: int, hi: int, w: FusionWeights, new_terms: int
) -> np.ndarray:
    """Fused scores of one question's candidates, the restatement rule at `new_terms`."""
    heading = (f["chars"][lo:hi] <= RESTATE_CHARS) & (
        f["asks"][lo:hi].astype(bool) | (f["new_terms"][lo:hi] <= new_terms)
    )
    context = Context(heading.astype(float), f["title_coverage"][lo:hi], f["article_dense"][lo:hi])
    return fuse(
        f["lexical"][lo:hi],
        f["passage_cos"][lo:hi],
        f["sentence_cos"][lo:hi],
        f["coverage"][lo:hi],
        f["boilerplate"][lo:hi],
        w,
        context,
    )


def evaluate(
    f: dict[str, np.ndarray], qs: np.ndarray, w: FusionWeights, new_terms: int
) -> dict[str, float]:
    """hit@1, hit@5, MRR@10 over `qs`."""
    h1 = h5 = mrr = 0.0
    off = f["offsets"]
    for q in qs:
        lo, hi = int(off[q]), int(off[q + 1])
        if hi == lo:
            continue
        s = scores(f, lo, hi, w, new_terms)
        if SHORT[0] and hi - lo > SHORT[0]:
            keep = cheap_shortlist(
                f["lexical"][lo:hi], f["passage_cos"][lo:hi], f["sentence_cos"][lo:hi], SHORT[0]
            )
            out = np.full(hi - lo, -np.inf)
            out[keep] = s[keep]
            s = out
        order = np.argsort(-s, kind="stable")
        _, first = np.unique(f["paragraph"][lo:hi][order], return_index=True)
        top = order[np.sort(first)][:10]
        gold = f["gold"][lo:hi][top]
        if gold.any():
            position = int(np.argmax(gold)) + 1
            mrr += 1 / position
            h1 += position == 1
            h5 += position <= 5
    n = max(1, len(qs))
    return {"hit@1": h1 / n, "hit@5": h5 / n, "MRR@10": mrr / n}


def show(name: str, result: dict[str, float]) -> None:
    print(f"{name:<48} " + "  ".join(f"{k} {v:.3f}" for k, v in result.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--news", type=Path, required=True)
    parser.add_argument("--squad", type=Path, required=True)
    parser.add_argument("--sweep", action="store_true")
    parser.add_argument("--squad-stride", type=int, default=5, help="as news_features --stride")
    parser.add_argument("--shortlist", type=int, default=SHORTLIST)
    args = parser.parse_args()
    SHORT[0] = args.shortlist
    sets = {"news": load(args.news), "squad": load(args.squad)}
    split = {"news": halves("news", 1), "squad": halves("squad", args.squad_stride)}
    base = replace(DEFAULT_WEIGHTS, restates=0.0, title=0.0, article=0.0)
    chosen, new_terms = DEFAULT_WEIGHTS, RESTATE_NEW_TERMS
    if args.sweep:
        results = []
        grid = itertools.product(
            (0.0, 0.5, 1.0, 1.5, 2.0), (0, 1, 2, 3), (0.0, 0.2, 0.4, 0.6), (0.0, 0.1, 0.2, 0.3)
        )
        for restate, terms_, title, article in grid:
            w = replace(DEFAULT_WEIGHTS, restates=restate, title=title, article=article)
            news = evaluate(sets["news"], split["news"][0], w, terms_)
            squad = evaluate(sets["squad"], split["squad"][0], w, terms_)
            results.append((news["MRR@10"] + news["hit@1"], squad, news, w, terms_))
        results.sort(key=lambda r: r[0], reverse=True)
        for _, squad, news, w, t in results[:10]:
            label = f"  re {w.restates} nt {t} ti {w.title} ar {w.article}"
            show(label, {**news, "squad R@1": squad["hit@1"]})
        chosen, new_terms = results[0][3], results[0][4]
    print(f"weights {chosen}, new terms {new_terms}")
    for kind, f in sets.items():
        tune, held = split[kind]
        for name, w in (("before", base), ("after", chosen)):
            for part, qs in (
                ("tune", tune),
                ("held-out", held),
                ("all", np.concatenate([tune, held])),
            ):
                show(f"{kind} {name} [{part}]", evaluate(f, qs, w, new_terms))


if __name__ == "__main__":
    main()
