"""The feeds a library follows: a small JSON file beside its articles, written atomically.

It lives in the articles folder the feeds fill, as the hidden `.feeds.json` (discovery
passes hidden files over), never in the index folder, which a build keeps to its own
files. Each feed remembers the items it has saved (by GUID, else link) and the
validators of its last complete fetch (ETag, Last-Modified) for a conditional GET. A
file that cannot be read is reported, never overwritten: the user's list is not lost.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from index.errors import QAError, UsageError
from index.web.saving import write_atomically

FEEDS_NAME = ".feeds.json"
LOCK_NAME = ".feeds.lock"
MAX_SEEN = 5_000
"""Item identities kept per feed: far more than any feed lists at once."""
_MAX_LIST_BYTES = 20_000_000
_VERSION = 1


@dataclass(frozen=True)
class Subscription:
    """One followed feed."""

    location: str
    """Its URL, or the absolute path of a feed file."""
    title: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    checked: str | None = None
    """When it was last read in full (UTC, ISO 8601)."""
    seen: tuple[str, ...] = field(default=())
    """Identities of the items already saved, oldest first."""

    def with_seen(self, identities: list[str]) -> Subscription:
        new = set(identities)
        kept = [i for i in self.seen if i not in new] + identities
        return replace(self, seen=tuple(kept[-MAX_SEEN:]))


def feeds_path(articles: Path) -> Path:
    return articles / FEEDS_NAME


def load_feeds(articles: Path) -> list[Subscription]:
    """The followed feeds, in the order they were added; none when there is no list yet."""
    path = feeds_path(articles)
    try:
        with path.open("rb") as stream:
            data = stream.read(_MAX_LIST_BYTES + 1)
    except FileNotFoundError:
        return []
    except OSError as error:
        raise QAError(f"cannot read the feed list {path} ({error.strerror})") from None
    try:
        if len(data) > _MAX_LIST_BYTES:
            raise ValueError("too large")
        document = json.loads(data)
        feeds = [_subscription(record) for record in document["feeds"]]
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as error:
        raise QAError(
            f"the feed list {path} is damaged ({type(error).__name__}); "
            "move it away to start a new list"
        ) from None
    return feeds


def save_feeds(articles: Path, feeds: list[Subscription]) -> None:
    articles.mkdir(parents=True, exist_ok=True)
    document = {"version": _VERSION, "feeds": [asdict(feed) for feed in feeds]}
    text = json.dumps(document, indent=1, ensure_ascii=False)
    write_atomically(feeds_path(articles), text.encode("utf-8"))


def find_feed(feeds: list[Subscription], reference: str) -> int:
    """The position of the feed `reference` names: its number in `qa feed list`, or its
    URL or file; UsageError when none matches."""
    if reference.isdigit():
        number = int(reference)
        if 1 <= number <= len(feeds):
            return number - 1
        raise UsageError(f"no feed number {number}; `qa feed list` shows {len(feeds)}")
    wanted = {reference, normalise_location(reference)}
    for position, feed in enumerate(feeds):
        if feed.location in wanted:
            return position
    raise UsageError(f"no such feed: {reference[:200]} (see `qa feed list`)")


def normalise_location(reference: str) -> str:
    """A URL as given; a file as its absolute path, so two spellings of it are one feed."""
    if "://" in reference:
        return reference.strip()
    return str(Path(reference).expanduser().absolute())


@contextmanager
def feeds_locked(articles: Path) -> Iterator[None]:
    """Hold the feed list for one command: two updates at once would save items twice
    and the last to write would drop the other's changes."""
    articles.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(articles / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            if error.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
                raise QAError(
                    f"another qa is updating the feeds of {articles}; try again when it ends"
                ) from None
            raise
        yield
    finally:
        os.close(descriptor)


def _subscription(record: dict) -> Subscription:
    if not isinstance(record.get("location"), str):
        raise TypeError("a feed without a location")
    texts = {
        name: value if isinstance(value := record.get(name), str) else None
        for name in ("title", "etag", "last_modified", "checked")
    }
    seen = tuple(item for item in record.get("seen") or () if isinstance(item, str))
    return Subscription(location=record["location"], seen=seen, **texts)
