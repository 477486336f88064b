"""Issue 14, part B: editing one article of a 1M-passage library, and what loads cost.

The library is bench/synth.py's (text and unit vectors generated, the embeddings cache
filled, so nothing is embedded to make it), built once under --work and reused. One
real article file is added to it in a folder of its own; each edit changes one of its
paragraphs and runs the real build (`index.build.run.build_index`: scan, plan, read,
embed the changed paragraph, commit), timed whole and from its commit step to its
report. The synthetic articles' root is no folder on disk: the build keeps their rows.

Also printed: the warm query latency (p50 of `Library.ask` with the question vector
given, so the ONNX encode is not in it) on the edited library, the first open after a
commit, and what a full content digest costs (a load that meets a database file it has
not checked, and `qa index verify`), with the old format-1 digest beside it. With
--before, the parts of the commit as it was (every vector read back from the cache, the
vector file written whole, the format-1 digest; its HNSW build is synth.py's own
`vector_index` timing) are measured too.

    python bench/incremental.py --passages 1000000 --work /tmp/scale_work [--before]

Measured 2026-12-03 on the shared 2-core machine (load average 5-6), 1M passages, HNSW
base (synth.py, M=32/efConstruction=80; its graph took 63 min to build at load ~15):
edit commit 1.5-1.9 s (median 1.85 s of 9; the first, which also digested the library
whole in the new format, 79 s), whole build 4.3-5.4 s, warm ask p50 47 ms / p95 84 ms,
open after a commit 0.26 s. Before (one commit rewrote everything): the graph (8 min
idle per bench/run.py, 63 min at load 15), the vector file (~30 s), a full digest (156 s
for format 1 at load ~15; format 2: 246 s, what a load pays once for a file it has not
checked).

--index edits a committed library made otherwise (e.g. synth.py's rows with an exact
vector file: the commit's cost does not depend on the graph, its build does).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
for entry in (ROOT, ROOT / "bench"):
    if str(entry) not in sys.path:
        sys.path.insert(0, str(entry))

from synth import _Paragraphs, _vocabulary, generate_library, is_generated, sample_questions  # noqa: E402

ARTICLE = "edited.txt"


def _article(paragraphs: list[str]) -> str:
    return "Title: The edited article\nSource: Bench\n\n" + "\n\n".join(paragraphs) + "\n"


def _timed_build(index: Path, paths: list[Path], embedder: object) -> dict[str, float]:
    """Run one real build; (whole seconds, seconds from its commit step to its report)."""
    from index.build.events import BuildProgress, BuildReport
    from index.build.run import build_index

    started = time.perf_counter()
    committing = None
    report = None
    for event in build_index(index, paths, embedder=embedder):  # type: ignore[arg-type]
        if isinstance(event, BuildProgress) and event.stage == "committing":
            committing = committing or time.perf_counter()
        if isinstance(event, BuildReport):
            report = event
    done = time.perf_counter()
    assert report is not None and committing is not None
    return {"build_s": done - started, "commit_s": done - committing, "updated": report.updated}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--passages", type=int, default=1_000_000)
    parser.add_argument("--work", type=Path, default=Path("/tmp/scale_work"))
    parser.add_argument("--edits", type=int, default=5)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--before", action="store_true", help="time the old commit's parts")
    parser.add_argument("--digest", action="store_true", help="time a full content digest")
    parser.add_argument(
        "--index", type=Path, help="a committed synthetic library to edit instead (not made)"
    )
    args = parser.parse_args(argv)

    from index.embedding.embed import load_embedder
    from index.store.digest import content_digest, digest_v1
    from index.store.schema import connect, read_meta
    from index.store.snapshot import IndexSnapshot
    from qa.library import Library

    out: dict[str, object] = {"passages": args.passages}
    index = args.index or args.work / f"synth-{args.passages}"
    if args.index is None and not is_generated(index, args.passages):
        out["generate_s"] = generate_library(index, args.passages)
    embedder = load_embedder()
    rng = np.random.default_rng(7)
    paragraphs = _Paragraphs(_vocabulary(rng))
    folder = args.work / f"edits-{args.passages}"
    folder.mkdir(parents=True, exist_ok=True)
    texts = paragraphs.make(rng, 10)
    if not (folder / ARTICLE).exists():
        (folder / ARTICLE).write_text(_article(texts), encoding="utf-8")
        # The first commit over the synthetic library digests it whole (its digest is
        # the older format) and adds the article: not an edit, reported apart.
        out["first_commit"] = _timed_build(index, [folder], embedder)

    edits = []
    for number in range(args.edits):
        texts[number % len(texts)] = paragraphs.make(rng, 1)[0]
        (folder / ARTICLE).write_text(_article(texts), encoding="utf-8")
        edits.append(_timed_build(index, [], embedder))
    out["edit_commit_s"] = [round(e["commit_s"], 3) for e in edits]
    out["edit_build_s"] = [round(e["build_s"], 3) for e in edits]
    out["edit_commit_median_s"] = float(np.median([e["commit_s"] for e in edits]))
    out["edit_build_median_s"] = float(np.median([e["build_s"] for e in edits]))

    started = time.perf_counter()
    IndexSnapshot.open(index).close()
    out["open_after_commit_s"] = time.perf_counter() - started

    questions = sample_questions(index, args.queries)
    library = Library(index, embedder)
    try:
        library.ask(questions[0].text, k=10, query_vector=questions[0].vector)
        took = []
        for question in questions:
            mark = time.perf_counter()
            library.ask(question.text, k=10, query_vector=question.vector)
            took.append(time.perf_counter() - mark)
        out["warm_ask_p50_ms"] = float(np.percentile(took, 50) * 1000)
        out["warm_ask_p95_ms"] = float(np.percentile(took, 95) * 1000)
    finally:
        library.close()

    conn = connect(index)
    try:
        meta = read_meta(conn)
        out["delta_file"] = meta.get("delta_file")
        if args.digest or args.before:
            conn.execute("BEGIN")
            mark = time.perf_counter()
            assert content_digest(conn) == meta["content_sha256"]
            out["full_digest_s"] = time.perf_counter() - mark
            if args.before:
                mark = time.perf_counter()
                digest_v1(conn)
                out["format1_digest_s"] = time.perf_counter() - mark
            conn.execute("COMMIT")
        if args.before:
            out["before"] = _old_commit_parts(conn, index, meta, embedder)
    finally:
        conn.close()
    print(json.dumps(out))
    return 0


def _old_commit_parts(conn: object, index: Path, meta: dict, embedder: object) -> dict:
    """Seconds of the parts of a commit before deltas: read every cached vector and
    compare it with the last file, write the vector file whole (to a scratch name)."""
    import tempfile

    from index.store.cached_vectors import checked_vectors
    from index.store.vector_delta import load_vector_set
    from index.store.vectors import write_vector_file

    parts: dict[str, float] = {}
    mark = time.perf_counter()
    checked_vectors(conn, index, embedder, meta, compare=True)  # type: ignore[arg-type]
    parts["read_and_check_all_vectors_s"] = time.perf_counter() - mark
    base = load_vector_set(index, meta, int(meta["dim"])).base
    with tempfile.TemporaryDirectory(dir=index.parent) as scratch:
        mark = time.perf_counter()
        write_vector_file(base, Path(scratch), 1)
        parts["write_vector_file_s"] = time.perf_counter() - mark
    return parts


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
