"""Sharded builds and fan-out answers (issue 14): 1 shard vs 4, and whether they agree.

`build`: the same library (SQuAD dev articles, all 48 or the first `--articles`) built
from nothing as one store and as 4 shards on the local executor (a process per core,
one ONNX thread each; one store embeds on every core in one process), each by a fresh
`qa index build` process, timed end to end. `same`: every question of the set asked of
both (one query vector each, shared), R@1 and MRR@10 of each and the share of questions
whose top 5 passages are the same, in the same order.

    python bench/shards.py build --eval DIR --work DIR [--articles N]
    python bench/shards.py same --one DIR --sharded DIR --questions FILE [--limit N]

Each prints one JSON line; `rows` runs both as child processes for `bench/run.py`.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SHARDS = 4


def _qa(*args: str) -> tuple[float, float]:
    """Wall and CPU seconds of one `qa` command in a fresh process (CPU: its own and its
    worker processes', steadier than wall time when other jobs share the cores)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "qa", *args], check=True, env=env, cwd=ROOT)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def build(eval_dir: Path, work: Path, articles: int | None) -> dict:
    source = eval_dir / "squad_dev_v1.1" / "articles"
    library = work / "articles"
    chosen = sorted(source.iterdir())[:articles]
    if not library.is_dir() or sorted(p.name for p in library.iterdir()) != [
        p.name for p in chosen
    ]:
        shutil.rmtree(library, ignore_errors=True)
        library.mkdir(parents=True)
        for path in chosen:
            shutil.copy(path, library / path.name)
    times, cpu = {}, {}
    for name, extra in (("one", []), ("sharded", ["--shards", str(SHARDS)])):
        index_dir = work / name
        shutil.rmtree(index_dir, ignore_errors=True)
        args = ("index", "build", str(library), "--index", str(index_dir), *extra)
        times[name], cpu[name] = _qa(*args)
    from index.shards.executors import cpu_count
    from index.store.schema import open_database, read_meta

    conn = open_database(work / "one")
    try:
        meta = read_meta(conn)
    finally:
        conn.close()
    texts = int(meta["passages"]) + int(meta["sentences"])
    return {
        "articles": len(chosen),
        "texts": texts,
        "cores": cpu_count(),
        "one_s": round(times["one"], 1),
        "sharded_s": round(times["sharded"], 1),
        "speedup": round(times["one"] / times["sharded"], 2),
        "one_cpu_s": round(cpu["one"], 1),
        "sharded_cpu_s": round(cpu["sharded"], 1),
        "load": os.getloadavg()[0],
    }


def same(one_dir: Path, sharded_dir: Path, questions_file: Path, limit: int | None) -> dict:
    from qa.evaluate import _paragraph_ranking as paragraph_ranking
    from qa.evaluate import load_questions
    from qa.library import Library

    one = Library.open(one_dir)
    sharded = Library(sharded_dir, one.embedder)
    questions = load_questions(questions_file, limit)
    figures = {"one": [0, 0.0], "sharded": [0, 0.0]}
    same_top5 = 0
    asked = 0
    seconds = {"one": 0.0, "sharded": 0.0}
    for start in range(0, len(questions), 64):
        batch = questions[start : start + 64]
        vectors = one.encode_questions([q.question for q in batch])
        for item, vector in zip(batch, vectors, strict=True):
            tops = {}
            for name, library in (("one", one), ("sharded", sharded)):
                began = time.perf_counter()
                answer = library.ask(item.question, k=10, query_vector=vector)
                seconds[name] += time.perf_counter() - began
                ranked = paragraph_ranking(answer)  # as `qa eval` ranks paragraphs
                tops[name] = [
                    (h.citation.article, h.citation.paragraph, h.citation.start)
                    for h in answer.hits[:5]
                ]
                hit = next((n for n, p in enumerate(ranked[:10], 1) if p in item.relevant), 0)
                figures[name][0] += hit == 1
                figures[name][1] += 1.0 / hit if hit else 0.0
            same_top5 += tops["one"] == tops["sharded"]
            asked += 1
    return {
        "questions": asked,
        "shards": sharded.info().shards,
        "one_r1": round(figures["one"][0] / asked, 4),
        "sharded_r1": round(figures["sharded"][0] / asked, 4),
        "one_mrr10": round(figures["one"][1] / asked, 4),
        "sharded_mrr10": round(figures["sharded"][1] / asked, 4),
        "same_top5": round(same_top5 / asked, 4),
        "one_ms": round(seconds["one"] / asked * 1000, 1),
        "sharded_ms": round(seconds["sharded"] / asked * 1000, 1),
    }


def rows(eval_dir: Path, out: Path, quick: bool) -> list[tuple[str, str, str, str]]:
    """The table rows of `bench/run.py`, each part measured in its own process."""
    articles = ["--articles", "8"] if quick else []
    work = out / "shards"

    def child(*args: str) -> dict:
        done = subprocess.run(
            [sys.executable, __file__, *args], capture_output=True, text=True, check=True
        )
        return json.loads(done.stdout.strip().splitlines()[-1])

    built = child("build", "--eval", str(eval_dir), "--work", str(work), *articles)
    agree = child(
        "same",
        "--one",
        str(work / "one"),
        "--sharded",
        str(work / "sharded"),
        "--questions",
        str(eval_dir / "squad_dev_v1.1" / "questions.jsonl"),
        "--articles-of",
        str(work / "articles"),
    )
    return [
        (
            f"build, {built['articles']} SQuAD articles ({built['texts']} texts): 1 store vs "
            f"{SHARDS} shards on the local executor ({built['cores']} cores)",
            f"{built['one_s']} s vs {built['sharded_s']} s ({built['speedup']}x; CPU "
            f"{built['one_cpu_s']} s vs {built['sharded_cpu_s']} s; load {built['load']:.1f})",
            "",
            "",
        ),
        (
            f"  same answers, 1 store vs {SHARDS} shards ({agree['questions']} questions)",
            f"R@1 {agree['one_r1']} / {agree['sharded_r1']}, MRR@10 {agree['one_mrr10']} / "
            f"{agree['sharded_mrr10']}, same top 5 {agree['same_top5']:.2%}",
            "equal; >= 99%",
            "ok"
            if agree["same_top5"] >= 0.99
            and (agree["one_r1"], agree["one_mrr10"])
            == (agree["sharded_r1"], agree["sharded_mrr10"])
            else "MISSED",
        ),
    ]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build")
    b.add_argument("--eval", type=Path, required=True)
    b.add_argument("--work", type=Path, required=True)
    b.add_argument("--articles", type=int, default=None)
    s = sub.add_parser("same")
    s.add_argument("--one", type=Path, required=True)
    s.add_argument("--sharded", type=Path, required=True)
    s.add_argument("--questions", type=Path, required=True)
    s.add_argument("--limit", type=int, default=None)
    s.add_argument("--articles-of", type=Path, default=None, help="only questions on these")
    args = parser.parse_args(argv)
    if args.command == "build":
        result = build(args.eval, args.work, args.articles)
    else:
        questions = args.questions
        if args.articles_of is not None:
            names = {p.name for p in args.articles_of.iterdir()}
            kept = [
                line
                for line in questions.read_text(encoding="utf-8").splitlines()
                if line.strip() and json.loads(line)["article"] in names
            ]
            questions = args.articles_of.parent / "questions.jsonl"
            questions.write_text("\n".join(kept) + "\n", encoding="utf-8")
        result = same(args.one, args.sharded, questions, args.limit)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
