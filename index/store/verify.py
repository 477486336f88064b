"""`qa index verify`: check on disk everything a load relies on, and say how to fix it.

Beyond what a load checks (checksums, counts), verify also checks what a load trusts
without looking, because looking costs a full read: that the vector file's ids are
exactly the chunk ids (a vector under a wrong id answers with the wrong paragraph), and
that the `embeddings` cache agrees with the vector file, row by row, and holds only
finite unit vectors (the next incremental build copies cached vectors into the new
file; it checks them too, but a damaged cache is damage). Every row is checked, in
blocks, so a million-row cache costs a sequential read and a few MB of memory. Leftover
files are only warnings: they waste disk but cannot change an answer, and the next
build removes them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from index.errors import IndexCorrupt, IndexUnavailable
from index.store.dbfiles import one_line
from index.store.digest import PARTS_KEY, combine, content_parts, decode_parts
from index.store.schema import (
    DIGEST_KEY,
    can_write,
    check_meta,
    connect,
    db_path,
    is_committed,
    read_meta,
    recorded_format_digest,
)
from index.store.vector_delta import VectorSet, files_to_keep, load_vector_set
from index.store.vectors import (
    TMP_SUFFIX,
    file_sha256,
    invalid_rows,
    load_vector_file,
    not_regular_reason,
    stale_files,
)

if TYPE_CHECKING:
    pass

FIX = "rebuild with `qa index build --full`"
BLOCK_ROWS = 8192
"""Cache rows read and compared at a time (~12 MB of 384-dim vectors)."""
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
    say = warn or (lambda message: None)
    try:
        problems = _check(conn, index_dir, say)
        for message in leftover_files(conn, index_dir):
            say(message)
        return problems
    except (sqlite3.DatabaseError, UnicodeDecodeError) as error:
        return [f"{db_path(index_dir)}: database unreadable ({one_line(str(error))}); {FIX}"]
    finally:
        conn.close()


def _check(conn: sqlite3.Connection, index_dir: Path, warn: Callable[[str], None]) -> list[str]:
    problems: list[str] = []
    database = db_path(index_dir)
    result = conn.execute("PRAGMA integrity_check").fetchall()
    if result != [("ok",)]:
        problems.append(f"{database}: SQLite integrity check failed ({result[0][0]}); {FIX}")
        return problems
    if can_write(index_dir):
        try:
            conn.execute("INSERT INTO passage_fts (passage_fts) VALUES ('integrity-check')")
        except sqlite3.DatabaseError as error:
            problems.append(f"{database}: full-text index damaged ({one_line(str(error))}); {FIX}")
    else:
        # FTS5 checks itself only through an INSERT, which a read-only database refuses;
        # its tables are still covered by the content digest below.
        warn(f"{database}: read-only, so the full-text index was checked by its digest only")
    meta = read_meta(conn)
    if not is_committed(meta):
        problems.append(f"{database}: no build has completed; run `qa index build PATH`")
        return problems
    try:
        check_meta(meta, index_dir)
    except IndexCorrupt as error:
        return [*problems, str(error)]
    if recorded_format_digest(conn, meta) != meta[DIGEST_KEY]:
        problems.append(
            f"{database}: content does not match its checksum "
            f"(damaged{_damaged_parts(conn, meta)}); {FIX}"
        )
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
    problems.extend(_check_cache(conn, database, meta["model_id"], int(meta["dim"])))
    problems.extend(_check_vector_file(conn, index_dir, meta))
    return problems


def _damaged_parts(conn: sqlite3.Connection, meta: dict[str, str]) -> str:
    """Which tables and indexes differ from the sums the last commit recorded (when it
    recorded them in a sound form): ": in paragraphs, chunks_paragraph"."""
    recorded = decode_parts(meta.get(PARTS_KEY))
    if recorded is None or combine(conn, recorded) != meta[DIGEST_KEY]:
        return ""
    actual = content_parts(conn)
    names = sorted(n for n in recorded.keys() | actual.keys() if recorded.get(n) != actual.get(n))
    return f": in {', '.join(names[:4])}" if names else ""


def _check_vector_file(
    conn: sqlite3.Connection, index_dir: Path, meta: dict[str, str]
) -> list[str]:
    if "delta_file" in meta:
        delta_path = index_dir / meta["delta_file"]
        reason = not_regular_reason(delta_path)
        if reason is not None:
            return [f"{delta_path}: {reason}; {FIX}"]
        try:
            vectors = load_vector_set(index_dir, meta, int(meta["dim"]))
        except IndexUnavailable as error:
            return [str(error)]
        except OSError as error:
            return [f"{delta_path}: cannot be read ({error.strerror}); {FIX}"]
        base_path = index_dir / meta["vector_file"]
        if file_sha256(base_path) != meta["vector_sha256"]:
            return [f"{base_path}: checksum does not match the index; {FIX}"]
        return _check_vectors(conn, delta_path, vectors, meta["model_id"])
    vector_path = index_dir / meta["vector_file"]
    reason = not_regular_reason(vector_path)
    if reason is not None:
        return [f"{vector_path}: {reason}; {FIX}"]
    if not vector_path.exists():
        return [f"{vector_path}: vector file missing; {FIX}"]
    try:
        if file_sha256(vector_path) != meta["vector_sha256"]:
            return [f"{vector_path}: checksum does not match the index; {FIX}"]
        index = load_vector_file(
            vector_path, meta["vector_sha256"], int(meta["vector_count"]), int(meta["dim"])
        )
    except IndexUnavailable as error:
        return [str(error)]
    except OSError as error:
        return [f"{vector_path}: cannot be read ({error.strerror}); {FIX}"]
    return _check_vectors(conn, vector_path, VectorSet(index), meta["model_id"])


def _check_cache(conn: sqlite3.Connection, database: Path, model_id: str, dim: int) -> list[str]:
    """Every cached vector of the index's model is a finite unit vector of its width.

    Rows no chunk uses count too: a build killed before its commit leaves them, and the
    next build would copy them in. (Another model's rows are only ever replaced: a
    build with another model is `--full` and embeds everything again.)
    """
    bad = 0
    rows = conn.execute("SELECT vector FROM embeddings WHERE model_id = ?", (model_id,))
    while batch := rows.fetchmany(BLOCK_ROWS):
        sized = [blob for (blob,) in batch if isinstance(blob, bytes) and len(blob) == dim * 4]
        bad += len(batch) - len(sized)
        if sized:
            matrix = np.frombuffer(b"".join(sized), dtype=np.float32).reshape(len(sized), dim)
            bad += int(invalid_rows(matrix).sum())
    if bad:
        return [
            f"{database}: {bad} stored vectors (table embeddings) are not finite unit vectors "
            f"of dimension {dim} (damaged); {FIX}"
        ]
    return []


def _check_vectors(
    conn: sqlite3.Connection, vector_path: Path, index: VectorSet, model_id: str
) -> list[str]:
    """Vector ids equal chunk ids; every cached vector equals the file's row for its chunk."""
    ids, matrix = index.live_vectors()
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
    problems = []
    broken = int(invalid_rows(matrix).sum())
    if broken:
        problems.append(f"{vector_path}: {broken} vectors are not finite unit vectors; {FIX}")
    order = np.argsort(ids, kind="stable")
    sorted_ids = ids[order]
    width = matrix.shape[1] * 4
    worst = 0.0
    bad = 0
    rows = conn.execute(
        "SELECT c.id, e.vector FROM chunks c JOIN embeddings e "
        "ON e.text_sha = c.text_sha AND e.model_id = ? ORDER BY c.id",
        (model_id,),
    )
    while batch := rows.fetchmany(BLOCK_ROWS):
        sized = [(c, blob) for c, blob in batch if isinstance(blob, bytes) and len(blob) == width]
        bad += len(batch) - len(sized)
        if not sized:
            continue
        chunks = np.fromiter((chunk for chunk, _ in sized), dtype=np.int64, count=len(sized))
        cached = np.frombuffer(b"".join(blob for _, blob in sized), dtype=np.float32)
        cached = cached.reshape(len(sized), matrix.shape[1])
        in_file = matrix[order[np.searchsorted(sorted_ids, chunks)]]
        with np.errstate(invalid="ignore", over="ignore"):
            diff = np.max(np.abs(cached - in_file), axis=1)
        differs = ~(diff < MAX_VECTOR_DIFF)
        bad += int(differs.sum())
        if differs.any():
            worst = max(worst, float(np.nan_to_num(diff[differs], nan=np.inf).max()))
    if bad:
        problems.append(
            f"{db_path(vector_path.parent)}: {bad} of {len(chunk_ids)} stored vectors "
            f"(table embeddings) differ from {vector_path.name} (max difference {worst:.3g}); "
            f"{FIX}"
        )
    return problems


def leftover_files(conn: sqlite3.Connection, index_dir: Path) -> list[str]:
    """Temporaries and vector files of generations no reader can still be using.

    Only files a build writes count (`index.store.vectors.stale_files` matches exact names):
    a user's `vectors-2023.csv` is none of the index's business.
    """
    try:
        generation = check_meta(read_meta(conn), index_dir)
    except (sqlite3.DatabaseError, IndexCorrupt):
        return []
    keep = files_to_keep(read_meta(conn), generation)
    return [
        f"{path}: leftover "
        + ("temporary file" if path.name.endswith(TMP_SUFFIX) else "old vector file")
        + "; harmless, delete it or run `qa index build` (which removes it)"
        for path in stale_files(index_dir, keep)
    ]
