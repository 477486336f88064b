"""Embedding while the build reads on: one background thread runs the model.

Why: reading, chunking and token counting are pure Python and cost a build ~8% on top
of the model's own time when done first; onnxruntime releases the GIL while it runs, so
the two overlap. Texts are still embedded in length order, as a one-shot `encode` of all
of them would be (similar lengths together keep padding, and so wasted compute, low):
a job is handed to the worker only when it is idle, so while the first small job runs
the reader gets ahead and the rest of the texts go out sorted together in one or two
large jobs.

The worker only computes; vectors are written to the `embeddings` cache by the build's
own thread and connection, in small transactions: the cache is keyed by text, so a build
killed halfway keeps the work done and the next build resumes from there. Those
transactions are not fsynced (`synchronous = NORMAL`: WAL stays consistent, a power cut
may only lose the newest cache rows, which are embedded again); the commit that names a
new generation is fsynced as before, and it syncs the WAL frames written before it too.
"""

from __future__ import annotations

import queue
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from index.errors import BuildInterrupted
from index.models import Embedder

EMBED_BATCH = 128
"""Rows per model call (the onnx backend also caps padded cells per call)."""
GROUP_TEXTS = 256
GROUP_CHARS = 48_000
"""One `encode` call of the worker: ~1 s of model time on 2 cores, the cancel latency.
Groups are consecutive slices of a length-sorted job, so only each group's last model
call may be short of rows; smaller groups cost little."""
MIN_JOB_TEXTS = 256
"""Texts gathered before an idle worker gets a job (all that is left, at the end)."""
_POLL_SECONDS = 0.1


@dataclass(frozen=True)
class EmbedProgress:
    done: int
    total: int
    rate: float
    """Texts embedded per second since the first job started."""


@dataclass(frozen=True)
class _Encoded:
    shas: list[str]
    vectors: np.ndarray


@dataclass(frozen=True)
class _Failed:
    error: BaseException


class _JobDone:
    pass


class EmbeddingPipeline:
    """Texts in (`add`), cached vectors out; `finish` waits for the rest, with progress.

    Use as a context manager: leaving it stops and joins the worker, whatever happened.
    """

    def __init__(
        self,
        conn: sqlite3.Connection,
        embedder: Embedder,
        cancel: threading.Event,
        *,
        reuse: bool,
    ) -> None:
        self._conn = conn
        self._embedder = embedder
        self._cancel = cancel
        self._reuse = reuse
        self._seen: set[str] = set()
        self._pending: dict[str, str] = {}
        self._jobs: queue.Queue[list[tuple[str, str]] | None] = queue.Queue()
        self._results: queue.Queue[_Encoded | _Failed | _JobDone] = queue.Queue()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._in_flight = 0
        self._relaxed = False
        self._started: float | None = None
        self.submitted = 0
        """Texts handed to the model so far."""
        self.done = 0
        """Texts embedded and cached so far."""

    def __enter__(self) -> EmbeddingPipeline:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def add(self, texts: dict[str, str]) -> None:
        """Queue texts (text_sha -> text) for embedding; known ones are skipped."""
        for sha, text in texts.items():
            if sha not in self._seen:
                self._seen.add(sha)
                self._pending[sha] = text
        self._collect(block=False)
        if self._in_flight == 0 and len(self._pending) >= MIN_JOB_TEXTS:
            self._submit()

    def finish(self) -> Iterator[EmbedProgress]:
        """Embed everything still pending; yields progress after each cached group."""
        self._submit()
        yield self._progress()
        while self._in_flight:
            if self._collect(block=True):
                yield self._progress()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._jobs.put(None)
            self._thread.join()
            self._thread = None
        try:
            self.restore_durability()
        except sqlite3.Error:
            pass  # the connection is on its way out; every new one starts at FULL

    def _progress(self) -> EmbedProgress:
        elapsed = time.monotonic() - self._started if self._started else 0.0
        rate = self.done / elapsed if elapsed > 0 else 0.0
        return EmbedProgress(self.done, self.submitted + len(self._pending), rate)

    def _submit(self) -> None:
        if not self._pending:
            return
        items = list(self._pending.items())
        self._pending.clear()
        if self._reuse:
            have = stored_shas(self._conn, self._embedder.model_id, [sha for sha, _ in items])
            items = [item for item in items if item[0] not in have]
        if not items:
            return
        items.sort(key=lambda item: len(item[1]))
        if self._thread is None:
            self._thread = threading.Thread(target=self._work, name="embed", daemon=True)
            self._thread.start()
        if self._started is None:
            self._started = time.monotonic()
        self.submitted += len(items)
        self._in_flight += 1
        self._jobs.put(items)

    def _collect(self, *, block: bool) -> bool:
        """Cache whatever the worker finished; True if anything was cached."""
        cached = False
        while True:
            if self._cancel.is_set():
                raise BuildInterrupted("build interrupted; previous index kept")
            try:
                result = self._results.get(block=block, timeout=_POLL_SECONDS if block else None)
            except queue.Empty:
                if block and not cached:
                    continue
                return cached
            block = False  # after one result, take only what is already there
            if isinstance(result, _Failed):
                raise result.error
            if isinstance(result, _JobDone):
                self._in_flight -= 1
                if self._in_flight == 0 and len(self._pending) >= MIN_JOB_TEXTS:
                    self._submit()
                continue
            self._store(result)
            cached = True

    def _store(self, result: _Encoded) -> None:
        if not self._relaxed:
            # Cache rows need no fsync of their own (see the module docstring).
            self._conn.execute("PRAGMA synchronous = NORMAL")
            self._relaxed = True
        model_id = self._embedder.model_id
        with self._conn:
            self._conn.execute("BEGIN")
            self._conn.executemany(
                "INSERT OR REPLACE INTO embeddings (model_id, text_sha, vector) VALUES (?, ?, ?)",
                [
                    (model_id, sha, vector.tobytes())
                    for sha, vector in zip(result.shas, result.vectors, strict=True)
                ],
            )
        self.done += len(result.shas)

    def restore_durability(self) -> None:
        """Back to fsynced commits, for the commit that follows."""
        if self._relaxed:
            self._conn.execute("PRAGMA synchronous = FULL")
            self._relaxed = False

    def _work(self) -> None:
        while not self._stop.is_set():
            job = self._jobs.get()
            if job is None:
                return
            for group in _groups(job):
                if self._stop.is_set():
                    return
                try:
                    vectors = self._embedder.encode(
                        [text for _, text in group], batch_size=EMBED_BATCH
                    )
                    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
                except BaseException as error:  # noqa: BLE001 - re-raised by the build thread
                    self._results.put(_Failed(error))
                    return
                self._results.put(_Encoded([sha for sha, _ in group], vectors))
            self._results.put(_JobDone())


def _groups(items: list[tuple[str, str]]) -> Iterator[list[tuple[str, str]]]:
    group: list[tuple[str, str]] = []
    chars = 0
    for item in items:
        if group and (len(group) >= GROUP_TEXTS or chars + len(item[1]) > GROUP_CHARS):
            yield group
            group, chars = [], 0
        group.append(item)
        chars += len(item[1])
    if group:
        yield group


def stored_shas(conn: sqlite3.Connection, model_id: str, shas: list[str]) -> set[str]:
    """Which of `shas` already have a cached vector of `model_id`."""
    have: set[str] = set()
    for start in range(0, len(shas), 500):
        part = shas[start : start + 500]
        marks = ",".join("?" * len(part))
        have.update(
            r[0]
            for r in conn.execute(
                f"SELECT text_sha FROM embeddings WHERE model_id = ? AND text_sha IN ({marks})",
                (model_id, *part),
            )
        )
    return have
