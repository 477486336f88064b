"""Issue 14: warm fan-out query latency over 4 shards of a 1M-passage library, vs 1 store.

The sharded library is made once under --work (`fanout-N/`): 4 shard folders of N/4
passages each written by bench/synth.py (each its own seed and article keys, all one
vocabulary and one set of topic directions, as shards of one library share), then the
manifest a sharded build writes at commit (`index.shards.manifest`: each shard's
committed generation, FTS5 passages and tokens, and their sums, BM25's global
statistics), so `Library.open` recognises the folder as sharded and asks through
`qa.sharded.ShardedStore`.

Latency is `Library.ask` with the question's vector given (no ONNX encode in it), warm:
opened once, 20 questions asked first and not counted, then `--queries` questions, p50
and p95. Questions are synth.py's (a few content words of a random passage, a vector
near it), drawn from every shard. With --single (a synth.py library of the same size,
e.g. bench/incremental.py's), its own questions are asked of it in the same run,
alternating one question each, so both see the same machine load.

    python bench/fanout.py [--passages 1000000] [--work bench/out]
        [--single /tmp/scale_work/synth-1000000] [--queries 200]

Prints one JSON line; `rows` runs it as a child process for bench/run.py.

Measured 2026-12-03 on the shared 2-core machine (load average 1.4-1.5, a CI run beside),
1M passages, 4 x 250k shards vs bench/incremental.py's edited 1M store, 200 questions,
three runs: 4 shards p50 33.0 / 33.9 / 36.5 ms, p95 90-111 ms; 1 store p50 15.2-15.9 ms,
p95 31-34 ms. So the fan-out misses 30 ms on 2 cores, at twice one store's time: half of
an ask is `lexical_search` (28 of 55 ms under cProfile: every shard's postings of the
question's phrases, then all ~2,000 passages holding one scored and sorted in Python by
`global_bm25`), dense search ~9 ms, chunk layouts ~8 ms (read shard after shard). The
first run after making the shards (cold page cache) measured 41 / 125 ms and 64 / 132 ms.
Making the 4 shards took ~17 min (each ~5-6 min: HNSW of 250k at load ~4-5, rows ~2 min;
two at once).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
for entry in (ROOT, ROOT / "bench"):
    if str(entry) not in sys.path:
        sys.path.insert(0, str(entry))

from synth import SynthQuestion, generate_library, is_generated, sample_questions  # noqa: E402

SHARDS = 4
LIBRARY_SEED = 0
"""Vocabulary and topics of every shard: those of synth.py's seed-0 library (--single)."""
WARM_UP = 20
TARGET_MS = 30.0


def _shard_options(shard: int) -> dict[str, object]:
    return {"seed": 1000 + shard, "key_prefix": f"s{shard:03d}-", "library_seed": LIBRARY_SEED}


def make_sharded(folder: Path, passages: int) -> dict[str, object]:
    """The sharded library of `passages` passages at `folder`, made unless it is there."""
    from index.shards.build import commit_manifest
    from index.shards.manifest import is_sharded, read_manifest, shard_folder_name
    from index.store.schema import open_database, read_meta

    per_shard = passages // SHARDS
    folder.mkdir(parents=True, exist_ok=True)
    made: dict[str, object] = {}
    folders = [folder / shard_folder_name(n) for n in range(SHARDS)]
    for number, shard in enumerate(folders):
        options = _shard_options(number)
        if not is_generated(shard, per_shard, **options):  # type: ignore[arg-type]
            print(f"fanout: making {shard} ({per_shard} passages)", file=sys.stderr)
            timings = generate_library(shard, per_shard, **options)  # type: ignore[arg-type]
            made[shard.name] = round(timings["total"], 1)
    if made or not is_sharded(folder):
        # Written as a sharded build writes it at commit.
        conn = open_database(folders[0])
        try:
            model_id = read_meta(conn)["model_id"]
        finally:
            conn.close()
        previous = read_manifest(folder) if is_sharded(folder) else None
        commit_manifest(folder, previous, folders, ["synthetic"], model_id)
    return made


def _questions(folders: list[Path], count: int) -> list[SynthQuestion]:
    """`count` questions drawn evenly from the stores in `folders`, interleaved."""
    per = -(-count // len(folders))
    drawn = [sample_questions(f, per, seed=7 + n) for n, f in enumerate(folders)]
    mixed = [q for group in zip(*drawn, strict=True) for q in group]
    return mixed[:count]


def measure(sharded: Path, single: Path | None, queries: int) -> dict[str, object]:
    from qa.library import Library

    out: dict[str, object] = {"load_before": round(os.getloadavg()[0], 2)}
    folders = sorted(p for p in sharded.iterdir() if p.name.startswith("shard-"))
    asked: dict[str, tuple[Library, list[SynthQuestion]]] = {}
    fanout = Library.open(sharded)
    total = WARM_UP + queries
    asked["sharded"] = (fanout, _questions(folders, total))
    if single is not None:
        asked["single"] = (Library(single, fanout.embedder), _questions([single], total))
    took: dict[str, list[float]] = {name: [] for name in asked}
    try:
        out["passages"] = {name: lib.info().passages for name, (lib, _) in asked.items()}
        out["shards"] = fanout.info().shards
        for number in range(total):
            for name, (library, questions) in asked.items():
                question = questions[number]
                mark = time.perf_counter()
                library.ask(question.text, k=10, query_vector=question.vector)
                if number >= WARM_UP:
                    took[name].append(time.perf_counter() - mark)
    finally:
        for library, _ in asked.values():
            library.close()
    out["queries"] = queries
    for name, seconds in took.items():
        out[f"{name}_p50_ms"] = round(float(np.percentile(seconds, 50)) * 1000, 1)
        out[f"{name}_p95_ms"] = round(float(np.percentile(seconds, 95)) * 1000, 1)
    out["load"] = round(os.getloadavg()[0], 2)
    return out


def rows(out: Path, passages: int, single: Path | None = None) -> list[tuple[str, str, str, str]]:
    """The table rows of `bench/run.py`, measured in a child process (the target is for
    1M passages; smaller runs, `--quick`'s, show their figures without it)."""
    args = [sys.executable, __file__, "--passages", str(passages), "--work", str(out)]
    if single is not None and single.is_dir():
        args += ["--single", str(single)]
    done = subprocess.run(args, capture_output=True, text=True, check=True)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    total = result["passages"]["sharded"]
    value = f"p50 {result['sharded_p50_ms']} ms, p95 {result['sharded_p95_ms']} ms"
    if "single_p50_ms" in result:
        value += f" (1 store: {result['single_p50_ms']} / {result['single_p95_ms']} ms)"
    value += f"; load {result['load']:.1f}"
    return [
        (
            f"warm fan-out ask, {total:,} passages over {result['shards']} shards "
            f"({result['queries']} questions, vectors given)",
            value,
            f"p50 <= {TARGET_MS:.0f} ms" if passages >= 1_000_000 else "",
            ("ok" if result["sharded_p50_ms"] <= TARGET_MS else "MISSED")
            if passages >= 1_000_000
            else "",
        )
    ]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--passages", type=int, default=1_000_000)
    parser.add_argument("--work", type=Path, default=ROOT / "bench" / "out")
    parser.add_argument("--single", type=Path, help="a synth.py library of the same size")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--make-only", action="store_true", help="make the library, ask nothing")
    args = parser.parse_args(argv)
    if args.passages % SHARDS:
        raise SystemExit(f"--passages must be a multiple of {SHARDS}")
    sharded = args.work / f"fanout-{args.passages}"
    made = make_sharded(sharded, args.passages)
    if args.make_only:
        print(json.dumps({"made_s": made}))
        return 0
    single = args.single
    if single is not None and not is_generated(single, args.passages):
        raise SystemExit(f"{single} is not a synthetic library of {args.passages} passages")
    result = measure(sharded, single, args.queries)
    result["made_s"] = made
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
