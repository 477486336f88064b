"""Feed files (.rss, .atom, .xml) in the articles folder: each item with text is an article.

A saved feed carries its items' text (the full `content:encoded`, or at least the
summary) with their titles, links and dates; nothing is fetched: a build never touches
the network. An item's citation is the file plus `#n`, and its URL is the item's link.
"""

from __future__ import annotations

from dataclasses import replace

from index.errors import UnreadableFile
from index.models import Article
from index.sources.feed_items import NotAFeed, parse_feed
from index.sources.html_text import strip_tags
from index.sources.paragraphs import TooManyLines, build_article
from index.sources.reading import ArticleFile, BinaryReader


def read_feed(data: bytes, file: ArticleFile) -> list[Article]:
    """One article per item that has text; items without any are counted in a note."""
    try:
        feed = parse_feed(data)
    except NotAFeed as error:
        raise UnreadableFile(file.shown, str(error)) from None
    articles: list[Article] = []
    empty = 0
    for number, item in enumerate(feed.items):
        html = item.content or item.summary
        text = strip_tags(html)[0] if html else ""
        metadata = {"title": item.title, "url": item.link, "source": feed.title}
        metadata |= {"author": item.author, "published": item.published}
        try:
            built = build_article(
                text,
                key=f"{file.key}#{number}",
                path=file.path,
                fallback_title=f"{file.fallback_title} #{number}",
                metadata=metadata,
                front_matter=False,
            )
        except TooManyLines:
            built = None
        if built is None or not built.paragraphs:
            empty += 1
            continue
        articles.append(built)
    if not articles:
        raise UnreadableFile(file.shown, "no feed item with text")
    if empty:
        note = f"{empty} feed {'item' if empty == 1 else 'items'} without text skipped"
        articles[0] = replace(articles[0], notes=(note, *articles[0].notes))
    return articles


READER = BinaryReader((".rss", ".atom", ".xml"), read_feed)
