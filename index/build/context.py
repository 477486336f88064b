"""The values a build's steps share: one `PreparedFile` per file, one `BuildContext`.

A build is a short composition of steps (`index.build.run`): scan, plan, then every new
or changed file through the file steps (read, split, embed; a new one such as quotes
slots in among them), then commit. Each file step is a `FileStep` in its own module: it
fills in its part of the `PreparedFile`, and a step that adds rows of its own appends a
`RowSource` to `PreparedFile.rows`, which the commit inserts in its one transaction
with the ids of the file's articles, paragraphs and chunks (`index.store.file_rows`).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import ClassVar

from index.build.events import BuildEvent
from index.errors import BuildInterrupted
from index.models import Article, Chunk, Embedder, Skipped
from index.store.file_rows import IndexedFile, RowSource
from index.store.writer import FaultHook


@dataclass
class BuildContext:
    """One build: where it writes, with what, how it stops, and the report's lists."""

    conn: sqlite3.Connection
    index_dir: Path
    embedder: Embedder
    full: bool
    """Read and embed everything again, reusing nothing."""
    cancel: threading.Event
    fault: FaultHook
    max_bytes: int
    started: float
    """`time.monotonic()` when the build was asked for."""
    skipped: list[Skipped] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    embedded: int = 0
    """Texts embedded by this build (the rest reused stored vectors)."""

    def skip(self, item: Skipped) -> Skipped:
        """Record a skipped file or folder for the report; returns it, to be yielded."""
        self.skipped.append(item)
        return item

    def check_cancel(self) -> None:
        if self.cancel.is_set():
            raise BuildInterrupted("build interrupted; previous index kept")


class Outcome(Enum):
    """What the commit does with a file the file steps have seen."""

    INDEX = "index"
    """New or changed: its articles replace the indexed ones."""
    RESTAT = "restat"
    """Touched, not changed: only its new size and mtime are recorded."""
    KEEP = "keep"
    """Unreadable now: the version indexed before is kept."""
    SKIP = "skip"
    """Unreadable and never indexed: nothing is written."""


@dataclass(eq=False)
class PreparedFile:
    """One new or changed file on its way through the build; each step adds its part."""

    root: str
    path: str
    file: Path
    size: int
    mtime_ns: int
    previous: IndexedFile | None
    """What the index holds of this file, None when it is new."""
    sha: str = ""
    """sha256 of the bytes read (the read step)."""
    articles: list[Article] = field(default_factory=list)
    """The file's articles (the read step)."""
    chunks: list[list[Chunk]] = field(default_factory=list)
    """Per article, its passages and sentences (the split step)."""
    rows: list[RowSource] = field(default_factory=list)
    """Rows later steps add to the commit, beyond articles and chunks."""
    outcome: Outcome = Outcome.INDEX
    """A step that decides the file needs no more work sets this; the rest are skipped."""


class FileStep:
    """One stage every new or changed file passes through, in the order of `FILE_STEPS`.

    A step is made once per build (`step(ctx)`); `process` is called for each file in
    turn (raise `UnreadableFile` to skip that file alone); `finish` once after the last
    file, with all of them; `close` always, however the build ends.
    """

    name: ClassVar[str]

    def __init__(self, ctx: BuildContext) -> None:
        self.ctx = ctx

    def process(self, file: PreparedFile) -> None:
        raise NotImplementedError

    def finish(self, files: Sequence[PreparedFile]) -> Iterator[BuildEvent]:
        return iter(())

    def close(self) -> None:
        """Release what the step holds (a worker thread, say)."""


StepFactory = Callable[[BuildContext], FileStep]
"""A file step's class (or any callable that makes one for a build)."""
