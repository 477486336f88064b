"""The rows of indexed files: what a build plans against, and what its commit writes.

A build reads what the index holds of each file (`indexed_files`) to skip what did not
change, and its commit (`index.store.writer`) deletes the replaced articles and inserts
the new ones here, inside its one transaction. The core rows (articles, paragraphs,
chunks and their full-text rows) are written by this module, which hands out their ids;
chunk ids are the ids of the vector file, so they must never be reused. A build step
that adds a table of its own (quotes, say) contributes `Rows` through a `RowSource`: a
function of the ids its file's rows were given, so its rows can refer to them. Rows of a
step's own table go away with their article through `ON DELETE CASCADE`.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from index.models import Article, Chunk
from index.store.places import has_places

# Paragraph text shared by this many articles of one source is page furniture.
REPEATED_PARAGRAPH_ARTICLES = 3
READER_BOILERPLATE = 1
REPEATED_BOILERPLATE = 2
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class IndexedFile:
    """What the committed index holds of one file."""

    root: str
    path: str
    sha: str
    size: int
    mtime_ns: int
    article_ids: tuple[int, ...]


@dataclass(frozen=True)
class FileIds:
    """The ids the commit gave one file's rows, for rows a build step adds to refer to."""

    articles: tuple[int, ...]
    """One per article of the file, in order."""
    paragraphs: tuple[dict[int, int], ...]
    """Per article: paragraph ordinal -> paragraph id."""
    chunks: tuple[tuple[int, ...], ...]
    """Per article: the id of each of its chunks, in order (also its vector's id)."""


@dataclass(frozen=True)
class Rows:
    """Rows for one table, inserted in the commit's transaction."""

    table: str
    columns: tuple[str, ...]
    values: Sequence[tuple[object, ...]]


RowSource = Callable[[FileIds], Iterable[Rows]]
"""A build step's contribution to one file's commit, given the ids of the file's rows."""


class FileStat(Protocol):
    @property
    def root(self) -> str: ...
    @property
    def path(self) -> str: ...
    @property
    def size(self) -> int: ...
    @property
    def mtime_ns(self) -> int: ...


class FileToIndex(FileStat, Protocol):
    """A new or changed file, read and split, as the commit writes it."""

    @property
    def sha(self) -> str: ...
    @property
    def articles(self) -> Sequence[Article]: ...
    @property
    def chunks(self) -> Sequence[Sequence[Chunk]]:
        """Per article, its chunks."""
        ...

    @property
    def rows(self) -> Sequence[RowSource]:
        """What build steps add to the commit beyond the file's articles and chunks."""
        ...


def indexed_roots(conn: sqlite3.Connection) -> list[Path]:
    """The article folders (and files) the index covers; none in a database that has no
    index tables yet."""
    if not conn.execute("SELECT 1 FROM sqlite_schema WHERE name = 'sources'").fetchone():
        return []
    return [Path(root) for (root,) in conn.execute("SELECT root FROM sources")]


def indexed_files(conn: sqlite3.Connection) -> dict[tuple[str, str], IndexedFile]:
    """Every indexed file by (root, path), with the ids of its articles."""
    files: dict[tuple[str, str], IndexedFile] = {}
    ids: dict[tuple[str, str], list[int]] = {}
    for aid, root, path, sha, size, mtime in conn.execute(
        "SELECT id, root, path, file_sha, file_size, file_mtime_ns FROM articles"
    ):
        files.setdefault((root, path), IndexedFile(root, path, sha, size, mtime, ()))
        ids.setdefault((root, path), []).append(aid)
    return {
        key: IndexedFile(f.root, f.path, f.sha, f.size, f.mtime_ns, tuple(ids[key]))
        for key, f in files.items()
    }


def add_sources(conn: sqlite3.Connection, roots: Sequence[str], added_at: str) -> None:
    conn.executemany(
        "INSERT OR IGNORE INTO sources (root, added_at) VALUES (?, ?)",
        [(root, added_at) for root in roots],
    )


def refresh_stats(conn: sqlite3.Connection, files: Sequence[FileStat]) -> None:
    """Record the new size and mtime of files that were touched, not changed."""
    conn.executemany(
        "UPDATE articles SET file_size = ?, file_mtime_ns = ? WHERE root = ? AND path = ?",
        [(f.size, f.mtime_ns, f.root, f.path) for f in files],
    )


def delete_articles(conn: sqlite3.Connection, article_ids: Sequence[int]) -> None:
    for start in range(0, len(article_ids), 500):
        part = list(article_ids[start : start + 500])
        marks = ",".join("?" * len(part))
        conn.execute(
            "DELETE FROM passage_fts WHERE rowid IN (SELECT c.id FROM chunks c "
            f"JOIN paragraphs p ON p.id = c.paragraph_id WHERE p.article_id IN ({marks}))",
            part,
        )
        conn.execute(f"DELETE FROM articles WHERE id IN ({marks})", part)


def insert_files(conn: sqlite3.Connection, files: Sequence[FileToIndex], indexed_at: str) -> None:
    """Insert every new article with its paragraphs, chunks and FTS rows, then the rows
    build steps add for each file.

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
    contributed: list[tuple[FileToIndex, FileIds]] = []
    for file in files:
        article_ids: list[int] = []
        paragraph_ids_of: list[dict[int, int]] = []
        chunk_ids_of: list[tuple[int, ...]] = []
        for article, chunks in zip(file.articles, file.chunks, strict=True):
            articles.append(
                (
                    article_id,
                    file.root,
                    article.key,
                    file.path,
                    file.sha,
                    file.size,
                    file.mtime_ns,
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
                        paragraph.line,
                        paragraph.page,
                    )
                )
                paragraph_id += 1
            first_chunk = chunk_id
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
            article_ids.append(article_id)
            paragraph_ids_of.append(paragraph_ids)
            chunk_ids_of.append(tuple(range(first_chunk, chunk_id)))
            article_id += 1
        if file.rows:
            ids = FileIds(tuple(article_ids), tuple(paragraph_ids_of), tuple(chunk_ids_of))
            contributed.append((file, ids))
    conn.executemany(
        "INSERT INTO articles (id, root, key, path, file_sha, file_size, file_mtime_ns, title, "
        "source, url, published, author, notes, indexed_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        articles,
    )
    if has_places(conn):
        conn.executemany(
            "INSERT INTO paragraphs (id, article_id, ordinal, text, boilerplate, line, page) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            paragraphs,
        )
    else:
        # A build always migrates first, so the columns are there; a schema without them
        # is the one an older qa wrote (tests build one by shortening MIGRATIONS).
        conn.executemany(
            "INSERT INTO paragraphs (id, article_id, ordinal, text, boilerplate) "
            "VALUES (?, ?, ?, ?, ?)",
            [row[:5] for row in paragraphs],
        )
    conn.executemany(
        "INSERT INTO chunks (id, paragraph_id, kind, start, end, text_sha) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        chunk_rows,
    )
    conn.executemany("INSERT INTO passage_fts (rowid, text) VALUES (?, ?)", fts_rows)
    insert_rows(
        conn, (rows for file, ids in contributed for source in file.rows for rows in source(ids))
    )


def insert_rows(conn: sqlite3.Connection, contributions: Iterable[Rows]) -> None:
    """Insert rows build steps contributed, one `executemany` per table and columns, in
    the order given (so ids SQLite assigns follow the files' order)."""
    grouped: dict[tuple[str, tuple[str, ...]], list[tuple[object, ...]]] = {}
    for rows in contributions:
        for name in (rows.table, *rows.columns):
            if not _NAME.fullmatch(name):
                raise ValueError(f"not a table or column name: {name!r}")
        grouped.setdefault((rows.table, rows.columns), []).extend(rows.values)
    for (table, columns), values in grouped.items():
        listed = ", ".join(f'"{column}"' for column in columns)
        marks = ", ".join("?" * len(columns))
        conn.executemany(f'INSERT INTO "{table}" ({listed}) VALUES ({marks})', values)


def _next_id(conn: sqlite3.Connection, table: str) -> int:
    row = conn.execute(
        f"SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = ?), 0), "
        f'COALESCE((SELECT MAX(id) FROM "{table}"), 0))',
        (table,),
    ).fetchone()
    return int(row[0]) + 1


def mark_repeated_paragraphs(
    conn: sqlite3.Connection, texts: Collection[str] | None = None
) -> None:
    """Flag paragraphs whose text repeats across articles of one source (boilerplate).

    `texts`: only paragraphs with these texts can have changed (those of the articles a
    commit deletes and inserts), so only those are counted and updated
    (`_mark_repeated_among`); None: all.
    """
    if texts is not None:
        _mark_repeated_among(conn, texts)
        return
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


def _mark_repeated_among(conn: sqlite3.Connection, texts: Collection[str]) -> None:
    """The same flags as the whole-table update, for the paragraphs with these texts.

    One scan of the paragraphs finds them (there is no index on text: it would double
    the database), and only rows whose flag changes are written: an incremental commit
    at a million paragraphs must neither rewrite nor read every row twice.
    """
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS changed_texts (text TEXT PRIMARY KEY)")
    conn.execute("DELETE FROM temp.changed_texts")
    conn.executemany("INSERT OR IGNORE INTO temp.changed_texts VALUES (?)", [(t,) for t in texts])
    rows = conn.execute(
        "SELECT p.id, p.text, p.boilerplate, COALESCE(a.source, a.root), a.id FROM paragraphs p "
        "JOIN articles a ON a.id = p.article_id "
        "WHERE p.text IN (SELECT text FROM temp.changed_texts)"
    ).fetchall()
    articles: dict[tuple[str, str], set[int]] = {}
    for _, text, _, source, article_id in rows:
        articles.setdefault((source, text), set()).add(article_id)
    repeated = {
        text for (_, text), ids in articles.items() if len(ids) >= REPEATED_PARAGRAPH_ARTICLES
    }
    changes = []
    for paragraph_id, text, flags, _, _ in rows:
        marked = (flags & READER_BOILERPLATE) | (REPEATED_BOILERPLATE if text in repeated else 0)
        if marked != flags:
            changes.append((marked, paragraph_id))
    conn.executemany("UPDATE paragraphs SET boilerplate = ? WHERE id = ?", changes)


def row_counts(conn: sqlite3.Connection) -> dict[str, int]:
    row = conn.execute(
        "SELECT (SELECT COUNT(*) FROM articles), (SELECT COUNT(*) FROM paragraphs), "
        "(SELECT COUNT(*) FROM chunks WHERE kind = 'passage'), "
        "(SELECT COUNT(*) FROM chunks WHERE kind = 'sentence')"
    ).fetchone()
    return dict(zip(("articles", "paragraphs", "passages", "sentences"), row, strict=True))
