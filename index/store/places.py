"""Where a paragraph stands in its file: the `line` and `page` columns of `paragraphs`.

Migration 3 added them (`index.store.migrations`), and it is readable before: an index
that has not been upgraded yet is still answered, its citations without a line. So
whoever reads or writes the columns asks first whether the schema at hand has them;
the answer is fixed for a connection's life except across a migration, which only a
build runs, on a connection of its own.
"""

from __future__ import annotations

import sqlite3

PLACE_COLUMNS = ("line", "page")


def has_places(conn: sqlite3.Connection) -> bool:
    """Whether the `paragraphs` table has the `line` and `page` columns."""
    columns = {row[1] for row in conn.execute("PRAGMA table_info(paragraphs)")}
    return all(column in columns for column in PLACE_COLUMNS)


def place_columns(conn: sqlite3.Connection, alias: str = "") -> str:
    """The select-list part reading a paragraph's line and page: NULLs without the columns."""
    if not has_places(conn):
        return "NULL, NULL"
    prefix = f"{alias}." if alias else ""
    return ", ".join(prefix + column for column in PLACE_COLUMNS)


def place_or_none(value: object) -> int | None:
    """A stored line or page as a positive number, else None (damage shows no bogus place)."""
    return value if isinstance(value, int) and value > 0 else None
