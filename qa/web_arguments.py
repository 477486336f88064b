"""The arguments of `qa add` and `qa feed`: the only commands that use the network.

Kept apart from `qa.cli` so that adding commands there is one line; imports nothing
heavy (not even urllib), since `qa --help` builds every parser.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable

from index.web import DEFAULT_TIMEOUT

ADD_HELP = "fetch web pages and add their articles to the library (uses the network)"
FEED_HELP = "follow RSS/Atom feeds: add, list, remove, update (add and update use the network)"


def add_web_commands(
    sub: argparse._SubParsersAction,  # argparse names no public type for it
    common: argparse.ArgumentParser,
    folder: Callable[[str], str],
) -> None:
    """Add `qa add` and `qa feed ...` to the subcommands `sub`; `folder` checks a folder
    argument (not empty)."""
    add = sub.add_parser("add", parents=[common], help=ADD_HELP, description=ADD_HELP)
    add.add_argument("urls", nargs="+", metavar="URL", help="http:// or https:// page URLs")
    _fetch_options(add, folder)

    feed = sub.add_parser("feed", parents=[common], help=FEED_HELP, description=FEED_HELP)
    feed_sub = feed.add_subparsers(
        dest="feed_command", parser_class=type(feed), required=True, metavar="COMMAND"
    )
    feed_add = feed_sub.add_parser(
        "add", parents=[common], help="follow a feed (URL or feed file) and save its items"
    )
    feed_add.add_argument("location", metavar="URL|FILE", type=folder)
    _fetch_options(feed_add, folder)
    feed_list = feed_sub.add_parser("list", parents=[common], help="the feeds followed")
    feed_list.add_argument("--json", action="store_true", help="one JSON array")
    _into(feed_list, folder)
    remove = feed_sub.add_parser(
        "remove", parents=[common], help="stop following a feed (its articles stay)"
    )
    remove.add_argument("reference", metavar="URL|N", type=folder, help="as `qa feed list` shows")
    _into(remove, folder)
    update = feed_sub.add_parser(
        "update", parents=[common], help="save new items of every feed (or of one)"
    )
    update.add_argument("reference", metavar="URL|N", nargs="?", type=folder, help="only this feed")
    _fetch_options(update, folder)


def _fetch_options(command: argparse.ArgumentParser, folder: Callable[[str], str]) -> None:
    command.add_argument(
        "--timeout",
        type=_seconds,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help=f"give up on a page after this long (default {DEFAULT_TIMEOUT:g})",
    )
    _into(command, folder)


def _into(command: argparse.ArgumentParser, folder: Callable[[str], str]) -> None:
    command.add_argument(
        "--into",
        metavar="DIR",
        type=folder,
        help="articles folder to save into (default: the library's articles folder)",
    )


def _seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {value!r}") from None
    if not math.isfinite(seconds) or seconds <= 0:
        raise argparse.ArgumentTypeError(f"must be more than 0 seconds, not {value!r}")
    return seconds
