"""The commit of a build: one SQLite transaction that makes a new generation visible.

Rows change and the new vector file is written inside one `BEGIN IMMEDIATE`
transaction; the vector file is durable (fsynced, renamed, folder fsynced) before
`meta` names it, and `COMMIT` is the single moment the new generation appears. A crash
anywhere before it leaves the previous generation exactly as it was; a failure (disk
full, interrupt) also removes the uncommitted vector file so that it holds no space.
The same transaction records `content_sha256` (index.store.schema) so loads detect damage;
after the first commit it is kept up to date from the rows the commit changes
(`index.store.digest.ChangeTracker`), and a large index gets a vector delta rather than a
whole new vector file (`index.store.incremental`): an edit of a 1M-passage library
costs seconds, not the minutes of rebuilding its HNSW graph and hashing every row.
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
from typing import NamedTuple

from index.errors import IndexCorrupt, UsageError
from index.models import Embedder
from index.plural import counted
from index.store.digest import (
    FORMAT,
    FORMAT_KEY,
    PARTS_KEY,
    ChangeTracker,
    combine,
    content_parts,
    decode_parts,
    flushed,
)
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
from index.store.incremental import VectorChanges, write_vectors
from index.store.schema import (
    DIGEST_KEY,
    check_meta,
    is_committed,
    read_meta,
    remember_committed,
    roll_back,
    write_digest,
    write_meta,
)
from index.store.vector_delta import (
    PREVIOUS_FILES_KEY,
    delta_file_name,
    files_in_use,
    files_to_keep,
)
from index.store.vectors import (
    TMP_SUFFIX,
    VECTOR_FILE,
    remove_stale_files,
    vector_file_name,
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
) -> Committed:
    """Apply the build's changes and commit generation N+1.

    `files` are inserted with whatever rows build steps add for them
    (`index.store.file_rows.RowSource`), `restat` only get their new size and mtime.
    """
    conn.execute("BEGIN IMMEDIATE")
    generation = 0
    tracker: ChangeTracker | None = None
    try:
        previous_meta = read_meta(conn)
        previous_articles = conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
        tracker = _start_tracking(conn, previous_meta, full=full)
        changes = VectorChanges.before(conn, previous_meta, delete_article_ids, full=full)
        texts = None if full else _changed_texts(conn, delete_article_ids, files)
        add_sources(conn, roots, indexed_at)
        delete_articles(conn, delete_article_ids)
        insert_files(conn, files, indexed_at)
        refresh_stats(conn, restat)
        if delete_article_ids or files:
            mark_repeated_paragraphs(conn, texts)

        counts = row_counts(conn)
        if counts["articles"] == 0 and previous_articles > 0:
            raise UsageError(
                f"the build found no articles; keeping the existing index of "
                f"{counted(previous_articles, 'article')} at {index_dir}"
            )
        generation = next_generation(index_dir, previous_meta)
        fault("before-vector-write")
        vector_meta, notes = write_vectors(
            conn, index_dir, embedder, previous_meta, changes, generation, full=full
        )
        fault("after-vector-rename")
        gone = [key for key, value in vector_meta.items() if value is None]
        conn.executemany("DELETE FROM meta WHERE key = ?", [(key,) for key in gone])
        write_meta(
            conn,
            {
                "generation": str(generation),
                "model_id": embedder.model_id,
                "model_path": embedder.model_path,
                "dim": str(embedder.dim),
                **{key: value for key, value in vector_meta.items() if value is not None},
                PREVIOUS_FILES_KEY: " ".join(sorted(files_in_use(previous_meta))),
                "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
                FORMAT_KEY: FORMAT,
                **{key: str(value) for key, value in counts.items()},
            },
        )
        parts = tracker.finish() if tracker is not None else content_parts(flushed(conn))
        digest = write_digest(conn, parts)
        fault("before-commit")
        conn.execute("COMMIT")
    except BaseException:
        roll_back(conn)
        if tracker is not None:
            tracker.stop()
        if generation:
            _remove_uncommitted(conn, index_dir, generation)
        raise
    fault("after-commit")
    return Committed(generation, counts, notes, digest)


class Committed(NamedTuple):
    generation: int
    counts: dict[str, int]
    notes: list[str]
    digest: str
    """`content_sha256` of the committed database (`clean_up` remembers it as checked)."""


def _start_tracking(
    conn: sqlite3.Connection, meta: dict[str, str], *, full: bool
) -> ChangeTracker | None:
    """A tracker of the rows this commit changes, from the sums the last commit recorded;
    None (digest every row) for a full build, or when no sound sums are recorded (a
    first build, an index an older qa committed)."""
    if full or meta.get(FORMAT_KEY) != FORMAT:
        return None
    parts = decode_parts(meta.get(PARTS_KEY))
    # The sums must be those of the digest the load checked, or the tracker would carry
    # damage forward: they are outside the digest, so hash them into it here.
    if parts is None or combine(conn, parts) != meta.get(DIGEST_KEY):
        return None
    tracker = ChangeTracker(conn, parts)
    tracker.start()
    return tracker


def _changed_texts(
    conn: sqlite3.Connection, article_ids: Sequence[int], files: Sequence[FileToIndex]
) -> set[str]:
    """Paragraph texts whose "repeated" flag this commit may change: those of the
    articles it deletes and inserts."""
    texts = {p.text for f in files for article in f.articles for p in article.paragraphs}
    for start in range(0, len(article_ids), 500):
        part = list(article_ids[start : start + 500])
        marks = ",".join("?" * len(part))
        texts.update(
            r[0]
            for r in conn.execute(
                f"SELECT text FROM paragraphs WHERE article_id IN ({marks})", part
            )
        )
    return texts


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
    for name in (vector_file_name(generation), delta_file_name(generation)):
        for leftover in (index_dir / (name + TMP_SUFFIX), index_dir / name):
            try:
                leftover.unlink(missing_ok=True)
            except OSError:
                pass  # the next build removes it


def clean_up(
    conn: sqlite3.Connection, index_dir: Path, committed: Committed, model_id: str
) -> list[str]:
    """Remove what the committed generation no longer needs; failures are only notes.

    The build has committed by now, so a full disk or a locked file here must not turn
    into an error that says the previous index was kept: the next build retries. Last,
    the WAL is folded into the database: a reader that cannot write the folder (a
    read-only mount) opens the database `immutable`, which never reads the WAL. Then
    the content digest is remembered for the database file as it is left
    (`index.store.schema.remember_committed`).
    """
    notes = []
    try:
        keep = files_to_keep(read_meta(conn), committed.generation)
        remove_stale_files(index_dir, keep=keep)
    except (OSError, sqlite3.Error) as error:
        notes.append(f"could not remove old vector files ({error}); the next build will")
    try:
        meta = read_meta(conn)
        _prune_cache(
            conn, model_id, whole=meta.get("vector_file") == vector_file_name(committed.generation)
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
    remember_committed(index_dir, committed.digest)
    return notes


def _prune_cache(conn: sqlite3.Connection, model_id: str, *, whole: bool) -> None:
    """Delete cached vectors no chunk uses, or of another model: dead weight once a build
    committed. Only when the vector file was written whole (`whole`): finding the unused
    ones reads every chunk and cached vector (~1.5 GB at 1M passages), and a commit that
    wrote a delta leaves at most its deleted chunks' vectors behind (~1.5 KB each)."""
    if whole:
        conn.execute(
            "DELETE FROM embeddings "
            "WHERE model_id != ? OR text_sha NOT IN (SELECT text_sha FROM chunks)",
            (model_id,),
        )
