"""Reading a followed feed: fetch it (conditionally), and save each item not saved before.

An item's article is its full content when the feed carries it (`content:encoded`,
Atom `content`) and that is long enough to be the article; otherwise its link is
fetched like `qa add`. The feed's ETag and Last-Modified are kept only when every new
item was saved, so an item that failed (a timeout, a 500), or one left over the limit
of one update, is read next time rather than hidden behind a 304.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from index.sources.feed_items import FeedItem, NotAFeed, ParsedFeed, parse_feed
from index.web.adding import add_page
from index.web.fetch import (
    DEFAULT_TIMEOUT,
    MAX_RESPONSE_BYTES,
    FetchFailed,
    NotModified,
    check_url,
    fetch,
)
from index.web.pages import WebArticle, article_from_html_content, check_enough_text
from index.web.saving import Saved, save_article
from index.web.subscriptions import Subscription

MAX_NEW_ITEMS = 100
"""New items read per feed per update. A feed that first lists thousands (an archive)
would otherwise fetch pages for hours; the rest wait for the next update."""


@dataclass(frozen=True)
class ItemOutcome:
    """What became of one new item: saved, or why not."""

    url: str
    saved: Saved | None
    reason: str | None = None


@dataclass(frozen=True)
class FeedUpdate:
    subscription: Subscription
    """The feed's new state, to be stored."""
    not_modified: bool
    """The server said 304: nothing was read."""
    outcomes: tuple[ItemOutcome, ...]
    left: int = 0
    """New items not read this time (over `MAX_NEW_ITEMS`): the next update reads them."""


def read_feed_source(
    subscription: Subscription, *, timeout: float = DEFAULT_TIMEOUT
) -> tuple[ParsedFeed, Subscription] | None:
    """The feed parsed, and the subscription with the validators of this fetch (not yet
    stored); None when the server says nothing changed. `FetchFailed` when it fails."""
    location = subscription.location
    if check_url(location) is not None:
        return _read_feed_file(subscription), subscription
    headers = {"Accept": "application/rss+xml,application/atom+xml,application/xml;q=0.9,*/*;q=0.5"}
    if subscription.etag:
        headers["If-None-Match"] = subscription.etag
    if subscription.last_modified:
        headers["If-Modified-Since"] = subscription.last_modified
    try:
        response = fetch(location, timeout=timeout, headers=headers)
    except NotModified:
        return None
    header = response.content_type + (f"; charset={response.charset}" if response.charset else "")
    try:
        feed = parse_feed(response.body, location=response.url, content_type=header or None)
    except NotAFeed as error:
        raise FetchFailed(str(error)) from None
    validators = replace(subscription, etag=response.etag, last_modified=response.last_modified)
    return feed, validators


def update_feed(
    subscription: Subscription,
    folder: Path,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    report: Callable[[ItemOutcome], None] = lambda outcome: None,
) -> FeedUpdate:
    """Save the feed's new items into `folder`; `report` hears of each as it is done.

    Raises `FetchFailed` when the feed itself cannot be read (nothing is changed then).
    """
    read = read_feed_source(subscription, timeout=timeout)
    if read is None:
        return FeedUpdate(replace(subscription, checked=_now()), True, ())
    return save_new_items(subscription, *read, folder, timeout=timeout, report=report)


def save_new_items(
    subscription: Subscription,
    feed: ParsedFeed,
    fetched: Subscription,
    folder: Path,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    report: Callable[[ItemOutcome], None] = lambda outcome: None,
    max_new: int = MAX_NEW_ITEMS,
) -> FeedUpdate:
    """Save the items of `feed` not saved before (at most `max_new` of them); `fetched`
    holds this fetch's validators."""
    new: dict[str, FeedItem] = {}
    seen = set(subscription.seen)
    for item in feed.items:
        if item.identity is not None and item.identity not in seen:
            new.setdefault(item.identity, item)
    outcomes: list[ItemOutcome] = []
    saved: list[str] = []
    for identity, item in list(new.items())[:max_new]:
        outcome = _save_item(item, feed, subscription.location, folder, timeout)
        outcomes.append(outcome)
        report(outcome)
        if outcome.saved is not None:
            saved.append(identity)
    state = subscription.with_seen(saved)
    state = replace(state, title=feed.title or subscription.title, checked=_now())
    left = max(0, len(new) - max_new)
    if not left and all(outcome.saved is not None for outcome in outcomes):
        state = replace(state, etag=fetched.etag, last_modified=fetched.last_modified)
    return FeedUpdate(state, False, tuple(outcomes), left)


def _save_item(
    item: FeedItem, feed: ParsedFeed, location: str, folder: Path, timeout: float
) -> ItemOutcome:
    url = item.link or (item.guid if item.guid and "://" in item.guid else None)
    known = WebArticle(
        url=url or f"{location}#{item.guid}",
        title=item.title,
        paragraphs=(),
        source=feed.title,
        author=item.author,
        published=item.published,
    )
    if item.content:
        article = article_from_html_content(
            item.content,
            known.url,
            title=item.title,
            source=feed.title,
            author=item.author,
            published=item.published,
        )
        try:
            check_enough_text(article)
            return ItemOutcome(known.url, save_article(article, folder))
        except FetchFailed:
            pass  # a teaser, not the article: fetch the page when there is one
    if url is None or check_url(url) is not None:
        return ItemOutcome(known.url, None, "item has neither full text nor a link to fetch")
    try:
        return ItemOutcome(url, add_page(url, folder, timeout=timeout, known=known))
    except FetchFailed as error:
        return ItemOutcome(url, None, str(error))


def _read_feed_file(subscription: Subscription) -> ParsedFeed:
    path = Path(subscription.location)
    try:
        with path.open("rb") as stream:
            data = stream.read(MAX_RESPONSE_BYTES + 1)
    except OSError as error:
        raise FetchFailed(f"cannot read {path} ({error.strerror})") from None
    if len(data) > MAX_RESPONSE_BYTES:
        raise FetchFailed(f"feed file larger than {MAX_RESPONSE_BYTES / 1_000_000:g} MB")
    try:
        return parse_feed(data, location=path.as_uri())
    except NotAFeed as error:
        raise FetchFailed(str(error)) from None


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()
