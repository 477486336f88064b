"""The default library's first use: the bundled sample, copied and indexed, once.

`qa ask`, `qa index build` and the chat all start here when the default library has
never completed a build. Several of them may start at once on a new library (three
`qa ask` from a script, the chat and a shell): one builds, the others say they are
waiting, wait on the index's writer lock, and then answer from what it built. Nothing
here depends on timing: the writer lock (`index.store.lock`) decides who builds, and the
sample lands in the articles folder by one rename.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from index.errors import BuildLocked, IndexMissing, QAError
from index.locations import default_articles_dir, default_index_dir, sample_dir
from index.shards.manifest import is_sharded
from index.store.lock import wait_for_writer, writer_busy
from index.store.schema import connect, read_meta

if TYPE_CHECKING:
    # Imported where a build starts: asking must not load readers, trafilatura, chunking.
    from index.build.run import BuildEvent
    from index.store.records import IndexInfo
    from qa.library import Library


def needs_first_use(library: Library) -> bool:
    """Whether this is the default library and no build of it has completed.

    A first build that was interrupted is resumed. An index that cannot be read is
    left to `open_library_or_fail` to report, unless a build holds its writer lock: then
    it is being created right now (its tables appear in steps), and we wait for it.
    """
    if library.index_dir != default_index_dir():
        return False
    try:
        return not _committed(library.index_dir)
    except QAError:
        return writer_busy(library.index_dir)


def _committed(index_dir: Path) -> bool:
    """Whether the index has completed a build: `meta` names a generation (or, for a
    sharded library, it has a manifest: one is written only once every shard committed)."""
    if is_sharded(index_dir):
        return True
    try:
        conn = connect(index_dir)
    except IndexMissing:
        return False
    try:
        return "generation" in read_meta(conn)
    finally:
        conn.close()


def ensure_default_library(
    library: Library, notify: Callable[[str], None] | None = None
) -> Iterator[BuildEvent]:
    """Create the default library on first use: the bundled sample article, indexed.

    Yields the build's events when it had to build, nothing otherwise. Several `qa`
    started at once on a new library (or a `qa ask` during a first `qa index build`)
    are safe: one builds; the others say they wait, wait for its writer lock, and
    find the library built when it is released (or build it, if that build failed).
    """
    articles = default_articles_dir()
    said_waiting = False
    while needs_first_use(library):
        _place_sample(articles)
        events = library.build([articles])
        try:
            # The writer lock is taken before the first event: BuildLocked comes here.
            first = next(events)
        except BuildLocked:
            if notify and not said_waiting:
                notify(waiting_message(library.index_dir))
                said_waiting = True
            wait_for_writer(library.index_dir)
            continue
        except StopIteration:
            return
        if notify:
            notify(f"first use: indexing the sample library in {articles}")
        yield first
        yield from events
        return


def wait_for_first_build(index_dir: Path, notify: Callable[[str], None] | None = None) -> None:
    """If the index has never completed a build and one is running now, wait for its end.

    Any index, not only the default one: `qa ask --index X` while the first
    `qa index build --index X` runs would otherwise say "never completed a build".
    """
    said_waiting = False
    while _being_built_first(index_dir):
        if notify and not said_waiting:
            notify(waiting_message(index_dir))
            said_waiting = True
        wait_for_writer(index_dir)


def _being_built_first(index_dir: Path) -> bool:
    try:
        committed = _committed(index_dir)
    except QAError:
        committed = False  # unreadable: being created right now, if a build holds the lock
    return not committed and writer_busy(index_dir)


def waiting_message(index_dir: Path) -> str:
    return f"waiting for another qa to finish building the library at {index_dir}"


def _place_sample(articles: Path) -> None:
    """Create the articles folder with the sample in it, in one step, if it is missing.

    Copied into a private folder beside it, then renamed: a concurrent first use never
    indexes a half-copied file, and only one copy lands (a rename onto the non-empty
    folder another process placed first fails, and ours is dropped). A folder that
    exists, even empty, is the user's: left as it is.
    """
    if articles.exists():
        return
    articles.parent.mkdir(parents=True, exist_ok=True)
    import uuid  # here: only a first use stages files, and every `qa ask` imports this module

    staging = articles.with_name(f".{articles.name}-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    staging.mkdir()
    try:
        for sample in sample_dir().glob("*.txt"):
            shutil.copy2(sample, staging / sample.name)
        try:
            os.rename(staging, articles)
        except OSError:
            if not articles.is_dir():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def is_sample_library(info: IndexInfo) -> bool:
    """Whether the library is still the bundled sample that first use made.

    The default index, reading only the default articles folder, which holds the
    sample's files and nothing else: hints written for the sample article ("What did
    Peskov say?") would be nonsense over a user's own articles. Lists that folder: call
    it from a worker, not the UI thread.
    """
    articles = default_articles_dir()
    if info.index_dir != default_index_dir() or len(info.sources) != 1:
        return False
    sample = sorted(path.name for path in sample_dir().glob("*.txt"))
    try:
        if Path(info.sources[0]).resolve() != articles.resolve():
            return False
        present = sorted(path.name for path in articles.iterdir())
    except OSError:
        return False
    return present == sample and info.articles == len(sample)
