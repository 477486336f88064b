"""The SQLite half of an index folder: schema, connections and the `meta` table.

`meta` is the commit point of a build: it names the vector file, its sha256 and the
counts, and it changes in the same transaction as the rows it describes.

SQLite checks no checksum of its own either: a flipped bit in a paragraph's text or in
an index b-tree reads back without complaint and would be answered. So a commit also
records `content_sha256`, a digest of every row and every index entry that answers read
(all tables but the `embeddings` cache, which changes between commits and is checked by
`qa index verify` instead), and every load recomputes it. The cost is one sequential read
of the answer-bearing part of the database per load (see `content_digest`); bytes outside
any b-tree (free pages, unused space in a page) are not read and cannot change answers.
A committed index without a well-formed digest (or generation, or vector file name) is
damaged, never "older": switching the check off must not be one deleted row away.

Hostile folders. Every file SQLite would open here (the database, its `-wal`, `-shm`
and `-journal`) must be a regular file, checked by `stat` before SQLite opens it: a
named pipe or a link to a device would block the first read forever. An index folder
that cannot be written (a read-only mount, a folder without write permission) is opened
read-only and `immutable` (SQLite then needs no `-shm`, which it could not create);
that is safe only because nobody can write there, and only when no committed frames
wait in the `-wal`, which immutable readers ignore: builds checkpoint after committing.
"""

from __future__ import annotations

import hashlib
import os
import re
import sqlite3
from pathlib import Path
from urllib.parse import quote

from index.errors import (
    IndexCorrupt,
    IndexMissing,
    IndexUnavailable,
    NoSpace,
    SchemaTooNew,
    UsageError,
)
from index.store.vectors import (
    file_identity,
    not_regular_reason,
    remember,
    remembered,
    vector_file_name,
)

SCHEMA_VERSION = 1
DB_NAME = "library.sqlite"
DIGEST_KEY = "content_sha256"
UNDIGESTED_TABLES = frozenset({"embeddings"})
"""A cache keyed by text hash, written between commits; verify checks it against vectors."""
SIDE_SUFFIXES = ("-wal", "-shm", "-journal")
"""Files SQLite keeps beside the database."""
COUNT_KEYS = ("vector_count", "articles", "paragraphs", "passages", "sentences")
_COUNT = re.compile(r"0|[1-9][0-9]{0,17}")
_SHA256 = re.compile(r"[0-9a-f]{64}")

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


OWN_TABLES = frozenset(
    {"meta", "sources", "articles", "paragraphs", "chunks", "embeddings", "sqlite_sequence"}
)
"""Tables of `_DDL` (and SQLite's own); `passage_fts` and its shadow tables come too."""


def foreign_tables(conn: sqlite3.Connection) -> list[str]:
    """Tables of the database that an index never creates: then it is someone else's."""
    names = [r[0] for r in conn.execute("SELECT name FROM sqlite_schema WHERE type = 'table'")]
    return [n for n in names if n not in OWN_TABLES and not n.startswith("passage_fts")]


def db_path(index_dir: Path) -> Path:
    return index_dir / DB_NAME


def database_files(index_dir: Path) -> list[Path]:
    """The database and the files SQLite keeps beside it, whether they exist or not."""
    path = db_path(index_dir)
    return [path, *(path.with_name(DB_NAME + suffix) for suffix in SIDE_SUFFIXES)]


def check_database_files(index_dir: Path) -> None:
    """Refuse a database (or side file) that is not a regular file, before SQLite opens it."""
    for path in database_files(index_dir):
        reason = not_regular_reason(path)
        if reason is not None:
            raise corrupt(path, reason)


def can_write(index_dir: Path) -> bool:
    """Whether this process may change the index folder and its database."""
    path = db_path(index_dir)
    folder_ok = os.access(index_dir, os.W_OK | os.X_OK)
    return folder_ok and (not path.exists() or os.access(path, os.W_OK))


def open_database(index_dir: Path, *, create: bool = False) -> sqlite3.Connection:
    """A SQLite connection to the index database: read-write where the folder is writable,
    read-only (see the module docstring) where it is not. Checks the files first."""
    check_database_files(index_dir)
    path = db_path(index_dir)
    # check_same_thread off: one connection may serve several threads in turn, never at
    # once; its owner serialises them (qa.library.Library's lock for the TUI's workers).
    options: dict = {"isolation_level": None, "check_same_thread": False, "timeout": 30}
    if create or can_write(index_dir):
        return sqlite3.connect(path, **options)
    wal = path.with_name(DB_NAME + "-wal")
    try:
        pending = wal.stat().st_size > 0
    except OSError:
        pending = False
    mode = "mode=ro" if pending else "mode=ro&immutable=1"
    conn = sqlite3.connect(f"file:{quote(str(path))}?{mode}", uri=True, **options)
    if pending:
        try:
            conn.execute("SELECT COUNT(*) FROM sqlite_schema").fetchone()
        except sqlite3.DatabaseError:
            conn.close()
            raise IndexUnavailable(
                f"{path}: cannot be read without write access to {index_dir}: its last "
                f"changes are still in {wal.name}; run any `qa` command on it once with "
                "write access"
            ) from None
    return conn


def connect(index_dir: Path, *, create: bool = False) -> sqlite3.Connection:
    """Open the index database; a missing one is IndexMissing unless `create`."""
    path = db_path(index_dir)
    check_database_files(index_dir)
    if not create and not path.exists():
        raise IndexMissing(
            f"no index at {index_dir}; build one with `qa index build PATH --index {index_dir}`"
        )
    if create:
        index_dir.mkdir(parents=True, exist_ok=True)
    try:
        conn = open_database(index_dir, create=create)
        conn.execute("PRAGMA foreign_keys = ON")
        if create:
            conn.execute("PRAGMA journal_mode = WAL")
        # FULL makes every commit durable before `meta` is trusted to name a vector file.
        conn.execute("PRAGMA synchronous = FULL")
        if create:
            _create_tables(conn, index_dir)
        check_schema(conn, index_dir)
    except (sqlite3.DatabaseError, UnicodeDecodeError) as error:
        # A flipped bit in stored text (even the schema's) fails to decode: damage too.
        if is_no_space(error, index_dir):
            kept = "; previous index kept" if create else ""
            raise NoSpace(f"no space left on device for {path}{kept}") from None
        raise corrupt(path, f"not a readable index database ({error})") from None
    return conn


def _create_tables(conn: sqlite3.Connection, index_dir: Path) -> None:
    """Create the schema in one transaction (a kill halfway leaves none of it), and only
    in a database that is empty or already an index: never in someone else's."""
    foreign = foreign_tables(conn)
    if foreign:
        conn.close()
        raise UsageError(
            f"{db_path(index_dir)} is not an article-qa index (it holds a table named "
            f"{foreign[0][:40]!r}); choose another folder for the index"
        )
    conn.executescript(
        f"BEGIN;{_DDL};INSERT OR IGNORE INTO meta (key, value) "
        f"VALUES ('schema_version', '{SCHEMA_VERSION}');COMMIT;"
    )


def is_no_space(error: BaseException, folder: Path) -> bool:
    """Whether a SQLite error is a full disk: SQLITE_FULL, or an I/O error (creating the
    `-shm`/`-wal` files, say) on a file system with no room left."""
    name = getattr(error, "sqlite_errorname", "") or ""
    if name == "SQLITE_FULL" or "database or disk is full" in str(error):
        return True
    if not name.startswith("SQLITE_IOERR"):
        return False
    try:
        stat = os.statvfs(folder)
    except OSError:
        return False
    return stat.f_bavail * stat.f_frsize < 256 * 1024


def corrupt(path: Path, what: str) -> IndexCorrupt:
    """The one wording of a damaged-database error: the file, what is wrong, the fix."""
    return IndexCorrupt(f"{path}: {what}; run `qa index verify`, then `qa index build --full`")


def content_digest(conn: sqlite3.Connection) -> str:
    """sha256 of every answer-bearing row and index entry, in b-tree order.

    Tables are read in rowid order and each index by a covering scan of the index
    itself, so a flip in either (or in `sqlite_schema`) changes the digest or makes SQLite
    raise; the `meta` row holding the digest is left out of its own input. Generic over
    the schema, so a table another module adds is covered without a change here.
    """
    digest = hashlib.sha256()
    schema = conn.execute(
        "SELECT type, name, tbl_name, rootpage, sql FROM sqlite_schema ORDER BY type, name"
    ).fetchall()
    digest.update(repr(schema).encode())
    tables = [
        name
        for kind, name, _, _, sql in schema
        if kind == "table"
        and name not in UNDIGESTED_TABLES
        and not (sql or "").upper().startswith("CREATE VIRTUAL")
    ]
    for table in tables:
        where = f" WHERE key != '{DIGEST_KEY}'" if table == "meta" else ""
        _digest_rows(digest, conn.execute(f'SELECT * FROM "{table}"{where}'))
    without_rowid = {
        name for kind, name, _, _, sql in schema if "WITHOUT ROWID" in (sql or "").upper()
    }
    for kind, name, table, _, _ in schema:
        if kind != "index" or table not in tables:
            continue
        columns = [
            f'"{col}"' for _, cid, col in conn.execute(f'PRAGMA index_info("{name}")') if cid >= 0
        ]
        if table not in without_rowid:
            columns.append("rowid")
        where = f" WHERE key != '{DIGEST_KEY}'" if table == "meta" else ""
        listed = ", ".join(columns or ["1"])
        _digest_rows(
            digest, conn.execute(f'SELECT {listed} FROM "{table}" INDEXED BY "{name}"{where}')
        )
    return digest.hexdigest()


def _digest_rows(digest: hashlib._Hash, rows: sqlite3.Cursor) -> None:
    while batch := rows.fetchmany(2000):
        digest.update(repr(batch).encode())


def check_content(conn: sqlite3.Connection, index_dir: Path, meta: dict[str, str]) -> None:
    """Refuse a database whose rows differ from what its last commit recorded.

    Call `check_meta` first: a committed index always records a digest, so a missing
    one is damage (or tampering), never a reason to skip the check.
    """
    expected = meta.get(DIGEST_KEY)
    if expected is None or not _SHA256.fullmatch(expected):
        raise corrupt(db_path(index_dir), f"index metadata damaged: {_named(DIGEST_KEY, meta)}")
    # Digesting every row costs ~0.1-0.3 s on a 2k-paragraph library, most of a cold
    # `qa ask`: like the vector file, it is done once per on-disk identity of the database
    # (and of a WAL holding frames); any write changes that identity. `qa index verify`
    # always digests in full.
    identity = database_identity(index_dir)
    key = str(db_path(index_dir).resolve())
    if identity is not None and remembered(key, identity, expected):
        return
    try:
        actual = content_digest(conn)
    except (sqlite3.DatabaseError, UnicodeDecodeError) as error:
        raise corrupt(db_path(index_dir), f"database damaged ({error})") from None
    if actual != expected:
        raise corrupt(
            db_path(index_dir), "database content does not match its checksum (damaged on disk)"
        )
    if identity is not None and database_identity(index_dir) == identity:
        remember(key, identity, expected)


COMMIT_KEYS = ("generation", "vector_file", "vector_sha256", "vector_count", DIGEST_KEY)
"""`meta` keys only a commit writes: any of them means a build has completed."""


def is_committed(meta: dict[str, str]) -> bool:
    """Whether a build has ever committed (a `meta` with some keys lost is still one)."""
    return any(key in meta for key in COMMIT_KEYS)


def check_meta(meta: dict[str, str], index_dir: Path) -> int:
    """Refuse `meta` of a committed index unless every value a load relies on is well
    formed; returns the generation.

    The vector file must be named exactly after the generation, so `meta` can never
    point a reader (or a build's clean-up) at a file outside the folder or a user's own.
    """

    def damaged(what: str) -> IndexCorrupt:
        return corrupt(db_path(index_dir), f"index metadata damaged: {what}")

    generation = meta.get("generation", "")
    if not _COUNT.fullmatch(generation) or int(generation) < 1:
        raise damaged(_named("generation", meta, "is not a positive whole number"))
    if meta.get("vector_file") != vector_file_name(int(generation)):
        raise damaged(_named("vector_file", meta, f"is not {vector_file_name(int(generation))}"))
    for key in (DIGEST_KEY, "vector_sha256"):
        if not _SHA256.fullmatch(meta.get(key, "")):
            raise damaged(_named(key, meta, "is not a sha256 digest"))
    for key in COUNT_KEYS:
        if not _COUNT.fullmatch(meta.get(key, "")):
            raise damaged(_named(key, meta, "is not a count"))
    if not _COUNT.fullmatch(meta.get("dim", "")) or int(meta["dim"]) < 1:
        raise damaged(_named("dim", meta, "is not a positive whole number"))
    if not meta.get("model_id", "").strip():
        raise damaged(_named("model_id", meta))
    return int(generation)


def _named(key: str, meta: dict[str, str], problem: str = "") -> str:
    """How a damaged `meta` value is quoted in a message: short, control characters escaped."""
    if key not in meta:
        return f"{key} is missing"
    value = meta[key]
    shown = repr(value[:40] + ("..." if len(value) > 40 else ""))
    return f"{key} {shown} {problem or 'is not valid'}"


def database_identity(index_dir: Path) -> list[int] | None:
    """Stat identity of the database file plus its WAL when the WAL holds frames."""
    try:
        identity = file_identity(db_path(index_dir))
    except OSError:
        return None
    wal = db_path(index_dir).with_name(DB_NAME + "-wal")
    try:
        if wal.stat().st_size > 0:
            identity += file_identity(wal)
    except OSError:
        pass
    return identity


def read_meta(conn: sqlite3.Connection) -> dict[str, str]:
    # As text whatever was stored (a BLOB or a number written by another tool), so that
    # checking a value never meets a type it does not expect.
    return dict(conn.execute("SELECT CAST(key AS TEXT), CAST(value AS TEXT) FROM meta"))


def check_schema(conn: sqlite3.Connection, index_dir: Path) -> None:
    version = read_meta(conn).get("schema_version")
    if version is None:
        raise IndexCorrupt(f"{db_path(index_dir)}: no schema version; not an article-qa index")
    if not version.isdigit():
        raise corrupt(db_path(index_dir), f"schema version {version!r} is not a number")
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
