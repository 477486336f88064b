"""The commit of a build: one SQLite transaction that makes a new generation visible.

Rows change and the new vector file is written inside one `BEGIN IMMEDIATE`
transaction; the vector file is durable (fsynced, renamed, folder fsynced) before
`meta` names it, and `COMMIT` is the single moment the new generation appears. A crash
anywhere before it leaves the previous generation exactly as it was; a failure (disk
full, interrupt) also removes the uncommitted vector file so that it holds no space.
The same transaction records `content_sha256` (index.store.schema) so loads detect damage.
Vectors come from the `embeddings` cache and are checked before they are written
(`index.store.cached_vectors`); the rows come from `index.store.file_rows`, with those
any build step adds. After the commit, `clean_up` removes what it no longer needs.

Each step of the protocol calls a `FaultHook` the caller passes in: tests kill or stop
the process there (`index.build.faults`); nothing here reads the environment.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from index.errors import IndexCorrupt, UsageError
from index.models import Embedder
from index.plural import counted
from index.store.cached_vectors import checked_vectors
from index.store.file_rows import (
    FileStat,
    FileToIndex,
    add_sources,
    delete_articles,
    insert_files,
    mark_repeated_paragraphs,
    refresh_stats,
    row_counts,
)
from index.store.schema import (
    DIGEST_KEY,
    check_meta,
    content_digest,
    is_committed,
    read_meta,
    roll_back,
    write_meta,
)
from index.store.vectors import (
    TMP_SUFFIX,
    VECTOR_FILE,
    build_vector_index,
    remove_stale_files,
    vector_file_name,
    write_vector_file,
)

FaultHook = Callable[[str], None]
"""Called with the name of each step of the commit protocol as it is reached
("before-vector-write", "after-vector-rename", "before-commit", "after-commit"; the build
adds "embedding"). Tests pass one that kills or stops the process there, to prove each
step crash-safe; builds otherwise pass `no_faults`."""


def no_faults(point: str) -> None:
    """The fault hook of every ordinary build: nothing happens at any step."""


def commit_generation(
    conn: sqlite3.Connection,
    index_dir: Path,
    *,
    embedder: Embedder,
    roots: Sequence[str],
    delete_article_ids: Sequence[int],
    files: Sequence[FileToIndex],
    restat: Sequence[FileStat],
    indexed_at: str,
    full: bool = False,
    fault: FaultHook = no_faults,
) -> tuple[int, dict[str, int], list[str]]:
    """Apply the build's changes and commit generation N+1; returns (N+1, counts, notes).

    `files` are inserted with whatever rows build steps add for them
    (`index.store.file_rows.RowSource`), `restat` only get their new size and mtime.
    """
    conn.execute("BEGIN IMMEDIATE")
    generation = 0
    try:
        previous_meta = read_meta(conn)
        previous_articles = conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
        add_sources(conn, roots, indexed_at)
        delete_articles(conn, delete_article_ids)
        insert_files(conn, files, indexed_at)
        refresh_stats(conn, restat)
        if delete_article_ids or files:
            mark_repeated_paragraphs(conn)

        counts = row_counts(conn)
        if counts["articles"] == 0 and previous_articles > 0:
            raise UsageError(
                f"the build found no articles; keeping the existing index of "
                f"{counted(previous_articles, 'article')} at {index_dir}"
            )
        ids, vectors, notes = checked_vectors(
            conn, index_dir, embedder, previous_meta, compare=not full
        )
        generation = next_generation(index_dir, previous_meta)
        fault("before-vector-write")
        name, sha = write_vector_file(
            build_vector_index(ids, vectors, embedder.dim), index_dir, generation
        )
        fault("after-vector-rename")
        write_meta(
            conn,
            {
                "generation": str(generation),
                "model_id": embedder.model_id,
                "model_path": embedder.model_path,
                "dim": str(embedder.dim),
                "vector_file": name,
                "vector_sha256": sha,
                "vector_count": str(len(ids)),
                "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
                **{key: str(value) for key, value in counts.items()},
            },
        )
        write_meta(conn, {DIGEST_KEY: content_digest(conn)})
        fault("before-commit")
        conn.execute("COMMIT")
    except BaseException:
        roll_back(conn)
        if generation:
            _remove_uncommitted(conn, index_dir, generation)
        raise
    fault("after-commit")
    return generation, counts, notes


def next_generation(index_dir: Path, meta: dict[str, str]) -> int:
    """One past the last committed generation.

    When `meta` is too damaged to say (only a `--full` build gets this far), one past
    every vector file in the folder instead, so no file a reader may map is rewritten.
    """
    if not is_committed(meta):
        return 1
    try:
        return check_meta(meta, index_dir) + 1
    except IndexCorrupt:
        pass
    on_disk = [
        int(match.group(1))
        for path in index_dir.iterdir()
        if (match := VECTOR_FILE.fullmatch(path.name))
    ]
    return max(on_disk, default=0) + 1


def _remove_uncommitted(conn: sqlite3.Connection, index_dir: Path, generation: int) -> None:
    """Delete the vector file of a generation that did not commit (it may fill a disk).

    An interrupt can arrive just after `COMMIT` returned, before the `try` is left; so
    `meta` decides whether the generation committed, never the exception.
    """
    try:
        if read_meta(conn).get("generation") == str(generation):
            return
    except sqlite3.Error:
        return  # cannot tell: leave the file; the next build removes it if unused
    name = vector_file_name(generation)
    for leftover in (index_dir / (name + TMP_SUFFIX), index_dir / name):
        try:
            leftover.unlink(missing_ok=True)
        except OSError:
            pass  # the next build removes it


def clean_up(
    conn: sqlite3.Connection, index_dir: Path, generation: int, model_id: str
) -> list[str]:
    """Remove what the committed generation no longer needs; failures are only notes.

    The build has committed by now, so a full disk or a locked file here must not turn
    into an error that says the previous index was kept: the next build retries. Last,
    the WAL is folded into the database: a reader that cannot write the folder (a
    read-only mount) opens the database `immutable`, which never reads the WAL.
    """
    notes = []
    try:
        keep = {vector_file_name(generation), vector_file_name(generation - 1)}
        remove_stale_files(index_dir, keep=keep)
    except OSError as error:
        notes.append(f"could not remove old vector files ({error.strerror}); the next build will")
    try:
        # Vectors no chunk uses, or of another model, are dead weight once this build committed.
        conn.execute(
            "DELETE FROM embeddings "
            "WHERE model_id != ? OR text_sha NOT IN (SELECT text_sha FROM chunks)",
            (model_id,),
        )
    except sqlite3.Error as error:
        notes.append(f"could not prune the embedding cache ({error}); the next build will")
    try:
        # TRUNCATE also empties the -wal file. It would wait (the busy timeout, 30 s) for
        # every open reader to leave the WAL, and a chat keeps one open for its whole
        # life: so it does not wait. Stopping short is harmless (readers that can write
        # see the WAL; a read-only folder with frames left is opened without immutable).
        conn.execute("PRAGMA busy_timeout = 0")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    except sqlite3.Error:
        pass
    return notes
