"""The index database's schema as numbered migrations: how each version is reached.

`meta` records `schema_version`. Migration N turns a version N-1 database into version
N; migration 1 creates the whole schema of an empty database, so a new database is
version 0 brought up to date like any other. A new table (quotes, say) is one entry
appended to `MIGRATIONS` and nothing else in the store changes: `own_tables` comes from
the entries, and the content digest (`index.store.schema.content_digest`) covers every
table without naming it.

Who migrates, and how (`index.store.schema.upgrade_schema`): only a build, which holds
the writer lock. Every pending migration and the version bump run in one
`BEGIN IMMEDIATE` transaction, so a crash or an error anywhere inside leaves the old
version exactly as it was, still readable. The same transaction records the content
digest again, but only when the old one matched: a sound index stays sound and a
damaged one stays damaged. A migration changes no answer, so the generation and the
vector file stay as they are.

Readers (`qa ask`, `qa index status`, `qa index verify`) never write. They answer an
older index when every pending migration is `readable_before` (the query path does not
need it); otherwise they say in one line to run `qa index build` (exit 3).

Some versions cannot be migrated in place: those before `OLDEST_MIGRATABLE` (their
migrations have left this list) and those before a migration with `in_place=False`
(one whose rows must be made again from the articles, e.g. vectors embedded with a new
chunking). Readers and incremental builds then say in one line to rebuild with
`qa index build --full` (exit 3); a full build replaces the old tables with the current
schema in one transaction (keeping the list of article folders) and builds from there.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Migration:
    number: int
    """The schema version this migration produces (from version `number - 1`)."""
    description: str
    apply: str | Callable[[sqlite3.Connection], None]
    """SQL statements, or a function; run inside the caller's transaction, never committing."""
    tables: tuple[str, ...] = ()
    """Tables it creates: the index's own, never taken for someone else's."""
    in_place: bool = True
    """False when an existing index cannot be brought to this version without a rebuild."""
    readable_before: bool = False
    """True when the query path can answer an index that lacks this migration."""


_SCHEMA_1 = """
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

# Quotes found at build time (index.build.quotes), read by `qa quotes` / `qa speakers`
# (index.store.quotes). The content's paragraph is a row reference; the cue's and the
# mention's are ordinals in the same article (every row goes with its article, so an
# ordinal cannot dangle), which spares two more cascades and their indexes. `speaker_key`
# and `speaker_last` are the name normalised for lookup (index.store.quotes.speaker_keys).
# Quotes come from the articles' text, which a migration cannot parse (the store does not
# import the extractor); so the last statement forgets each file's recorded identity:
# the next build reads every file again as changed and extracts its quotes (its vectors
# come from the embedding cache, nothing is embedded again). Until then `qa quotes` says
# to run `qa index build` (the version is older) and `qa ask` answers as before.
_SCHEMA_2 = """
CREATE TABLE quotes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    article_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    paragraph_id INTEGER NOT NULL REFERENCES paragraphs (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    start INTEGER NOT NULL,
    end INTEGER NOT NULL,
    text TEXT NOT NULL,
    direct INTEGER NOT NULL CHECK (direct IN (0, 1)),
    cue_paragraph INTEGER,
    cue_start INTEGER,
    cue_end INTEGER,
    cue_text TEXT,
    mention_paragraph INTEGER,
    mention_start INTEGER,
    mention_end INTEGER,
    mention_text TEXT,
    speaker TEXT,
    speaker_key TEXT,
    speaker_last TEXT
);
CREATE INDEX quotes_article ON quotes (article_id, position);
CREATE INDEX quotes_paragraph ON quotes (paragraph_id);
CREATE INDEX quotes_speaker_key ON quotes (speaker_key);
CREATE INDEX quotes_speaker_last ON quotes (speaker_last);
UPDATE articles SET file_sha = '', file_mtime_ns = -1;
"""

# Where each paragraph starts in its file (1-based line) and, for a PDF, its page: what a
# citation needs to open the file at the paragraph (`$EDITOR +LINE`). NULL where unknown
# (HTML) or not applicable. Like migration 2, it cannot read the files itself: it forgets
# every file's recorded identity, so the next build reads each file again and writes
# its paragraphs with their lines (vectors come from the embedding cache). Until then
# an upgraded index answers as before, its citations without lines.
_SCHEMA_3 = """
ALTER TABLE paragraphs ADD COLUMN line INTEGER;
ALTER TABLE paragraphs ADD COLUMN page INTEGER;
UPDATE articles SET file_sha = '', file_mtime_ns = -1;
"""

MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "articles, paragraphs, chunks, full-text passages and the embeddings cache",
        _SCHEMA_1,
        tables=("meta", "sources", "articles", "paragraphs", "chunks", "embeddings"),
    ),
    # Readable before: `qa ask` never reads quotes; `qa quotes` on an index without the
    # table says to run `qa index build` (index.store.quotes.QuoteReader).
    Migration(2, "quotes and their speakers", _SCHEMA_2, tables=("quotes",), readable_before=True),
    # Readable before: the query path reads the columns only where they exist
    # (index.store.places), and cites without a line until the next build.
    Migration(3, "paragraph line and page", _SCHEMA_3, readable_before=True),
)
"""In order, numbered 1, 2, ... without gaps; append, never edit a released entry."""

OLDEST_MIGRATABLE = 1
"""The oldest version migrated in place; raise it when old entries are folded together."""

FTS_TABLE = "passage_fts"
"""Its shadow tables (`passage_fts_data`, ...) are the index's own too."""


def latest_version() -> int:
    return MIGRATIONS[-1].number


def own_tables() -> frozenset[str]:
    """Every table any version of the index creates, and SQLite's own."""
    return frozenset(
        {"sqlite_sequence", *(name for migration in MIGRATIONS for name in migration.tables)}
    )


def foreign_tables(conn: sqlite3.Connection) -> list[str]:
    """Tables of the database that an index never creates: then it is someone else's."""
    names = [r[0] for r in conn.execute("SELECT name FROM sqlite_schema WHERE type = 'table'")]
    own = own_tables()
    return [n for n in names if n not in own and not n.startswith(FTS_TABLE)]


def pending(version: int) -> tuple[Migration, ...]:
    return tuple(m for m in MIGRATIONS if m.number > version)


def migratable(version: int) -> bool:
    """Whether an index at `version` can be brought up to date in place (an empty
    database, which has no version yet, always can: that is creating it)."""
    return version >= OLDEST_MIGRATABLE and all(m.in_place for m in pending(version))


def readable(version: int) -> bool:
    """Whether the query path can answer a version `version` index as it is."""
    return migratable(version) and all(m.readable_before for m in pending(version))


def apply_migrations(conn: sqlite3.Connection, version: int) -> None:
    """Run every migration after `version` and record the new version, inside the
    caller's transaction (never `executescript`, which would commit halfway)."""
    for migration in pending(version):
        if isinstance(migration.apply, str):
            for statement in statements(migration.apply):
                conn.execute(statement)
        else:
            migration.apply(conn)
    conn.execute(
        "INSERT INTO meta (key, value) VALUES ('schema_version', ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (str(latest_version()),),
    )


def recreate_schema(conn: sqlite3.Connection) -> None:
    """Replace every table with the current schema, keeping the list of article folders,
    inside the caller's transaction: a full rebuild of an index too old to migrate."""
    try:
        sources = conn.execute("SELECT CAST(root AS TEXT), added_at FROM sources").fetchall()
    except sqlite3.Error:
        sources = []  # unreadable in this old shape: the build must be told the folders
    # The full-text table first: dropping it drops its shadow tables. Then the newest
    # first, so a table goes before those it refers to: dropping a table deletes its rows,
    # and with foreign keys on, deleting from one whose parent is gone fails.
    conn.execute(f'DROP TABLE IF EXISTS "{FTS_TABLE}"')
    for (name,) in conn.execute(
        "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "ORDER BY rowid DESC"
    ).fetchall():
        conn.execute(f'DROP TABLE IF EXISTS "{name}"')
    apply_migrations(conn, 0)
    conn.executemany(
        "INSERT OR IGNORE INTO sources (root, added_at) VALUES (?, ?)",
        [(root, str(added_at)) for root, added_at in sources if root],
    )


def statements(script: str) -> Iterator[str]:
    """The complete SQL statements of a script, one at a time (one may span lines)."""
    pending_text = ""
    for line in script.splitlines(keepends=True):
        pending_text += line
        if sqlite3.complete_statement(pending_text):
            yield pending_text.strip()
            pending_text = ""
    if pending_text.strip():
        raise ValueError(f"incomplete SQL statement in a migration: {pending_text[:60]!r}")
