"""The SQLite half of an index folder: schema, connections and the `meta` table.

`meta` is the commit point of a build: it names the vector file, its sha256 and the
counts, and it changes in the same transaction as the rows it describes.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from index.errors import IndexCorrupt, IndexMissing, SchemaTooNew

SCHEMA_VERSION = 1
DB_NAME = "library.sqlite"

_DDL = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sources (root TEXT PRIMARY KEY, added_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS articles (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    root TEXT NOT NULL,
    key TEXT NOT NULL,
    path TEXT NOT NULL,
    file_sha TEXT NOT NULL,
    file_size INTEGER NOT NULL,
    file_mtime_ns INTEGER NOT NULL,
    title TEXT NOT NULL,
    source TEXT,
    url TEXT,
    published TEXT,
    author TEXT,
    notes TEXT NOT NULL DEFAULT '',
    indexed_at TEXT NOT NULL,
    UNIQUE (root, key)
);
CREATE INDEX IF NOT EXISTS articles_path ON articles (path);
CREATE TABLE IF NOT EXISTS paragraphs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    article_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL,
    text TEXT NOT NULL,
    boilerplate INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS paragraphs_article ON paragraphs (article_id, ordinal);
CREATE TABLE IF NOT EXISTS chunks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    paragraph_id INTEGER NOT NULL REFERENCES paragraphs (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('passage', 'sentence')),
    start INTEGER NOT NULL,
    end INTEGER NOT NULL,
    text_sha TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_paragraph ON chunks (paragraph_id);
CREATE VIRTUAL TABLE IF NOT EXISTS passage_fts USING fts5 (text, tokenize = 'porter unicode61');
CREATE TABLE IF NOT EXISTS embeddings (
    model_id TEXT NOT NULL,
    text_sha TEXT NOT NULL,
    vector BLOB NOT NULL,
    PRIMARY KEY (model_id, text_sha)
);
"""


def db_path(index_dir: Path) -> Path:
    return index_dir / DB_NAME


def connect(index_dir: Path, *, create: bool = False) -> sqlite3.Connection:
    """Open the index database; a missing one is IndexMissing unless `create`."""
    path = db_path(index_dir)
    if not create and not path.exists():
        raise IndexMissing(
            f"no index at {index_dir}; build one with `qa index build PATH --index {index_dir}`"
        )
    if create:
        index_dir.mkdir(parents=True, exist_ok=True)
    try:
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
        conn.execute("PRAGMA foreign_keys = ON")
        if create:
            conn.execute("PRAGMA journal_mode = WAL")
        # FULL makes every commit durable before `meta` is trusted to name a vector file.
        conn.execute("PRAGMA synchronous = FULL")
        if create:
            conn.executescript(_DDL)
            if read_meta(conn).get("schema_version") is None:
                conn.execute(
                    "INSERT INTO meta (key, value) VALUES ('schema_version', ?)",
                    (str(SCHEMA_VERSION),),
                )
        check_schema(conn, index_dir)
    except sqlite3.DatabaseError as error:
        raise IndexCorrupt(
            f"{path}: not a readable index database ({error}); "
            "run `qa index verify`, then `qa index build --full`"
        ) from None
    return conn


def read_meta(conn: sqlite3.Connection) -> dict[str, str]:
    return dict(conn.execute("SELECT key, value FROM meta").fetchall())


def check_schema(conn: sqlite3.Connection, index_dir: Path) -> None:
    version = read_meta(conn).get("schema_version")
    if version is None:
        raise IndexCorrupt(f"{db_path(index_dir)}: no schema version; not an article-qa index")
    if int(version) > SCHEMA_VERSION:
        raise SchemaTooNew(
            f"{db_path(index_dir)}: schema version {version} is newer than this qa "
            f"understands ({SCHEMA_VERSION}); upgrade article-qa"
        )


def write_meta(conn: sqlite3.Connection, values: dict[str, str]) -> None:
    conn.executemany(
        "INSERT INTO meta (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        list(values.items()),
    )
