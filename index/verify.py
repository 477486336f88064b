"""`qa index verify`: check on disk everything a load relies on, and say how to fix it.

Beyond what a load checks (checksums, counts), verify also checks what a load trusts
without looking, because looking costs a full read: that the vector file's ids are
exactly the chunk ids (a vector under a wrong id answers with the wrong paragraph), and
that the `embeddings` cache agrees with the vector file (the next incremental build
copies cached vectors into the new file, so a damaged cache row poisons the next build
even though today's answers are right). Leftover files are only warnings: they waste
disk but cannot change an answer, and the next build removes them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import numpy as np

from index.errors import IndexUnavailable
from index.schema import DIGEST_KEY, connect, content_digest, db_path, read_meta
from index.vectors import (
    TMP_SUFFIX,
    file_sha256,
    load_vector_file,
    stored_vectors,
    vector_file_name,
)

FIX = "rebuild with `qa index build --full`"
SAMPLE_CHUNKS = 200
"""Chunks whose cached vector is compared with the vector file (evenly spaced by id)."""
MAX_VECTOR_DIFF = 1e-5


def verify_index(index_dir: Path, *, warn: Callable[[str], None] | None = None) -> list[str]:
    """Problems found, one line each naming the file and the fix; empty when sound.

    Warnings (things that waste space but cannot change an answer) go to `warn` when
    given (`qa index verify` prints them without failing); None drops them.
    """
    try:
        conn = connect(index_dir)
    except IndexUnavailable as error:
        return [str(error)]
    try:
        problems = _check(conn, index_dir)
        if warn is not None:
            for message in leftover_files(conn, index_dir):
                warn(message)
        return problems
    except sqlite3.DatabaseError as error:
        return [f"{db_path(index_dir)}: database unreadable ({error}); {FIX}"]
    finally:
        conn.close()


def _check(conn: sqlite3.Connection, index_dir: Path) -> list[str]:
    problems: list[str] = []
    database = db_path(index_dir)
    result = conn.execute("PRAGMA integrity_check").fetchall()
    if result != [("ok",)]:
        problems.append(f"{database}: SQLite integrity check failed ({result[0][0]}); {FIX}")
        return problems
    try:
        conn.execute("INSERT INTO passage_fts (passage_fts) VALUES ('integrity-check')")
    except sqlite3.DatabaseError as error:
        problems.append(f"{database}: full-text index damaged ({error}); {FIX}")
    meta = read_meta(conn)
    expected = meta.get(DIGEST_KEY)
    if expected is not None and content_digest(conn) != expected:
        problems.append(f"{database}: content does not match its checksum (damaged); {FIX}")
    if "generation" not in meta:
        problems.append(f"{database}: no build has completed; run `qa index build PATH`")
        return problems
    chunks = conn.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
    if str(chunks) != meta["vector_count"]:
        problems.append(
            f"{database}: {chunks} chunks but meta records {meta['vector_count']} vectors; {FIX}"
        )
    missing = conn.execute(
        "SELECT COUNT(*) FROM chunks c LEFT JOIN embeddings e "
        "ON e.text_sha = c.text_sha AND e.model_id = ? WHERE e.text_sha IS NULL",
        (meta["model_id"],),
    ).fetchone()[0]
    if missing:
        problems.append(f"{database}: {missing} chunks have no stored vector; {FIX}")
    vector_path = index_dir / meta["vector_file"]
    if not vector_path.exists():
        problems.append(f"{vector_path}: vector file missing; {FIX}")
    elif file_sha256(vector_path) != meta["vector_sha256"]:
        problems.append(f"{vector_path}: checksum does not match the index; {FIX}")
    else:
        try:
            vectors = load_vector_file(
                vector_path, meta["vector_sha256"], int(meta["vector_count"]), int(meta["dim"])
            )
        except IndexUnavailable as error:
            problems.append(str(error))
        else:
            problems.extend(_check_vectors(conn, vector_path, vectors, meta["model_id"]))
    return problems


def _check_vectors(
    conn: sqlite3.Connection, vector_path: Path, index: object, model_id: str
) -> list[str]:
    """Vector ids equal chunk ids; a sample of cached vectors equals the file's rows."""
    ids, matrix = stored_vectors(index)
    chunk_ids = np.fromiter(
        (row[0] for row in conn.execute("SELECT id FROM chunks ORDER BY id")), dtype=np.int64
    )
    if len(np.unique(ids)) != len(ids) or not np.array_equal(np.sort(ids), chunk_ids):
        extra = np.setdiff1d(ids, chunk_ids).size
        absent = np.setdiff1d(chunk_ids, ids).size
        return [
            f"{vector_path}: vector ids do not match the chunk ids ({extra} unknown, "
            f"{absent} missing, {len(ids) - len(np.unique(ids))} repeated); {FIX}"
        ]
    if not len(chunk_ids):
        return []
    picks = chunk_ids[np.unique(np.linspace(0, len(chunk_ids) - 1, SAMPLE_CHUNKS).astype(int))]
    row_of = {int(chunk): row for row, chunk in enumerate(ids)}
    placeholders = ",".join("?" * len(picks))
    worst = 0.0
    bad = 0
    for chunk, blob in conn.execute(
        "SELECT c.id, e.vector FROM chunks c JOIN embeddings e "
        f"ON e.text_sha = c.text_sha AND e.model_id = ? WHERE c.id IN ({placeholders})",
        (model_id, *(int(p) for p in picks)),
    ):
        cached = np.frombuffer(blob, dtype=np.float32)
        in_file = matrix[row_of[chunk]]
        if cached.shape != in_file.shape:
            diff = float("inf")
        else:
            diff = float(np.max(np.abs(cached - in_file)))
        if not diff < MAX_VECTOR_DIFF:
            bad += 1
            worst = max(worst, diff)
    if bad:
        return [
            f"{db_path(vector_path.parent)}: {bad} of {len(picks)} sampled stored vectors "
            f"(table embeddings) differ from {vector_path.name} (max difference {worst:.3g}); "
            f"{FIX}"
        ]
    return []


def leftover_files(conn: sqlite3.Connection, index_dir: Path) -> list[str]:
    """Temporaries and vector files of generations no reader can still be using."""
    try:
        generation = int(read_meta(conn).get("generation", 0))
    except (sqlite3.DatabaseError, ValueError):
        return []
    keep = {vector_file_name(generation), vector_file_name(generation - 1)}
    return [
        f"{path}: leftover "
        + ("temporary file" if path.name.endswith(TMP_SUFFIX) else "old vector file")
        + "; harmless, delete it or run `qa index build` (which removes it)"
        for path in sorted(index_dir.glob("vectors-*"))
        if path.name not in keep
    ]
