"""The FAISS vector file: written once under a new name, never rewritten in place.

A vector file is committed by writing it under a temporary name, fsyncing it, renaming
it to `vectors-<generation>.faiss` and fsyncing the folder; only then does the SQLite
transaction point `meta` at it. FAISS checks no checksum itself, so the sha256 recorded
in `meta` is compared on load and a file that does not match is refused.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from index.errors import IndexCorrupt

if TYPE_CHECKING:
    import faiss

TMP_SUFFIX = ".tmp"


def vector_file_name(generation: int) -> str:
    return f"vectors-{generation}.faiss"


def build_vector_index(ids: np.ndarray, vectors: np.ndarray, dim: int) -> faiss.Index:
    """Exact inner-product search over L2-normalised vectors, keyed by chunk id."""
    import faiss

    index = faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
    if len(ids):
        index.add_with_ids(
            np.ascontiguousarray(vectors, dtype=np.float32),
            np.ascontiguousarray(ids, dtype=np.int64),
        )
    return index


def write_vector_file(index: faiss.Index, folder: Path, generation: int) -> tuple[str, str]:
    """Durably write `index` as the vector file of `generation`; returns (name, sha256)."""
    import faiss

    name = vector_file_name(generation)
    data = faiss.serialize_index(index).tobytes()
    tmp = folder / (name + TMP_SUFFIX)
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, folder / name)
    fsync_dir(folder)
    return name, hashlib.sha256(data).hexdigest()


def load_vector_file(path: Path, sha256: str, count: int, dim: int) -> faiss.Index:
    """Load a committed vector file, refusing one whose bytes or size do not match meta."""
    import faiss

    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise IndexCorrupt(
            f"{path}: vector file is missing; run `qa index build --full` to rebuild"
        ) from None
    if hashlib.sha256(data).hexdigest() != sha256:
        raise IndexCorrupt(
            f"{path}: vector file checksum does not match the index; "
            "run `qa index verify`, then `qa index build --full`"
        )
    try:
        index = faiss.deserialize_index(np.frombuffer(data, dtype=np.uint8))
    except RuntimeError as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else "unreadable"
        raise IndexCorrupt(f"{path}: vector file unreadable ({first})") from None
    if index.ntotal != count or index.d != dim:
        raise IndexCorrupt(
            f"{path}: holds {index.ntotal} vectors of dimension {index.d}, "
            f"the index expects {count} of dimension {dim}; run `qa index build --full`"
        )
    return index


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_stale_files(folder: Path, keep: set[str]) -> list[str]:
    """Delete vector files and temporaries not named in `keep`; returns what was removed.

    The previous generation is normally in `keep` so that a reader that read the old
    `meta` a moment before the commit can still open the file it names.
    """
    removed = []
    for path in folder.glob("vectors-*"):
        if path.name not in keep:
            path.unlink(missing_ok=True)
            removed.append(path.name)
    return removed
