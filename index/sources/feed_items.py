"""RSS (0.9x, 1.0, 2.0) and Atom feeds as items, parsed by feedparser from bytes only.

Both the feed-file reader (`formats.feed_file`, a feed dropped into the articles folder)
and `qa feed update` read feeds through here. feedparser is handed the bytes wrapped in
a stream, never a string: given a string it may open it as a URL or a file path itself,
and all fetching is ours (`index.web.fetch`: deadline, size limit, charset).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urljoin


class NotAFeed(ValueError):
    """The bytes are not an RSS or Atom feed feedparser can read."""


# A DOCTYPE with an internal subset that declares entities. No real feed needs one, and
# nested entities ("billion laughs") expand a kilobyte into megabytes of titles before
# expat's amplification guard stops them (and feedparser then retries with its loose
# parser, seconds more).
_PROLOG_BYTES = 65_536


def _declares_entities(data: bytes) -> bool:
    """Whether the DOCTYPE's internal subset declares an entity (one linear scan)."""
    head = data[:_PROLOG_BYTES].upper()
    doctype = head.find(b"<!DOCTYPE")
    if doctype < 0:
        return False
    opening = head.find(b"[", doctype)
    if opening < 0 or -1 < head.find(b">", doctype) < opening:
        return False
    closing = head.find(b"]", opening)
    return b"<!ENTITY" in head[opening : closing if closing >= 0 else None]


@dataclass(frozen=True)
class FeedItem:
    """One entry of a feed, with the feed's own words for it."""

    guid: str | None
    link: str | None
    title: str | None
    author: str | None
    published: str | None
    """ISO date (YYYY-MM-DD) when the feed gives one that parses."""
    content: str | None
    """The full text as HTML (RSS `content:encoded`, Atom `content`), if the feed has it."""
    summary: str | None
    """The short description (RSS `description`, Atom `summary`), as HTML."""

    @property
    def identity(self) -> str | None:
        """What tells this item from the feed's others: its GUID, else its link."""
        return self.guid or self.link


@dataclass(frozen=True)
class ParsedFeed:
    title: str | None
    items: tuple[FeedItem, ...]


def parse_feed(
    data: bytes, *, location: str | None = None, content_type: str | None = None
) -> ParsedFeed:
    """The feed's title and items; `NotAFeed` when `data` is neither RSS nor Atom.

    `location` resolves relative item links; `content_type` is the server's header (feedparser
    weighs its charset against the XML declaration).
    """
    import feedparser  # imported here: only feeds need it

    if _declares_entities(data):
        raise NotAFeed("the feed declares its own XML entities (refused: entity expansion)")
    # No content-location: feedparser would resolve GUIDs against it too, and a GUID is an
    # opaque name that must not change when the feed's URL does (a redirect).
    headers = {"content-type": content_type} if content_type else {}
    try:
        parsed: Any = feedparser.parse(io.BytesIO(data), response_headers=headers)
    except Exception as error:  # feedparser is lenient; anything it still raises is "not a feed"
        raise NotAFeed(f"feed could not be parsed ({type(error).__name__})") from None
    if not parsed.get("version") and not parsed.entries:
        raise NotAFeed("not an RSS or Atom feed")
    items = tuple(_item(entry, location) for entry in parsed.entries)
    return ParsedFeed(title=_text(parsed.feed.get("title")), items=items)


def _item(entry: Any, location: str | None) -> FeedItem:
    contents = [c.get("value") for c in entry.get("content") or [] if c.get("value")]
    link = _text(entry.get("link"))
    return FeedItem(
        guid=_text(entry.get("id")),
        link=urljoin(location, link) if location and link else link,
        title=_text(entry.get("title")),
        author=_text(entry.get("author")),
        published=_iso_date(entry.get("published_parsed") or entry.get("updated_parsed")),
        content=max(contents, key=len) if contents else None,
        summary=_text(entry.get("summary")),
    )


def _text(value: object) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _iso_date(parsed: Any) -> str | None:
    try:
        return date(parsed[0], parsed[1], parsed[2]).isoformat() if parsed else None
    except (TypeError, ValueError, IndexError):
        return None
