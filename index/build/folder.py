"""What a build checks before it writes anything into an index folder.

A build creates the folder, a lock file and a database there, and deletes its own old
vector files. Pointed at the wrong folder (`qa index build ~/news --index ~/news`), it
must not mix its files with the user's, let alone delete one: so a folder that holds
anything an index does not write, or that overlaps a folder of articles, is refused
with a one-line reason before the first byte is written (no folder, no lock, no
database). So is a build with nothing to index, and one that could not write the folder
at all (a read-only mount) is told so plainly, never that the index is damaged.
"""

from __future__ import annotations

import errno
import os
import sqlite3
from collections.abc import Sequence
from pathlib import Path

from index.errors import IndexUnavailable, QAError, UsageError
from index.store.file_rows import indexed_roots
from index.store.lock import LOCK_NAME
from index.store.schema import DB_NAME, SIDE_SUFFIXES, db_path, foreign_tables, open_database
from index.store.vectors import is_vector_file_name

NOTHING_TO_INDEX = "nothing to index: name a folder or file, e.g. `qa index build ~/news`"
_OWN_NAMES = frozenset({DB_NAME, LOCK_NAME, *(DB_NAME + suffix for suffix in SIDE_SUFFIXES)})


def is_index_file_name(name: str) -> bool:
    """Whether a build writes files of this name (so the folder may hold it)."""
    return name in _OWN_NAMES or is_vector_file_name(name)


def known_roots(index_dir: Path) -> list[Path] | None:
    """The article folders the index at `index_dir` already covers, read without writing.

    None when there is no database yet, or it cannot be read (the build reports that
    once it opens it); UsageError when the database there is not an index at all.
    """
    if not db_path(index_dir).is_file():
        return None
    try:
        conn = open_database(index_dir)
    except (sqlite3.Error, IndexUnavailable):
        return None
    try:
        foreign = foreign_tables(conn)
        if foreign:
            raise UsageError(
                f"{db_path(index_dir)} is not an article-qa index (it holds a table named "
                f"{foreign[0][:40]!r}); choose another folder for the index"
            )
        return indexed_roots(conn)
    except (sqlite3.Error, UnicodeDecodeError):
        return None
    finally:
        conn.close()


def check_build_folder(index_dir: Path, roots: Sequence[Path]) -> None:
    """Refuse (UsageError) an index folder a build must not write into.

    `roots` are the article folders and files the build would read: the new ones and
    those the index already covers.
    """
    index_real = _real(index_dir)
    for root in roots:
        root_real = _real(root)
        if index_real == root_real or root_real in index_real.parents:
            raise UsageError(
                f"the index folder {index_dir} is inside the articles folder {root}; "
                "choose an index folder outside it, e.g. with --index"
            )
        if index_real in root_real.parents:
            raise UsageError(
                f"the index folder {index_dir} contains the articles at {root}; "
                "keep articles and the index in separate folders"
            )
    if os.path.lexists(index_dir) and not index_dir.is_dir():
        raise UsageError(f"{index_dir} is not a folder; choose a folder for the index")
    if index_dir.is_dir():
        try:
            others = sorted(p.name for p in index_dir.iterdir() if not is_index_file_name(p.name))
        except OSError as error:
            raise QAError(f"cannot read the index folder {index_dir} ({error.strerror})") from None
        if others:
            more = f" and {len(others) - 1} more" if len(others) > 1 else ""
            raise UsageError(
                f"the index folder {index_dir} holds files that are not part of an index "
                f"({others[0][:60]!r}{more}); choose an empty or new folder for the index"
            )


def check_writable(index_dir: Path) -> None:
    """Refuse (exit 1) a build that could not write the index folder, saying why."""
    folder = index_dir
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    files = [folder / name for name in _OWN_NAMES] if folder == index_dir else []
    blocked = not os.access(folder, os.W_OK | os.X_OK) or any(
        path.exists() and not os.access(path, os.W_OK) for path in files
    )
    if blocked:
        raise cannot_write(index_dir, _reason(folder))


def cannot_write(index_dir: Path, reason: str) -> QAError:
    """The one wording of "this build cannot write here": the folder, why, nothing lost."""
    return QAError(f"cannot write to the index folder {index_dir} ({reason}); nothing was changed")


def write_error_reason(error: OSError) -> str | None:
    """Why a write failed, when the reason is that the folder cannot be written at all."""
    if error.errno == errno.EROFS:
        return "read-only file system"
    if error.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    return None


def _reason(folder: Path) -> str:
    try:
        if os.statvfs(folder).f_flag & os.ST_RDONLY:
            return "read-only file system"
    except OSError:
        pass
    return "permission denied"


def _real(path: Path) -> Path:
    """`path` with links resolved as far as it exists, so two names of a folder compare."""
    try:
        return Path(os.path.realpath(path))
    except RecursionError:
        # Python 3.11 resolves a chain of links recursively: ~1,000 links exhaust it.
        raise UsageError(f"{path}: symlink chain too long to follow") from None
