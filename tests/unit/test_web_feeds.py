"""Feeds: RSS 2.0, RSS 1.0 and Atom parsed, followed against a local site, and read as files."""

from __future__ import annotations

from pathlib import Path

import pytest
from feed_support import LONG, atom, rss1, rss2
from web_support import Page, article_html, local_site

from index.errors import QAError, UnreadableFile, UsageError
from index.sources.feed_items import NotAFeed, parse_feed
from index.sources.formats.feed_file import read_feed
from index.sources.reading import ArticleFile
from index.web.feeds import save_new_items, update_feed
from index.web.subscriptions import (
    Subscription,
    feeds_path,
    find_feed,
    load_feeds,
    save_feeds,
)

PAGE_TEXT = [
    "Residents of the lower valley were told to boil their tap water after floods reached "
    "the pumping station on Sunday night, the water authority said.",
    "The authority expects the order to stay in place for at least a week while engineers "
    "clean the filters and test the supply street by street.",
    "Bottled water is being handed out at the town hall and at three schools, and the "
    "authority has asked neighbouring towns to send tankers.",
]
PAGE = Page(article_html("Boil-water order after floods", PAGE_TEXT).encode())


@pytest.mark.parametrize(
    ("data", "title", "published"),
    [
        (
            rss2([{"title": "Tram", "link": "http://x.invalid/t", "guid": "g1"}]),
            "Valley News",
            "2024-05-06",
        ),
        (
            atom([{"title": "Tram", "link": "http://x.invalid/t", "guid": "g1"}]),
            "Atom Times",
            "2024-05-07",
        ),
        (rss1([{"title": "Tram", "link": "http://x.invalid/t"}]), "RDF Post", "2024-05-08"),
    ],
    ids=["rss2", "atom", "rss1"],
)
def test_each_feed_shape_parses_to_items(data: bytes, title: str, published: str) -> None:
    feed = parse_feed(data)
    assert feed.title == title
    [item] = feed.items
    assert (item.title, item.link, item.published) == ("Tram", "http://x.invalid/t", published)
    assert item.identity in ("g1", "http://x.invalid/t")


def test_full_content_is_told_from_a_summary() -> None:
    data = rss2(
        [{"title": "A", "guid": "a", "summary": "Short teaser.", "content": f"<p>{LONG}</p>"}]
    )
    [item] = parse_feed(data).items
    assert item.summary == "Short teaser." and LONG.strip() in (item.content or "")


@pytest.mark.parametrize("data", [b"<html><body>not a feed</body></html>", b"", b"\x00\x01"])
def test_what_is_not_a_feed_is_refused(data: bytes) -> None:
    with pytest.raises(NotAFeed):
        parse_feed(data)


def _file(name: str) -> ArticleFile:
    return ArticleFile(name, name, f"/lib/{name}", "Saved feed", Path(name).suffix)


def test_a_feed_file_in_the_library_is_read_as_its_items() -> None:
    data = rss2(
        [
            {
                "title": "Tram line approved",
                "link": "http://x.invalid/tram",
                "guid": "1",
                "content": f"<p>{LONG}</p><p>Work starts in autumn.</p>",
            },
            {"title": "Only a link", "link": "http://x.invalid/empty", "guid": "2"},
            {"title": "Short", "link": "http://x.invalid/s", "guid": "3", "summary": "A summary."},
        ]
    )
    articles = read_feed(data, _file("valley.rss"))
    assert [a.key for a in articles] == ["valley.rss#0", "valley.rss#2"]
    tram = articles[0]
    assert (tram.title, tram.url, tram.source, tram.published) == (
        "Tram line approved",
        "http://x.invalid/tram",
        "Valley News",
        "2024-05-06",
    )
    assert [p.text for p in tram.paragraphs] == [LONG.strip(), "Work starts in autumn."]
    assert tram.notes == ("1 feed item without text skipped",)


def test_an_xml_file_that_is_no_feed_is_unreadable_with_a_reason() -> None:
    with pytest.raises(UnreadableFile, match="not an RSS or Atom feed"):
        read_feed(b"<?xml version='1.0'?><config><a>1</a></config>", _file("settings.xml"))


def test_following_a_feed_saves_new_items_once_and_retries_failures(tmp_path: Path) -> None:
    items = [
        # Full text in the feed: saved from it, its link never fetched.
        {
            "title": "Tram line approved",
            "link": "/tram",
            "guid": "tram",
            "content": f"<p>{LONG}</p>",
        },
        # Only a teaser: the page is fetched, and the feed's date fills the page's gap.
        {"title": "Boil-water order", "link": "/water", "guid": "water", "summary": "Floods."},
        {"title": "Broken", "link": "/broken", "guid": "broken"},
    ]
    pages = {"/water": PAGE}
    with local_site(pages) as site:
        for item in items:
            item["link"] = site.url(item["link"])
        pages["/feed.xml"] = Page(rss2(items), content_type="application/rss+xml", etag='"v1"')
        heard = []
        first = update_feed(Subscription(site.url("/feed.xml")), tmp_path, report=heard.append)
        assert [(o.saved.status if o.saved else o.reason) for o in first.outcomes] == [
            "added",
            "added",
            "HTTP 404 Not Found",
        ]
        assert heard == list(first.outcomes)
        assert site.hits("/tram") == []
        water = first.outcomes[1].saved
        assert water is not None and "Published: 2024-05-06" in water.path.read_text()
        # An item failed: no validators kept, so the next update reads the feed again.
        assert first.subscription.etag is None
        assert first.subscription.seen == ("tram", "water")

        pages["/broken"] = PAGE
        second = update_feed(first.subscription, tmp_path)
        assert [o.url for o in second.outcomes] == [site.url("/broken")]
        assert len(site.hits("/water")) == 1
        assert second.subscription.etag == '"v1"'

        third = update_feed(second.subscription, tmp_path)
        assert third.not_modified and third.outcomes == ()
        assert site.hits("/feed.xml")[-1]["If-None-Match"] == '"v1"'
    assert len(list(tmp_path.glob("*.txt"))) == 3


def test_a_feed_with_only_last_modified_is_fetched_conditionally(tmp_path: Path) -> None:
    stamp = "Mon, 06 May 2024 10:00:00 GMT"
    items = [{"title": "Tram", "link": "http://x.invalid/t", "guid": "t", "content": LONG}]
    pages = {"/feed": Page(rss2(items), content_type="text/xml", last_modified=stamp)}
    with local_site(pages) as site:
        first = update_feed(Subscription(site.url("/feed")), tmp_path)
        assert first.subscription.last_modified == stamp and len(first.outcomes) == 1
        second = update_feed(first.subscription, tmp_path)
        assert site.hits("/feed")[-1]["If-Modified-Since"] == stamp
    assert second.not_modified and second.subscription.seen == first.subscription.seen


def test_a_long_feed_is_read_a_limited_number_of_items_at_a_time(tmp_path: Path) -> None:
    items = [
        {"title": f"Item {n}", "link": f"http://x.invalid/{n}", "guid": f"g{n}", "content": LONG}
        for n in range(5)
    ]
    feed = tmp_path / "archive.rss"
    feed.write_bytes(rss2(items))
    first = save_new_items(
        Subscription(str(feed)),
        parse_feed(feed.read_bytes()),
        Subscription(str(feed), etag='"e"'),
        tmp_path / "a",
        max_new=3,
    )
    assert (len(first.outcomes), first.left, first.subscription.etag) == (3, 2, None)
    second = update_feed(first.subscription, tmp_path / "a")
    assert [o.url for o in second.outcomes] == ["http://x.invalid/3", "http://x.invalid/4"]
    assert second.left == 0


@pytest.mark.parametrize("make", [atom, rss1], ids=["atom", "rss1"])
def test_atom_and_rss1_feeds_are_followed_too(make, tmp_path: Path) -> None:
    pages = {"/water": PAGE}
    with local_site(pages) as site:
        items = [{"title": "Boil-water order", "link": site.url("/water"), "guid": "w"}]
        pages["/feed"] = Page(make(items), content_type="application/xml")
        update = update_feed(Subscription(site.url("/feed")), tmp_path)
    [outcome] = update.outcomes
    assert outcome.saved is not None and outcome.saved.title == "Boil-water order after floods"
    assert update.subscription.title in ("Atom Times", "RDF Post")


def test_a_page_that_is_not_a_feed_fails_and_changes_nothing(tmp_path: Path) -> None:
    with local_site({"/news": PAGE}) as site:
        from index.web.fetch import FetchFailed

        with pytest.raises(FetchFailed, match="not an RSS or Atom feed"):
            update_feed(Subscription(site.url("/news")), tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_the_feed_list_round_trips_and_finds_feeds(tmp_path: Path) -> None:
    feeds = [Subscription("http://a.invalid/feed", title="A", seen=("1",)), Subscription("/x.rss")]
    save_feeds(tmp_path, feeds)
    assert load_feeds(tmp_path) == feeds
    assert find_feed(feeds, "2") == 1 and find_feed(feeds, "http://a.invalid/feed") == 0
    for wrong in ("3", "0", "http://b.invalid/"):
        with pytest.raises(UsageError):
            find_feed(feeds, wrong)


@pytest.mark.parametrize(
    "text",
    ['{"feeds": [{"title": "no location"}]}', '{"feeds": ["a"]}', "[1]", "{", "[" * 100_000],
)
def test_a_damaged_feed_list_is_reported_and_left_alone(text: str, tmp_path: Path) -> None:
    feeds_path(tmp_path).write_text(text)
    before = feeds_path(tmp_path).read_bytes()
    with pytest.raises(QAError, match="is damaged"):
        load_feeds(tmp_path)
    assert feeds_path(tmp_path).read_bytes() == before


@pytest.mark.parametrize(
    "declaration",
    [
        '<!ENTITY xxe SYSTEM "file:///etc/passwd">',
        '<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">',
    ],
    ids=["external", "nested"],
)
def test_a_feed_declaring_entities_is_refused(declaration: str) -> None:
    data = rss2([{"title": "T", "link": "http://x.invalid/", "guid": "g"}])
    data = data.replace(b"?>\n", f"?>\n<!DOCTYPE rss [{declaration}]>".encode(), 1)
    with pytest.raises(NotAFeed, match="declares its own XML entities"):
        parse_feed(data)
    # An old RSS 0.91 DOCTYPE naming its DTD is fine.
    dtd = b'?>\n<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" "x.dtd">'
    assert parse_feed(data.replace(f"?>\n<!DOCTYPE rss [{declaration}]>".encode(), dtd)).items


def test_a_feed_file_is_followed_without_the_network(tmp_path: Path) -> None:
    feed = tmp_path / "saved.atom"
    item = {"title": "Tram line approved", "link": "http://x.invalid/tram", "guid": "urn:t"}
    feed.write_bytes(atom([{**item, "content": f"<p>{LONG}</p>"}]))
    articles = tmp_path / "articles"
    update = update_feed(Subscription(str(feed)), articles)
    [outcome] = update.outcomes
    assert outcome.saved is not None and outcome.saved.status == "added"
    assert "URL: http://x.invalid/tram" in outcome.saved.path.read_text()
    assert update_feed(update.subscription, articles).outcomes == ()


def test_relative_links_resolve_against_the_feed_and_guids_stay_as_given() -> None:
    data = rss2([{"title": "T", "link": "../news/t", "guid": "t-1"}])
    [item] = parse_feed(data, location="https://h.invalid/feeds/all.xml").items
    assert (item.link, item.guid) == ("https://h.invalid/news/t", "t-1")
