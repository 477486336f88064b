"""The files of an index's SQLite database, and the wording of what can go wrong with them.

Every file SQLite would open (the database, its `-wal`, `-shm` and `-journal`) must be
a regular file, checked by `stat` before SQLite opens it (`index.store.schema`).
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from index.errors import IndexCorrupt
from index.store.vectors import not_regular_reason

DB_NAME = "library.sqlite"
SIDE_SUFFIXES = ("-wal", "-shm", "-journal")
"""Files SQLite keeps beside the database."""


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


MAX_WHAT = 300
"""Characters of a damage description kept in an error line."""


def one_line(what: str) -> str:
    """`what` on one line of at most `MAX_WHAT` characters.

    SQLite's message for a damaged schema quotes the damaged SQL itself, newlines and all;
    an error line must stay one line of reasonable length.
    """
    what = " ".join(what.split())
    return what if len(what) <= MAX_WHAT else what[: MAX_WHAT - 1] + "…"


def corrupt(path: Path, what: str) -> IndexCorrupt:
    """The one wording of a damaged-database error: the file, what is wrong, the fix."""
    return IndexCorrupt(
        f"{path}: {one_line(what)}; run `qa index verify`, then `qa index build --full`"
    )


def load_damage(error: BaseException, index_dir: Path) -> IndexCorrupt | None:
    """What an error met while loading an index says about it, if it is damage: SQLite's
    own errors, and a `meta` value missing or not a number (KeyError, ValueError)."""
    if isinstance(error, sqlite3.DatabaseError):
        return corrupt(db_path(index_dir), f"database damaged ({error})")
    if isinstance(error, (KeyError, ValueError)):
        return corrupt(db_path(index_dir), f"index metadata damaged ({error})")
    return None
