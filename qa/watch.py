"""`qa index watch`: keep a library's index up to date while its folders change.

The watching itself is `index.build.watch` (shared with the chat); this module says what
happens on stderr: each build's progress and summary as `qa index build` shows them
(`show`), and one line when watching starts, when changes are picked up, and when a
build has to wait. It runs until Ctrl-C (exit 130, the last completed build kept).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from index.build.watch import Watching as Watching

# Re-exported (the `x as x` form): the chat tells the watch's events apart by them.
from index.errors import UsageError
from qa.library import Library

if TYPE_CHECKING:
    from index.build.run import BuildReport
    from index.build.watch import WatchEvent


def watch_library(
    library: Library,
    paths: Sequence[Path],
    *,
    show: Callable[[Iterable[Any]], BuildReport | None],
    say: Callable[[str], None],
    stop: threading.Event | None = None,
) -> int:
    """Watch until `stop` is set (or Ctrl-C); 0 once stopped."""
    from index.build.watch import watch_library as watch_events
    from index.shards.manifest import is_sharded

    if is_sharded(library.index_dir):
        raise UsageError(
            f"qa index watch does not follow a sharded library ({library.index_dir}) yet; "
            "run `qa index build` after changes (it rebuilds only the changed shards)"
        )

    events = iter(
        watch_events(
            library.index_dir,
            paths,
            embedder=library.embedder,
            stop=stop or threading.Event(),
        )
    )
    for event in events:
        if not _said(event, say):
            show(_one_build(event, events, say))
    return 0


def _one_build(
    first: WatchEvent, events: Iterator[WatchEvent], say: Callable[[str], None]
) -> Iterator[Any]:
    """The events of the build that `first` starts, up to its report (or a watch event
    that ends it: a build that could not finish)."""
    from index.build.run import BuildReport

    yield first
    if isinstance(first, BuildReport):
        return
    for event in events:
        if _said(event, say):
            return
        yield event
        if isinstance(event, BuildReport):
            return


def _said(event: WatchEvent, say: Callable[[str], None]) -> bool:
    """Say a watch event (not a build's own) in one line; False for a build event."""
    from index.build.watch import BuildPending, FilesChanged, Watching

    if isinstance(event, Watching):
        places = ", ".join(str(root) for root in event.roots)
        say(f"watching {places} for changes (Ctrl-C stops)")
    elif isinstance(event, FilesChanged):
        count = len(event.paths)
        say(f"{count} {'change' if count == 1 else 'changes'} seen; indexing")
    elif isinstance(event, BuildPending):
        say(f"not indexed yet: {event.reason}")
    else:
        return False
    return True


def library_changes(library: Library, stop: threading.Event) -> Iterator[WatchEvent]:
    """The chat's watch: no build up front (the library was just opened), then a build
    per settled burst of changes, until `stop` is set."""
    from index.build.watch import watch_library as watch_events

    return watch_events(
        library.index_dir, embedder=library.embedder, stop=stop, initial_build=False
    )


def updated_summary(added: int, updated: int, removed: int) -> str | None:
    """ "library updated: 3 articles added, 1 updated" (article files; a JSONL file counts
    once), or None when a build changed nothing."""
    counts = [(added, "added"), (updated, "updated"), (removed, "removed")]
    parts = [f"{count} {what}" for count, what in counts if count]
    if not parts:
        return None
    first = next(count for count, _ in counts if count)
    noun = "article" if first == 1 else "articles"
    # The noun goes once, after the first number: "1 article added, 2 removed".
    number, what = parts[0].split(" ", 1)
    parts[0] = f"{number} {noun} {what}"
    return "library updated: " + ", ".join(parts)
