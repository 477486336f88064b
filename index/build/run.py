"""Build or update an index folder from article files, as a stream of progress events.

`build_index` is a generator, like a log scanner that yields progress and takes a
cancel event: the CLI turns its events into a progress line, the TUI into a progress
bar, and both stop it the same way. The previous generation keeps answering until the
single SQLite transaction that points `meta` at the new vector file commits.

Before anything is written, the folder is checked (`index.build.folder`). The build
itself is a composition of steps, each in its own module: check the index and scan
(`scan`), plan what to read (`plan`), every file to read through the `FILE_STEPS`
(`prepare`: read, split, embed), then commit (`commit`). They share one
`BuildContext` and pass one `PreparedFile` per file (`index.build.context`).
"""

from __future__ import annotations

import errno
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from index.build.commit import commit
from index.build.context import BuildContext, StepFactory
from index.build.embed import EmbedStep
from index.build.events import BuildEvent, BuildProgress, BuildReport
from index.build.folder import (
    NOTHING_TO_INDEX,
    cannot_write,
    check_build_folder,
    check_writable,
    known_roots,
    write_error_reason,
)
from index.build.plan import check_index, plan_build
from index.build.prepare import prepare_files
from index.build.quotes import QuoteStep
from index.build.read import ReadStep
from index.build.scan import FileSelector, scan
from index.build.split import SplitStep
from index.errors import NoSpace, UsageError
from index.models import Embedder
from index.sources.discovery import DEFAULT_MAX_BYTES
from index.store.lock import WriterLock
from index.store.schema import connect, db_path, is_no_space
from index.store.writer import FaultHook, no_faults

__all__ = [
    "FILE_STEPS",
    "BuildEvent",
    "BuildProgress",
    "BuildReport",
    "build_index",
    "run_build",
]

FILE_STEPS: tuple[StepFactory, ...] = (ReadStep, SplitStep, QuoteStep, EmbedStep)
"""The steps every new or changed file passes through, in order. A new step (quotes,
say) slots in here: after `SplitStep` it sees the file's articles and chunks; before
`EmbedStep`, the model is fed while it works."""


def build_index(
    index_dir: Path,
    paths: Sequence[Path] = (),
    *,
    embedder: Embedder,
    full: bool = False,
    cancel: threading.Event | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    fault: FaultHook = no_faults,
    file_steps: Sequence[StepFactory] = FILE_STEPS,
    keep: FileSelector | None = None,
) -> Iterator[BuildEvent]:
    """Index the library's folders (plus `paths`, which join it); yields events, last a report.

    `keep(root, file)` picks the files this index holds among those found: a shard of a
    sharded library holds its own (`index.shards.assign.ShardSelector`); None keeps all.

    `fault` is called at each step of the commit protocol (`index.build.faults`); the
    `qa index build` command passes what `QA_CRASH_AT` / `QA_STOP_AT` ask for.
    """
    cancel = cancel or threading.Event()
    started = time.monotonic()
    new_roots = [_absolute(p) for p in paths]
    for root in new_roots:
        if not root.exists():
            raise UsageError(f"no such file or folder: {root}")
    index_dir = _absolute(index_dir)
    # Everything that can refuse the build does so before the folder, its lock file or
    # its database is created.
    covered = known_roots(index_dir)
    if not new_roots and not db_path(index_dir).exists():
        raise UsageError(
            f"nothing to index: no index at {index_dir} yet; name a folder or file, "
            f"e.g. `qa index build ~/news --index {index_dir}`"
        )
    if not new_roots and covered == []:
        raise UsageError(NOTHING_TO_INDEX)
    check_build_folder(index_dir, [*(covered or []), *new_roots])
    check_writable(index_dir)
    lock = WriterLock(index_dir)
    try:
        lock.acquire()
    except OSError as error:
        reason = write_error_reason(error)
        if reason is None:
            raise
        raise cannot_write(index_dir, reason) from None
    try:
        conn = connect(index_dir, create=True, full_rebuild=full)
        ctx = BuildContext(conn, index_dir, embedder, full, cancel, fault, max_bytes, started)
        try:
            yield from _steps(ctx, new_roots, file_steps, keep)
        except sqlite3.OperationalError as error:
            if is_no_space(error, index_dir):
                raise NoSpace(
                    f"no space left on device under {index_dir}; previous index kept"
                ) from None
            raise
        except OSError as error:
            if error.errno == errno.ENOSPC:
                raise NoSpace(
                    f"no space left on device writing {error.filename or index_dir}; "
                    "previous index kept"
                ) from None
            raise
        finally:
            conn.close()
    finally:
        lock.release()


def _steps(
    ctx: BuildContext,
    new_roots: list[Path],
    file_steps: Sequence[StepFactory],
    keep: FileSelector | None,
) -> Iterator[BuildEvent]:
    check_index(ctx)
    found = yield from scan(ctx, new_roots, keep)
    plan = yield from plan_build(ctx, found)
    yield from prepare_files(ctx, plan.to_read, file_steps)
    yield from commit(ctx, plan, plan.to_read)


def _absolute(path: Path) -> Path:
    return Path(path).expanduser().absolute()


def run_build(events: Iterator[BuildEvent]) -> BuildReport:
    """Drain a build's events and return its report (for callers that show no progress)."""
    report = None
    for event in events:
        if isinstance(event, BuildReport):
            report = event
    assert report is not None
    return report
