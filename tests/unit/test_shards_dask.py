"""The executors for real: a Dask cluster of worker processes, and the local process pool.

Both build three shards of a small library with one worker killed (SIGKILL, at the step
before the shard's commit) the first time any shard gets there: the killed shard's task
runs again, the build completes, the index is sound, and it answers as one store built
in this process does.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from distributed import LocalCluster
from library_fixtures import build, embedder, make_library
from test_shards import QUESTIONS, _notes

from index.build.run import run_build
from index.shards.build import build_library
from index.shards.executors import DaskExecutor, Executor, LocalExecutor
from index.shards.manifest import read_manifest
from index.shards.verify import verify_library
from qa.library import Library


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("executors")
    articles = make_library(root / "articles")
    _notes(articles)
    build(root / "one", articles)
    return {"articles": articles, "one": root / "one"}


def _build_with_a_killed_worker(executor: Executor, library: dict[str, Path], tmp: Path) -> Path:
    index_dir = tmp / "index"
    marker = tmp / "killed"
    report = run_build(
        build_library(
            index_dir,
            [library["articles"]],
            shards=3,
            executor=executor,
            model=None,
            model_id=embedder().model_id,
            crash_at=("before-commit", marker),
        )
    )
    assert marker.read_text().startswith("shard ")  # a worker was killed mid-build
    assert report.articles == 12 and read_manifest(index_dir).generation == 1
    assert verify_library(index_dir) == []
    return index_dir


def _same_answers(index_dir: Path, one_dir: Path) -> None:
    sharded, one = Library(index_dir, embedder()), Library(one_dir, embedder())
    try:
        for question in QUESTIONS:
            got = [(h.citation.article, h.citation.start) for h in sharded.ask(question).hits]
            want = [(h.citation.article, h.citation.start) for h in one.ask(question).hits]
            assert got == want, question
    finally:
        sharded.close()
        one.close()


def test_a_dask_cluster_builds_shards_that_answer_as_one_store(
    library: dict[str, Path], tmp_path: Path
) -> None:
    with LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        silence_logs=logging.CRITICAL,
    ) as cluster:
        # By its address, as `--scheduler` gives it: the executor connects its own client.
        executor = DaskExecutor(cluster.scheduler_address)
        index_dir = _build_with_a_killed_worker(executor, library, tmp_path)
    _same_answers(index_dir, library["one"])


def test_the_local_pool_retries_the_shard_of_a_killed_worker(
    library: dict[str, Path], tmp_path: Path
) -> None:
    index_dir = _build_with_a_killed_worker(LocalExecutor(workers=2), library, tmp_path)
    _same_answers(index_dir, library["one"])
