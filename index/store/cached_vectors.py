"""The vectors a commit writes: read from the `embeddings` cache, checked, repaired.

The cache changes between commits, so no digest covers it, and a flipped bit in one
cached vector would otherwise be copied into every later vector file (a flipped
exponent bit scored ~3e36 and topped every answer). So no cached vector is trusted
blindly: one that is missing, not a finite unit vector, or different from the vector
the previous (checksummed) vector file holds for the same chunk is dropped and its text
embedded again within the commit; the vector file is refused outright if a bad vector
remains after that (`index.store.vectors.build_vector_index`).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np

from index.errors import IndexUnavailable, QAError
from index.models import Embedder
from index.store.schema import check_meta, db_path, is_committed
from index.store.vectors import invalid_rows, load_vector_file, stored_vectors

_CHUNK_TEXTS = (
    "SELECT c.id, c.text_sha, p.text, c.start, c.end, o.start, o.end FROM chunks c "
    "JOIN paragraphs p ON p.id = c.paragraph_id LEFT JOIN chunks o ON o.id = ("
    "SELECT h.id FROM chunks h WHERE h.paragraph_id = c.paragraph_id AND h.kind = 'passage' "
    "AND h.start <= c.start AND c.end <= h.end ORDER BY h.start, h.end LIMIT 1)"
)
"""Each chunk's text and the first passage holding it whole: a sentence's vector is
pooled from that passage's pass (`index.sources.chunking`), so it is remade the same way."""
_BLOCK = 65536
"""Rows compared at a time: a few MB of temporaries even for a million vectors."""


def checked_vectors(
    conn: sqlite3.Connection,
    index_dir: Path,
    embedder: Embedder,
    previous_meta: dict[str, str],
    *,
    compare: bool,
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(chunk ids, their vectors, notes) for the new vector file, every vector checked.

    `compare` checks the cache against the previous vector file too (a `--full` build
    has just embedded every text again, so it has nothing to compare).
    """
    ids, vectors, bad = _all_vectors(conn, embedder.model_id, embedder.dim)
    if compare:
        bad |= _unlike_last_commit(index_dir, previous_meta, ids, vectors)
    bad |= invalid_rows(vectors)
    if not bad.any():
        return ids, vectors, []
    vectors = _embed_again(conn, embedder, ids, vectors, bad)
    note = (
        f"{int(bad.sum())} stored vectors in {db_path(index_dir)} were damaged (missing, "
        "not finite unit vectors, or not those last committed); embedded their text again"
    )
    return ids, vectors, [note]


def checked_new_vectors(
    conn: sqlite3.Connection, index_dir: Path, embedder: Embedder, last_chunk: int
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(chunk ids, their vectors, notes) of the chunks past `last_chunk`: those a commit
    added, for a vector delta (`index.store.incremental`). Each is checked to be a
    finite unit vector and embedded again if not; the chunks the commit kept keep the
    vectors their checksummed file holds, so the cache is not read for them."""
    ids, vectors, bad = _all_vectors(conn, embedder.model_id, embedder.dim, after=last_chunk)
    bad |= invalid_rows(vectors)
    if not bad.any():
        return ids, vectors, []
    vectors = _embed_again(conn, embedder, ids, vectors, bad)
    note = (
        f"{int(bad.sum())} stored vectors in {db_path(index_dir)} were damaged (missing or "
        "not finite unit vectors); embedded their text again"
    )
    return ids, vectors, [note]


def _all_vectors(
    conn: sqlite3.Connection, model_id: str, dim: int, after: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(chunk ids past `after`, their cached vectors, mask of chunks with no usable one)."""
    rows = conn.execute(
        "SELECT c.id, e.vector FROM chunks c LEFT JOIN embeddings e "
        "ON e.text_sha = c.text_sha AND e.model_id = ? WHERE c.id > ? ORDER BY c.id",
        (model_id, after),
    ).fetchall()
    ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    width = dim * 4
    missing = np.fromiter(
        (not isinstance(blob, bytes) or len(blob) != width for _, blob in rows),
        dtype=bool,
        count=len(rows),
    )
    # One join and one view instead of a copy per row; a missing row reads as zeros,
    # which the caller embeds again.
    zeros = bytes(width)
    blobs = [zeros if bad else blob for (_, blob), bad in zip(rows, missing, strict=True)]
    vectors = np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(len(rows), dim)
    return ids, vectors, missing


def _unlike_last_commit(
    index_dir: Path, meta: dict[str, str], ids: np.ndarray, vectors: np.ndarray
) -> np.ndarray:
    """Mask of chunks whose cached vector differs from the previous vector file's.

    That file's sha256 is in `meta`, so it is the trusted copy of every vector still in
    use: a flipped sign bit keeps a norm of 1 and only this comparison sees it. Chunks
    of changed articles have new ids and are not in it. Without a sound previous file
    (a first build, a deleted file) only the norm check applies.
    """
    unlike = np.zeros(len(ids), dtype=bool)
    if not is_committed(meta) or not len(ids):
        return unlike
    try:
        check_meta(meta, index_dir)
        previous = load_vector_file(
            index_dir / meta["vector_file"],
            meta["vector_sha256"],
            int(meta["vector_count"]),
            vectors.shape[1],
        )
    except IndexUnavailable:
        return unlike
    old_ids, old_rows = stored_vectors(previous)
    if not len(old_ids):
        return unlike
    order = np.argsort(old_ids, kind="stable")
    sorted_ids = old_ids[order]
    at = np.minimum(np.searchsorted(sorted_ids, ids), len(sorted_ids) - 1)
    rows = np.flatnonzero(sorted_ids[at] == ids)
    for start in range(0, len(rows), _BLOCK):
        part = rows[start : start + _BLOCK]
        differs = np.any(vectors[part] != old_rows[order[at[part]]], axis=1)
        unlike[part[differs]] = True
    return unlike


def _embed_again(
    conn: sqlite3.Connection,
    embedder: Embedder,
    ids: np.ndarray,
    vectors: np.ndarray,
    bad: np.ndarray,
) -> np.ndarray:
    """Embed the text of the `bad` chunks again, replacing their cached vectors."""
    wanted = ids[bad].tolist()
    keys: dict[int, str] = {}
    texts: dict[int, str] = {}
    pooled: dict[int, tuple[str, tuple[int, int]]] = {}
    for start in range(0, len(wanted), 500):
        part = wanted[start : start + 500]
        marks = ",".join("?" * len(part))
        for chunk_id, sha, text, begin, end, outer_start, outer_end in conn.execute(
            f"{_CHUNK_TEXTS} WHERE c.id IN ({marks})", part
        ):
            keys[chunk_id] = sha
            if outer_start is None or (outer_start, outer_end) == (begin, end):
                texts[chunk_id] = text[begin:end]
            else:
                span = (begin - outer_start, end - outer_start)
                pooled[chunk_id] = (text[outer_start:outer_end], span)
    fresh_rows: dict[int, np.ndarray] = {}
    own = [i for i in wanted if i in texts]
    if own:
        encoded = embedder.encode([texts[i] for i in own])
        fresh_rows.update(zip(own, np.asarray(encoded, dtype=np.float32), strict=True))
    inner = [i for i in wanted if i in pooled]
    if inner:
        _, parts = embedder.encode_spans(
            [pooled[i][0] for i in inner], [[pooled[i][1]] for i in inner]
        )
        fresh_rows.update((i, rows[0]) for i, rows in zip(inner, parts, strict=True))
    fresh = np.ascontiguousarray(
        np.stack([fresh_rows[i] for i in wanted]), dtype=np.float32
    ).reshape(len(wanted), vectors.shape[1])
    conn.executemany(
        "INSERT OR REPLACE INTO embeddings (model_id, text_sha, vector) VALUES (?, ?, ?)",
        [(embedder.model_id, keys[i], row.tobytes()) for i, row in zip(wanted, fresh, strict=True)],
    )
    repaired = np.array(vectors, dtype=np.float32)
    repaired[bad] = fresh
    still = invalid_rows(fresh)
    if still.any():
        raise QAError(
            f"the model gave {int(still.sum())} vectors that are not finite unit vectors "
            f"(chunk {wanted[int(np.flatnonzero(still)[0])]}); previous index kept"
        )
    return repaired
