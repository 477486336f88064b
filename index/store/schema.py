"""The SQLite half of an index folder: schema, connections and the `meta` table.

`meta` is the commit point of a build: it names the vector file, its sha256 and the
counts, and it changes in the same transaction as the rows it describes.

SQLite checks no checksum of its own either: a flipped bit in a paragraph's text or in
an index b-tree reads back without complaint and would be answered. So a commit also
records `content_sha256`, a digest of every row and every index entry that answers read
(all tables but the `embeddings` cache, which changes between commits and is checked by
`qa index verify` instead), and a load recomputes it the first time it meets the database
file (`check_content`). Bytes outside any b-tree (free pages, unused space in a page) are
not read and cannot change answers. The digest is a sum of per-row hashes per table and
index (`index.store.digest`), so a commit updates it at the cost of the rows it changes
and remembers it for the file it leaves (`remember_committed`).
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

import re
import sqlite3
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

from index.errors import (
    IndexCorrupt,
    IndexMissing,
    IndexUnavailable,
    NoSpace,
    SchemaTooNew,
    SchemaTooOld,
    UsageError,
)
from index.store.dbfiles import DB_NAME as DB_NAME
from index.store.dbfiles import SIDE_SUFFIXES as SIDE_SUFFIXES
from index.store.dbfiles import can_write as can_write
from index.store.dbfiles import check_database_files, corrupt, db_path, is_no_space
from index.store.digest import DIGEST_KEY as DIGEST_KEY
from index.store.digest import (
    FORMAT,
    FORMAT_KEY,
    PARTS_KEY,
    content_parts,
    digest_v1,
    encode_parts,
)
from index.store.digest import combine as combine
from index.store.digest import content_digest as content_digest
from index.store.migrations import (
    apply_migrations,
    foreign_tables,
    latest_version,
    migratable,
    readable,
    recreate_schema,
)
from index.store.vector_delta import delta_file_name
from index.store.vectors import vector_file_name
from index.store.verified import file_identity, is_verified, record_verified, record_written

COUNT_KEYS = ("vector_count", "articles", "paragraphs", "passages", "sentences")
_COUNT = re.compile(r"0|[1-9][0-9]{0,17}")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_BASE_FILE = re.compile(r"vectors-([1-9][0-9]{0,17})\.faiss")


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


def connect(
    index_dir: Path, *, create: bool = False, full_rebuild: bool = False
) -> sqlite3.Connection:
    """Open the index database; a missing one is IndexMissing unless `create`.

    `create` is for a build, under the writer lock: it creates the schema or migrates it
    to this qa's version (`upgrade_schema`; `full_rebuild` also replaces a schema too old
    to migrate). Without it the schema must be one the query path reads (`check_schema`).
    """
    path = db_path(index_dir)
    check_database_files(index_dir)
    if not create and not path.exists():
        raise IndexMissing(
            f"no index at {index_dir}; build one with `qa index build PATH --index {index_dir}`"
        )
    if create:
        index_dir.mkdir(parents=True, exist_ok=True)
    conn: sqlite3.Connection | None = None
    try:
        conn = open_database(index_dir, create=create)
        conn.execute("PRAGMA foreign_keys = ON")
        if create:
            conn.execute("PRAGMA journal_mode = WAL")
        # FULL makes every commit durable before `meta` is trusted to name a vector file.
        conn.execute("PRAGMA synchronous = FULL")
        if create:
            upgrade_schema(conn, index_dir, full_rebuild=full_rebuild)
        else:
            check_schema(conn, index_dir)
    except BaseException as error:
        if conn is not None:
            conn.close()
        if not isinstance(error, (sqlite3.DatabaseError, UnicodeDecodeError)):
            raise
        # A flipped bit in stored text (even the schema's) fails to decode: damage too.
        if is_no_space(error, index_dir):
            kept = "; previous index kept" if create else ""
            raise NoSpace(f"no space left on device for {path}{kept}") from None
        raise corrupt(path, f"not a readable index database ({error})") from None
    return conn


def upgrade_schema(
    conn: sqlite3.Connection, index_dir: Path, *, full_rebuild: bool = False
) -> None:
    """Bring the database to this qa's schema (index.store.migrations); the caller holds
    the writer lock. Creates it when empty, migrates it in place, or (`full_rebuild`)
    recreates one too old to migrate: each in one transaction, so a crash or an error
    leaves the old version as it was. Only in an empty database or an index, never in
    someone else's."""
    foreign = foreign_tables(conn)
    if foreign:
        raise UsageError(
            f"{db_path(index_dir)} is not an article-qa index (it holds a table named "
            f"{foreign[0][:40]!r}); choose another folder for the index"
        )
    empty = conn.execute("SELECT 1 FROM sqlite_schema WHERE type = 'table'").fetchone() is None
    version = 0 if empty else stored_version(conn, index_dir)
    if version == latest_version():
        return
    in_place = empty or migratable(version)
    if not in_place and not full_rebuild:
        _refuse_old(conn, index_dir, version)
    try:
        if in_place:
            _in_one_transaction(conn, lambda: _migrate(conn, version))
        else:
            _in_one_transaction(conn, lambda: recreate_schema(conn))
    except sqlite3.Error as error:
        if empty or not in_place or is_no_space(error, index_dir):
            raise
        if not full_rebuild:
            raise SchemaTooOld(
                f"{db_path(index_dir)}: upgrading schema version {version} to "
                f"{latest_version()} failed ({error}); the index is unchanged; rebuild it "
                f"with `qa index build --full --index {index_dir}`"
            ) from None
        # Rows the migration cannot take: a full build replaces every row anyway.
        _in_one_transaction(conn, lambda: recreate_schema(conn))


def _migrate(conn: sqlite3.Connection, version: int) -> None:
    meta = read_meta(conn) if version else {}
    # Recorded again only over a digest that matched: damage is never laundered.
    sound = is_committed(meta) and meta.get(DIGEST_KEY) == recorded_format_digest(conn, meta)
    apply_migrations(conn, version)
    if sound:
        write_meta(conn, {FORMAT_KEY: FORMAT})
        write_digest(conn, content_parts(conn))


def recorded_format_digest(conn: sqlite3.Connection, meta: dict[str, str]) -> str | None:
    """The digest of the database in the format `meta` says its digest is in (format 1
    without `digest_format`: an older qa's commit); None for a format this qa does not
    know, which no digest matches."""
    recorded = meta.get(FORMAT_KEY)
    if recorded is None:
        return digest_v1(conn)
    if recorded == FORMAT:
        return content_digest(conn)
    return None


def write_digest(conn: sqlite3.Connection, parts: dict[str, int]) -> str:
    """Record the format 2 digest of the database whose parts sum to `parts` (read with
    `digest_format` already written: it is a row of `meta` like any other)."""
    digest = combine(conn, parts)
    write_meta(conn, {DIGEST_KEY: digest, PARTS_KEY: encode_parts(parts)})
    return digest


def _in_one_transaction(conn: sqlite3.Connection, work: Callable[[], None]) -> None:
    conn.execute("BEGIN IMMEDIATE")
    try:
        work()
        conn.execute("COMMIT")
    except BaseException:
        roll_back(conn)
        raise


def roll_back(conn: sqlite3.Connection) -> None:
    """Undo the open transaction, if any, never raising over the error that caused it."""
    if conn.in_transaction:
        try:
            conn.execute("ROLLBACK")
        except sqlite3.Error:
            pass  # SQLite rolls an unfinished transaction back when the connection closes


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
    if identity is not None and is_verified(key, identity, expected):
        return
    try:
        actual = recorded_format_digest(conn, meta)
    except (sqlite3.DatabaseError, UnicodeDecodeError) as error:
        raise corrupt(db_path(index_dir), f"database damaged ({error})") from None
    if actual != expected:
        raise corrupt(
            db_path(index_dir), "database content does not match its checksum (damaged on disk)"
        )
    if identity is not None and database_identity(index_dir) == identity:
        record_verified(key, identity, expected)


def remember_committed(index_dir: Path, digest: str) -> None:
    """Record, for the database file a commit just left, that its content hashes to
    `digest`, so the first load after a build does not read every row again.

    The commit computed the digest from the rows it changed and the sums of a state
    checked before it (`index.store.digest`); no settling wait (`index.store.verified`)
    is needed for content the writer itself wrote while holding the writer lock.
    """
    identity = database_identity(index_dir)
    if identity is not None:
        record_written(str(db_path(index_dir).resolve()), identity, digest)


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
    number = int(generation)
    if "delta_file" in meta:
        # A base of an older generation with this generation's delta (index.store.vector_delta).
        if meta["delta_file"] != delta_file_name(number):
            raise damaged(_named("delta_file", meta, f"is not {delta_file_name(number)}"))
        if not _SHA256.fullmatch(meta.get("delta_sha256", "")):
            raise damaged(_named("delta_sha256", meta, "is not a sha256 digest"))
        base = _BASE_FILE.fullmatch(meta.get("vector_file", ""))
        if base is None or not 1 <= int(base.group(1)) <= number:
            raise damaged(_named("vector_file", meta, "is not an earlier generation's file"))
    elif meta.get("vector_file") != vector_file_name(number):
        raise damaged(_named("vector_file", meta, f"is not {vector_file_name(number)}"))
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


def committed_meta(conn: sqlite3.Connection, index_dir: Path) -> dict[str, str]:
    """Begin a read (one generation for every read after it) and return its meta, not yet
    checked (`check_meta`); IndexMissing while no build has committed."""
    conn.execute("BEGIN")
    meta = read_meta(conn)
    if not is_committed(meta):
        raise IndexMissing(
            f"the index at {index_dir} has never completed a build; "
            f"run `qa index build PATH --index {index_dir}`"
        )
    return meta


def read_meta(conn: sqlite3.Connection) -> dict[str, str]:
    # As text whatever was stored (a BLOB or a number written by another tool), so that
    # checking a value never meets a type it does not expect.
    return dict(conn.execute("SELECT CAST(key AS TEXT), CAST(value AS TEXT) FROM meta"))


def stored_version(conn: sqlite3.Connection, index_dir: Path) -> int:
    """The schema version `meta` records; SchemaTooNew past this qa's."""
    version = read_meta(conn).get("schema_version")
    if version is None:
        raise IndexCorrupt(f"{db_path(index_dir)}: no schema version; not an article-qa index")
    if not (version.isascii() and version.isdigit()) or len(version) > 9:
        raise corrupt(db_path(index_dir), f"schema version {version!r} is not a number")
    if int(version) > latest_version():
        raise SchemaTooNew(
            f"{db_path(index_dir)}: schema version {version} is newer than this qa "
            f"understands ({latest_version()}); upgrade article-qa"
        )
    return int(version)


def check_schema(conn: sqlite3.Connection, index_dir: Path) -> None:
    """Refuse a schema the query path cannot read: newer, or older with a migration the
    query path needs (index.store.migrations says which); a reader never migrates."""
    version = stored_version(conn, index_dir)
    if version < latest_version() and not readable(version):
        _refuse_old(conn, index_dir, version)


def _refuse_old(conn: sqlite3.Connection, index_dir: Path, version: int) -> None:
    """SchemaTooOld naming the fix, unless the index is damaged (a flipped bit can make a
    version look older): then IndexCorrupt, as any load would say."""
    meta = read_meta(conn)
    if is_committed(meta):
        check_meta(meta, index_dir)
        check_content(conn, index_dir, meta)
    if migratable(version):
        fix = f"run `qa index build --index {index_dir}` once to upgrade it in place"
    else:
        fix = f"too old to upgrade: rebuild it with `qa index build --full --index {index_dir}`"
    raise SchemaTooOld(
        f"{db_path(index_dir)}: schema version {version} is older than this qa's "
        f"({latest_version()}); {fix}"
    )


def write_meta(conn: sqlite3.Connection, values: dict[str, str]) -> None:
    conn.executemany(
        "INSERT INTO meta (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        list(values.items()),
    )
