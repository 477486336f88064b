"""Benchmark workers: each runs in its own process and prints one JSON line of figures.

Why separate processes: peak RSS (`ru_maxrss`) is per process, and a warm-latency run
must not inherit another run's caches or loaded model. `bench/run.py` starts them and
prints the table.

    python bench/workers.py latency --index DIR [--squad QUESTIONS.jsonl] [--n 200]
    python bench/workers.py build --articles N --work DIR --eval DIR
    python bench/workers.py quote-cost --work DIR (--short N --eval DIR | --folder DIR)
    python bench/workers.py tui --index DIR
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

    import numpy as np

    from index.build.context import StepFactory

ROOT = Path(__file__).resolve().parent.parent
for entry in (ROOT, ROOT / "bench"):
    if str(entry) not in sys.path:
        sys.path.insert(0, str(entry))


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentiles(samples: list[float]) -> dict[str, float]:
    import numpy as np

    ms = np.array(samples) * 1000
    return {"p50_ms": float(np.percentile(ms, 50)), "p95_ms": float(np.percentile(ms, 95))}


def latency(args: argparse.Namespace) -> dict:
    """Warm query latency in one process: retrieval (dense + FTS5 + fusion) per question."""
    import numpy as np

    from index.store.snapshot import IndexSnapshot
    from qa.library import Library
    from qa.retrieve import rank_passages

    index_dir = Path(args.index)
    out: dict = {}
    started = time.perf_counter()
    snapshot = IndexSnapshot.open(index_dir)
    out["open_first_s"] = time.perf_counter() - started
    snapshot.close()
    opens = []
    for _ in range(3):
        started = time.perf_counter()
        snapshot = IndexSnapshot.open(index_dir)
        opens.append(time.perf_counter() - started)
        snapshot.close()
    out["open_s"] = float(np.median(opens))
    snapshot = IndexSnapshot.open(index_dir)
    out["vectors"] = int(snapshot.vectors.ntotal)
    out["kind"] = snapshot.vector_kind
    out["passages"] = int(snapshot.meta.get("passages", 0))
    size = sum(p.stat().st_size for p in index_dir.iterdir() if p.is_file())
    out["bytes_per_passage"] = size / max(1, out["passages"])

    if args.squad:
        library = Library.open(index_dir)
        library.warm()
        lines = Path(args.squad).read_text(encoding="utf-8").splitlines()
        rng = np.random.default_rng(0)
        picks = rng.choice(len(lines), size=min(args.n, len(lines)), replace=False)
        texts = [json.loads(lines[i])["question"] for i in picks]
        encode_times, ask_times = [], []
        vectors = []
        for text in texts:
            started = time.perf_counter()
            vectors.append(library.embedder.encode([text])[0])
            encode_times.append(time.perf_counter() - started)
        for text in texts[: min(50, len(texts))]:
            started = time.perf_counter()
            library.ask(text, k=5)
            ask_times.append(time.perf_counter() - started)
        out["encode"] = percentiles(encode_times)
        out["ask"] = percentiles(ask_times)
        queries = list(zip(texts, vectors, strict=True))
    else:
        from synth import sample_questions

        questions = sample_questions(index_dir, args.n)
        queries = [(q.text, q.vector) for q in questions]
        targets = [q.chunk_id for q in questions]

    times, found = [], 0
    for i, (text, vector) in enumerate(queries):
        started = time.perf_counter()
        ranked = rank_passages(snapshot, text, vector, k=20)
        times.append(time.perf_counter() - started)
        if not args.squad and targets[i] in {r.record.chunk_id for r in ranked[:10]}:
            found += 1
    out["retrieve"] = percentiles(times)
    if not args.squad:
        out["target_in_top10"] = found / len(queries)
    out["recall10_vs_exact"] = _recall_vs_exact(snapshot, np.array([v for _, v in queries]))
    out["peak_rss_mb"] = peak_rss_mb()
    return out


def _recall_vs_exact(snapshot: object, queries: np.ndarray) -> float | None:
    """recall@10 of the index's dense search against exact scoring of every stored vector.

    For an exact (flat) index, an HNSW index with the production parameters is built over
    the same stored vectors in memory, so small libraries report what ANN would give too.
    """
    import numpy as np

    from index.store.vectors import build_vector_index

    ids, matrix = snapshot._vector_ids, snapshot._vector_rows  # type: ignore[attr-defined]
    exact = [set(ids[np.argsort(-(matrix @ q))[:10]].tolist()) for q in queries]
    if snapshot.vector_kind == "flat":  # type: ignore[attr-defined]
        index = build_vector_index(ids, np.array(matrix), matrix.shape[1], ann_min=0)
        _, got = index.search(queries.astype(np.float32), 10)
        approx = [set(row.tolist()) for row in got]
    else:
        approx = [{i for i, _ in hits} for hits in snapshot.dense_search(queries, 10)]  # type: ignore[attr-defined]
    return float(np.mean([len(a & e) / 10 for a, e in zip(approx, exact, strict=True)]))


def short_articles(eval_dir: Path, count: int, folder: Path) -> None:
    """`count` short real-text articles: the first two sentences of SQuAD paragraphs."""
    import re

    folder.mkdir(parents=True, exist_ok=True)
    paragraphs = []
    for path in sorted((eval_dir / "squad_dev_v1.1" / "articles").glob("*.txt")):
        blocks = path.read_text(encoding="utf-8").split("\n\n")
        paragraphs += [b.strip() for b in blocks if len(b.split()) > 20]
    for i in range(count):
        text = paragraphs[i % len(paragraphs)]
        sentences = re.split(r"(?<=[.!?])\s+", text)
        body = " ".join(sentences[:2])
        (folder / f"article-{i:04d}.txt").write_text(
            f"Title: Article {i}\n\n{body}\n\nEdition {i // len(paragraphs)}.\n", encoding="utf-8"
        )


def build(args: argparse.Namespace) -> dict:
    """Full build of N short articles vs a raw encode of their paragraphs alone; then the
    incremental rebuild after editing one article.

    The yardstick is one forward pass per paragraph (`build_speed.paragraphs`), in one
    call that sorts them all by length, with the build's batch size, backend and
    threads, on the same warmed embedder: what any index of these articles must pay.
    The machine is shared, so one raw-then-build pair says more
    about the neighbours than about the build: raw runs alternate with full builds
    (raw, build, raw, build, ..., raw), each build is set against the mean of the raw runs
    either side of it, and medians are reported. Wall time and process CPU time both.
    """
    import numpy as np
    from build_speed import paragraphs

    from index.build.run import build_index
    from index.embedding.embed import load_embedder
    from index.embedding.pipeline import EMBED_BATCH

    work = Path(args.work)
    shutil.rmtree(work, ignore_errors=True)
    articles_dir = work / "articles"
    short_articles(Path(args.eval), args.articles, articles_dir)
    embedder = load_embedder()
    embedder.warm()
    embedder.encode(["warm up the session"])
    ordered = paragraphs(articles_dir)

    def raw() -> tuple[float, float]:
        started, cpu = time.perf_counter(), time.process_time()
        embedder.encode(ordered, batch_size=EMBED_BATCH)
        return time.perf_counter() - started, time.process_time() - cpu

    raws = [raw()]
    fulls: list[tuple[float, float]] = []
    report = None
    for round_ in range(args.rounds):
        index_dir = work / f"index-{round_}"
        started, cpu = time.perf_counter(), time.process_time()
        report = _last(build_index(index_dir, [articles_dir], embedder=embedder))
        fulls.append((time.perf_counter() - started, time.process_time() - cpu))
        raws.append(raw())
    assert report is not None
    ratios = [(raws[i][0] + raws[i + 1][0]) / 2 / fulls[i][0] for i in range(args.rounds)]
    cpu_ratios = [(raws[i][1] + raws[i + 1][1]) / 2 / fulls[i][1] for i in range(args.rounds)]

    incrementals, again = [], None
    target = articles_dir / "article-0000.txt"
    for edit in range(3):
        target.write_text(
            target.read_text(encoding="utf-8") + f"\nAn added sentence, number {edit}.\n",
            encoding="utf-8",
        )
        started = time.perf_counter()
        again = _last(build_index(index_dir, embedder=embedder))
        incrementals.append(time.perf_counter() - started)
    raw_s = float(np.median([r[0] for r in raws]))
    full_s = float(np.median([f[0] for f in fulls]))
    incremental_s = float(np.median(incrementals))
    return {
        "articles": args.articles,
        "paragraphs": len(ordered),
        "passages": report.passages,
        "sentences": report.sentences,
        "raw_paragraphs_per_s": len(ordered) / raw_s,
        "build_passages_per_s": report.passages / full_s,
        "ratio_median": float(np.median(ratios)),
        "cpu_ratio_median": float(np.median(cpu_ratios)),
        "raw_s": [round(r[0], 2) for r in raws],
        "full_runs_s": [round(f[0], 2) for f in fulls],
        "full_s": full_s,
        "incremental_s": incremental_s,
        "incremental_runs_s": [round(t, 3) for t in incrementals],
        "incremental_share": incremental_s / full_s,
        "incremental_embedded": again.embedded,
        "load_average": os.getloadavg()[0],
        "peak_rss_mb": peak_rss_mb(),
    }


def quote_cost(args: argparse.Namespace) -> dict:
    """What quote extraction adds to a full build: the build with every `FILE_STEPS` step
    against the same build without `QuoteStep`, and `extract_quotes` alone per paragraph.

    The library is `--short` N short articles (as `build`), or the files of `--folder`
    (every `--stride`-th, sorted by name). As in `build`, the machine is shared: builds
    without quotes alternate with builds with them (without, with, without, ..., without),
    each build with quotes is set against the mean of the two either side, and medians
    are reported. Before any timed build the extractor, the model and the build's code
    paths are warmed, so that no timed build pays a first-use cost the others do not.
    """
    import sqlite3

    import numpy as np

    from index.build.quotes import QuoteStep
    from index.build.run import FILE_STEPS, build_index, run_build
    from index.embedding.embed import load_embedder
    from index.sources.quotes import extract_quotes
    from index.sources.readers import read_articles
    from index.store.quotes import QUOTES_TABLE
    from index.store.schema import db_path

    work = Path(args.work)
    shutil.rmtree(work, ignore_errors=True)
    articles_dir = work / "articles"
    if args.short:
        short_articles(Path(args.eval), args.short, articles_dir)
    else:
        articles_dir.mkdir(parents=True)
        for path in sorted(p for p in Path(args.folder).iterdir() if p.is_file())[:: args.stride]:
            shutil.copyfile(path, articles_dir / path.name)
    files = sorted(articles_dir.iterdir())
    articles = [a for path in files for a in read_articles(path, articles_dir)]
    paragraphs = sum(len(a.paragraphs) for a in articles)
    without = tuple(step for step in FILE_STEPS if step is not QuoteStep)
    assert len(without) == len(FILE_STEPS) - 1, "FILE_STEPS holds no QuoteStep"

    extractions, quotes = [], 0
    for _ in range(max(3, args.rounds)):
        started = time.perf_counter()
        quotes = sum(len(extract_quotes(article)) for article in articles)
        extractions.append(time.perf_counter() - started)

    embedder = load_embedder()
    embedder.warm()
    embedder.encode(["warm up the session"])
    warm_dir = work / "warm-articles"
    warm_dir.mkdir()
    for path in files[:2]:
        shutil.copyfile(path, warm_dir / path.name)
    run_build(build_index(work / "index-warm", [warm_dir], embedder=embedder))

    def timed(steps: Sequence[StepFactory], name: str) -> tuple[float, float, int, int]:
        """(wall s, CPU s, texts embedded, quotes stored) of one full build."""
        index_dir = work / name
        started, cpu = time.perf_counter(), time.process_time()
        report = run_build(
            build_index(index_dir, [articles_dir], embedder=embedder, file_steps=steps)
        )
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
        with sqlite3.connect(db_path(index_dir)) as conn:
            stored = conn.execute(f"SELECT count(*) FROM {QUOTES_TABLE}").fetchone()[0]
        shutil.rmtree(index_dir)
        return wall, cpu, report.embedded, stored

    plain = [timed(without, "index-without-0")]
    quoting: list[tuple[float, float, int, int]] = []
    for round_ in range(args.rounds):
        quoting.append(timed(FILE_STEPS, f"index-with-{round_}"))
        plain.append(timed(without, f"index-without-{round_ + 1}"))
    assert len({run[2] for run in plain + quoting}) == 1, "the builds embedded different texts"
    assert all(run[3] == 0 for run in plain), "a build without QuoteStep stored quotes"
    assert all(run[3] == quoting[0][3] for run in quoting), "builds stored different quotes"

    def ratios(column: int) -> list[float]:
        return [
            quoting[i][column] / ((plain[i][column] + plain[i + 1][column]) / 2)
            for i in range(args.rounds)
        ]

    without_s = float(np.median([run[0] for run in plain]))
    extraction_s = float(np.median(extractions))
    return {
        "articles": len(articles),
        "paragraphs": paragraphs,
        "quotes": quotes,
        "stored_quotes": quoting[0][3],
        "texts": plain[0][2],
        "with_s": float(np.median([run[0] for run in quoting])),
        "without_s": without_s,
        "with_runs_s": [round(run[0], 2) for run in quoting],
        "without_runs_s": [round(run[0], 2) for run in plain],
        "ratio_median": float(np.median(ratios(0))),
        "cpu_ratio_median": float(np.median(ratios(1))),
        "extract_ms_per_paragraph": 1000 * extraction_s / max(1, paragraphs),
        "extract_share_of_build": extraction_s / without_s,
        "load_average": os.getloadavg()[0],
    }


def _last(events: object) -> object:
    final = None
    for event in events:  # type: ignore[attr-defined]
        final = event
    return final


def tui(args: argparse.Namespace) -> dict:
    """Process start to the TUI's first frame, headless (printed by the child itself)."""
    from tui.app import QAApp

    class FirstPaint(QAApp):
        CSS_PATH = str(ROOT / "tui" / "app.tcss")  # relative paths follow the subclass

        def on_mount(self) -> None:
            super().on_mount()
            self.call_after_refresh(self._painted)

        def _painted(self) -> None:
            # Textual captures print() while it runs; write to the real stdout.
            sys.__stdout__.write(json.dumps({"painted_at": time.time()}) + "\n")
            sys.__stdout__.flush()
            os._exit(0)

    FirstPaint(index_dir=Path(args.index)).run(headless=True, size=(100, 40))
    return {}


def main() -> int:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="worker", required=True)
    lat = sub.add_parser("latency")
    lat.add_argument("--index", required=True)
    lat.add_argument("--squad")
    lat.add_argument("--n", type=int, default=200)
    bld = sub.add_parser("build")
    bld.add_argument("--articles", type=int, required=True)
    bld.add_argument("--work", required=True)
    bld.add_argument("--eval", required=True)
    bld.add_argument("--rounds", type=int, default=3, help="full builds, between raw runs")
    cost = sub.add_parser("quote-cost")
    cost.add_argument("--work", required=True)
    library = cost.add_mutually_exclusive_group(required=True)
    library.add_argument("--short", type=int, help="this many short articles (needs --eval)")
    library.add_argument("--folder", help="a folder of articles, e.g. PolNeAR dev")
    cost.add_argument("--eval")
    cost.add_argument("--stride", type=int, default=1, help="every k-th file of --folder")
    cost.add_argument("--rounds", type=int, default=3, help="builds with quotes, between others")
    paint = sub.add_parser("tui")
    paint.add_argument("--index", required=True)
    args = parser.parse_args()
    workers = {"latency": latency, "build": build, "quote-cost": quote_cost, "tui": tui}
    result = workers[args.worker](args)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
