"""`qa add URL...` and `qa feed ...`: save web articles into the library, then index them.

Each URL or feed item gets one line on stderr: what was saved, or the one-line reason it
was not (exit 1 at the end when any failed; the others are still added). The new files
are then indexed by the ordinary incremental build, so nothing here writes the index.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TYPE_CHECKING

from index.errors import BuildLocked, QAError, UsageError
from index.locations import default_articles_dir

# The other commands' ways of opening the library, saying a line and showing a build:
# `qa.commands` imports this module only when `qa add` or `qa feed` runs.
from qa.commands import _library, _say, show_build
from qa.library import Library
from qa.terminal import json_text, visible

if TYPE_CHECKING:
    # Imported by the commands that fetch: urllib, feedparser and the build load there.
    from index.web.feeds import FeedUpdate, ItemOutcome

EXIT_FAILED = 1


def dispatch(args: argparse.Namespace) -> int:
    """Run `qa add` or `qa feed ...`."""
    if args.command == "add":
        return add(args)
    command = {"add": feed_add, "list": feed_list, "remove": feed_remove, "update": feed_update}
    return command[args.feed_command](args)


def articles_folder(args: argparse.Namespace, index_dir: Path) -> Path:
    """Where this library's new articles go: `--into`, else the default library's articles
    folder, else the one folder the index covers."""
    if getattr(args, "into", None):
        return Path(args.into).expanduser().absolute()
    from index.build.folder import known_roots

    roots = known_roots(index_dir) or []
    default = default_articles_dir().expanduser().absolute()
    default_index = not args.index and not os.environ.get("QA_INDEX")
    if default in roots or (not roots and default_index):
        return default
    folders = [root for root in roots if root.is_dir()]
    if len(folders) == 1:
        return folders[0]
    which = "covers no folder yet" if not folders else f"covers {len(folders)} folders"
    raise UsageError(
        f"the index at {index_dir} {which}; name the articles folder to save into with --into DIR"
    )


def add(args: argparse.Namespace) -> int:
    from index.web.adding import add_page
    from index.web.fetch import FetchFailed, check_url

    for url in args.urls:
        reason = check_url(url)
        if reason is not None:
            raise UsageError(f"{url[:200]}: {reason}")
    library = _library(args)
    folder = articles_folder(args, library.index_dir)
    saved = failed = 0
    for number, url in enumerate(args.urls, start=1):
        counter = f"[{number}/{len(args.urls)}] " if len(args.urls) > 1 else ""
        try:
            result = add_page(url, folder, timeout=args.timeout)
        except FetchFailed as error:
            failed += 1
            _say(f"{counter}failed {url}: {error}")
            continue
        saved += 1
        _say(f"{counter}{result.status} {result.url}: {result.title or result.path.name}")
    if saved:
        _index(library, folder)
    return EXIT_FAILED if failed else 0


def _index(library: Library, folder: Path) -> None:
    try:
        report = show_build(library.build([folder]))
    except BuildLocked as error:
        raise QAError(
            f"{error}; the articles are saved in {folder}: index them later with `qa index build`"
        ) from None
    if report is None:
        raise QAError(f"the articles are saved in {folder} but were not indexed")


def _feeds_folder(args: argparse.Namespace) -> tuple[Library, Path]:
    library = _library(args)
    return library, articles_folder(args, library.index_dir)


def feed_add(args: argparse.Namespace) -> int:
    from index.web.feeds import read_feed_source, save_new_items
    from index.web.fetch import FetchFailed, check_url
    from index.web.subscriptions import (
        Subscription,
        feeds_locked,
        load_feeds,
        normalise_location,
        save_feeds,
    )

    location = normalise_location(args.location)
    if "://" in location:
        reason = check_url(location)
        if reason is not None:
            raise UsageError(f"{location[:200]}: {reason}")
    elif not Path(location).is_file():
        raise UsageError(f"no such feed file: {location}")
    library, folder = _feeds_folder(args)
    with feeds_locked(folder):
        feeds = load_feeds(folder)
        if any(feed.location == location for feed in feeds):
            _say(f"already following {location}; `qa feed update` saves its new items")
            return 0
        subscription = Subscription(location)
        try:
            read = read_feed_source(subscription, timeout=args.timeout)
        except FetchFailed as error:
            _say(f"failed {location}: {error}")
            return EXIT_FAILED
        assert read is not None  # no validators were sent, so no 304
        _say(f"following feed {len(feeds) + 1}: {read[0].title or location}")
        update = save_new_items(
            subscription, *read, folder, timeout=args.timeout, report=_item_line
        )
        save_feeds(folder, [*feeds, update.subscription])
    return _finish([update], library, folder)


def feed_list(args: argparse.Namespace) -> int:
    from index.web.subscriptions import load_feeds

    _, folder = _feeds_folder(args)
    feeds = load_feeds(folder)
    if args.json:
        records = [
            {
                "number": n,
                "title": f.title,
                "location": f.location,
                "checked": f.checked,
                "items": len(f.seen),
            }
            for n, f in enumerate(feeds, start=1)
        ]
        print(json_text(records, indent=2))
        return 0
    if not feeds:
        _say(f"no feeds followed for {folder}; add one with `qa feed add URL`")
    for number, feed in enumerate(feeds, start=1):
        title = feed.title or "(untitled)"
        checked = feed.checked or "never"
        line = f"{number}. {title} <{feed.location}> {len(feed.seen)} items, checked {checked}"
        print(visible(line))
    return 0


def feed_remove(args: argparse.Namespace) -> int:
    from index.web.subscriptions import feeds_locked, find_feed, load_feeds, save_feeds

    _, folder = _feeds_folder(args)
    with feeds_locked(folder):
        feeds = load_feeds(folder)
        removed = feeds.pop(find_feed(feeds, args.reference))
        save_feeds(folder, feeds)
    _say(f"stopped following {removed.location}; its articles stay in {folder}")
    return 0


def feed_update(args: argparse.Namespace) -> int:
    from index.web.feeds import update_feed
    from index.web.fetch import FetchFailed
    from index.web.subscriptions import feeds_locked, find_feed, load_feeds, save_feeds

    library, folder = _feeds_folder(args)
    updates: list[FeedUpdate] = []
    failed = False
    with feeds_locked(folder):
        feeds = load_feeds(folder)
        if not feeds:
            raise UsageError(f"no feeds followed for {folder}; add one with `qa feed add URL`")
        chosen = [find_feed(feeds, args.reference)] if args.reference else range(len(feeds))
        for position in chosen:
            feed = feeds[position]
            name = f"feed {position + 1} ({feed.title or feed.location})"
            try:
                update = update_feed(feed, folder, timeout=args.timeout, report=_item_line)
            except FetchFailed as error:
                failed = True
                _say(f"{name} failed: {error}")
                continue
            feeds[position] = update.subscription
            save_feeds(folder, feeds)  # after each feed: an interruption keeps what was saved
            updates.append(update)
            _say(f"{name}: " + ("not modified" if update.not_modified else _counts(update)))
    code = _finish(updates, library, folder)
    return EXIT_FAILED if failed else code


def _item_line(outcome: ItemOutcome) -> None:
    saved = outcome.saved
    if saved is None:
        _say(f"  failed {outcome.url}: {outcome.reason}")
    else:
        _say(f"  {saved.status} {outcome.url}: {saved.title or saved.path.name}")


def _counts(update: FeedUpdate) -> str:
    outcomes = update.outcomes
    saved = sum(1 for o in outcomes if o.saved is not None)
    failed = len(outcomes) - saved
    line = f"{saved} new item{'s' * (saved != 1)} saved" + (f", {failed} failed" if failed else "")
    if update.left:
        line += f"; {update.left} more for the next update"
    return line


def _finish(updates: list[FeedUpdate], library: Library, folder: Path) -> int:
    """Index what the feed updates saved; exit 1 when an item failed."""
    outcomes = [outcome for update in updates for outcome in update.outcomes]
    if any(outcome.saved is not None for outcome in outcomes):
        _index(library, folder)
    return EXIT_FAILED if any(outcome.saved is None for outcome in outcomes) else 0
