"""Vectors of a large index as a base file plus one small delta: an edit writes kilobytes.

Rewriting the vector file per commit costs what the whole index costs: at 1M vectors an
HNSW graph is ~1.9 GB to write and minutes to build. So from `delta_min_vectors()`
vectors on, a commit that changes a few articles leaves the base file
(`vectors-<B>.faiss`, an older generation's) as it is and writes `vectors-<G>.delta`:

- the vectors added since the base, with their chunk ids (searched exactly, with numpy:
  ~1 ms per 10k vectors), and
- the ids of the base's vectors deleted since (never answered: a search of the base
  skips them with a FAISS id selector).

The delta holds everything since the base, so it is rewritten whole per commit (it stays
small) and a generation needs only its base and its own delta: `meta` names both with
their sha256 (`delta_file`, `delta_sha256`), `vector_count` is the live total, and the
load refuses any mismatch like a damaged base (`load_delta_file`). When the delta grows
past `DELTA_MAX_VECTORS`, or deleted vectors pass `DELETED_MAX_SHARE` of the base, the
commit writes a new base instead (`index.store.incremental`): new vectors are added into the
previous HNSW graph (the graph is updated, not rebuilt) and, once the deleted share is
past the threshold, the graph is built again without them.

Format (little-endian): `QADELTA1`, then dim, added and removed counts (int64), the
added ids (int64), their vectors (float32, added x dim), the removed ids (int64). Read
with numpy from bytes whose sha256 matched: no pickle, no FAISS parser on this path.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from index.errors import IndexCorrupt
from index.store.vectors import (
    TMP_SUFFIX,
    fsync_dir,
    index_kind,
    invalid_rows,
    open_regular,
    search_vectors,
    stored_vectors,
)

if TYPE_CHECKING:
    import faiss

MAGIC = b"QADELTA1"
DELTA_MIN_VECTORS = 50_000
"""From this many vectors in the index on, commits write deltas (below it a whole file
is milliseconds to write and a delta would only add a second search)."""
DELTA_MAX_VECTORS = 20_000
"""Past this many added vectors the delta is merged into a new base: its exact search
costs ~2 ms per query at 20k on this 2-core machine."""
DELETED_MAX_SHARE = 0.10
"""Past this share of deleted base vectors the graph is built again without them: a graph
walk through many deleted vectors finds fewer live ones."""
DELTA_FILE = re.compile(r"vectors-(0|[1-9][0-9]{0,17})\.delta")


def delta_min_vectors() -> int:
    """Vector count from which commits write deltas (`QA_DELTA_MIN_VECTORS` overrides:
    tests use deltas on a small library with it)."""
    value = os.environ.get("QA_DELTA_MIN_VECTORS", "")
    return int(value) if value.strip().isdigit() else DELTA_MIN_VECTORS


def delta_file_name(generation: int) -> str:
    return f"vectors-{generation}.delta"


@dataclass(frozen=True)
class Delta:
    """What changed since the base: added (ids, vectors) and deleted base ids, sorted."""

    added_ids: np.ndarray
    added_rows: np.ndarray
    removed_ids: np.ndarray

    @staticmethod
    def empty(dim: int) -> Delta:
        return Delta(
            np.zeros(0, dtype=np.int64),
            np.zeros((0, dim), dtype=np.float32),
            np.zeros(0, dtype=np.int64),
        )

    def to_bytes(self) -> bytes:
        header = np.array(
            [self.added_rows.shape[1], len(self.added_ids), len(self.removed_ids)], dtype="<i8"
        )
        return b"".join(
            (
                MAGIC,
                header.tobytes(),
                np.ascontiguousarray(self.added_ids, dtype="<i8").tobytes(),
                np.ascontiguousarray(self.added_rows, dtype="<f4").tobytes(),
                np.ascontiguousarray(self.removed_ids, dtype="<i8").tobytes(),
            )
        )

    @staticmethod
    def from_bytes(data: bytes, dim: int) -> Delta | None:
        """The delta `data` holds, or None when it is not one of `dim` (malformed)."""
        if len(data) < 32 or data[:8] != MAGIC:
            return None
        width, added, removed = (
            int(v) for v in np.frombuffer(data, dtype="<i8", count=3, offset=8)
        )
        if width != dim or added < 0 or removed < 0:
            return None
        if len(data) != 32 + added * 8 + added * dim * 4 + removed * 8:
            return None
        at = 32
        ids = np.frombuffer(data, dtype="<i8", count=added, offset=at).astype(np.int64)
        at += added * 8
        rows = np.frombuffer(data, dtype="<f4", count=added * dim, offset=at)
        at += added * dim * 4
        gone = np.frombuffer(data, dtype="<i8", count=removed, offset=at).astype(np.int64)
        return Delta(ids, rows.reshape(added, dim).astype(np.float32), gone)


def write_delta_file(delta: Delta, folder: Path, generation: int) -> tuple[str, str]:
    """Durably write the delta of `generation` (temporary name, fsync, rename, folder
    fsync, like a vector file); returns (name, sha256)."""
    bad = invalid_rows(delta.added_rows)
    if bad.any():
        raise IndexCorrupt(
            f"refusing to write {int(bad.sum())} vectors that are not finite unit vectors"
        )
    name = delta_file_name(generation)
    data = delta.to_bytes()
    tmp = folder / (name + TMP_SUFFIX)
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, folder / name)
    fsync_dir(folder)
    return name, hashlib.sha256(data).hexdigest()


def load_delta_file(path: Path, sha256: str, dim: int) -> Delta:
    """Read a committed delta, refusing one whose bytes do not match `meta`'s sha256.

    Hashed on every load: it is small (at most `DELTA_MAX_VECTORS` vectors, ~30 MB).
    """
    fix = "run `qa index verify`, then `qa index build --full`"
    try:
        with os.fdopen(open_regular(path), "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        raise IndexCorrupt(f"{path}: vector delta file is missing; {fix}") from None
    except OSError as error:
        raise IndexCorrupt(
            f"{path}: vector delta file unreadable ({error.strerror}); {fix}"
        ) from None
    if hashlib.sha256(data).hexdigest() != sha256:
        raise IndexCorrupt(f"{path}: vector delta file checksum does not match the index; {fix}")
    delta = Delta.from_bytes(data, dim)
    if delta is None:
        raise IndexCorrupt(f"{path}: vector delta file malformed; {fix}")
    return delta


class VectorSet:
    """The live vectors of one generation: a base FAISS index less its deleted ids, plus
    the delta's vectors. What the snapshot searches and reads vectors back from."""

    def __init__(self, base: faiss.Index, delta: Delta | None = None) -> None:
        self.base = base
        self.delta = delta if delta is not None else Delta.empty(base.d)
        self.kind = index_kind(base)
        self._base_ids, self._base_rows = stored_vectors(base)
        self._ids_sorted = bool(np.all(self._base_ids[1:] > self._base_ids[:-1]))
        self._removed = self.delta.removed_ids
        self._selector: object | None = None

    @property
    def ntotal(self) -> int:
        """Live vectors: the base's less those deleted, plus those added."""
        return int(self.base.ntotal) - len(self._removed) + len(self.delta.added_ids)

    @property
    def d(self) -> int:
        return int(self.base.d)

    def max_id(self) -> int:
        top = [int(a.max()) for a in (self._base_ids, self.delta.added_ids) if len(a)]
        return max(top, default=0)

    def search(
        self, queries: np.ndarray, k: int, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(scores, ids) of the top `k` live vectors per query (-1 ids pad a short row),
        among the `allowed` chunk ids when given (which hold no deleted id: they come
        from the chunks a generation has)."""
        import faiss

        queries = np.ascontiguousarray(queries, dtype=np.float32)
        if allowed is not None and self.kind != "flat":
            # A graph walk restricted to a small subset misses most of it; score the
            # subset exactly instead (filters select few articles).
            return self._exact_among(queries, k, allowed)
        params = None
        if allowed is not None:
            params = faiss.SearchParameters(  # type: ignore[call-arg]  # stubs lack the kwargs
                sel=faiss.IDSelectorBatch(allowed)
            )
        elif len(self._removed):
            if self._selector is None:
                self._selector = faiss.IDSelectorNot(faiss.IDSelectorBatch(self._removed))
            # The id map passes only the selector on: the graph keeps its own efSearch.
            params = faiss.SearchParameters(  # type: ignore[call-arg]  # stubs lack the kwargs
                sel=self._selector
            )
        base_k = min(k, int(self.base.ntotal))
        if base_k > 0:
            scores, ids = search_vectors(self.base, queries, base_k, params)
        else:
            scores = np.zeros((len(queries), 0), dtype=np.float32)
            ids = np.zeros((len(queries), 0), dtype=np.int64)
        if not len(self.delta.added_ids):
            return scores, ids
        extra_ids, extra_rows = self.delta.added_ids, self.delta.added_rows
        if allowed is not None:
            keep = np.isin(extra_ids, allowed)
            extra_ids, extra_rows = extra_ids[keep], extra_rows[keep]
        extra_scores = queries @ extra_rows.T
        if extra_scores.shape[1] > k:
            # The delta's own top k first: a full sort of 20k scores per query costs ~1 ms.
            best = np.argpartition(-extra_scores, k - 1, axis=1)[:, :k]
            extra_scores = np.take_along_axis(extra_scores, best, axis=1)
            return _merge(scores, ids, extra_scores, extra_ids[best], k)
        return _merge(scores, ids, extra_scores, extra_ids, k)

    def _exact_among(
        self, queries: np.ndarray, k: int, allowed: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        allowed = np.unique(allowed)
        rows, found = self._locate(allowed)
        allowed = allowed[found]
        scores = queries @ rows[found].T if len(allowed) else np.zeros((len(queries), 0))
        empty = np.zeros((len(queries), 0), dtype=np.float32)
        return _merge(empty, empty.astype(np.int64), scores, allowed, k)

    def _locate(self, chunk_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(their vectors, mask of ids that are live) for some chunk ids."""
        chunk_ids = np.asarray(chunk_ids, dtype=np.int64)
        rows = np.zeros((len(chunk_ids), self.d), dtype=np.float32)
        found = np.zeros(len(chunk_ids), dtype=bool)
        added = self.delta.added_ids
        if len(added):
            at = np.minimum(np.searchsorted(added, chunk_ids), len(added) - 1)
            hit = added[at] == chunk_ids
            rows[hit] = self.delta.added_rows[at[hit]]
            found |= hit
        ids = self._base_ids
        if len(ids):
            rest = ~found
            if self._ids_sorted:
                at = np.minimum(np.searchsorted(ids, chunk_ids), len(ids) - 1)
                hit = rest & (ids[at] == chunk_ids)
            else:
                lookup = {int(v): r for r, v in enumerate(ids)}
                at = np.array([lookup.get(int(i), 0) for i in chunk_ids], dtype=np.int64)
                hit = rest & np.array([int(i) in lookup for i in chunk_ids], dtype=bool)
            if len(self._removed):
                hit &= ~np.isin(chunk_ids, self._removed)
            rows[hit] = self._base_rows[at[hit]]
            found |= hit
        return rows, found

    def vectors_of(self, chunk_ids: np.ndarray) -> np.ndarray | None:
        """Stored vectors of some chunk ids, or None when one of them has no live vector."""
        rows, found = self._locate(chunk_ids)
        return rows if bool(found.all()) else None

    def live_vectors(self) -> tuple[np.ndarray, np.ndarray]:
        """(ids, vectors) of every live vector, ids ascending (a copy when there is a delta)."""
        ids, rows = self._base_ids, self._base_rows
        if not len(self._removed) and not len(self.delta.added_ids):
            return ids, rows
        keep = ~np.isin(ids, self._removed)
        all_ids = np.concatenate([ids[keep], self.delta.added_ids])
        all_rows = np.concatenate([rows[keep], self.delta.added_rows])
        order = np.argsort(all_ids, kind="stable")
        return all_ids[order], all_rows[order]


def _merge(
    scores: np.ndarray, ids: np.ndarray, extra_scores: np.ndarray, extra_ids: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """The top `k` per row of two result sets (the second scored against every query)."""
    if extra_ids.ndim == 1:
        extra_ids = np.broadcast_to(extra_ids, extra_scores.shape)
    every_ids = np.concatenate([ids, extra_ids], axis=1)
    every = np.concatenate([scores, extra_scores.astype(np.float32)], axis=1)
    every = np.where(every_ids >= 0, every, -np.inf)
    order = np.argsort(-every, axis=1, kind="stable")[:, :k]
    top_ids = np.take_along_axis(every_ids, order, axis=1)
    top = np.take_along_axis(every, order, axis=1)
    top_ids = np.where(np.isfinite(top), top_ids, -1)
    return top.astype(np.float32), top_ids.astype(np.int64)


def load_vector_set(index_dir: Path, meta: dict[str, str], dim: int) -> VectorSet:
    """The live vectors `meta` names (checked by `check_meta`): its base file, checked
    against its sha256 and count, and its delta if it has one."""
    from index.store.vectors import load_vector_file

    delta = None
    base_count = int(meta["vector_count"])
    if "delta_file" in meta:
        delta = load_delta_file(index_dir / meta["delta_file"], meta["delta_sha256"], dim)
        base_count += len(delta.removed_ids) - len(delta.added_ids)
    base = load_vector_file(index_dir / meta["vector_file"], meta["vector_sha256"], base_count, dim)
    return VectorSet(base, delta)


def files_in_use(meta: dict[str, str]) -> set[str]:
    """The vector files a generation's `meta` names (its base, and its delta if any)."""
    return {meta[key] for key in ("vector_file", "delta_file") if meta.get(key)}


PREVIOUS_FILES_KEY = "previous_vector_files"
"""`meta`: the files the previous generation used, which a reader may still have open."""


def files_to_keep(meta: dict[str, str], generation: int) -> set[str]:
    """The vector files no clean-up may remove while `meta` (of `generation`) is current:
    its own, and those of the generation before it, which a reader that read the old
    `meta` a moment before the commit may still be opening."""
    from index.store.vectors import is_vector_file_name, vector_file_name

    keep = files_in_use(meta)
    keep |= {vector_file_name(generation - 1), delta_file_name(generation - 1)}
    keep |= {n for n in meta.get(PREVIOUS_FILES_KEY, "").split() if is_vector_file_name(n)}
    return keep
