"""`make bench`: the performance figures of issue 6, as one table of medians.

Runs every measurement in a fresh process (see bench/workers.py) and prints a table.
Indexes it needs are made once and kept under bench/out/ (gitignored):
- the SQuAD dev index (real model; ~5-10 min the first time on 2 cores),
- synthetic libraries of 100k and 1M passages (bench/synth.py; the 1M one builds its
  HNSW graph, ~8 min the first time),
- a sharded synthetic library of 1M passages, 4 shards of 250k (bench/fanout.py; ~20
  min the first time, 4 HNSW graphs).

    python bench/run.py           # everything (first run: ~30 min; later: ~10 min)
    python bench/run.py --quick   # ~4-5 min: 20k synthetic instead of 100k/1M, 3 cold
                                  # runs, 200-article build, 12 PolNeAR articles for the
                                  # cost of quotes; same table, smaller figures

Set QA_SHARED_DIR if the shared data is not in `shared/` beside the repository.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import build_speed
import fanout
import numpy as np
import shards
from news_latency import news_rows

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
OUT = BENCH / "out"
# Like the tests: `QA_SHARED_DIR`, else `shared/` beside the repository.
EVAL = Path(os.environ.get("QA_SHARED_DIR", ROOT.parent / "shared")) / "eval"
QUESTION = "Which NFL team represented the AFC at Super Bowl 50?"
IMPORT_FLOOR = "import numpy, faiss, onnxruntime, tokenizers"
"""The libraries a cold `qa ask` cannot answer without, imported and nothing else."""


def _python() -> str:
    return sys.executable


def run_timed(cmd: list[str], stdin: str | None = None) -> tuple[float, float, str]:
    """(wall seconds, peak RSS MB, stdout) of one whole child process.

    Output goes through temporary files so that the child can be reaped with `wait4`,
    whose rusage is that one child's own peak RSS.
    """
    import tempfile

    with tempfile.TemporaryFile("w+") as fin, tempfile.TemporaryFile("w+") as fout:
        with tempfile.TemporaryFile("w+") as ferr:
            if stdin is not None:
                fin.write(stdin)
                fin.seek(0)
            started = time.perf_counter()
            proc = subprocess.Popen(cmd, stdin=fin, stdout=fout, stderr=ferr, cwd=ROOT)
            _, status, usage = os.wait4(proc.pid, 0)
            wall = time.perf_counter() - started
            proc.returncode = os.waitstatus_to_exitcode(status)
            ferr.seek(0)
            err = ferr.read()
        fout.seek(0)
        out = fout.read()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:4])}... failed ({proc.returncode}): {err[-800:]}")
    return wall, usage.ru_maxrss / 1024, out


def worker(*args: str) -> dict:
    wall, _, out = run_timed([_python(), str(BENCH / "workers.py"), *args])
    result = json.loads(out.strip().splitlines()[-1])
    result["wall_s"] = wall
    return result


def model_id() -> str:
    sys.path.insert(0, str(ROOT))
    from index.embedding.embed import load_embedder

    return load_embedder().model_id


def squad_index(quick: bool) -> Path:
    """The SQuAD dev index for this model, built once (a 6-article one with --quick)."""
    safe = model_id().replace("/", "_")
    full = OUT / "squad" / safe
    if (full / "library.sqlite").exists() or not quick:
        target, source = full, EVAL / "squad_dev_v1.1" / "articles"
    else:
        target = OUT / "squad-quick" / safe
        source = OUT / "squad-quick-articles"
        source.mkdir(parents=True, exist_ok=True)
        for path in sorted((EVAL / "squad_dev_v1.1" / "articles").glob("*.txt"))[:6]:
            (source / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    if not (target / "library.sqlite").exists():
        print(f"bench: building {target} (once)", file=sys.stderr)
        qa(["index", "build", str(source), "--index", str(target)])
    return target


def qa(args: list[str], stdin: str | None = None) -> tuple[float, float, str]:
    return run_timed([_python(), "-m", "qa", *args], stdin)


def synthetic(passages: int) -> Path:
    target = OUT / f"synth-{passages}"
    print(f"bench: synthetic library of {passages} passages at {target}", file=sys.stderr)
    run_timed(
        [_python(), str(BENCH / "synth.py"), "--passages", str(passages), "--out", str(target)]
    )
    return target


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="article-qa performance benchmarks")
    parser.add_argument("--quick", action="store_true", help="a short run (~2-3 min)")
    args = parser.parse_args(argv)
    OUT.mkdir(exist_ok=True)
    rows: list[tuple[str, str, str, str]] = []
    squad = squad_index(args.quick)
    questions = EVAL / "squad_dev_v1.1" / "questions.jsonl"

    # 1. Cold `qa ask`: whole process, OS cache warm (one unmeasured run first). Each run
    # is followed by one of a process that only imports the libraries an answer needs:
    # what is left of the cold figure above that floor is ours, even on a busy machine.
    runs = 3 if args.quick else 7
    qa(["ask", QUESTION, "--index", str(squad), "-k", "5"])
    colds, floors = [], []
    for _ in range(runs):
        colds.append(qa(["ask", QUESTION, "--index", str(squad), "-k", "5"]))
        floors.append(run_timed([_python(), "-c", IMPORT_FLOOR])[0])
    cold = float(np.median([c[0] for c in colds]))
    rows.append(
        (f"cold `qa ask` (median of {runs})", f"{cold:.2f} s", "<= 0.25 s", _ok(cold <= 0.25))
    )
    rows.append(("  peak RSS", f"{max(c[1] for c in colds):.0f} MB", "", ""))
    floor = float(np.median(floors))
    rows.append(("  import floor: numpy, faiss, onnxruntime, tokenizers", f"{floor:.2f} s", "", ""))

    # 2. `qa ask -` throughput (whole process, model loaded once).
    lines = questions.read_text(encoding="utf-8").splitlines()[:500]
    batch = "\n".join(json.loads(line)["question"] for line in lines) + "\n"
    wall, rss, _ = qa(["ask", "-", "--index", str(squad), "--jsonl"], stdin=batch)
    rate = len(lines) / wall
    rows.append(
        (
            f"`qa ask -` throughput ({len(lines)} q)",
            f"{rate:.0f} q/s",
            ">= 100 q/s",
            _ok(rate >= 100),
        )
    )
    rows.append(("  peak RSS", f"{rss:.0f} MB", "", ""))

    # 3. Warm latency per library size.
    sizes = [20_000] if args.quick else [100_000, 1_000_000]
    libraries = [("SQuAD", squad, ["--squad", str(questions)])]
    libraries += [(f"synthetic {n:,}", synthetic(n), []) for n in sizes]
    targets = {100_000: 10.0, 1_000_000: 30.0}
    for label, path, extra in libraries:
        result = worker(
            "latency", "--index", str(path), "--n", "100" if args.quick else "200", *extra
        )
        n = result["passages"]
        goal = targets.get(n)
        p50, p95 = result["retrieve"]["p50_ms"], result["retrieve"]["p95_ms"]
        rows.append(
            (
                f"warm retrieve, {label} ({n:,} passages, {result['vectors']:,} vectors, "
                f"{result['kind']})",
                f"p50 {p50:.1f} / p95 {p95:.1f} ms",
                f"p50 <= {goal:.0f} ms" if goal else "",
                _ok(p50 <= goal) if goal else "",
            )
        )
        if "ask" in result:
            rows.append(
                (
                    "  whole Library.ask incl. ONNX question encode",
                    f"p50 {result['ask']['p50_ms']:.1f} / p95 {result['ask']['p95_ms']:.1f} ms",
                    "",
                    "",
                )
            )
        recall = result["recall10_vs_exact"]
        note = "(HNSW vs exact)" if result["kind"] == "hnsw" else "(if HNSW: same vectors)"
        rows.append(
            (f"  recall@10 vs exact {note}", f"{recall:.3f}", ">= 0.98", _ok(recall >= 0.98))
        )
        if "target_in_top10" in result:
            rows.append(
                ("  question's passage in top 10", f"{result['target_in_top10']:.2f}", "", "")
            )
        rows.append(
            (
                "  open index: first / later (median of 3)",
                f"{result['open_first_s']:.2f} / {result['open_s']:.2f} s",
                "<= 1 s at 1M" if n >= 1_000_000 else "",
                _ok(result["open_s"] <= 1.0) if n >= 1_000_000 else "",
            )
        )
        rows.append(
            (
                "  peak RSS; disk per passage",
                f"{result['peak_rss_mb']:.0f} MB; {result['bytes_per_passage'] / 1024:.1f} KiB",
                "",
                "",
            )
        )

    # 4. Build throughput vs a raw encode of the paragraphs alone, and incremental rebuild.
    count = 200 if args.quick else 1000
    build = worker(
        "build", "--articles", str(count), "--work", str(OUT / "build"), "--eval", str(EVAL)
    )
    ratio = build["ratio_median"]
    rows.append(
        (
            f"build {count} short articles ({build['passages']} passages, "
            f"{build['sentences']} sentences) vs raw encode of the {build['paragraphs']} "
            "paragraphs alone",
            f"{build['build_passages_per_s']:.1f} passages/s vs raw encode "
            f"{build['raw_paragraphs_per_s']:.1f} paragraphs/s: {ratio:.2f}x "
            f"(CPU {build['cpu_ratio_median']:.2f}x; median of {len(build['full_runs_s'])})",
            ">= 0.9x",
            _ok(ratio >= 0.9),
        )
    )
    rows += build_speed.rows(EVAL, OUT / "build-speed", args.quick)  # issue 13
    rows += shards.rows(EVAL, OUT, args.quick)  # issue 14: 1 store vs 4 shards
    share = build["incremental_s"] / build["full_s"]
    rows.append(
        (
            "incremental rebuild after editing 1 article",
            f"{build['incremental_s']:.2f} s = {share:.1%} of full {build['full_s']:.1f} s",
            "<= 3%",
            _ok(share <= 0.03),
        )
    )
    rows.append(("  peak RSS", f"{build['peak_rss_mb']:.0f} MB", "", ""))

    # 5. What quote extraction (issue 10) adds to a full build: short articles, and news,
    # which quotes far more than SQuAD does.
    rounds = "2" if args.quick else "3"
    cost = worker(
        "quote-cost",
        "--short",
        "200",
        "--eval",
        str(EVAL),
        "--work",
        str(OUT / "quote-cost"),
        "--rounds",
        rounds,
    )
    rows += quote_cost_rows("200 short articles", cost)
    polnear = EVAL / "quotes_polnear_dev" / "articles"
    if polnear.is_dir():
        stride = 7 if args.quick else 1  # 12 of the 84 articles: a full build is ~1 min
        cost = worker(
            "quote-cost",
            "--folder",
            str(polnear),
            "--stride",
            str(stride),
            "--work",
            str(OUT / "quote-cost"),
            "--rounds",
            rounds,
        )
        rows += quote_cost_rows("PolNeAR dev news", cost)
    else:
        rows.append(("build cost of quotes, PolNeAR dev", f"skipped: no {polnear}", "", ""))

    # 6. TUI first paint.
    if (ROOT / "tui" / "app.py").exists():
        paints = []
        for _ in range(5):
            started = time.time()
            try:
                result = worker("tui", "--index", str(squad))
            except (RuntimeError, KeyError, ValueError) as error:
                rows.append(("TUI first paint", f"not measured ({error})"[:80], "<= 0.5 s", ""))
                break
            paints.append(result["painted_at"] - started)
        if paints:
            paint = float(np.median(paints))
            rows.append(
                ("TUI first paint (median of 5)", f"{paint:.2f} s", "<= 0.5 s", _ok(paint <= 0.5))
            )
    else:
        rows.append(("TUI first paint", "skipped: no tui/app.py", "<= 0.5 s", ""))

    rows += news_rows(EVAL, OUT, _python(), run_timed)  # 7. Warm ask on real news (issue 12)
    rows += incremental_rows(60_000 if args.quick else 1_000_000)  # 8. Issue 14, part B
    # 9. Issue 14: fan-out over 4 shards, beside the single store of part B (same size).
    fanout_size = 60_000 if args.quick else 1_000_000
    rows += fanout.rows(OUT, fanout_size, OUT / f"synth-{fanout_size}")
    print_table(rows, args.quick)
    return 0


def incremental_rows(passages: int) -> list[tuple[str, str, str, str]]:
    """Editing one article of a synthetic library (bench/incremental.py), single store."""
    _, _, stdout = run_timed(
        [
            _python(),
            str(BENCH / "incremental.py"),
            *("--passages", str(passages), "--work", str(OUT), "--digest"),
        ]
    )
    result = json.loads(stdout.strip().splitlines()[-1])
    commit = result["edit_commit_median_s"]
    return [
        (
            f"edit 1 article of {passages:,} passages: commit (median of "
            f"{len(result['edit_commit_s'])}; whole build)",
            f"{commit:.2f} s ({result['edit_build_median_s']:.2f} s)",
            "<= 5 s" if passages >= 1_000_000 else "",
            _ok(commit <= 5.0) if passages >= 1_000_000 else "",
        ),
        (
            "  warm ask after edits (question vector given)",
            f"p50 {result['warm_ask_p50_ms']:.1f} / p95 {result['warm_ask_p95_ms']:.1f} ms",
            "",
            "",
        ),
        (
            "  open after a commit; full content digest (unknown file, verify)",
            f"{result['open_after_commit_s']:.2f} s; {result['full_digest_s']:.1f} s",
            "",
            "",
        ),
    ]


def quote_cost_rows(label: str, cost: dict) -> list[tuple[str, str, str, str]]:
    """The table's rows for one `quote-cost` worker's figures."""
    ratio = cost["ratio_median"]
    return [
        (
            f"build cost of quotes, {label} ({cost['articles']} articles, {cost['texts']} texts)",
            f"{cost['with_s']:.1f} s with vs {cost['without_s']:.1f} s without QuoteStep: "
            f"{ratio:.3f}x (CPU {cost['cpu_ratio_median']:.3f}x; "
            f"median of {len(cost['with_runs_s'])})",
            "<= 1.15x",
            _ok(ratio <= 1.15),
        ),
        (
            "  extract_quotes alone, in process",
            f"{cost['extract_ms_per_paragraph']:.2f} ms per paragraph ({cost['paragraphs']} "
            f"paragraphs, {cost['quotes']} quotes) = {cost['extract_share_of_build']:.1%} "
            "of the build",
            "",
            "",
        ),
    ]


def _ok(met: bool) -> str:
    return "met" if met else "NOT met"


def print_table(rows: list[tuple[str, str, str, str]], quick: bool) -> None:
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    head = ("measure", "result", "target", "")
    lines = [" | ".join(h.ljust(w) for h, w in zip(head, widths, strict=True))]
    lines.append("-+-".join("-" * w for w in widths))
    lines += [" | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    load = os.getloadavg()[0]
    lines.append(
        f"machine: {os.cpu_count()} cores, load average {load:.1f} at the end"
        + (" (--quick)" if quick else "")
    )
    text = "\n".join(lines)
    print(text)
    (OUT / ("results-quick.txt" if quick else "results.txt")).write_text(text + "\n")


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
