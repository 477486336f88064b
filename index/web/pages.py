"""A fetched page (or a feed item's full content) as an article: text, title and the rest.

The page is decoded the way its server says (the Content-Type charset), else the way the
page says (`<meta charset>`), else as UTF-8 with cp1252 as the last resort; its main
text is found by the same extractor the HTML reader uses (`index.sources.html_text`).
What is left must look like an article: a paywall stub or a cookie wall is a title and
a sentence, and saving it would answer questions with "Subscribe to read".
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from index.errors import UnreadableFile
from index.sources.decoding import decode_text
from index.sources.html_text import (
    MAX_HTML_DEPTH,
    extract_main_text,
    nested_deeper_than,
    strip_tags,
)
from index.web.fetch import FetchFailed, Response

MIN_ARTICLE_CHARS = 400
"""Less main text than this is not an article: a paywall stub, a cookie wall, an index
page. Of the 922 saved news pages of the shared news_realtimeqa_dev set, one in twenty
is under 950 bytes, and those under 400 are video-player and ad leftovers, not text."""
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_FEED_TYPE = re.compile(r"\b(?:rss|atom|xml)\b")
_BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


@dataclass(frozen=True)
class WebArticle:
    """What is saved of one page: its URL, metadata and paragraphs."""

    url: str
    title: str | None
    paragraphs: tuple[str, ...]
    source: str | None = None
    author: str | None = None
    published: str | None = None

    @property
    def chars(self) -> int:
        return sum(len(p) for p in self.paragraphs)


def page_text(response: Response) -> str:
    """The body of an HTML response as text; `FetchFailed` when it is not an HTML page."""
    if response.content_type and response.content_type not in HTML_TYPES:
        hint = (
            "; to follow a feed, use `qa feed add`"
            if _FEED_TYPE.search(response.content_type)
            else ""
        )
        raise FetchFailed(f"not an HTML page (Content-Type: {response.content_type[:60]}){hint}")
    if not response.content_type and not _looks_like_html(response.body):
        raise FetchFailed("not an HTML page (no Content-Type, and the body is not HTML)")
    return decode_body(response)


def decode_body(response: Response) -> str:
    """The body as text: a BOM first, then the header's charset, then the page's own."""
    charset = _known_codec(response.charset)
    if charset and not response.body.startswith(_BOMS):
        return response.body.decode(charset, "replace").replace("\r\n", "\n")
    try:
        text, _ = decode_text(response.body, response.url, declared_charset=True)
    except UnreadableFile as error:
        raise FetchFailed(error.reason) from None
    return text


def article_from_page(html: str, url: str) -> WebArticle:
    """The page's main text and metadata; `FetchFailed` when too little text is left."""
    extracted: str | None = None
    metadata: dict[str, str | None] = {}
    if not nested_deeper_than(html, MAX_HTML_DEPTH):
        extracted, metadata = extract_main_text(html)
    if not extracted or not extracted.strip():
        raise FetchFailed("no article text found on the page")
    # Trafilatura puts one paragraph on each line.
    article = WebArticle(
        url=url,
        title=metadata.get("title"),
        paragraphs=_paragraphs(extracted.split("\n")),
        source=metadata.get("source"),
        author=metadata.get("author"),
        published=metadata.get("published"),
    )
    check_enough_text(article)
    return article


def article_from_html_content(
    content: str,
    url: str,
    *,
    title: str | None,
    source: str | None = None,
    author: str | None = None,
    published: str | None = None,
) -> WebArticle:
    """A feed item's own HTML (`content:encoded`) as an article; its text is all article,
    no page furniture, so tags are stripped rather than a main text searched for."""
    text, _ = strip_tags(content)
    return WebArticle(
        url=url,
        title=title,
        paragraphs=_paragraphs(text.split("\n\n")),
        source=source,
        author=author,
        published=published,
    )


def check_enough_text(article: WebArticle) -> None:
    if article.chars < MIN_ARTICLE_CHARS:
        raise FetchFailed(
            f"too little text ({article.chars} characters, under {MIN_ARTICLE_CHARS}): "
            "a paywall, a login or cookie wall, or not an article"
        )


def _paragraphs(blocks: list[str]) -> tuple[str, ...]:
    return tuple(text for block in blocks if (text := " ".join(block.split())))


def _known_codec(name: str | None) -> str | None:
    if not name:
        return None
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _looks_like_html(body: bytes) -> bool:
    head = body[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<!--"))
