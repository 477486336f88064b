"""Score `extract_quotes` on a quotes gold set (issue 10) with the shared scorer.

Reads every article of the set with the index's own reader (so offsets are the index's),
writes the JSON array `qa quotes --json` prints, runs `quotecheck.py` on it and prints its
figures and the extraction time per paragraph.

    python bench/quotes_eval.py --set /work/shared/eval/quotes_polnear_dev
    python bench/quotes_eval.py --set ... --half even   # the tuning half (sorted names)
    python bench/quotes_eval.py --set ... --half odd    # the held-out half

Without --set: `QA_SHARED_DIR/eval/quotes_polnear_dev`, else `shared/` beside the repository.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from index.models import Article, Quote, TextSpan
from index.sources.quote_cues import compile_patterns
from index.sources.quotes import extract_quotes
from index.sources.readers import read_articles

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("QA_SHARED_DIR", ROOT.parent / "shared"))


def span_json(span: TextSpan | None) -> dict[str, object] | None:
    if span is None:
        return None
    return {"paragraph": span.paragraph, "start": span.start, "end": span.end, "text": span.text}


def quote_json(article: Article, quote: Quote) -> dict[str, object]:
    """One quote in the shape of `qa quotes --json` (issue 10)."""
    return {
        "text": quote.content.text,
        "direct": quote.direct,
        "citation": {
            "article": article.key,
            "path": article.path,
            "title": article.title,
            "source": article.source,
            "url": article.url,
            "published": article.published,
            "paragraph": quote.content.paragraph,
            "start": quote.content.start,
            "end": quote.content.end,
        },
        "speaker": {"name": quote.speaker, "mention": span_json(quote.mention)},
        "cue": span_json(quote.cue),
    }


def chosen_files(articles_dir: Path, half: str) -> list[Path]:
    files = sorted(p for p in articles_dir.iterdir() if p.is_file())
    if half == "even":
        return files[0::2]
    if half == "odd":
        return files[1::2]
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", type=Path, default=SHARED / "eval" / "quotes_polnear_dev")
    parser.add_argument("--half", choices=("all", "even", "odd"), default="all")
    parser.add_argument("--out", type=Path, help="where to write the predictions (JSON)")
    parser.add_argument("--repeat", type=int, default=3, help="timing runs (best is shown)")
    args = parser.parse_args(argv)
    articles_dir = args.set / "articles"
    if not articles_dir.is_dir() or not (args.set / "quotes.jsonl").is_file():
        parser.error(f"{args.set} is no quotes set (articles/ and quotes.jsonl); give --set")
    files = chosen_files(articles_dir, args.half)
    articles = [a for path in files for a in read_articles(path, articles_dir)]
    paragraphs = sum(len(a.paragraphs) for a in articles)

    compile_patterns()  # compiled at first use; the timing below is the search alone
    best = float("inf")
    for _ in range(max(1, args.repeat)):
        began = time.perf_counter()
        results = [(article, extract_quotes(article)) for article in articles]
        best = min(best, time.perf_counter() - began)
    predictions = [quote_json(article, q) for article, quotes in results for q in quotes]

    with tempfile.TemporaryDirectory() as scratch:
        out = args.out or Path(scratch) / "quotes.json"
        out.write_text(json.dumps(predictions, ensure_ascii=False), encoding="utf-8")
        gold_dir = args.set
        if args.half != "all":
            gold_dir = Path(scratch) / f"{args.set.name}_{args.half}"
            gold_dir.mkdir()
            names = {p.name for p in files}
            lines = (args.set / "quotes.jsonl").read_text(encoding="utf-8").splitlines()
            kept = [line for line in lines if line.strip() and json.loads(line)["article"] in names]
            (gold_dir / "quotes.jsonl").write_text("\n".join(kept) + "\n", encoding="utf-8")
        scorer = args.set.parent / "quotecheck.py"
        done = subprocess.run(
            [sys.executable, str(scorer), str(out), str(gold_dir)],
            capture_output=True,
            text=True,
            check=False,
        )
    sys.stdout.write(done.stdout)
    sys.stderr.write(done.stderr)
    print(
        f"{args.half}: {len(articles)} articles, {paragraphs} paragraphs, "
        f"{len(predictions)} quotes; extraction {1000 * best / max(1, paragraphs):.3f} ms "
        f"per paragraph ({best:.3f} s, best of {max(1, args.repeat)})"
    )
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
