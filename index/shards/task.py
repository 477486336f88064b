"""One shard's build: the task an executor runs, in a worker process, once per shard.

A task is plain data in (`ShardJob`) and plain data out (`ShardResult`), so any executor
can ship it: a local process pool or a Dask cluster (paths are those of a filesystem all
workers share). The model is loaded once per worker process and kept for its later
tasks; each process embeds on one thread, as many processes as cores. A task is safe to
run again after its worker died: the shard's commit protocol leaves its previous
generation whole, its writer lock dies with the process, and the rerun is incremental.
"""

from __future__ import annotations

import os
import signal
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from index.build.events import BuildReport
from index.models import Embedder

if TYPE_CHECKING:
    from index.store.writer import FaultHook

EMBED_THREADS = 1
"""ONNX threads per worker process: parallelism comes from processes, one per core."""

_EMBEDDERS: dict[tuple[str | None, str], Embedder] = {}
"""Models loaded by this worker process, kept for its next tasks."""


@dataclass(frozen=True)
class ShardJob:
    folder: str
    """The shard's index folder."""
    shard: int
    shards: int
    roots: tuple[str, ...]
    model: str | None
    backend: str
    full: bool
    max_bytes: int
    crash_at: str | None = None
    """Tests: kill the worker at this commit step (`index.build.faults`) once, the first
    time any task of the build gets there (`crash_marker` records that it happened)."""
    crash_marker: str | None = None


@dataclass(frozen=True)
class ShardResult:
    """What building one shard did: its number and the shard's own build report."""

    shard: int
    report: BuildReport


def start_worker() -> None:
    """Process-pool initializer: one thread for each numeric library of this process."""
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(name, "1")


def worker_embedder(model: str | None, backend: str) -> Embedder:
    """This process's embedder for `model`, loaded on its first task."""
    key = (model, backend)
    if key not in _EMBEDDERS:
        from index.embedding import onnx_embed
        from index.embedding.embed import load_embedder

        onnx_embed.limit_threads(EMBED_THREADS)
        embedder = load_embedder(model, backend=backend)
        embedder.warm()
        _EMBEDDERS[key] = embedder
    return _EMBEDDERS[key]


def build_shard(job: ShardJob) -> ShardResult:
    """Build (or update) one shard in a worker process; its committed summary."""
    start_worker()
    return run_shard(job, worker_embedder(job.model, job.backend))


def run_shard(job: ShardJob, embedder: Embedder) -> ShardResult:
    """Build (or update) one shard from the files assigned to it, with `embedder`."""
    from index.build.run import build_index
    from index.shards.assign import ShardSelector

    events = build_index(
        Path(job.folder),
        [Path(root) for root in job.roots],
        embedder=embedder,
        full=job.full,
        max_bytes=job.max_bytes,
        fault=_crash_once(job),
        keep=ShardSelector(job.shard, job.shards),
    )
    report = None
    for event in events:
        if isinstance(event, BuildReport):
            report = event
    assert report is not None
    return ShardResult(job.shard, report)


def _crash_once(job: ShardJob) -> FaultHook:
    from index.store.writer import no_faults

    if not job.crash_at or not job.crash_marker:
        return no_faults
    marker = Path(job.crash_marker)

    def at(point: str) -> None:
        if point != job.crash_at:
            return
        try:
            fd = os.open(marker, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            return  # crashed once already: this attempt goes through
        os.write(fd, f"shard {job.shard}\n".encode())
        os.close(fd)
        os.kill(os.getpid(), signal.SIGKILL)

    return at
