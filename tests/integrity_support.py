"""Helpers for tests/fault/test_harden_integrity.py: the `qa` command, and ways to damage an index.

Every fault is made the way an accident or an attacker would make it: by writing the
files on disk (SQLite rows, a named pipe, a link, a read-only mount), never by patching
the code under test.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from index.store.schema import DIGEST_KEY, content_digest

QA = [sys.executable, "-m", "qa"]
HANG_GUARD = 180
"""Seconds after which a `qa` that never returns fails its test (the old code hung)."""


def qa(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*QA, *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=HANG_GUARD,
        stdin=subprocess.DEVNULL,
    )


def one_line(text: str) -> str:
    """The only non-blank line of `text`, which holds no traceback."""
    assert "Traceback" not in text and "internal error" not in text, text
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1, text
    return lines[0]


def copy_index(source: Path, target: Path) -> Path:
    shutil.copytree(source, target)
    return target


def edit_database(index: Path, *statements: tuple[str, tuple], redigest: bool = False) -> None:
    """Run SQL on the index database as an outside writer would; `redigest` then records a
    fresh content digest, as an attacker who knows the format (or a buggy tool) would."""
    conn = sqlite3.connect(index / "library.sqlite", isolation_level=None)
    try:
        for sql, params in statements:
            conn.execute(sql, params)
        if redigest:
            conn.execute(
                "UPDATE meta SET value = ? WHERE key = ?", (content_digest(conn), DIGEST_KEY)
            )
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


def meta_value(index: Path, key: str) -> str:
    conn = sqlite3.connect(index / "library.sqlite")
    try:
        return conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()[0]
    finally:
        conn.close()


def flip_cached_bits(index: Path, where: str, mask: int, byte: int = 3) -> int:
    """XOR `mask` into one byte of every cached vector matching `where` (over `embeddings`).

    Byte 3 of a little-endian float32 holds its sign (0x80) and top exponent bits: 0x40
    multiplies the first component by 2**128, the flip that scored ~3e36 in issue 11.
    Returns how many rows were changed.
    """
    conn = sqlite3.connect(index / "library.sqlite", isolation_level=None)
    try:
        rows = conn.execute(f"SELECT rowid, vector FROM embeddings WHERE {where}").fetchall()
        for rowid, blob in rows:
            data = bytearray(blob)
            data[byte] ^= mask
            conn.execute("UPDATE embeddings SET vector = ? WHERE rowid = ?", (bytes(data), rowid))
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return len(rows)
    finally:
        conn.close()


def negate_cached_vector(index: Path, text_sha: str) -> None:
    """Flip the sign bit of every component of one cached vector: its norm stays 1."""
    conn = sqlite3.connect(index / "library.sqlite", isolation_level=None)
    try:
        (blob,) = conn.execute(
            "SELECT vector FROM embeddings WHERE text_sha = ?", (text_sha,)
        ).fetchone()
        data = bytearray(blob)
        for i in range(3, len(data), 4):
            data[i] ^= 0x80
        conn.execute("UPDATE embeddings SET vector = ? WHERE text_sha = ?", (bytes(data), text_sha))
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


def tree_state(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` with its bytes, to prove nothing was written or deleted."""
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and not path.is_symlink()
    }


@contextmanager
def read_only_copy(source: Path, target: Path) -> Iterator[Path]:
    """`source`'s files copied into `target`, which is then read-only for this process.

    As root (as in CI), chmod stops nothing: `target` is a tmpfs mount remounted
    read-only, unmounted at the end. Anyone else gets chmod 555/444, undone at the end.
    """
    target.mkdir()
    if os.geteuid() == 0:
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(target)], check=True)
        try:
            _copy_files(source, target)
            subprocess.run(["mount", "-o", "remount,ro", str(target)], check=True)
            yield target
        finally:
            subprocess.run(["umount", "-l", str(target)], check=False)
    else:
        _copy_files(source, target)
        for path in target.iterdir():
            path.chmod(0o444)
        target.chmod(0o555)
        try:
            yield target
        finally:
            target.chmod(0o755)
            for path in target.iterdir():
                path.chmod(0o644)


def _copy_files(source: Path, target: Path) -> None:
    for path in source.iterdir():
        shutil.copy2(path, target / path.name)
