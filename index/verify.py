"""`qa index verify`: check on disk everything a load relies on, and say how to fix it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from index.errors import IndexUnavailable
from index.schema import DIGEST_KEY, connect, content_digest, db_path, read_meta
from index.vectors import file_sha256, load_vector_file

FIX = "rebuild with `qa index build --full`"


def verify_index(index_dir: Path) -> list[str]:
    """Problems found, one line each naming the file and the fix; empty when sound."""
    try:
        conn = connect(index_dir)
    except IndexUnavailable as error:
        return [str(error)]
    try:
        return _check(conn, index_dir)
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
            load_vector_file(
                vector_path, meta["vector_sha256"], int(meta["vector_count"]), int(meta["dim"])
            )
        except IndexUnavailable as error:
            problems.append(str(error))
    return problems
