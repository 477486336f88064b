"""Where shard builds run: a process pool on this machine, or a Dask distributed cluster.

An executor takes the jobs of one build and yields each shard's result as it completes
(or the error that ended it). Both retry a shard whose worker died: the task is safe to
run again (`index.shards.task`). Dask is imported only by `DaskExecutor.run`, and only
the build imports this module: nothing on the ask path loads it.
"""

from __future__ import annotations

import multiprocessing
import os
import re
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Protocol

from index.errors import QAError, UsageError
from index.models import Embedder
from index.shards.task import ShardJob, ShardResult, build_shard, run_shard, start_worker

EXECUTORS = ("local", "dask")
SCHEDULER_VARIABLE = "DASK_SCHEDULER_ADDRESS"
ATTEMPTS = 3
SCHEDULER_ADDRESS = re.compile(r"(?:[a-z]+://)?(?:\[[0-9a-fA-F:.]+\]|[^\s:/\[\]]+):[0-9]{1,5}")
"""What `dask scheduler` prints: a protocol, a host (or [IPv6]) and a port."""
"""Runs of one shard before its build fails: a worker killed twice is not bad luck."""


class ShardFailed(QAError):
    """A shard's build failed on every attempt (or with an error a retry cannot fix)."""


class Executor(Protocol):
    name: str

    def prepare(self) -> None:
        """Check that the executor can run (its cluster is reachable) before any work."""
        ...

    def run(self, jobs: Sequence[ShardJob]) -> Iterator[ShardResult]:
        """Each job's result as it completes; raises on the first shard that fails."""
        ...


def cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


class LocalExecutor:
    """A pool of worker processes on this machine, one core (and one ONNX thread) each."""

    name = "local"

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers

    def prepare(self) -> None:
        pass

    def run(self, jobs: Sequence[ShardJob]) -> Iterator[ShardResult]:
        if not jobs:
            return
        workers = min(len(jobs), self.workers or cpu_count())
        pending = {job.shard: job for job in jobs}
        attempts = dict.fromkeys(pending, 0)
        while pending:
            # Spawned, not forked: the parent may hold ONNX or FAISS threads, and a fork
            # copies their locks mid-use.
            context = multiprocessing.get_context("spawn")
            pool = ProcessPoolExecutor(workers, context, initializer=start_worker)
            try:
                yield from _one_round(pool, pending, attempts)
            except BaseException:
                # Interrupted or failed: drop the queued shards now rather than wait for
                # them; a running one finishes (or stops) its own crash-safe commit.
                pool.shutdown(wait=False, cancel_futures=True)
                raise
            pool.shutdown(wait=True)


def _one_round(
    pool: ProcessPoolExecutor, pending: dict[int, ShardJob], attempts: dict[int, int]
) -> Iterator[ShardResult]:
    """Run the pending jobs on `pool`; those of a worker that died stay pending."""
    futures: dict[Future[ShardResult], ShardJob] = {}
    for job in pending.values():
        attempts[job.shard] += 1
        futures[pool.submit(build_shard, job)] = job
    while futures:
        done, _ = wait(futures, return_when=FIRST_COMPLETED)
        for future in done:
            job = futures.pop(future)
            try:
                result = future.result()
            except BrokenProcessPool:
                # A worker died (killed, out of memory): every shard still running
                # is retried in a new pool.
                if attempts[job.shard] >= ATTEMPTS:
                    raise ShardFailed(
                        f"shard {job.shard}: its worker process died {ATTEMPTS} times; "
                        "previous shards kept"
                    ) from None
                continue
            del pending[job.shard]
            yield result


class InlineExecutor:
    """The shards one after another in this process, with an embedder already loaded:
    for a library embedded by a caller that holds its model (tests, small rebuilds)."""

    name = "inline"

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder

    def prepare(self) -> None:
        pass

    def run(self, jobs: Sequence[ShardJob]) -> Iterator[ShardResult]:
        for job in jobs:
            yield run_shard(job, self.embedder)


class DaskExecutor:
    """One task per shard on a Dask distributed cluster (`dask scheduler` / `dask worker`).

    Dask reschedules the task of a worker that dies (up to its `allowed-failures`);
    `retries` also reruns one that raised for want of resources. Errors of the library
    itself (a usage error, a full disk) are not retried by a second attempt's luck,
    but they are few and each attempt is incremental.
    """

    name = "dask"

    def __init__(self, scheduler: str, client: Any = None) -> None:
        self.scheduler = scheduler
        self.client = client
        """A connected `distributed.Client` to use (tests pass a LocalCluster's)."""
        self._own_client = False

    def prepare(self) -> None:
        """Connect to the scheduler (once): an unreachable one fails before any scan."""
        if self.client is not None:
            return
        try:
            from distributed import Client
        except ImportError:
            raise UsageError(DASK_MISSING) from None
        try:
            self.client = Client(self.scheduler, timeout="15s", set_as_default=False)
        except (OSError, TimeoutError, ValueError) as error:
            # ValueError: an address Dask cannot parse ("tcp://host:port" is expected).
            raise QAError(
                f"cannot reach the Dask scheduler at {self.scheduler} ({error}); "
                "start one with `dask scheduler`, or use --executor local"
            ) from None
        self._own_client = True

    def run(self, jobs: Sequence[ShardJob]) -> Iterator[ShardResult]:
        from distributed import as_completed

        self.prepare()
        client: Any = self.client
        try:
            futures = [
                client.submit(
                    build_shard,
                    job,
                    key=f"qa-shard-{job.shard:03d}-{os.getpid()}-{id(job):x}",
                    pure=False,
                    retries=ATTEMPTS - 1,
                )
                for job in jobs
            ]
            for future in as_completed(futures, loop=client.loop):
                try:
                    yield future.result()
                except QAError:
                    raise
                except Exception as error:  # noqa: BLE001 - one line, whatever the cluster says
                    detail = " ".join(str(error).split())[:200] or type(error).__name__
                    raise ShardFailed(
                        f"a shard's build failed on the Dask cluster ({detail}); previous "
                        "shards kept; rerun to retry"
                    ) from None
        finally:
            if self._own_client:
                client.close()
                self.client, self._own_client = None, False


DASK_MISSING = "--executor dask needs Dask: pip install 'article-qa[dask]' (or 'dask[distributed]')"


def make_executor(name: str, scheduler: str | None, environ: dict[str, str]) -> Executor:
    """The executor a command line asks for; UsageError for a combination that cannot run."""
    if name not in EXECUTORS:
        raise UsageError(f"unknown executor {name!r}; choose one of {', '.join(EXECUTORS)}")
    if name == "local":
        if scheduler:
            raise UsageError("--scheduler is for --executor dask; the local executor needs none")
        return LocalExecutor()
    address = scheduler or environ.get(SCHEDULER_VARIABLE)
    if not address:
        raise UsageError(
            f"--executor dask needs the scheduler's address: --scheduler tcp://HOST:8786 "
            f"or {SCHEDULER_VARIABLE}"
        )
    if not SCHEDULER_ADDRESS.fullmatch(address):
        raise UsageError(
            f"scheduler address {address[:80]!r} is not HOST:PORT or tcp://HOST:PORT "
            "(as `dask scheduler` prints it)"
        )
    import importlib.util

    if importlib.util.find_spec("distributed") is None:
        raise UsageError(DASK_MISSING)
    return DaskExecutor(address)
