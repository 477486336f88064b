"""FAISS's OpenMP thread count is a property of each call, never left behind.

A build adds vectors on every core and a single question searches on one thread. The
TUI does both at once (a rebuild on one thread, questions on another) and the CLI does
them one after another on one thread: neither may change the count the other runs with.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

import faiss
import numpy as np

from index.store.vectors import (
    SINGLE_QUERY_THREADS,
    build_vector_index,
    faiss_threads,
    search_vectors,
)

DIM = 16
T = TypeVar("T")


def _unit_rows(n: int, seed: int = 0) -> np.ndarray:
    rows = np.random.default_rng(seed).standard_normal((n, DIM)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


class ObservedIndex:
    """A real FAISS index that records the thread count each of its searches ran with."""

    def __init__(self, index: faiss.Index) -> None:
        self.index = index
        self.seen: list[int] = []

    def search(
        self, queries: np.ndarray, k: int, params: object = None
    ) -> tuple[np.ndarray, np.ndarray]:
        self.seen.append(faiss.omp_get_max_threads())
        return self.index.search(queries, k, params=params)


def _index(n: int = 200) -> ObservedIndex:
    return ObservedIndex(build_vector_index(np.arange(n, dtype=np.int64), _unit_rows(n), DIM))


def _on_new_thread(work: Callable[[], T]) -> T:
    """`work`'s result on a fresh thread (fresh OpenMP settings), its error re-raised here."""
    result: list[T] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            result.append(work())
        except BaseException as error:  # noqa: BLE001 - re-raised in the test's thread
            errors.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=60)
    assert not thread.is_alive()
    if errors:
        raise errors[0]
    return result[0]


def test_one_query_searches_on_one_thread_and_leaves_the_count_as_it_was() -> None:
    index = _index()

    def work() -> tuple[int, list[int]]:
        faiss.omp_set_num_threads(3)
        search_vectors(index, _unit_rows(1, seed=1), 5)
        after_query = faiss.omp_get_max_threads()
        search_vectors(index, _unit_rows(8, seed=2), 5)  # a batch after the query
        return after_query, index.seen

    after_query, seen = _on_new_thread(work)
    assert seen == [SINGLE_QUERY_THREADS, 3]  # the batch after it: the thread's own 3
    assert after_query == 3


def test_a_build_leaves_the_count_of_the_thread_that_ran_it() -> None:
    def work() -> tuple[int, list[int]]:
        faiss.omp_set_num_threads(3)
        index = _index()
        after_build = faiss.omp_get_max_threads()
        search_vectors(index, _unit_rows(8, seed=2), 5)
        return after_build, index.seen

    after_build, seen = _on_new_thread(work)
    assert after_build == 3 and seen == [3]


def test_a_query_and_a_build_on_two_threads_keep_their_own_counts() -> None:
    """Interleaved step by step: the build's thread enters its count, the query runs and
    a whole build runs on the other thread, then each checks what it still sees."""
    index = _index()
    step = threading.Barrier(2, timeout=30)
    build_seen: list[int] = []
    query_seen: list[int] = []

    def build_side() -> None:
        with faiss_threads(4):
            step.wait()  # 1: the build holds 4
            step.wait()  # 2: the query has searched meanwhile
            build_seen.append(faiss.omp_get_max_threads())
            search_vectors(index, _unit_rows(8, seed=3), 5)  # the build's own batch search
            step.wait()  # 3: now the query side holds 1 while a build runs here
            build_vector_index(np.arange(300, dtype=np.int64), _unit_rows(300, seed=4), DIM)
            build_seen.append(faiss.omp_get_max_threads())
            step.wait()  # 4

    def query_side() -> None:
        step.wait()  # 1
        search_vectors(index, _unit_rows(1, seed=5), 5)
        step.wait()  # 2
        with faiss_threads(SINGLE_QUERY_THREADS):
            step.wait()  # 3
            step.wait()  # 4: the other thread has built meanwhile
            query_seen.append(faiss.omp_get_max_threads())

    threads = [threading.Thread(target=build_side), threading.Thread(target=query_side)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    assert build_seen == [4, 4]
    assert query_seen == [SINGLE_QUERY_THREADS]
    # The query's search ran on one thread, the build's batch with the build's 4.
    assert index.seen == [SINGLE_QUERY_THREADS, 4]
