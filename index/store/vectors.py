"""The FAISS vector file: written once under a new name, never rewritten in place.

A vector file is committed by writing it under a temporary name, fsyncing it, renaming
it to `vectors-<generation>.faiss` and fsyncing the folder; only then does the SQLite
transaction point `meta` at it. FAISS checks no checksum itself, so the sha256 recorded
in `meta` is compared on load and a file that does not match is refused.

Scale. Up to `ANN_MIN_VECTORS` vectors the index is exact (`IndexFlatIP`): one query
scans every vector, ~10 ms per 100k vectors on this (busy) 2-core machine, too much of
a 10 ms query budget, so 50k is the switch (~5 ms). From there on it is
HNSW (`IndexHNSWFlat`, still keyed by chunk id through `IndexIDMap2`), built from the
stored vectors without re-embedding; its recall@10 against exact is measured by
`bench/run.py` and `tests/test_scale.py`. `QA_ANN_MIN_VECTORS` overrides the switch
point (tests force HNSW on a small library with it).

Loading. The file is memory-mapped (`IO_FLAG_MMAP_IFC`), so opening a 1M-vector index
reads no vector bytes and every reader process shares the same page-cache pages. The
full sha256 is done once per file identity (`index.store.verified`).

Threads. How many OpenMP threads FAISS uses belongs to each call (`faiss_threads`): a
build adds with every core, a single query searches on one.

Hostile folders. A vector file that is a named pipe, or a link to `/dev/zero`, would
block or never end a read: only regular files are hashed or mapped, checked by `stat`
and, where the file is read, by `fstat` on a descriptor opened without blocking. The
index deletes only files whose names it writes (`vectors-<N>.faiss` and its temporary),
matched exactly: an index folder shared with other files must never lose one of them.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, cast

import numpy as np

from index.errors import IndexCorrupt, QAError
from index.store.verified import file_identity, is_verified, record_verified

if TYPE_CHECKING:
    import faiss

TMP_SUFFIX = ".tmp"
ANN_MIN_VECTORS = 50_000
"""Exact search up to here; HNSW from here on (see the module docstring)."""
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
"""M=16/efConstruction=40 (FAISS's defaults) reached recall@10 0.995 at 100k clustered
vectors but 0.71 at 1M (0.85 even searching with ef 1024): the graph barely linked
2,000 tight clusters. M=32/80 gave 0.991 at 1M for ~2x the build time and 128 more
bytes per vector."""
HNSW_EF_SEARCH = 256
"""Candidates explored per query; FAISS uses max(this, k), and retrieval asks k=200."""
VECTOR_FILE = re.compile(r"vectors-(0|[1-9][0-9]{0,17})\.(faiss|delta)(\.tmp)?")
"""Exactly the names of the vector files, their deltas (`index.store.vector_delta`) and
their temporaries a build writes."""

UNIT_NORM_TOLERANCE = 1e-3
"""How far from 1 a stored vector's L2 norm may be. The model's vectors are normalised
in float32 (norms within ~1e-6 of 1); a flipped exponent or sign-and-exponent bit moves
a norm by far more, and a NaN or infinity is never within it."""


def invalid_rows(vectors: np.ndarray) -> np.ndarray:
    """Mask of the rows that are not finite unit vectors (damaged, or never a model's).

    In blocks, so a million rows cost a few MB of temporaries, not a copy of the matrix.
    """
    bad = np.zeros(len(vectors), dtype=bool)
    for start in range(0, len(vectors), 65536):
        block = np.asarray(vectors[start : start + 65536], dtype=np.float64)
        with np.errstate(over="ignore", invalid="ignore"):
            norms = np.sqrt(np.einsum("ij,ij->i", block, block))
        bad[start : start + len(block)] = ~(np.abs(norms - 1.0) <= UNIT_NORM_TOLERANCE)
    return bad


def vector_file_name(generation: int) -> str:
    return f"vectors-{generation}.faiss"


def ann_min_vectors() -> int:
    """Vector count from which the index is HNSW (`QA_ANN_MIN_VECTORS` overrides)."""
    value = os.environ.get("QA_ANN_MIN_VECTORS", "")
    return int(value) if value.strip().isdigit() else ANN_MIN_VECTORS


BUILD_THREADS = os.cpu_count() or 1
"""A build adds vectors (the HNSW graph) on every core."""
SINGLE_QUERY_THREADS = 1
"""On 2 shared cores OpenMP's second thread made one query's 100k-vector exact search
~2.7x slower (27 ms vs 10 ms), never faster."""


@contextmanager
def faiss_threads(count: int) -> Iterator[None]:
    """FAISS work inside the block, on the calling thread, uses `count` OpenMP threads.

    `omp_set_num_threads` sets the calling thread's own copy of the setting (an OpenMP
    ICV; libgomp, which faiss-cpu bundles, gives a thread that is not an OpenMP worker
    its copy on the first set, starting from the process default). So a TUI rebuild on
    one thread and a question on another never see each other's count; what a bare set
    did leak is into the same thread's later calls (one query left a batch search or a
    build on one thread). Hence set for the call and restore after it.
    """
    import faiss

    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(count)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before)


def build_vector_index(
    ids: np.ndarray, vectors: np.ndarray, dim: int, ann_min: int | None = None
) -> faiss.Index:
    """Inner-product search over L2-normalised vectors, keyed by chunk id.

    Exact below `ann_min` vectors (default `ann_min_vectors()`), HNSW from there on.
    """
    import faiss

    ann_min = ann_min_vectors() if ann_min is None else ann_min
    base: faiss.Index
    if len(ids) >= ann_min:
        base = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        base.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        base.hnsw.efSearch = HNSW_EF_SEARCH
    else:
        base = faiss.IndexFlatIP(dim)
    # The last check before a vector becomes searchable: a damaged one (score ~3e36)
    # would top every answer. Builds re-embed bad cached vectors before they get here.
    bad = invalid_rows(vectors)
    if bad.any():
        raise QAError(
            f"refusing to write {int(bad.sum())} vectors that are not finite unit vectors "
            f"(first: chunk {int(np.asarray(ids)[bad][0])}); previous index kept"
        )
    index = faiss.IndexIDMap2(base)
    if len(ids):
        with faiss_threads(BUILD_THREADS):
            index.add_with_ids(
                np.ascontiguousarray(vectors, dtype=np.float32),
                np.ascontiguousarray(ids, dtype=np.int64),
            )
    return index


def search_vectors(
    index: faiss.Index, queries: np.ndarray, k: int, params: faiss.SearchParameters | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(scores, ids) of the top `k` for each row of `queries`; one query runs on one thread
    (`SINGLE_QUERY_THREADS`), a batch with the process's default."""
    rows = np.ascontiguousarray(queries, dtype=np.float32)
    with faiss_threads(SINGLE_QUERY_THREADS) if len(rows) == 1 else nullcontext():
        return index.search(rows, k, params=params)


def index_kind(index: faiss.Index) -> str:
    """ "flat" or "hnsw": what kind of search a loaded vector index does."""
    import faiss

    if hasattr(index, "id_map"):
        base = faiss.downcast_index(cast("faiss.IndexIDMap", index).index)
    else:
        base = index
    return "hnsw" if isinstance(base, faiss.IndexHNSW) else "flat"


def write_vector_file(index: faiss.Index, folder: Path, generation: int) -> tuple[str, str]:
    """Durably write `index` as the vector file of `generation`; returns (name, sha256).

    Streamed through the hash as FAISS writes it, so a large index is never held twice
    in memory.
    """
    import faiss

    name = vector_file_name(generation)
    tmp = folder / (name + TMP_SUFFIX)
    digest = hashlib.sha256()
    with open(tmp, "wb") as handle:

        def sink(chunk: bytes) -> None:
            digest.update(chunk)
            handle.write(chunk)

        writer = faiss.PyCallbackIOWriter(sink)  # type: ignore[attr-defined]  # not in faiss stubs
        faiss.write_index(index, writer)
        del writer
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, folder / name)
    fsync_dir(folder)
    return name, digest.hexdigest()


def is_vector_file_name(name: str) -> bool:
    """Whether `name` is one a build writes: `vectors-<N>.faiss` or its temporary."""
    return VECTOR_FILE.fullmatch(name) is not None


def load_vector_file(path: Path, sha256: str, count: int, dim: int) -> faiss.Index:
    """Map a committed vector file, refusing one whose bytes or size do not match meta."""
    import faiss

    try:
        before = file_identity(path)
    except FileNotFoundError:
        raise IndexCorrupt(
            f"{path}: vector file is missing; run `qa index build --full` to rebuild"
        ) from None
    except OSError as error:
        raise IndexCorrupt(f"{path}: vector file unreadable ({error.strerror})") from None
    reason = not_regular_reason(path)
    if reason is not None:
        raise IndexCorrupt(f"{path}: {reason}; run `qa index build --full` to rebuild")
    known = is_verified(str(path.resolve()), before, sha256)
    if not known and file_sha256(path) != sha256:
        raise IndexCorrupt(
            f"{path}: vector file checksum does not match the index; "
            "run `qa index verify`, then `qa index build --full`"
        )
    try:
        index = faiss.read_index(str(path), faiss.IO_FLAG_MMAP_IFC | faiss.IO_FLAG_READ_ONLY)
    except RuntimeError as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else "unreadable"
        raise IndexCorrupt(f"{path}: vector file unreadable ({first})") from None
    try:
        after = file_identity(path)
    except FileNotFoundError:
        after = None
    if after != before:
        # Replaced between the check and the map: what we mapped is unchecked.
        raise IndexCorrupt(f"{path}: vector file changed while it was being opened; retry")
    if index.ntotal != count or index.d != dim:
        raise IndexCorrupt(
            f"{path}: holds {index.ntotal} vectors of dimension {index.d}, "
            f"the index expects {count} of dimension {dim}; run `qa index build --full`"
        )
    if not known:
        # Once per file identity, with its pages just read by the hash: a file written
        # before vectors were checked may hold one that would top every answer.
        if invalid_rows(stored_vectors(index)[1]).any():
            raise IndexCorrupt(
                f"{path}: holds vectors that are not finite unit vectors (damaged); "
                "run `qa index build --full`"
            )
        record_verified(str(path.resolve()), before, sha256)
    return index


def stored_vectors(index: faiss.Index) -> tuple[np.ndarray, np.ndarray]:
    """(chunk ids, their vectors) as zero-copy numpy views of a loaded vector index.

    Rows of the matrix are in the order of the ids; with the file memory-mapped the
    matrix is the mapped pages themselves, so reading vectors back costs no copy.
    """
    import faiss

    if hasattr(index, "live_vectors"):
        return index.live_vectors()  # a base and its delta (index.store.vector_delta)
    # Every vector file holds an id map over an exact (flat) or HNSW-over-flat index.
    mapped = cast("faiss.IndexIDMap", index)
    base = faiss.downcast_index(mapped.index)
    flat = cast(
        "faiss.IndexFlat",
        faiss.downcast_index(base.storage) if isinstance(base, faiss.IndexHNSW) else base,
    )
    ids = faiss.vector_to_array(mapped.id_map)
    n, d = flat.ntotal, flat.d
    if n == 0:
        return ids, np.zeros((0, d), dtype=np.float32)
    matrix = faiss.rev_swig_ptr(flat.get_xb(), n * d).reshape(n, d)
    return ids, matrix


def not_regular_reason(path: Path) -> str | None:
    """Why `path` cannot be read as an index file ("not a regular file (a named pipe)"),
    or None for a regular file or one that does not exist. Never opens it."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return None
    except OSError as error:
        if os.path.lexists(path):
            # A dangling or looping link, or a folder we may not enter: never readable.
            return f"cannot be opened ({error.strerror})"
        return None
    if stat.S_ISREG(mode):
        return None
    return f"not a regular file ({_kind(mode)})"


def _kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISFIFO, "a named pipe"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISDIR, "a folder"),
    ):
        if test(mode):
            return name
    return "not a file"


def open_regular(path: Path) -> int:
    """A read-only descriptor of `path`, refusing (IndexCorrupt) anything but a regular file.

    Opened without blocking (a named pipe would wait for a writer forever), then checked
    with `fstat` on the very descriptor that will be read, so a swap in between is caught.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise IndexCorrupt(
                f"{path}: not a regular file ({_kind(mode)}); run `qa index build --full`"
            )
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with os.fdopen(open_regular(path), "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def stale_files(folder: Path, keep: set[str]) -> list[Path]:
    """Vector files and temporaries of this index not named in `keep`, by exact name.

    Only names a build writes match (`is_vector_file_name`): `vectors-2023.csv` or a
    folder named like a vector file is never the index's to delete.
    """
    found = []
    for path in folder.glob("vectors-*"):
        if is_vector_file_name(path.name) and path.name not in keep:
            try:
                if stat.S_ISDIR(path.lstat().st_mode):
                    continue
            except OSError:
                continue
            found.append(path)
    return sorted(found)


def remove_stale_files(folder: Path, keep: set[str]) -> list[str]:
    """Delete vector files and temporaries not named in `keep`; returns what was removed.

    The previous generation is normally in `keep` so that a reader that read the old
    `meta` a moment before the commit can still open the file it names.
    """
    removed = []
    for path in stale_files(folder, keep):
        path.unlink(missing_ok=True)
        removed.append(path.name)
    return removed
