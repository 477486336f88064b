"""The vectors of a commit: a whole new vector file, or only a delta over the last base.

`VectorChanges.before` runs inside the commit's transaction before any row changes: it
notes the last chunk id and the chunks the commit will delete. `write_vectors` runs after
the rows changed and picks one of three ways (`index.store.vector_delta` says why):

- delta: the base stays; the new delta is the previous one less the deleted chunks plus
  the new chunks, whose vectors are the only ones read from the `embeddings` cache
  (checked as finite unit vectors, embedded again if not). Cost: the changed articles.
- merge: the delta grew past `DELTA_MAX_VECTORS`: its vectors are added into the base's
  HNSW graph, written as a new base; deleted ids stay excluded through the delta.
- full: a `--full` build, a small index, a first build, or deleted vectors past
  `DELETED_MAX_SHARE`: every vector read from the cache, checked against the previous
  file and written as a new base (`index.store.cached_vectors`), as every build did
  before deltas.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index.errors import IndexCorrupt, IndexUnavailable
from index.models import Embedder
from index.store.cached_vectors import checked_new_vectors, checked_vectors
from index.store.schema import check_meta, is_committed
from index.store.vector_delta import (
    DELETED_MAX_SHARE,
    DELTA_MAX_VECTORS,
    Delta,
    VectorSet,
    delta_min_vectors,
    load_vector_set,
    write_delta_file,
)
from index.store.vectors import (
    BUILD_THREADS,
    build_vector_index,
    faiss_threads,
    open_regular,
    write_vector_file,
)

NO_DELTA = {"delta_file": None, "delta_sha256": None}


@dataclass(frozen=True)
class VectorChanges:
    """What a commit is about to change, seen before it changes it."""

    incremental: bool
    last_chunk: int
    deleted: np.ndarray
    """Chunk ids of the articles the commit deletes, ascending (incremental only)."""

    @staticmethod
    def before(
        conn: sqlite3.Connection,
        previous_meta: dict[str, str],
        delete_article_ids: Sequence[int],
        *,
        full: bool,
    ) -> VectorChanges:
        incremental = (
            not full
            and is_committed(previous_meta)
            and int(previous_meta.get("vector_count", "0") or 0) >= delta_min_vectors()
        )
        last = conn.execute("SELECT COALESCE(MAX(id), 0) FROM chunks").fetchone()[0]
        deleted: list[int] = []
        if incremental:
            for start in range(0, len(delete_article_ids), 500):
                part = list(delete_article_ids[start : start + 500])
                marks = ",".join("?" * len(part))
                deleted += [
                    r[0]
                    for r in conn.execute(
                        "SELECT c.id FROM chunks c JOIN paragraphs p "
                        f"ON p.id = c.paragraph_id WHERE p.article_id IN ({marks})",
                        part,
                    )
                ]
        return VectorChanges(
            incremental,
            int(last),
            np.unique(np.array(deleted, dtype=np.int64)),
        )


def write_vectors(
    conn: sqlite3.Connection,
    index_dir: Path,
    embedder: Embedder,
    previous_meta: dict[str, str],
    changes: VectorChanges,
    generation: int,
    *,
    full: bool,
) -> tuple[dict[str, str | None], list[str]]:
    """Write this generation's vectors; returns (the `meta` values naming them, notes).

    A value of None means the key is removed from `meta`.
    """
    chunks = conn.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
    if changes.incremental:
        try:
            check_meta(previous_meta, index_dir)
            previous = load_vector_set(index_dir, previous_meta, embedder.dim)
        except IndexUnavailable:
            previous = None  # nothing sound to extend: write everything again
        if previous is not None:
            written = _extend(
                conn, index_dir, embedder, previous_meta, previous, changes, generation, chunks
            )
            if written is not None:
                return written
    ids, vectors, notes = checked_vectors(
        conn, index_dir, embedder, previous_meta, compare=not full
    )
    name, sha = write_vector_file(
        build_vector_index(ids, vectors, embedder.dim), index_dir, generation
    )
    return {
        "vector_file": name,
        "vector_sha256": sha,
        "vector_count": str(len(ids)),
        **NO_DELTA,
    }, notes


def _extend(
    conn: sqlite3.Connection,
    index_dir: Path,
    embedder: Embedder,
    previous_meta: dict[str, str],
    previous: VectorSet,
    changes: VectorChanges,
    generation: int,
    chunks: int,
) -> tuple[dict[str, str | None], list[str]] | None:
    """The delta (or merged) vectors of an incremental commit; None to write them all."""
    old = previous.delta
    new_ids, new_rows, notes = checked_new_vectors(conn, index_dir, embedder, changes.last_chunk)
    kept = ~np.isin(old.added_ids, changes.deleted)
    added_ids = np.concatenate([old.added_ids[kept], new_ids])
    added_rows = np.concatenate([old.added_rows[kept], new_rows])
    from_base = changes.deleted[~np.isin(changes.deleted, old.added_ids)]
    removed = np.union1d(old.removed_ids, from_base)
    base_total = int(previous.base.ntotal)
    if base_total - len(removed) + len(added_ids) != chunks:
        return None  # the previous vectors do not account for every chunk: start over
    if len(removed) > DELETED_MAX_SHARE * base_total:
        return None  # rebuild the graph without the deleted vectors
    delta = Delta(added_ids, added_rows, removed)
    values: dict[str, str | None] = {"vector_count": str(chunks)}
    if len(added_ids) > DELTA_MAX_VECTORS:
        values |= _merge_into_base(index_dir, previous_meta, delta, generation)
        delta = Delta(delta.added_ids[:0], delta.added_rows[:0], removed)
    name, sha = write_delta_file(delta, index_dir, generation)
    return values | {"delta_file": name, "delta_sha256": sha}, notes


def _merge_into_base(
    index_dir: Path, previous_meta: dict[str, str], delta: Delta, generation: int
) -> dict[str, str | None]:
    """Add the delta's vectors into the base's HNSW graph, written as a new base.

    The base is read into memory (the mapped copy is read-only) and checked against its
    sha256 again: it is the bytes read here that are extended and written.
    """
    import faiss

    path = index_dir / previous_meta["vector_file"]
    with os.fdopen(open_regular(path), "rb") as handle:
        data = handle.read()
    if hashlib.sha256(data).hexdigest() != previous_meta["vector_sha256"]:
        raise IndexCorrupt(
            f"{path}: vector file checksum does not match the index; "
            "run `qa index verify`, then `qa index build --full`"
        )
    index = faiss.deserialize_index(np.frombuffer(data, dtype=np.uint8))
    del data
    with faiss_threads(BUILD_THREADS):
        index.add_with_ids(
            np.ascontiguousarray(delta.added_rows, dtype=np.float32),
            np.ascontiguousarray(delta.added_ids, dtype=np.int64),
        )
    name, sha = write_vector_file(index, index_dir, generation)
    return {"vector_file": name, "vector_sha256": sha}
