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
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace

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
MIN_JOB_TEXTS = 64
"""Texts gathered before an idle worker gets a job (all that is left, at the end). The
model waits for the first job: at 256 it started 1.6 s into a full SQuAD dev build."""
_POLL_SECONDS = 0.1
RATE_WINDOW_SECONDS = 10.0
"""The ETA's pace is the model's over its most recent groups adding up to this much work.
Its cumulative pace ran 23-34% high or low (max from 20% done on) in full SQuAD dev
builds on the quiet 2-core machine: the first groups run beside the reading of files,
and the machine's own speed drifts by 10-15% within minutes; the recent pace, by pieces
alone, gave 12-27% (medians 4-10%). A fit of group time on pieces and texts over those
builds gave no per-text cost (-20 to -3 pieces a text), so pieces are the whole cost."""


@dataclass(frozen=True)
class EmbedJob:
    """One text the model reads, with the parts of it whose vectors come from that pass."""

    sha: str
    """The cache key of the text's own vector."""
    text: str
    parts: tuple[tuple[str, int, int], ...] = ()
    """(cache key, start, end): characters of `text` pooled from its pass (sentences)."""
    tokens: int = 0
    """Word pieces the model reads (set when the job is handed over)."""

    @property
    def keys(self) -> list[str]:
        return [self.sha, *(key for key, _, _ in self.parts)]


@dataclass(frozen=True)
class EmbedProgress:
    done: int
    total: int
    rate: float
    """Texts embedded per second since the first job started."""
    eta_seconds: float | None = None
    """Time left, from the word pieces left and the model's recent seconds per piece
    (`RATE_WINDOW_SECONDS`): a text's cost follows its length, and jobs run shortest
    first, so a count of texts would promise the long ones at the short ones' pace.
    Seconds of model work, not since the start: while files were still being read the
    worker often waited."""


@dataclass(frozen=True)
class _Encoded:
    texts: int
    tokens: int
    """Texts and word pieces the model read."""
    seconds: float
    """How long the model took over them."""
    shas: list[str]
    """Keys of every vector: the texts', then their parts'."""
    vectors: np.ndarray


@dataclass(frozen=True)
class _Failed:
    error: BaseException


class _JobDone:
    pass


class EmbeddingPipeline:
    """Jobs in (`add`), cached vectors out; `finish` waits for the rest, with progress.

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
        self._pending: dict[str, EmbedJob] = {}
        self._jobs: queue.Queue[list[EmbedJob] | None] = queue.Queue()
        self._recent: deque[tuple[float, int]] = deque()
        """(seconds, pieces) of the newest groups, at least `RATE_WINDOW_SECONDS` of them."""
        self.tokens_submitted = 0
        self.tokens_done = 0
        """Word pieces of the texts handed to the model, and of those cached so far."""
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

    def add(self, jobs: Iterable[EmbedJob]) -> None:
        """Queue texts for embedding; known ones are skipped."""
        for job in jobs:
            if self._seen.issuperset(job.keys):
                continue
            self._seen.update(job.keys)
            # The same passage text elsewhere may hold other sentences: one pass, all parts.
            known = self._pending.get(job.sha)
            if known is not None:
                job = replace(job, parts=tuple(dict.fromkeys(known.parts + job.parts)))
            self._pending[job.sha] = job
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
        eta = None
        pieces = sum(tokens for _, tokens in self._recent)
        if pieces and not self._pending:
            seconds = sum(took for took, _ in self._recent)
            eta = (self.tokens_submitted - self.tokens_done) * seconds / pieces
        return EmbedProgress(self.done, self.submitted + len(self._pending), rate, eta)

    def _submit(self) -> None:
        if not self._pending:
            return
        items = list(self._pending.values())
        self._pending.clear()
        if self._reuse:
            keys = [key for job in items for key in job.keys]
            have = stored_shas(self._conn, self._embedder.model_id, keys)
            items = [job for job in items if not have.issuperset(job.keys)]
        if not items:
            return
        # Counted here, on the build's thread, while the worker runs the model.
        counts = self._embedder.count_tokens([job.text for job in items])
        items = [
            replace(job, tokens=min(count, self._embedder.max_tokens) + 2)  # [CLS], [SEP]
            for job, count in zip(items, counts, strict=True)
        ]
        items.sort(key=lambda job: job.tokens)
        if self._thread is None:
            self._thread = threading.Thread(target=self._work, name="embed", daemon=True)
            self._thread.start()
        if self._started is None:
            self._started = time.monotonic()
        self.submitted += len(items)
        self.tokens_submitted += sum(job.tokens for job in items)
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
        self.done += result.texts
        self.tokens_done += result.tokens
        self._recent.append((result.seconds, result.tokens))
        while sum(took for took, _ in self._recent) - self._recent[0][0] >= RATE_WINDOW_SECONDS:
            self._recent.popleft()

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
                began = time.monotonic()
                try:
                    own, parts = self._embedder.encode_spans(
                        [job.text for job in group],
                        [[(start, end) for _, start, end in job.parts] for job in group],
                        batch_size=EMBED_BATCH,
                    )
                    vectors = np.concatenate([own, *(p for p in parts if len(p))])
                    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
                except BaseException as error:  # noqa: BLE001 - re-raised by the build thread
                    self._results.put(_Failed(error))
                    return
                keys = [job.sha for job in group]
                keys += [key for job in group for key, _, _ in job.parts]
                tokens = sum(job.tokens for job in group)
                seconds = time.monotonic() - began
                self._results.put(_Encoded(len(group), tokens, seconds, keys, vectors))
            self._results.put(_JobDone())


def _groups(items: list[EmbedJob]) -> Iterator[list[EmbedJob]]:
    group: list[EmbedJob] = []
    chars = 0
    for item in items:
        if group and (len(group) >= GROUP_TEXTS or chars + len(item.text) > GROUP_CHARS):
            yield group
            group, chars = [], 0
        group.append(item)
        chars += len(item.text)
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
