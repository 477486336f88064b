"""`qa index verify`: exit 0 on a sound index, 3 naming the file and the fix when not."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from library_fixtures import build, make_library


def verify(index: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "qa", "index", "verify", "--index", str(index)],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=120,
    )


@pytest.fixture
def index(tmp_path: Path) -> Path:
    folder = tmp_path / "index"
    build(folder, make_library(tmp_path / "articles"))
    return folder


def vector_file(index: Path) -> Path:
    return next(index.glob("vectors-*.faiss"))


def test_sound_index_is_ok_and_leftovers_only_warn(index: Path) -> None:
    assert verify(index).stdout.startswith("ok:")
    (index / "vectors-99.faiss.tmp").write_bytes(b"half a file")
    result = verify(index)
    assert result.returncode == 0
    assert "warning" in result.stderr and "vectors-99.faiss.tmp" in result.stderr


def test_flipped_byte_in_the_vector_file_fails(index: Path) -> None:
    path = vector_file(index)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x10
    path.write_bytes(bytes(data))
    result = verify(index)
    assert result.returncode == 3
    assert path.name in result.stdout and "qa index build --full" in result.stdout


def test_deleted_vector_file_fails(index: Path) -> None:
    path = vector_file(index)
    path.unlink()
    result = verify(index)
    assert result.returncode == 3
    assert path.name in result.stdout and "missing" in result.stdout


def test_tampered_stored_vector_fails(index: Path) -> None:
    conn = sqlite3.connect(index / "library.sqlite")
    sha, blob = conn.execute("SELECT text_sha, vector FROM embeddings LIMIT 1").fetchone()
    changed = np.frombuffer(blob, dtype=np.float32) * -1
    conn.execute("UPDATE embeddings SET vector = ? WHERE text_sha = ?", (changed.tobytes(), sha))
    conn.commit()
    conn.close()
    result = verify(index)
    assert result.returncode == 3
    assert "library.sqlite" in result.stdout
