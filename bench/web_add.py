"""What `qa add` and `qa feed update` cost, and how much of an article survives the trip.

Serves articles of a shared eval set as HTML pages (headline, navigation, footer around
the paragraphs) from a site on 127.0.0.1, then:
- `add_page` on each page (fetch, extract, save): the time per page (median, p90), the
  share of pages saved, and the share whose every paragraph came back word for word;
- one `update_feed` over an RSS feed linking to all of them (each page fetched).
No index is built: the build's own figures are `bench/run.py`'s.

    python bench/web_add.py [--set DIR] [--limit N]
"""

from __future__ import annotations

import argparse
import html
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("QA_SHARED_DIR", ROOT.parent / "shared"))
sys.path.insert(0, str(ROOT / "tests"))  # the local test site and feed builder

from feed_support import rss2  # noqa: E402
from web_support import Page, article_html, local_site  # noqa: E402

from index.sources.paragraphs import split_paragraphs  # noqa: E402
from index.web.adding import add_page  # noqa: E402
from index.web.feeds import update_feed  # noqa: E402
from index.web.fetch import FetchFailed  # noqa: E402
from index.web.subscriptions import Subscription  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", type=Path, default=SHARED / "eval" / "news_realtimeqa_dev")
    parser.add_argument("--limit", type=int, default=200)
    args = parser.parse_args()
    files = sorted((args.set / "articles").glob("*.txt"))[: args.limit]
    pages: dict[str, Page] = {}
    originals: dict[str, list[str]] = {}
    for number, path in enumerate(files):
        _, paragraphs = split_paragraphs(path.read_text(encoding="utf-8"))
        texts = [text for _, text in paragraphs]
        if len(texts) < 2:
            continue
        title, body = texts[0], texts[1:]
        pages[f"/a/{number}"] = Page(
            article_html(html.escape(title), [html.escape(p) for p in body]).encode()
        )
        originals[f"/a/{number}"] = body
    seconds: list[float] = []
    saved = whole = 0
    refused: dict[str, int] = {}
    with tempfile.TemporaryDirectory() as folder, local_site(pages) as site:
        add_page(site.url(next(iter(pages))), Path(folder))  # imports trafilatura once
        for path, body in originals.items():
            started = time.perf_counter()
            try:
                result = add_page(site.url(path), Path(folder) / "pages")
            except FetchFailed as error:
                reason = str(error).split(" (")[0]
                refused[reason] = refused.get(reason, 0) + 1
                continue
            finally:
                seconds.append(time.perf_counter() - started)
            saved += 1
            text = result.path.read_text(encoding="utf-8")
            whole += all(paragraph in text for paragraph in body)
        items = [{"title": f"item {p}", "link": site.url(p), "guid": p} for p in originals]
        pages["/feed.xml"] = Page(rss2(items), content_type="application/rss+xml")
        started = time.perf_counter()
        update = update_feed(Subscription(site.url("/feed.xml")), Path(folder) / "feed")
        feed_seconds = time.perf_counter() - started
    count = len(originals)
    print(f"pages: {count} from {args.set.name}")
    print(
        f"qa add per page: median {statistics.median(seconds) * 1000:.1f} ms, "
        f"p90 {statistics.quantiles(seconds, n=10)[-1] * 1000:.1f} ms"
    )
    print(f"saved: {saved}/{count}; every paragraph recovered: {whole}/{saved}")
    for reason, times in sorted(refused.items()):
        print(f"refused: {times} x {reason}")
    print(
        f"feed update, {len(update.outcomes)} linked items: {feed_seconds:.1f} s "
        f"({sum(o.saved is not None for o in update.outcomes)} saved)"
    )


if __name__ == "__main__":
    main()
