"""Build speed against the model alone (issue 13): full builds vs a raw paragraph encode.

The yardstick is what any index of the library must pay at least: one forward pass per
paragraph (`raw`: every paragraph of the library, one vector each, encoded in one call
sorted by length, with the build's batch size, backend and threads, on the same warmed
embedder). A full build also splits, writes SQLite and FTS5, builds the vector file and
gives every sentence its vector; its wall time is set against the mean of the raw runs
either side of it (raw, build, raw, build, ..., raw: the machine is shared, so one pair
says more about the neighbours than about the build), and the median ratio is reported,
of wall time and of process CPU time (steadier when other processes share the cores).

Each build's progress events also give the error of its ETA: at every embedding event
from 20% of the texts done on, |ETA - time the embedding actually went on| / that time
(events in the last 2 s, where any error is a large share of nothing, are left out).

    python bench/build_speed.py squad --eval DIR --work DIR [--rounds 3]
    python bench/build_speed.py abstracts --count 5000 --eval DIR --work DIR [--rounds 3]

Each prints one JSON line; `rows` runs both as child processes for `bench/run.py`.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for entry in (ROOT, ROOT / "bench"):
    if str(entry) not in sys.path:
        sys.path.insert(0, str(entry))

TARGET_RATIO = 1.15
TARGET_ETA_ERROR = 0.25
ETA_FROM = 0.2
ETA_LAST_SECONDS = 2.0


def squad_articles(eval_dir: Path) -> Path:
    return eval_dir / "squad_dev_v1.1" / "articles"


def abstracts(eval_dir: Path, count: int, folder: Path) -> Path:
    """`count` synthetic ~200-word abstracts over SQuAD dev's vocabulary (by frequency)."""
    from synth import write_abstracts

    words: Counter[str] = Counter()
    for path in sorted(squad_articles(eval_dir).glob("*.txt")):
        words.update(re.findall(r"[a-z]+", path.read_text(encoding="utf-8").lower()))
    write_abstracts(folder, count, [word for word, _ in words.most_common()])
    return folder


def paragraphs(folder: Path) -> list[str]:
    from index.sources.readers import read_articles

    texts = []
    for path in sorted(folder.glob("*.txt")):
        for article in read_articles(path, folder):
            texts += [p.text for p in article.paragraphs if p.text.strip()]
    return sorted(texts, key=len)


def eta_errors(events: list[tuple[float, float, float | None]]) -> list[float]:
    """Relative ETA errors of (time, fraction done, ETA) events; the last event ends it."""
    if not events:
        return []
    end = events[-1][0]
    errors = []
    for at, done, eta in events:
        left = end - at
        if eta is not None and done >= ETA_FROM and left >= ETA_LAST_SECONDS:
            errors.append(abs(eta - left) / left)
    return errors


def measure(folder: Path, work: Path, rounds: int, keep: bool = False) -> dict:
    import numpy as np

    from index.build.events import BuildProgress, BuildReport
    from index.build.run import build_index
    from index.embedding.embed import load_embedder
    from index.embedding.pipeline import EMBED_BATCH

    embedder = load_embedder()
    embedder.warm()
    embedder.encode(["warm up the session"])
    texts = paragraphs(folder)

    def raw() -> tuple[float, float]:
        started, cpu = time.perf_counter(), time.process_time()
        embedder.encode(texts, batch_size=EMBED_BATCH)
        return time.perf_counter() - started, time.process_time() - cpu

    raws, builds, errors = [raw()], [], []
    report = None
    for round_ in range(rounds):
        index_dir = work / f"index-{round_}"
        shutil.rmtree(index_dir, ignore_errors=True)
        events: list[tuple[float, float, float | None]] = []
        started, cpu = time.perf_counter(), time.process_time()
        for event in build_index(index_dir, [folder], embedder=embedder):
            if isinstance(event, BuildProgress) and event.stage == "embedding":
                done = event.passages_done / max(1, event.passages_total)
                events.append((time.perf_counter(), done, event.eta_seconds))
            elif isinstance(event, BuildReport):
                report = event
        builds.append((time.perf_counter() - started, time.process_time() - cpu))
        errors += eta_errors(events)
        raws.append(raw())
        if not (keep and round_ == rounds - 1):
            shutil.rmtree(index_dir, ignore_errors=True)
    assert report is not None

    def ratios(column: int) -> list[float]:
        return [
            builds[i][column] / ((raws[i][column] + raws[i + 1][column]) / 2) for i in range(rounds)
        ]

    return {
        "paragraphs": len(texts),
        "passages": report.passages,
        "sentences": report.sentences,
        "embedded": report.embedded,
        "raw_s": [round(r[0], 1) for r in raws],
        "build_s": [round(b[0], 1) for b in builds],
        "ratio_median": float(np.median(ratios(0))),
        "cpu_ratio_median": float(np.median(ratios(1))),
        "eta_error_max": max(errors, default=float("nan")),
        "eta_error_median": float(np.median(errors)) if errors else float("nan"),
        "eta_events": len(errors),
    }


def rows(eval_dir: Path, out: Path, quick: bool) -> list[tuple[str, str, str, str]]:
    """The table rows of `bench/run.py`: each library measured in its own process."""
    import subprocess

    count, rounds = (1000, "1") if quick else (5000, "3")
    runs = [
        ("SQuAD dev articles", ["squad"]),
        (f"{count:,} synthetic ~200-word abstracts", ["abstracts", "--count", str(count)]),
    ]
    table = []
    for label, args in runs:
        done = subprocess.run(
            [sys.executable, __file__, *args, "--eval", str(eval_dir), "--work", str(out)]
            + ["--rounds", rounds],
            capture_output=True,
            text=True,
            check=True,
        )
        result = json.loads(done.stdout.strip().splitlines()[-1])
        ratio, eta = result["ratio_median"], result["eta_error_max"]
        table.append(
            (
                f"full build, {label} ({result['paragraphs']} paragraphs) vs raw encode of "
                "the paragraphs alone",
                f"{ratio:.2f}x, CPU {result['cpu_ratio_median']:.2f}x "
                f"({result['build_s']} s vs raw {result['raw_s']} s)",
                f"<= {TARGET_RATIO}x",
                "ok" if ratio <= TARGET_RATIO else "MISSED",
            )
        )
        table.append(
            (
                f"  build ETA error from {ETA_FROM:.0%} done, {label}",
                f"max {eta:.0%}, median {result['eta_error_median']:.0%} "
                f"({result['eta_events']} events)",
                f"<= {TARGET_ETA_ERROR:.0%}",
                "ok" if eta <= TARGET_ETA_ERROR else "MISSED",
            )
        )
    return table


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("library", choices=["squad", "abstracts"])
    parser.add_argument("--count", type=int, default=5000, help="abstracts to generate")
    parser.add_argument("--eval", type=Path, required=True)
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the last index (to eval it)")
    args = parser.parse_args(argv)
    if args.library == "squad":
        folder = squad_articles(args.eval)
    else:
        folder = args.work / f"abstracts-{args.count}"
        if not folder.is_dir():
            abstracts(args.eval, args.count, folder)
    print(json.dumps(measure(folder, args.work / args.library, args.rounds, args.keep)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
