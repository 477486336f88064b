"""Cache every candidate's ranking features for a question set, to tune ranking offline.

Like `bench/tune_retrieval.py`'s `extract`, but with the features news needs: the
article each candidate belongs to and the raw evidence for the heading and title rules
(`qa.retrieve` computes the same from the same code). One .npz per set, no pickle.

    python bench/news_features.py --index DIR --set /work/shared/eval/news_realtimeqa_dev \\
        --out /tmp/news-features.npz
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from index.embedding.embed import load_embedder
from index.store.snapshot import IndexSnapshot
from qa.retrieve import gather_evidence
from qa.scoring import terms

COLUMNS = (
    "lexical",
    "passage_cos",
    "sentence_cos",
    "coverage",
    "boilerplate",
)
CONTEXT = ("restates", "title_coverage", "article_dense")


def extract(index: Path, rows: list[dict], out: Path) -> dict[str, np.ndarray]:
    """Per candidate: the `Evidence` feature arrays, its article, and whether it is gold."""
    embedder = load_embedder()
    snapshot = IndexSnapshot.open(index, None)
    vectors = embedder.encode([r["question"] for r in rows])
    extra = ("article", "paragraph", "gold", "new_terms", "asks", "chars")
    cols: dict[str, list] = {k: [] for k in (*COLUMNS, *CONTEXT, *extra)}
    offsets = [0]
    keys: dict[tuple[str, int], int] = {}
    started = time.perf_counter()
    for number, (row, vector) in enumerate(zip(rows, vectors, strict=True)):
        relevant = {
            (f, int(p)) for f, p in row.get("relevant") or [[row["article"], row["paragraph"]]]
        }
        found = gather_evidence(snapshot, row["question"], vector, shortlist=None)
        if found is not None:
            layout = found.layout
            for name in COLUMNS:
                cols[name].extend(getattr(found, name).tolist())
            for name in CONTEXT:
                cols[name].extend(getattr(found.context, name).tolist())
            asked = frozenset(terms(row["question"]))
            for row_index in found.passages.tolist():
                entry = layout.entries[int(layout.paragraph_of[row_index])]
                text = entry.text[layout.starts[row_index] : layout.ends[row_index]]
                cols["new_terms"].append(len(frozenset(terms(text)) - asked))
                cols["asks"].append(text.rstrip().endswith("?"))
                cols["chars"].append(len(text))
                key = (Path(entry.article.key).name, entry.ordinal)
                cols["article"].append(entry.article.id)
                cols["paragraph"].append(keys.setdefault(key, len(keys)))
                cols["gold"].append(key in relevant)
        offsets.append(len(cols["gold"]))
        if number % 500 == 499:
            rate = (number + 1) / (time.perf_counter() - started)
            print(f"{number + 1} questions, {rate:.0f}/s", file=sys.stderr)
    arrays = {k: np.asarray(v) for k, v in cols.items()}
    arrays["offsets"] = np.asarray(offsets)
    np.savez(out, **arrays)
    return arrays


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--set", type=Path, required=True, dest="folder")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--stride", type=int, default=1, help="every n-th question only")
    args = parser.parse_args()
    rows = [json.loads(line) for line in (args.folder / "questions.jsonl").open() if line.strip()]
    rows = rows[:: args.stride]
    extract(args.index, rows, args.out)


if __name__ == "__main__":
    main()
