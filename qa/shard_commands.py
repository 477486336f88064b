"""`qa index build --shards N --executor local|dask [--scheduler ADDR]`: which build runs.

A folder without a manifest and no `--shards` above 1 is built as one store, exactly as
before shards; a sharded library (or `--shards N`, N > 1) is built shard by shard on the
executor asked for (`index.shards`). Every combination that cannot run is refused here,
in one line with exit code 2, before anything is scanned or a model is loaded.
Imported by the build commands only: asking never loads the build or an executor.
"""

from __future__ import annotations

import argparse
import os
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from index.errors import UsageError
from index.shards.manifest import is_sharded

if TYPE_CHECKING:
    from index.build.events import BuildEvent
    from index.shards.executors import Executor
    from qa.library import Library


def sharded_build(
    library: Library, paths: Sequence[Path], args: argparse.Namespace
) -> Iterator[BuildEvent] | None:
    """The events of a sharded build, or None when the command builds one store."""
    from index.shards.build import check_shard_count
    from index.shards.executors import make_executor

    shards = getattr(args, "shards", None)
    executor_name = getattr(args, "executor", None)
    scheduler = getattr(args, "scheduler", None)
    if shards is not None:
        check_shard_count(shards)
    if not is_sharded(library.index_dir) and (shards or 1) == 1:
        if executor_name == "dask" or scheduler:
            raise UsageError(
                "--executor dask builds the shards of a sharded library: add --shards N "
                "(N > 1), or leave --executor out to build one store here"
            )
        return None
    executor = make_executor(executor_name or "local", scheduler, dict(os.environ))
    return library_build(
        library, paths, shards=shards, executor=executor, full=args.full, max_bytes=args.max_bytes
    )


def library_build(
    library: Library,
    paths: Sequence[Path] = (),
    *,
    shards: int | None = None,
    executor: Executor | None = None,
    full: bool = False,
    cancel: threading.Event | None = None,
    max_bytes: int | None = None,
    crash_at: tuple[str, Path] | None = None,
) -> Iterator[BuildEvent]:
    """Build the sharded library of `library` on `executor` (default: this machine's cores)."""
    from index.shards.build import build_library
    from index.shards.executors import LocalExecutor

    embedder = library.embedder
    return build_library(
        library.index_dir,
        paths,
        shards=shards,
        executor=executor or LocalExecutor(),
        model=embedder.model_path,
        model_id=embedder.model_id,
        backend=getattr(embedder, "requested_backend", "auto"),
        full=full,
        cancel=cancel,
        crash_at=crash_at,
        **({} if max_bytes is None else {"max_bytes": max_bytes}),
    )
