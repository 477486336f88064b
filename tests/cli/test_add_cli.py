"""`qa add URL...` and `qa feed ...` through the real command, against a site on 127.0.0.1.

The pages are served by the test itself; the articles land in the default library's
articles folder, are indexed by the ordinary build, and `qa ask` cites them by URL.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from feed_support import LONG, rss2
from web_support import Page, article_html, local_site

QA = [sys.executable, "-m", "qa"]

STRIKE = [
    "Dock workers at the northern port ended their two-week strike on Thursday after the "
    "operator agreed to a pay rise of seven percent over two years.",
    "The union said ships queued outside the harbour would be unloaded by the weekend, and "
    "that night shifts would restart on Monday.",
    "The operator estimated that the strike had cost it about 12 million euros in lost fees.",
    "Shipping lines had diverted a dozen container vessels to other ports during the "
    "stoppage, and some said they would not return before the summer.",
]
STRIKE_PAGE = article_html("Port strike ends", STRIKE).encode()


def qa(*args: str, home: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*QA, *args],
        capture_output=True,
        text=True,
        env={**os.environ, "QA_HOME": str(home)},
        timeout=300,
    )


def _ask(question: str, home: Path) -> dict:
    result = qa("ask", question, "--json", "-k", "3", home=home)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _messages(result: subprocess.CompletedProcess) -> list[str]:
    """stderr without the build's progress lines."""
    progress = ("qa: scanning", "qa: reading", "qa: embedding", "qa: committing", "qa: indexed")
    progress += ("qa: exporting",)
    return [line for line in result.stderr.splitlines() if not line.startswith(progress)]


def test_add_saves_each_page_reports_each_failure_and_ask_cites_the_url(tmp_path: Path) -> None:
    home = tmp_path / "home"
    stub = article_html("Scoop", ["Subscribe to read this story."]).encode()
    pages = {
        "/strike": Page(STRIKE_PAGE),
        "/go/strike": Page(status=302, headers={"Location": "/strike"}),
        "/paid": Page(stub),
        "/report.pdf": Page(b"%PDF-1.4", content_type="application/pdf"),
    }
    with local_site(pages) as site:
        urls = [site.url(p) for p in ("/go/strike", "/missing", "/paid", "/report.pdf")]
        result = qa("add", *urls, home=home)
    assert result.returncode == 1, result.stderr
    assert result.stdout == ""
    assert _messages(result) == [
        f"qa: [1/4] added {site.url('/strike')}: Port strike ends",
        f"qa: [2/4] failed {urls[1]}: HTTP 404 Not Found",
        f"qa: [3/4] failed {urls[2]}: too little text (43 characters, under 400): a paywall, "
        "a login or cookie wall, or not an article",
        f"qa: [4/4] failed {urls[3]}: not an HTML page (Content-Type: application/pdf)",
    ]
    assert "indexed 1 article," in result.stderr
    [saved] = (home / "articles").iterdir()
    assert saved.suffix == ".txt"
    answer = _ask("How much did the port strike cost the operator?", home)
    top = answer["hits"][0]
    assert "12 million euros" in top["text"]
    assert top["citation"]["url"] == site.url("/strike")
    assert top["citation"]["title"] == "Port strike ends"


def test_the_same_url_twice_is_one_article_updated_when_its_text_changes(tmp_path: Path) -> None:
    home = tmp_path / "home"
    pages = {"/strike": Page(STRIKE_PAGE)}
    with local_site(pages) as site:
        url = site.url("/strike")
        assert qa("add", url, home=home).returncode == 0
        again = qa("add", url + "#comments", home=home)
        assert again.returncode == 0, again.stderr
        assert _messages(again) == [f"qa: unchanged {url}: Port strike ends"]
        correction = "The operator now puts the cost of the strike at 19 million euros."
        corrected = [*STRIKE[:2], correction, STRIKE[3]]
        pages["/strike"] = Page(article_html("Port strike ends", corrected).encode())
        changed = qa("add", url, home=home)
    assert _messages(changed) == [f"qa: updated {url}: Port strike ends"]
    assert "1 updated" in changed.stderr
    assert len(list((home / "articles").iterdir())) == 1
    hits = _ask("What does the operator say the strike cost?", home)["hits"]
    assert "19 million euros" in hits[0]["text"]
    assert not any("12 million" in hit["text"] for hit in hits)


def test_a_slow_page_times_out_and_the_library_is_left_as_it_was(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with local_site({"/slow": Page(STRIKE_PAGE, delay=5)}) as site:
        result = qa("add", site.url("/slow"), "--timeout", "0.5", home=home)
    assert result.returncode == 1
    assert result.stderr == f"qa: failed {site.url('/slow')}: timed out after 0.5 s\n"
    assert not (home / "articles").exists() and not (home / "index").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ftp://example.com/a"], "qa: ftp://example.com/a: only http:// and https:// URLs"),
        (["http://127.0.0.1:1/", "--timeout", "0"], "qa add: error: argument --timeout: must be"),
        ([], "qa add: error: the following arguments are required: URL"),
    ],
)
def test_bad_usage_is_exit_2_before_anything_is_fetched(
    args: list[str], message: str, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    result = qa("add", *args, home=home)
    assert result.returncode == 2
    assert result.stderr.startswith(message) and result.stderr.count("\n") == 1
    assert not home.exists() or not (home / "articles").exists()


def test_another_index_saves_into_its_folder_or_the_one_named(tmp_path: Path) -> None:
    index = str(tmp_path / "idx")
    refused = qa("add", "http://127.0.0.1:1/a", "--index", index, home=tmp_path)
    assert refused.returncode == 2
    assert "name the articles folder to save into with --into DIR" in refused.stderr
    news = tmp_path / "news"
    with local_site({"/strike": Page(STRIKE_PAGE), "/strike?id=2": Page(STRIKE_PAGE)}) as site:
        added = qa("add", site.url("/strike"), "--index", index, "--into", str(news), home=tmp_path)
        assert added.returncode == 0, added.stderr
        # The index now covers that folder: the next page goes there without --into.
        again = qa("add", site.url("/strike") + "?id=2", "--index", index, home=tmp_path)
        assert again.returncode == 0, again.stderr
    assert len(list(news.glob("*.txt"))) == 2
    assert not (tmp_path / "articles").exists()


def test_following_a_feed(tmp_path: Path) -> None:
    home = tmp_path / "home"
    pages = {"/strike": Page(STRIKE_PAGE)}
    with local_site(pages) as site:
        items = [
            {
                "title": "Tram line approved",
                "link": site.url("/tram"),
                "guid": "tram",
                "content": f"<p>{LONG}</p>",
            },
            {"title": "Port strike ends", "link": site.url("/strike"), "guid": "strike"},
        ]
        feed_url = site.url("/feed.xml")
        pages["/feed.xml"] = Page(rss2(items), content_type="application/rss+xml", etag='"1"')
        added = qa("feed", "add", feed_url, home=home)
        assert added.returncode == 0, added.stderr
        assert _messages(added) == [
            "qa: following feed 1: Valley News",
            f"qa:   added {site.url('/tram')}: Tram line approved",
            f"qa:   added {site.url('/strike')}: Port strike ends",
        ]
        listed = qa("feed", "list", home=home)
        assert listed.stdout.startswith(f"1. Valley News <{feed_url}> 2 items, checked 20")
        updated = qa("feed", "update", home=home)
        assert updated.returncode == 0, updated.stderr
        assert _messages(updated) == ["qa: feed 1 (Valley News): not modified"]
        assert site.hits("/feed.xml")[-1]["If-None-Match"] == '"1"'
    answer = _ask("How much will the tram line cost?", home)
    top = answer["hits"][0]
    assert "310 million euros" in top["text"]
    assert top["citation"]["url"] == site.url("/tram")
    assert top["citation"]["source"] == "Valley News"
    records = json.loads(qa("feed", "list", "--json", home=home).stdout)
    assert [(r["number"], r["location"], r["items"]) for r in records] == [(1, feed_url, 2)]
    removed = qa("feed", "remove", "1", home=home)
    assert removed.returncode == 0
    assert json.loads(qa("feed", "list", "--json", home=home).stdout) == []
    assert len(list((home / "articles").glob("*.txt"))) == 2  # the articles stay


def test_a_feed_file_in_the_articles_folder_is_indexed_as_its_items(tmp_path: Path) -> None:
    home = tmp_path / "home"
    articles = home / "articles"
    articles.mkdir(parents=True)
    item = {
        "title": "Tram line approved",
        "link": "https://valley.invalid/tram",
        "guid": "t",
        "content": f"<p>{LONG}</p>",
    }
    (articles / "valley.rss").write_bytes(rss2([item]))
    built = qa("index", "build", str(articles), home=home)
    assert built.returncode == 0, built.stderr
    top = _ask("How much will the tram line cost?", home)["hits"][0]
    assert top["citation"]["article"] == "valley.rss#0"
    assert top["citation"]["url"] == "https://valley.invalid/tram"


def test_feed_update_reports_a_failing_feed_and_updates_the_others(tmp_path: Path) -> None:
    home = tmp_path / "home"
    saved_feed = tmp_path / "saved.rss"
    tram = {
        "title": "Tram line approved",
        "link": "https://valley.invalid/tram",
        "guid": "t",
        "content": f"<p>{LONG}</p>",
    }
    saved_feed.write_bytes(rss2([tram], title="Saved Valley"))
    pages = {"/strike": Page(STRIKE_PAGE)}
    with local_site(pages) as site:
        strike = {"title": "Port strike ends", "link": site.url("/strike"), "guid": "s"}
        pages["/feed"] = Page(rss2([strike], title="Port News"), content_type="text/xml")
        assert qa("feed", "add", str(saved_feed), home=home).returncode == 0
        assert qa("feed", "add", site.url("/feed"), home=home).returncode == 0
        pages["/feed"] = Page(b"down", status=500)
        updated = qa("feed", "update", home=home)
        assert updated.returncode == 1
        assert _messages(updated) == [
            "qa: feed 1 (Saved Valley): 0 new items saved",
            "qa: feed 2 (Port News) failed: HTTP 500 Internal Server Error",
        ]
        one = qa("feed", "update", "1", home=home)
        assert one.returncode == 0 and _messages(one) == [
            "qa: feed 1 (Saved Valley): 0 new items saved"
        ]
        missing = qa("feed", "update", "3", home=home)
        assert missing.returncode == 2 and "no feed number 3" in missing.stderr
    top = _ask("How much will the tram line cost?", home)["hits"][0]
    assert top["citation"]["url"] == "https://valley.invalid/tram"
