"""Tune and report the fusion of `qa.retrieve` on a question set, features computed once.

A full `qa eval` of SQuAD dev takes minutes per setting; here each question's candidate
passages and their features (BM25, passage and best-sentence cosine, coverage) are
computed once with the production code (`qa.retrieve.gather_evidence`) and cached,
then fusion settings are swept in numpy with the production `qa.scoring.fuse`.

The set is split by article (sorted article files: even positions tune, odd report) so
that the chosen weights are judged on articles they never saw.

    .venv/bin/python bench/tune_retrieval.py \\
        --index /tmp/qa-cache-eval/eval/<hash> --set /work/shared/eval/squad_dev_v1.1
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from index.embedding.embed import load_embedder
from index.store.interface import Store
from index.store.snapshot import IndexSnapshot
from qa.retrieve import ScoredPassage, gather_evidence
from qa.scoring import ConfidenceRule, FusionWeights, fuse


def candidate_passages(store: Store, question: str, vector: np.ndarray) -> list[ScoredPassage]:
    """Every candidate passage of a question with its features, unfused."""
    found = gather_evidence(store, question, vector)
    if found is None:
        return []
    everything = np.arange(len(found.passages))
    return found.scored(everything, np.zeros(len(everything)))


def fuse_candidates(candidates: Sequence[ScoredPassage], weights: FusionWeights) -> np.ndarray:
    """`fuse` over a list of scored candidates, as the query path fuses its arrays."""
    return fuse(
        np.array([c.lexical for c in candidates]),
        np.array([c.passage_cos for c in candidates]),
        np.array([c.sentence_cos for c in candidates]),
        np.array([c.coverage for c in candidates]),
        np.array([float(c.record.boilerplate) for c in candidates]),
        weights,
    )


@dataclass(frozen=True)
class Features:
    """Flat arrays of every question's candidates; `offsets[q]:offsets[q+1]` is question q."""

    offsets: np.ndarray
    paragraph: np.ndarray
    """Index into `keys` of the candidate's (article file, paragraph ordinal)."""
    lexical: np.ndarray
    passage_cos: np.ndarray
    sentence_cos: np.ndarray
    coverage: np.ndarray
    boilerplate: np.ndarray
    gold: np.ndarray
    """1 where the candidate's paragraph is relevant to its question."""
    sentence_offsets: np.ndarray
    """Per candidate: `sentence_offsets[c]:sentence_offsets[c+1]` are its sentences."""
    sentence_cosine: np.ndarray
    sentence_coverage: np.ndarray
    sentence_has_answer: np.ndarray


def load_set(folder: Path) -> tuple[list[dict], list[str]]:
    rows = [json.loads(line) for line in (folder / "questions.jsonl").open() if line.strip()]
    articles = sorted(p.name for p in (folder / "articles").iterdir())
    return rows, articles


def extract(index: Path, rows: list[dict], cache: Path) -> Features:
    """Candidate features of every question, cached in `cache` (an .npz, no pickle)."""
    if cache.exists():
        with np.load(cache, allow_pickle=False) as data:
            return Features(**{name: data[name] for name in data.files})
    embedder = load_embedder()
    # The model id scheme may change while vectors stay valid: the bench trusts --index.
    snapshot = IndexSnapshot.open(index, None)
    started = time.perf_counter()
    vectors = embedder.encode([r["question"] for r in rows])
    print(f"encoded {len(rows)} questions in {time.perf_counter() - started:.0f}s", file=sys.stderr)
    cols: dict[str, list] = {k: [] for k in Features.__dataclass_fields__}
    cols["offsets"].append(0)
    cols["sentence_offsets"].append(0)
    keys: dict[tuple[str, int], int] = {}
    started = time.perf_counter()
    for number, (row, vector) in enumerate(zip(rows, vectors, strict=True)):
        relevant = {
            (f, int(p)) for f, p in row.get("relevant") or [[row["article"], row["paragraph"]]]
        }
        answers = row.get("answers", [])
        for item in candidate_passages(snapshot, row["question"], vector):
            key = (Path(item.record.article.key).name, item.record.ordinal)
            cols["paragraph"].append(keys.setdefault(key, len(keys)))
            cols["lexical"].append(item.lexical)
            cols["passage_cos"].append(item.passage_cos)
            cols["sentence_cos"].append(item.sentence_cos)
            cols["coverage"].append(item.coverage)
            cols["boilerplate"].append(float(item.record.boilerplate))
            cols["gold"].append(key in relevant)
            for s in item.sentences:
                cols["sentence_cosine"].append(s.cosine)
                cols["sentence_coverage"].append(s.coverage)
                cols["sentence_has_answer"].append(any(a in s.record.text for a in answers))
            cols["sentence_offsets"].append(len(cols["sentence_cosine"]))
        cols["offsets"].append(len(cols["paragraph"]))
        if number % 1000 == 999:
            rate = (number + 1) / (time.perf_counter() - started)
            print(f"{number + 1} questions, {rate:.0f}/s", file=sys.stderr)
    arrays = {k: np.asarray(v) for k, v in cols.items()}
    np.savez(cache, **arrays)
    return Features(**arrays)


def paragraph_ranking(scores: np.ndarray, paragraph: np.ndarray, k: int = 10) -> np.ndarray:
    """Candidate indices of the first passage of each of the top `k` distinct paragraphs."""
    order = np.argsort(-scores, kind="stable")
    _, first = np.unique(paragraph[order], return_index=True)
    return order[np.sort(first)][:k]


def rrf(f: Features, lo: int, hi: int) -> np.ndarray:
    """Plain reciprocal rank fusion (k=60) of dense and BM25 ranks: the baseline."""
    dense = np.maximum(f.passage_cos[lo:hi], f.sentence_cos[lo:hi])
    lexical = f.lexical[lo:hi]
    dense_rank = np.empty(hi - lo)
    dense_rank[np.argsort(-dense, kind="stable")] = np.arange(1, hi - lo + 1)
    lexical_rank = np.empty(hi - lo)
    lexical_rank[np.argsort(-lexical, kind="stable")] = np.arange(1, hi - lo + 1)
    return 1 / (60 + dense_rank) + np.where(lexical > 0, 1 / (60 + lexical_rank), 0)


def metrics(
    f: Features, questions: np.ndarray, scorer: object, highlight: float | None = None
) -> dict[str, float]:
    """R@1, R@5, MRR@10 (and highlight accuracy) of `scorer(lo, hi)` over `questions`."""
    r1 = r5 = mrr = 0.0
    hl_hits = hl_total = 0
    for q in questions:
        lo, hi = int(f.offsets[q]), int(f.offsets[q + 1])
        if hi == lo:
            continue
        top = paragraph_ranking(scorer(lo, hi), f.paragraph[lo:hi])  # type: ignore[operator]
        gold = f.gold[lo:hi][top]
        if gold.any():
            position = int(np.argmax(gold)) + 1
            mrr += 1 / position
            r1 += position == 1
            r5 += position <= 5
        if highlight is not None and gold.size and gold[0]:
            c = lo + int(top[0])
            s_lo, s_hi = int(f.sentence_offsets[c]), int(f.sentence_offsets[c + 1])
            has = f.sentence_has_answer[s_lo:s_hi]
            if s_hi > s_lo and len(has):
                score = f.sentence_cosine[s_lo:s_hi] + highlight * f.sentence_coverage[s_lo:s_hi]
                hl_total += 1
                hl_hits += bool(has[int(np.argmax(score))])
    n = len(questions)
    out = {"R@1": r1 / n, "R@5": r5 / n, "MRR@10": mrr / n}
    if highlight is not None:
        out["highlight"] = hl_hits / max(1, hl_total)
    return out


def weighted(f: Features, w: FusionWeights) -> object:
    def score(lo: int, hi: int) -> np.ndarray:
        return fuse(
            f.lexical[lo:hi],
            f.passage_cos[lo:hi],
            f.sentence_cos[lo:hi],
            f.coverage[lo:hi],
            f.boilerplate[lo:hi],
            w,
        )

    return score


def show(name: str, result: dict[str, float]) -> None:
    print(f"{name:<44} " + "  ".join(f"{k} {v:.3f}" for k, v in result.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--set", type=Path, required=True, dest="folder")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/qa-tune-features.npz"))
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--context", action="store_true", help="only the title-context test")
    parser.add_argument("--no-confidence", action="store_true", help="skip the flag-rate sweep")
    parser.add_argument("--seed", type=Path, default=Path("/work/shared/eval/seed"))
    args = parser.parse_args()
    rows, articles = load_set(args.folder)
    if args.limit:
        rows = rows[: args.limit]
    f = extract(args.index, rows, args.cache)
    position = {name: i for i, name in enumerate(articles)}
    side = np.array([position[r["article"]] % 2 for r in rows])
    tune, report = np.flatnonzero(side == 0), np.flatnonzero(side == 1)
    if not len(report):
        report = tune
    everything = np.arange(len(rows))
    if args.context:
        context_experiment(args.index, rows, tune, report)
        return
    print(f"questions: tune {len(tune)}, report {len(report)}")

    baselines = {
        "bm25": weighted(f, FusionWeights(1, 0, 0, 0)),
        "dense (max passage/sentence cos)": lambda lo, hi: np.maximum(
            f.passage_cos[lo:hi], f.sentence_cos[lo:hi]
        ),
        "dense passage cos only": weighted(f, FusionWeights(0, 1, 0, 0)),
        "dense sentence cos only": weighted(f, FusionWeights(0, 0, 1, 0)),
        "rrf k=60": lambda lo, hi: rrf(f, lo, hi),
    }
    for name, scorer in baselines.items():
        for split, qs in (("tune", tune), ("report", report)):
            show(f"{name} [{split}]", metrics(f, qs, scorer))

    grid = itertools.product(
        (0.1, 0.2, 0.3, 0.4, 0.5, 0.7),  # lexical
        (0.0, 0.25, 0.5),  # passage
        (1.0,),  # sentence (the scale)
        (0.0, 0.15, 0.3, 0.45, 0.6, 0.75, 0.9),  # coverage
    )
    results = []
    for lexical, passage, sentence, cover in grid:
        w = FusionWeights(lexical, passage, sentence, cover)
        results.append((metrics(f, tune, weighted(f, w)), w))
    results.sort(key=lambda r: (r[0]["MRR@10"], r[0]["R@1"]), reverse=True)
    print("best on tune split:")
    for result, w in results[:8]:
        show(f"  lex {w.lexical} pas {w.passage} sen {w.sentence} cov {w.coverage}", result)
    best = results[0][1]
    for split, qs in (("tune", tune), ("report", report), ("all", everything)):
        show(f"chosen {best} [{split}]", metrics(f, qs, weighted(f, best), highlight=0.5))
    print("ablations of the chosen weights:")
    for name, w in (
        ("no coverage", replace(best, coverage=0.0)),
        ("no lexical", replace(best, lexical=0.0)),
        ("no passage cos", replace(best, passage=0.0)),
        ("no sentence cos", replace(best, sentence=0.0, passage=max(best.passage, 1.0))),
        ("bm25 + passage cos only", FusionWeights(best.lexical, 1.0, 0.0, 0.0)),
    ):
        for split, qs in (("tune", tune), ("report", report), ("all", everything)):
            show(f"  {name} [{split}]", metrics(f, qs, weighted(f, w)))
    for split, qs in (("all", everything),):
        for name, scorer in baselines.items():
            show(f"{name} [{split}]", metrics(f, qs, scorer))
    if args.no_confidence:
        return
    tune_confidence(f, best, tune, report, rows, args)
    print("highlight weight of coverage [tune split]:")
    for weight in (0.0, 0.25, 0.5, 1.0, 2.0):
        show(f"  {weight}", metrics(f, tune, weighted(f, best), highlight=weight))


def top_evidence(index: Path, questions: list[str], weights: FusionWeights) -> np.ndarray:
    """(best-sentence cosine, coverage) of each question's top hit in `index`."""
    embedder = load_embedder()
    snapshot = IndexSnapshot.open(index, None)
    out = []
    for question, vector in zip(questions, embedder.encode(questions), strict=True):
        found = candidate_passages(snapshot, question, vector)
        if not found:
            out.append((0.0, 0.0))
            continue
        fused = fuse_candidates(found, weights)
        top = found[int(np.argmax(fused))]
        out.append((top.sentence_cos, top.coverage))
    return np.array(out)


def seed_index(seed: Path) -> Path:
    """An index of the seed library, built once under /tmp."""
    from index.build.run import build_index, run_build

    target = Path("/tmp/qa-tune-seed-index")
    if not (target / "library.sqlite").exists():
        run_build(build_index(target, [seed / "articles"], embedder=load_embedder()))
    return target


def tune_confidence(
    f: Features,
    weights: FusionWeights,
    tune: np.ndarray,
    report: np.ndarray,
    rows: list[dict],
    args: argparse.Namespace,
) -> None:
    """Flag rates of in-library questions and of questions from another library."""
    inside = []
    for q in range(len(rows)):
        lo, hi = int(f.offsets[q]), int(f.offsets[q + 1])
        if hi == lo:
            inside.append((0.0, 0.0))
            continue
        top = lo + int(np.argmax(weighted(f, weights)(lo, hi)))  # type: ignore[operator]
        inside.append((f.sentence_cos[top], f.coverage[top]))
    inside_arr = np.array(inside)
    sample = [r["question"] for r in rows[:: max(1, len(rows) // 2000)]]
    squad_on_seed = top_evidence(seed_index(args.seed), sample, weights)
    seed_rows, _ = load_set(args.seed)
    seed_on_squad = top_evidence(args.index, [r["question"] for r in seed_rows], weights)
    seed_on_seed = top_evidence(seed_index(args.seed), [r["question"] for r in seed_rows], weights)
    print("flagged: in-library [squad tune / report, seed] | foreign [squad->seed, seed->squad]")
    for cosine in (0.35, 0.4, 0.45, 0.5, 0.55):
        for joint in (0.6, 0.7, 0.75, 0.8, 0.9, 1.0):
            rule = ConfidenceRule(cosine, joint)

            def flagged(evidence: np.ndarray, rule: ConfidenceRule = rule) -> float:
                return float(np.mean([not rule.confident(c, v) for c, v in evidence]))

            print(
                f"  cos {cosine} joint {joint}: in {flagged(inside_arr[tune]):.3f} / "
                f"{flagged(inside_arr[report]):.3f}, {flagged(seed_on_seed):.3f} | "
                f"foreign {flagged(squad_on_seed):.3f}, "
                f"{flagged(seed_on_squad):.3f}"
            )


def context_experiment(index: Path, rows: list[dict], tune: np.ndarray, report: np.ndarray) -> None:
    """Dense paragraph retrieval with the paragraph alone vs with its article's title.

    Measured on whole paragraphs, exhaustively, before touching the build: if titles do
    not help the dense ranking itself they cannot help the fusion.
    """
    import sqlite3

    conn = sqlite3.connect(f"file:{index / 'library.sqlite'}?mode=ro", uri=True)
    found = conn.execute(
        "SELECT a.key, a.title, p.ordinal, p.text FROM paragraphs p "
        "JOIN articles a ON a.id = p.article_id WHERE p.text != ''"
    ).fetchall()
    keys = [(Path(k).name, o) for k, _, o, _ in found]
    embedder = load_embedder()
    questions = embedder.encode([r["question"] for r in rows])
    gold = [
        {(f, int(p)) for f, p in r.get("relevant") or [[r["article"], r["paragraph"]]]}
        for r in rows
    ]
    for name, texts in (
        ("paragraph alone", [t for _, _, _, t in found]),
        ("title + paragraph", [f"{title}. {t}" for _, title, _, t in found]),
    ):
        scores = questions @ embedder.encode(texts).T
        for split, qs in (("tune", tune), ("report", report)):
            r1 = mrr = 0.0
            for q in qs:
                top = np.argsort(-scores[q])[:10]
                hits = [keys[i] in gold[q] for i in top]
                if any(hits):
                    position = hits.index(True) + 1
                    mrr += 1 / position
                    r1 += position == 1
            show(f"dense {name} [{split}]", {"R@1": r1 / len(qs), "MRR@10": mrr / len(qs)})


if __name__ == "__main__":
    main()
