"""Watching a library: re-index its folders within seconds of a change, one build at a time.

Like `build_index`, a generator of events that takes a stop event: `qa index watch`
prints them and the chat turns them into "library updated" notices. It builds once at
the start (what changed while nobody watched, plus any new folders), then waits for
changes to the library's folders (watchfiles: inotify, or polling where there is none),
and builds again once they settle (`QUIET_MS` without a further change, or `DEBOUNCE_MS`
after the first of a steady stream): saving an article in an editor, or copying fifty
in, is one build. Changes made while a build runs are gathered meanwhile and make the
next one.

One build at a time: builds take the index's writer lock (`index.store.lock`). When
another process holds it (`qa index build`, the chat's Ctrl+R), the changes stay pending
and the build is tried again every `RETRY_SECONDS`, so nothing seen is lost. A build that
fails for another reason (disk full, a folder gone) is reported and the watch goes on:
the previous index keeps answering, and the next change tries again.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from index.build.events import BuildEvent
from index.build.folder import known_roots
from index.build.run import build_index
from index.errors import BuildInterrupted, BuildLocked, QAError, UsageError
from index.models import Embedder

QUIET_MS = 300
"""Quiet time after the last change before building: one build for a burst of changes."""
DEBOUNCE_MS = 2_000
"""Longest a steady stream of changes is gathered before a build starts all the same."""
RETRY_SECONDS = 2.0
"""How often pending changes are tried again while another build holds the lock."""


@dataclass(frozen=True)
class Watching:
    """The watch is set up: changes to these folders (and files) from now on are seen."""

    roots: tuple[Path, ...]


@dataclass(frozen=True)
class FilesChanged:
    """Changes settled; a build of them starts now."""

    paths: tuple[str, ...]
    """The changed article files (and removed folders), as watchfiles reported them."""


@dataclass(frozen=True)
class BuildPending:
    """A build could not run now (another one holds the lock, or it failed); the changes
    stay pending and are tried again."""

    reason: str


WatchEvent = BuildEvent | Watching | FilesChanged | BuildPending


def watch_library(
    index_dir: Path,
    paths: Sequence[Path] = (),
    *,
    embedder: Embedder,
    stop: threading.Event,
    quiet_ms: int = QUIET_MS,
    debounce_ms: int = DEBOUNCE_MS,
    retry_seconds: float = RETRY_SECONDS,
    initial_build: bool = True,
) -> Iterator[WatchEvent]:
    """Build (adding `paths`), then re-index the library's folders as they change, until
    `stop` is set. The first build's errors are raised (nothing is watched yet); later
    ones are reported as `BuildPending` and the watch goes on.

    Without `initial_build` the watch starts at once (the chat, whose library was just
    opened): every build commits a new generation, so none is made before a change.
    """
    import watchfiles

    if initial_build:
        try:
            yield from build_index(index_dir, paths, embedder=embedder, cancel=stop)
        except BuildInterrupted:
            return
    index_dir = Path(index_dir).expanduser().absolute()
    roots = tuple(root for root in known_roots(index_dir) or [] if root.exists())
    if not roots:
        raise UsageError(f"nothing to watch: none of the folders of {index_dir} exists")
    pending: set[str] = set()
    changes_seen = watchfiles.watch(
        *roots,
        watch_filter=ArticleChanges(index_dir),
        debounce=debounce_ms,
        step=quiet_ms,
        stop_event=stop,
        rust_timeout=int(retry_seconds * 1000),
        yield_on_timeout=True,
        raise_interrupt=True,
    )
    announced = False
    for changes in changes_seen:
        if stop.is_set():
            return
        if not announced:
            # Said once the watcher is set up (its first answer, at the latest after
            # `retry_seconds`): a change made after this event is never missed.
            yield Watching(roots)
            announced = True
        pending.update(path for _, path in changes)
        if not pending:
            continue
        yield FilesChanged(tuple(sorted(pending)))
        try:
            yield from build_index(index_dir, embedder=embedder, cancel=stop)
        except BuildInterrupted:
            return
        except BuildLocked as error:
            yield BuildPending(f"{error}; trying again in {retry_seconds:.0f}s")
            continue
        except QAError as error:
            # Reported, not fatal: the previous index answers and the next change retries.
            yield BuildPending(str(error))
        pending.clear()


class ArticleChanges:
    """Which changes can change the index: article files of a format some reader reads
    (and removed paths without a suffix: a folder may be gone), never the index's own
    files, editors' swap files or hidden files."""

    def __init__(self, index_dir: Path) -> None:
        from watchfiles import DefaultFilter

        from index.sources.registry import SUPPORTED_SUFFIXES

        self._default = DefaultFilter()
        self._suffixes = SUPPORTED_SUFFIXES
        self._index_dir = str(index_dir)

    def __call__(self, change: object, path: str) -> bool:
        from watchfiles import Change

        assert isinstance(change, Change)
        if not self._default(change, path) or _inside(path, self._index_dir):
            return False
        name = Path(path).name
        if name.startswith("."):
            return False
        suffix = Path(name).suffix.lower()
        return suffix in self._suffixes or (change == Change.deleted and not suffix)


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")
