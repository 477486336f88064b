"""Scale paths of the vector file: HNSW past the switch point, memory-mapped loading, and
the once-per-file-identity checksum that keeps a damaged file refused."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from index.errors import IndexCorrupt
from index.store import vectors, verified
from index.store.vectors import (
    build_vector_index,
    index_kind,
    load_vector_file,
    stored_vectors,
    write_vector_file,
)

DIM = 384


def clustered(n: int, seed: int = 0) -> np.ndarray:
    """Unit vectors around 200 topic directions: the shape real embeddings have."""
    rng = np.random.default_rng(seed)
    topics = rng.standard_normal((200, DIM)).astype(np.float32)
    topics /= np.linalg.norm(topics, axis=1, keepdims=True)
    rows = topics[rng.integers(0, 200, n)] + rng.standard_normal((n, DIM)).astype(np.float32) * (
        0.9 / DIM**0.5
    )
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def test_hnsw_past_the_switch_point_keeps_recall_at_10(monkeypatch: pytest.MonkeyPatch) -> None:
    data = clustered(6000)
    ids = np.arange(6000, dtype=np.int64) * 3 + 7
    monkeypatch.setenv("QA_ANN_MIN_VECTORS", "5000")
    assert index_kind(build_vector_index(ids[:4000], data[:4000], DIM)) == "flat"
    ann = build_vector_index(ids, data, DIM)
    assert index_kind(ann) == "hnsw"
    # Questions land near their answers: noisy copies of stored vectors.
    rng = np.random.default_rng(1)
    queries = data[rng.integers(0, 6000, 100)] + rng.standard_normal((100, DIM)).astype(
        np.float32
    ) * (0.8 / DIM**0.5)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    exact = ids[np.argsort(-(queries @ data.T), axis=1)[:, :10]]
    _, got = ann.search(queries, 10)
    recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(got, exact, strict=True)])
    assert recall >= 0.98


@pytest.mark.parametrize("ann_min", [10**9, 0])
def test_load_maps_the_file_and_reads_vectors_back(tmp_path: Path, ann_min: int) -> None:
    data = clustered(2000)
    ids = np.arange(1, 2001, dtype=np.int64)
    name, sha = write_vector_file(build_vector_index(ids, data, DIM, ann_min=ann_min), tmp_path, 1)
    index = load_vector_file(tmp_path / name, sha, 2000, DIM)
    maps = Path("/proc/self/maps").read_text()
    assert str(tmp_path / name) in maps  # memory-mapped, not read into private memory
    got_ids, matrix = stored_vectors(index)
    assert np.array_equal(got_ids, ids) and np.array_equal(matrix, data)
    _, top = index.search(data[:5], 1)
    assert top[:, 0].tolist() == ids[:5].tolist()


def _age(path: Path) -> None:
    """Make the file look written long ago (ctime follows by itself only in real time)."""
    old = path.stat().st_mtime - 3600
    os.utime(path, (old, old))


def test_checksum_is_remembered_per_file_identity(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(verified, "SETTLE_SECONDS", 0.0)
    ids = np.arange(1, 501, dtype=np.int64)
    name, sha = write_vector_file(build_vector_index(ids, clustered(500), DIM), tmp_path, 1)
    path = tmp_path / name
    _age(path)
    load_vector_file(path, sha, 500, DIM)
    hashed: list[Path] = []
    real = vectors.file_sha256
    monkeypatch.setattr(vectors, "file_sha256", lambda p: hashed.append(p) or real(p))
    load_vector_file(path, sha, 500, DIM)
    assert hashed == []  # same identity: not hashed again
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    with open(path, "r+b") as handle:  # in place: same inode and size
        handle.write(data)
    _age(path)
    with pytest.raises(IndexCorrupt, match="checksum"):
        load_vector_file(path, sha, 500, DIM)
    assert hashed == [path]


def test_truncated_or_fresh_files_are_always_hashed(tmp_path: Path) -> None:
    ids = np.arange(1, 501, dtype=np.int64)
    name, sha = write_vector_file(build_vector_index(ids, clustered(500), DIM), tmp_path, 1)
    path = tmp_path / name
    load_vector_file(path, sha, 500, DIM)  # fresh file: hashed, not remembered yet
    with open(path, "r+b") as handle:
        handle.truncate(path.stat().st_size - 100)
    with pytest.raises(IndexCorrupt):
        load_vector_file(path, sha, 500, DIM)
