"""The commit of a build: one SQLite transaction that makes a new generation visible.

Rows change and the new vector file is written inside one `BEGIN IMMEDIATE`
transaction; the vector file is durable (fsynced, renamed, folder fsynced) before
`meta` names it, and `COMMIT` is the single moment the new generation appears. A crash
anywhere before it leaves the previous generation exactly as it was; a failure (disk
full, interrupt) also removes the uncommitted vector file so that it holds no space.
The same transaction records `content_sha256` (index.store.schema) so loads detect damage.
Vectors come from the `embeddings` cache and are checked before they are written
(`index.store.cached_vectors`).
"""

from __future__ import annotations

import os
import signal
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from index.errors import IndexCorrupt, UsageError
from index.models import Article, Chunk, Embedder
from index.store.cached_vectors import checked_vectors
from index.store.schema import (
    DIGEST_KEY,
    check_meta,
    content_digest,
    is_committed,
    read_meta,
    write_meta,
)
from index.store.vectors import (
    TMP_SUFFIX,
    VECTOR_FILE,
    build_vector_index,
    vector_file_name,
    write_vector_file,
)

# Paragraph text shared by this many articles of one source is page furniture.
REPEATED_PARAGRAPH_ARTICLES = 3
READER_BOILERPLATE = 1
REPEATED_BOILERPLATE = 2


class FileToIndex(Protocol):
    root: str
    path: str
    sha: str
    size: int
    mtime_ns: int
    articles: list[Article]


def commit_generation(
    conn: sqlite3.Connection,
    index_dir: Path,
    *,
    embedder: Embedder,
    roots: list[str],
    delete_article_ids: list[int],
    files: list[tuple[FileToIndex, list[list[Chunk]]]],
    restat: list[Any],
    indexed_at: str,
    full: bool = False,
) -> tuple[int, dict[str, int], list[str]]:
    """Apply the build's changes and commit generation N+1; returns (N+1, counts, notes)."""
    conn.execute("BEGIN IMMEDIATE")
    generation = 0
    try:
        previous_meta = read_meta(conn)
        previous_articles = conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
        for root in roots:
            conn.execute(
                "INSERT OR IGNORE INTO sources (root, added_at) VALUES (?, ?)", (root, indexed_at)
            )
        _delete_articles(conn, delete_article_ids)
        _insert_files(conn, files, indexed_at)
        conn.executemany(
            "UPDATE articles SET file_size = ?, file_mtime_ns = ? WHERE root = ? AND path = ?",
            [(state.size, state.mtime_ns, state.root, state.path) for state in restat],
        )
        if delete_article_ids or files:
            _mark_repeated_paragraphs(conn)

        counts = _counts(conn)
        if counts["articles"] == 0 and previous_articles > 0:
            raise UsageError(
                f"the build found no articles; keeping the existing index of "
                f"{previous_articles} articles at {index_dir}"
            )
        ids, vectors, notes = checked_vectors(
            conn, index_dir, embedder, previous_meta, compare=not full
        )
        generation = next_generation(index_dir, previous_meta)
        fault_point("before-vector-write")
        name, sha = write_vector_file(
            build_vector_index(ids, vectors, embedder.dim), index_dir, generation
        )
        fault_point("after-vector-rename")
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
        fault_point("before-commit")
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            try:
                conn.execute("ROLLBACK")
            except sqlite3.Error:
                pass  # SQLite rolls an unfinished transaction back when the connection closes
        if generation:
            _remove_uncommitted(conn, index_dir, generation)
        raise
    fault_point("after-commit")
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


def _delete_articles(conn: sqlite3.Connection, article_ids: list[int]) -> None:
    for start in range(0, len(article_ids), 500):
        part = article_ids[start : start + 500]
        marks = ",".join("?" * len(part))
        conn.execute(
            "DELETE FROM passage_fts WHERE rowid IN (SELECT c.id FROM chunks c "
            f"JOIN paragraphs p ON p.id = c.paragraph_id WHERE p.article_id IN ({marks}))",
            part,
        )
        conn.execute(f"DELETE FROM articles WHERE id IN ({marks})", part)


def _insert_files(
    conn: sqlite3.Connection,
    files: list[tuple[FileToIndex, list[list[Chunk]]]],
    indexed_at: str,
) -> None:
    """Insert every new article with its paragraphs, chunks and FTS rows.

    Ids are handed out here rather than read back row by row, so each table takes one
    `executemany`: the commit holds the write lock (`BEGIN IMMEDIATE`), so nobody else
    can take an id meanwhile, and starting past both the largest id and
    `sqlite_sequence` keeps AUTOINCREMENT's promise that ids are never reused.
    """
    article_id = _next_id(conn, "articles")
    paragraph_id = _next_id(conn, "paragraphs")
    chunk_id = _next_id(conn, "chunks")
    articles: list[tuple[object, ...]] = []
    paragraphs: list[tuple[object, ...]] = []
    chunk_rows: list[tuple[object, ...]] = []
    fts_rows: list[tuple[int, str]] = []
    for state, per_article in files:
        for article, chunks in zip(state.articles, per_article, strict=True):
            articles.append(
                (
                    article_id,
                    state.root,
                    article.key,
                    state.path,
                    state.sha,
                    state.size,
                    state.mtime_ns,
                    article.title,
                    article.source,
                    article.url,
                    article.published,
                    article.author,
                    "\n".join(article.notes),
                    indexed_at,
                )
            )
            paragraph_ids: dict[int, int] = {}
            for paragraph in article.paragraphs:
                paragraph_ids[paragraph.ordinal] = paragraph_id
                paragraphs.append(
                    (
                        paragraph_id,
                        article_id,
                        paragraph.ordinal,
                        paragraph.text,
                        READER_BOILERPLATE if paragraph.boilerplate else 0,
                    )
                )
                paragraph_id += 1
            for chunk in chunks:
                chunk_rows.append(
                    (
                        chunk_id,
                        paragraph_ids[chunk.ordinal],
                        chunk.kind,
                        chunk.span.start,
                        chunk.span.end,
                        chunk.text_sha,
                    )
                )
                if chunk.kind == "passage":
                    fts_rows.append((chunk_id, chunk.text))
                chunk_id += 1
            article_id += 1
    conn.executemany(
        "INSERT INTO articles (id, root, key, path, file_sha, file_size, file_mtime_ns, title, "
        "source, url, published, author, notes, indexed_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        articles,
    )
    conn.executemany(
        "INSERT INTO paragraphs (id, article_id, ordinal, text, boilerplate) "
        "VALUES (?, ?, ?, ?, ?)",
        paragraphs,
    )
    conn.executemany(
        "INSERT INTO chunks (id, paragraph_id, kind, start, end, text_sha) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        chunk_rows,
    )
    conn.executemany("INSERT INTO passage_fts (rowid, text) VALUES (?, ?)", fts_rows)


def _next_id(conn: sqlite3.Connection, table: str) -> int:
    row = conn.execute(
        f"SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = ?), 0), "
        f'COALESCE((SELECT MAX(id) FROM "{table}"), 0))',
        (table,),
    ).fetchone()
    return int(row[0]) + 1


def _mark_repeated_paragraphs(conn: sqlite3.Connection) -> None:
    conn.execute(
        f"""
        UPDATE paragraphs SET boilerplate = (boilerplate & {READER_BOILERPLATE}) | CASE
            WHEN text IN (
                SELECT p.text FROM paragraphs p JOIN articles a ON a.id = p.article_id
                GROUP BY COALESCE(a.source, a.root), p.text
                HAVING COUNT(DISTINCT a.id) >= {REPEATED_PARAGRAPH_ARTICLES}
            ) THEN {REPEATED_BOILERPLATE} ELSE 0 END
        """
    )


def _counts(conn: sqlite3.Connection) -> dict[str, int]:
    row = conn.execute(
        "SELECT (SELECT COUNT(*) FROM articles), (SELECT COUNT(*) FROM paragraphs), "
        "(SELECT COUNT(*) FROM chunks WHERE kind = 'passage'), "
        "(SELECT COUNT(*) FROM chunks WHERE kind = 'sentence')"
    ).fetchone()
    return dict(zip(("articles", "paragraphs", "passages", "sentences"), row, strict=True))


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


def fault_point(name: str) -> None:
    """Fault-injection hook: `QA_CRASH_AT=<name>` kills the process at that step of a build,
    `QA_STOP_AT=<name>` stops it there (SIGSTOP) until a test has signalled it.

    Tests use them to prove each step of the commit protocol is crash-safe, and to land
    a Ctrl-C or SIGTERM inside a given stage without racing the build; they cost two
    environment lookups per step.
    """
    if os.environ.get("QA_CRASH_AT") == name:
        os.kill(os.getpid(), signal.SIGKILL)
    if os.environ.get("QA_STOP_AT") == name:
        os.kill(os.getpid(), signal.SIGSTOP)
