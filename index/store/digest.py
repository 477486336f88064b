"""The content digest of an index database: per table and per index, kept up to date
by each commit at the cost of the rows it changes.

SQLite checks no checksum of its own, so a commit records `content_sha256` and loads
compare it (`index.store.schema.check_content`). Format 2 (this module) makes it cheap
to keep at a million passages:

- every table and every index of the database is one *part*; a part's digest is the sum,
  modulo 2**256, of a sha256 per row (or per index entry, its indexed columns and rowid).
  A sum does not care about order, so a commit updates a part by subtracting the
  hashes of the rows it deleted and adding those it inserted, never reading the rest;
- the rows a commit changes are seen by TEMP triggers (`ChangeTracker`) that hand each
  old and new row to a Python function, including the rows FTS5 writes to its content
  and docsize tables and those deleted by `ON DELETE CASCADE` or `REPLACE` (recursive
  triggers on). FTS5's `_data` table (its segments) takes no trigger and FTS5 rewrites
  its pages in place, so every commit reads it whole (`Part.segments`: 160 MB at 1M
  passages, ~1 s of a commit). `sqlite_sequence` (no trigger either) is read again;
- `content_sha256` = sha256 of the schema and every part's sum; the sums are kept in
  `meta` under `content_parts` (outside the digest, like the digest itself), so the
  next commit starts from them once it has checked that they hash to `content_sha256`.

A full computation (`content_digest`) reads every row in rowid order and every index by a
covering scan of the index itself, as format 1 did: a flipped bit in a table, an index or
`sqlite_schema` changes a part or makes SQLite raise. It is what a load does the first
time it meets a database file (`index.store.verified` remembers the result per file
identity) and what `qa index verify` always does. At 1M passages it costs seconds
(bench/incremental.py prints the figure); a commit records its own result for the file
it leaves (`index.store.schema.record_committed`), so the asks after a build pay nothing.

Not a MAC: whoever can write the database can also write a matching digest; it catches
damage, not an attacker (nor did format 1). `digest_format` in `meta` says which format
`content_sha256` is in; an index without it was committed by an older qa (format 1, one
sha256 over every row in order) and is checked that way until its next build.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

DIGEST_KEY = "content_sha256"
PARTS_KEY = "content_parts"
FORMAT_KEY = "digest_format"
FORMAT = "2"
UNDIGESTED_TABLES = frozenset({"embeddings"})
"""A cache keyed by text hash, written between commits; verify checks it against vectors."""
UNDIGESTED_META = (DIGEST_KEY, PARTS_KEY)
"""`meta` rows outside the digest: the digest itself and the sums it is made of."""
UNTRACKED_TABLES = frozenset({"sqlite_sequence"})
"""Tables SQLite allows no trigger on: a commit digests them again (a few rows)."""
FTS_DATA_SUFFIX = "_data"
MODULUS = 1 << 256
_BATCH = 2000


@dataclass(frozen=True)
class Part:
    """One table or index: how to read its rows and which columns make an entry."""

    name: str
    table: str
    select: str
    """SQL reading every row (a table) or entry (an index), with the `meta` rows left out."""
    rowid: bool
    """Whether rows carry a rowid (not a WITHOUT ROWID table)."""
    columns: tuple[int, ...] = ()
    """For an index: positions in the table's row (rowid first when `rowid`) of its columns."""
    is_index: bool = False
    segments: bool = False
    """An FTS5 `_data` table, which takes no trigger (SQLite 3.40 crashes deleting from
    an FTS5 table with one) and whose pages FTS5 rewrites in place (merges trim their
    input segments; freed segment ids are handed out again): every commit reads it whole
    (160 MB at 1M passages)."""


def _schema(conn: sqlite3.Connection) -> list[tuple]:
    return conn.execute(
        "SELECT type, name, tbl_name, rootpage, sql FROM sqlite_schema ORDER BY type, name"
    ).fetchall()


def _meta_filter(table: str) -> str:
    if table != "meta":
        return ""
    listed = ", ".join(f"'{key}'" for key in UNDIGESTED_META)
    return f" WHERE key NOT IN ({listed})"


def digest_parts(conn: sqlite3.Connection, schema: list[tuple] | None = None) -> list[Part]:
    """Every table and index the digest covers, generic over the schema: a table another
    module adds is covered without a change here."""
    schema = _schema(conn) if schema is None else schema
    tables = [
        (name, sql or "")
        for kind, name, _, _, sql in schema
        if kind == "table"
        and name not in UNDIGESTED_TABLES
        and not (sql or "").upper().startswith("CREATE VIRTUAL")
    ]
    parts: list[Part] = []
    layout: dict[str, tuple[bool, list[str]]] = {}
    for name, sql in tables:
        rowid = "WITHOUT ROWID" not in sql.upper()
        columns = [row[1] for row in conn.execute(f'PRAGMA table_info("{name}")')]
        layout[name] = (rowid, columns)
        listed = ", ".join(["rowid"] * rowid + [f'"{c}"' for c in columns])
        select = f'SELECT {listed} FROM "{name}"{_meta_filter(name)}'
        parts.append(Part(name, name, select, rowid, segments=_is_fts_data(name, schema)))
    for kind, name, table, _, _ in schema:
        if kind != "index" or table not in layout:
            continue
        rowid, columns = layout[table]
        indexed = [col for _, cid, col in conn.execute(f'PRAGMA index_info("{name}")') if cid >= 0]
        positions = tuple(columns.index(col) + rowid for col in indexed) + ((0,) if rowid else ())
        listed = ", ".join([f'"{col}"' for col in indexed] + ["rowid"] * rowid) or "1"
        select = f'SELECT {listed} FROM "{table}" INDEXED BY "{name}"{_meta_filter(table)}'
        parts.append(Part(name, table, select, rowid, positions, is_index=True))
    return parts


def entry_hash(part: str, values: Sequence[object]) -> int:
    """The hash of one row or index entry of `part`, as a number to add to its sum.

    Blobs (FTS5's segment pages, 160 MB at 1M passages) are hashed as they are: their
    repr costs several times the hash."""
    if not any(isinstance(value, bytes) for value in values):
        data = repr((part, tuple(values))).encode()
        return int.from_bytes(hashlib.sha256(data).digest(), "little")
    digest = hashlib.sha256(part.encode() + b"\0")
    for value in values:
        if isinstance(value, bytes):
            digest.update(b"b%d:" % len(value))
            digest.update(value)
        else:
            digest.update(repr(value).encode() + b"\0")
    return int.from_bytes(digest.digest(), "little")


def part_sum(conn: sqlite3.Connection, part: Part) -> int:
    total = 0
    rows = conn.execute(part.select)
    while batch := rows.fetchmany(_BATCH):
        for row in batch:
            total += entry_hash(part.name, row)
    return total % MODULUS


def content_parts(conn: sqlite3.Connection) -> dict[str, int]:
    """Every part's sum, read from scratch."""
    return {part.name: part_sum(conn, part) for part in digest_parts(conn)}


def combine(conn: sqlite3.Connection, parts: dict[str, int]) -> str:
    """`content_sha256` of a schema and its parts' sums."""
    digest = hashlib.sha256(repr(_schema(conn)).encode())
    for name in sorted(parts):
        digest.update(f"{name}\0{parts[name]:064x}\n".encode())
    return digest.hexdigest()


def content_digest(conn: sqlite3.Connection) -> str:
    """Format 2 `content_sha256` of the database, every row and index entry read."""
    return combine(conn, content_parts(conn))


def encode_parts(parts: dict[str, int]) -> str:
    return json.dumps({name: f"{value:064x}" for name, value in sorted(parts.items())})


def decode_parts(text: str | None) -> dict[str, int] | None:
    """The sums `meta` records, or None when absent or malformed (then computed again)."""
    if not text:
        return None
    try:
        raw = json.loads(text)
        return {str(name): int(value, 16) % MODULUS for name, value in raw.items()}
    except (ValueError, TypeError, AttributeError):
        return None


class ChangeTracker:
    """Keeps the parts' sums up to date while a commit changes rows.

    `start` (inside the commit's transaction, before any change) installs one TEMP
    trigger per table and kind of change; every old row is subtracted and every new row
    added, to the table's part and to each of its indexes'. `finish` removes the
    triggers, digests the untracked tables again and returns the new sums.
    """

    FUNCTION = "qa_digest_row"

    def __init__(self, conn: sqlite3.Connection, parts: dict[str, int]) -> None:
        self._conn = conn
        self._sums = dict(parts)
        self._layout = digest_parts(conn)
        self._indexes: dict[str, list[Part]] = {}
        for part in self._layout:
            if part.is_index:
                self._indexes.setdefault(part.table, []).append(part)
        self._triggers: list[str] = []

    def start(self) -> None:
        self._conn.create_function(self.FUNCTION, -1, self._row, deterministic=False)
        self._conn.execute("PRAGMA recursive_triggers = ON")  # REPLACE's deletes fire
        for part in self._layout:
            if part.is_index or part.table in UNTRACKED_TABLES or part.segments:
                continue
            columns = [row[1] for row in self._conn.execute(f'PRAGMA table_info("{part.table}")')]
            for event, sign, row in (
                ("INSERT", 1, "NEW"),
                ("DELETE", -1, "OLD"),
                ("UPDATE", -1, "OLD"),
                ("UPDATE", 1, "NEW"),
            ):
                values = ", ".join(
                    [f"{row}.rowid"] * part.rowid + [f'{row}."{c}"' for c in columns]
                )
                name = f"qa_digest_{len(self._triggers)}"
                self._conn.execute(
                    f'CREATE TEMP TRIGGER "{name}" AFTER {event} ON main."{part.table}" '
                    f"BEGIN SELECT {self.FUNCTION}('{part.table}', {sign}, {values}); END"
                )
                self._triggers.append(name)

    def _row(self, table: str, sign: int, *values: object) -> None:
        if table == "meta" and values[1] in UNDIGESTED_META:
            return
        self._add(table, sign, values)
        for index in self._indexes.get(table, ()):
            self._add(index.name, sign, [values[i] for i in index.columns])

    def _add(self, name: str, sign: int, values: Sequence[object]) -> None:
        self._sums[name] = (self._sums.get(name, 0) + sign * entry_hash(name, values)) % MODULUS

    def finish(self) -> dict[str, int]:
        """Remove the triggers; the sums of every part of the schema as it now is."""
        flushed(self._conn)
        self.stop()
        layout = digest_parts(self._conn)
        rescanned = set(UNTRACKED_TABLES) | {p.table for p in layout if p.segments}
        names = {part.name for part in layout}
        sums = {name: value for name, value in self._sums.items() if name in names}
        for part in layout:
            if part.table in rescanned or part.name not in sums:
                sums[part.name] = part_sum(self._conn, part)
        return sums

    def stop(self) -> None:
        for name in self._triggers:
            self._conn.execute(f'DROP TRIGGER IF EXISTS temp."{name}"')
        self._triggers.clear()
        self._conn.execute("PRAGMA recursive_triggers = OFF")


def _is_fts_data(table: str, schema: list[tuple]) -> bool:
    """Whether `table` is the `_data` table of an FTS5 table (its segments)."""
    if not table.endswith(FTS_DATA_SUFFIX):
        return False
    owner = table[: -len(FTS_DATA_SUFFIX)]
    return any(
        kind == "table" and name == owner and "USING FTS5" in (sql or "").upper()
        for kind, name, _, _, sql in schema
    )


def flushed(conn: sqlite3.Connection) -> sqlite3.Connection:
    """`conn` with FTS5's pending terms written to its shadow tables.

    FTS5 keeps the terms of an open transaction in memory and writes them at COMMIT or
    at a savepoint, after a digest taken before COMMIT would have read its tables; an
    empty savepoint writes them now, where the digest (and the triggers) see them.
    """
    conn.execute("SAVEPOINT qa_fts_flush")
    conn.execute("RELEASE qa_fts_flush")
    return conn


def digest_v1(conn: sqlite3.Connection) -> str:
    """Format 1: one sha256 over every row and index entry in b-tree order (older qa)."""
    digest = hashlib.sha256()
    schema = _schema(conn)
    digest.update(repr(schema).encode())
    for part in digest_parts(conn, schema):
        select = part.select.replace(_meta_filter(part.table), _v1_filter(part.table))
        if not part.is_index:
            select = select.replace("SELECT rowid, ", "SELECT ", 1) if part.rowid else select
        _digest_batches(digest, conn.execute(select))
    return digest.hexdigest()


def _v1_filter(table: str) -> str:
    return f" WHERE key != '{DIGEST_KEY}'" if table == "meta" else ""


def _digest_batches(digest: hashlib._Hash, rows: sqlite3.Cursor) -> None:
    while batch := rows.fetchmany(_BATCH):
        digest.update(repr(batch).encode())
