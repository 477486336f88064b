"""Build or update an index folder from article files, as a stream of progress events.

`build_index` is a generator, like a log scanner that yields progress and takes a
cancel event: the CLI turns its events into a progress line, the TUI into a progress
bar, and both stop it the same way. The previous generation keeps answering until the
single SQLite transaction that points `meta` at the new vector file commits.
"""

from __future__ import annotations

import errno
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from index.chunking import Chunk, chunk_article
from index.embed import Embedder
from index.errors import BuildInterrupted, ModelMismatch, NoSpace, UnreadableFile, UsageError
from index.lock import WriterLock
from index.models import Article, Skipped
from index.readers import DEFAULT_MAX_BYTES, discover_files, read_articles
from index.schema import connect, is_no_space, read_meta
from index.vectors import file_sha256, remove_stale_files
from index.writer import commit_generation

EMBED_BATCH = 128


@dataclass(frozen=True)
class BuildProgress:
    stage: str
    """'scanning', 'reading', 'embedding' or 'committing'."""
    articles_done: int = 0
    articles_total: int = 0
    passages_done: int = 0
    """Texts embedded so far in this build (passages and sentences)."""
    passages_total: int = 0
    rate: float = 0.0
    """Texts embedded per second."""
    eta_seconds: float | None = None


@dataclass(frozen=True)
class BuildReport:
    index_dir: Path
    generation: int
    added: int
    updated: int
    removed: int
    unchanged: int
    articles: int
    passages: int
    sentences: int
    embedded: int
    """Texts embedded by this build; the rest reused stored vectors."""
    seconds: float
    skipped: tuple[Skipped, ...] = field(default=())
    notes: tuple[str, ...] = field(default=())


BuildEvent = BuildProgress | Skipped | BuildReport


@dataclass
class _FileState:
    root: str
    path: str
    sha: str
    size: int
    mtime_ns: int
    articles: list[Article] = field(default_factory=list)


def build_index(
    index_dir: Path,
    paths: Sequence[Path] = (),
    *,
    embedder: Embedder,
    full: bool = False,
    cancel: threading.Event | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Iterator[BuildEvent]:
    """Index the library's folders (plus `paths`, which join it); yields events, last a report."""
    cancel = cancel or threading.Event()
    started = time.monotonic()
    new_roots = [_absolute(p) for p in paths]
    for root in new_roots:
        if not root.exists():
            raise UsageError(f"no such file or folder: {root}")
    index_dir = _absolute(index_dir)
    with WriterLock(index_dir):
        conn = connect(index_dir, create=True)
        try:
            yield from _build(
                conn, index_dir, new_roots, embedder, full, cancel, max_bytes, started
            )
        except sqlite3.OperationalError as error:
            if is_no_space(error, index_dir):
                raise NoSpace(
                    f"no space left on device under {index_dir}; previous index kept"
                ) from None
            raise
        except OSError as error:
            if error.errno == errno.ENOSPC:
                raise NoSpace(
                    f"no space left on device writing {error.filename or index_dir}; "
                    "previous index kept"
                ) from None
            raise
        finally:
            conn.close()


def _build(
    conn: sqlite3.Connection,
    index_dir: Path,
    new_roots: list[Path],
    embedder: Embedder,
    full: bool,
    cancel: threading.Event,
    max_bytes: int,
    started: float,
) -> Iterator[BuildEvent]:
    meta = read_meta(conn)
    built_with = meta.get("model_id")
    if built_with and built_with != embedder.model_id:
        if not full:
            raise ModelMismatch(
                f"the index at {index_dir} was built with model {built_with}, not "
                f"{embedder.model_id}; rebuild it with this model using `qa index build --full`"
            )

    known_roots = [Path(r) for (r,) in conn.execute("SELECT root FROM sources")]
    roots = list(dict.fromkeys([*known_roots, *new_roots]))
    if not roots:
        raise UsageError("nothing to index: name a folder or file, e.g. `qa index build ~/news`")

    yield BuildProgress("scanning")
    skipped: list[Skipped] = []
    notes: list[str] = []
    found: dict[tuple[str, str], Path] = {}
    missing_roots: set[str] = set()
    for root in roots:
        if not root.exists():
            missing_roots.add(str(root))
            skipped.append(Skipped(str(root), "folder not found; its articles are kept"))
            yield skipped[-1]
            continue
        for item in discover_files(root, max_bytes=max_bytes):
            _check_cancel(cancel)
            if isinstance(item, Skipped):
                skipped.append(item)
                yield item
            else:
                found[(str(root), str(item))] = item

    existing: dict[tuple[str, str], _FileState] = {}
    article_ids: dict[tuple[str, str], list[int]] = {}
    for aid, root, path, sha, size, mtime in conn.execute(
        "SELECT id, root, path, file_sha, file_size, file_mtime_ns FROM articles"
    ):
        existing.setdefault((root, path), _FileState(root, path, sha, size, mtime))
        article_ids.setdefault((root, path), []).append(aid)

    unchanged: list[tuple[str, str]] = []
    restat: list[_FileState] = []
    to_read: list[_FileState] = []
    for (root, path), file in found.items():
        try:
            stat = file.stat()
        except OSError as error:
            skipped.append(Skipped(path, f"cannot read: {error.strerror}"))
            yield skipped[-1]
            continue
        old = existing.get((root, path))
        if old and not full and (old.size, old.mtime_ns) == (stat.st_size, stat.st_mtime_ns):
            unchanged.append((root, path))
            continue
        try:
            sha = file_sha256(file)
        except OSError as error:
            skipped.append(Skipped(path, f"cannot read: {error.strerror}"))
            yield skipped[-1]
            if old:
                unchanged.append((root, path))
            continue
        state = _FileState(root, path, sha, stat.st_size, stat.st_mtime_ns)
        if old and not full and old.sha == sha:
            unchanged.append((root, path))
            restat.append(state)
        else:
            to_read.append(state)

    removed = [key for key in existing if key not in found and key[0] not in missing_roots]

    total = len(to_read)
    chunks_by_file: dict[tuple[str, str], list[list[Chunk]]] = {}
    for done, state in enumerate(to_read):
        _check_cancel(cancel)
        yield BuildProgress("reading", done, total)
        key = (state.root, state.path)
        try:
            state.articles = read_articles(Path(state.path), Path(state.root))
        except UnreadableFile as error:
            skipped.append(Skipped(state.path, error.reason))
            yield skipped[-1]
            if key in existing:
                # Never lose what was indexed: keep the last readable version.
                unchanged.append(key)
                notes.append(f"{state.path}: kept the previously indexed version")
            continue
        for article in state.articles:
            for note in article.notes:
                notes.append(f"{state.path}: {note}")
        chunks_by_file[key] = [
            chunk_article(a, embedder.count_tokens, embedder.max_tokens) for a in state.articles
        ]
    readable = [s for s in to_read if (s.root, s.path) in chunks_by_file]

    embedded = 0
    for event in _embed_missing(conn, chunks_by_file, embedder, cancel, reuse=not full):
        embedded = event.passages_total
        yield event

    _check_cancel(cancel)
    yield BuildProgress("committing", total, total)
    replaced = [
        aid
        for key in [*removed, *((s.root, s.path) for s in readable)]
        for aid in article_ids.get(key, [])
    ]
    generation, counts = commit_generation(
        conn,
        index_dir,
        embedder=embedder,
        roots=[str(r) for r in roots],
        delete_article_ids=replaced,
        files=[(s, chunks_by_file[(s.root, s.path)]) for s in readable],
        restat=restat,
        indexed_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    previous = int(meta.get("generation", 0))
    notes.extend(_clean_up(conn, index_dir, generation, previous, embedder.model_id))
    added = sum(1 for s in readable if (s.root, s.path) not in existing)
    yield BuildReport(
        index_dir=index_dir,
        generation=generation,
        added=added,
        updated=len(readable) - added,
        removed=len(removed),
        unchanged=len(unchanged),
        articles=counts["articles"],
        passages=counts["passages"],
        sentences=counts["sentences"],
        embedded=embedded,
        seconds=time.monotonic() - started,
        skipped=tuple(skipped),
        notes=tuple(notes),
    )


def _clean_up(
    conn: sqlite3.Connection, index_dir: Path, generation: int, previous: int, model_id: str
) -> list[str]:
    """Remove what the committed generation no longer needs; failures are only notes.

    The build has committed by now, so a full disk or a locked file here must not turn
    into an error that says the previous index was kept: the next build retries.
    """
    notes = []
    try:
        remove_stale_files(
            index_dir, keep={f"vectors-{generation}.faiss", f"vectors-{previous}.faiss"}
        )
    except OSError as error:
        notes.append(f"could not remove old vector files ({error.strerror}); the next build will")
    try:
        # Vectors no chunk uses, or of another model, are dead weight once this build committed.
        conn.execute(
            "DELETE FROM embeddings "
            "WHERE model_id != ? OR text_sha NOT IN (SELECT text_sha FROM chunks)",
            (model_id,),
        )
    except sqlite3.Error as error:
        notes.append(f"could not prune the embedding cache ({error}); the next build will")
    return notes


def _embed_missing(
    conn: sqlite3.Connection,
    chunks_by_file: dict[tuple[str, str], list[list[Chunk]]],
    embedder: Embedder,
    cancel: threading.Event,
    *,
    reuse: bool,
) -> Iterator[BuildProgress]:
    """Embed every chunk text that has no stored vector yet, committing batch by batch.

    Each batch is its own small transaction: vectors are a cache keyed by text, so a
    build killed halfway keeps the work done and the next build resumes from there.
    """
    wanted: dict[str, str] = {}
    for per_article in chunks_by_file.values():
        for chunks in per_article:
            for chunk in chunks:
                wanted.setdefault(chunk.text_sha, chunk.text)
    have = _stored_shas(conn, embedder.model_id, list(wanted)) if reuse else set()
    todo = [(sha, text) for sha, text in wanted.items() if sha not in have]
    # Similar lengths together keep padding, and so wasted compute, low.
    todo.sort(key=lambda item: len(item[1]))
    total = len(todo)
    started = time.monotonic()
    done = 0
    yield BuildProgress("embedding", passages_done=0, passages_total=total)
    for start in range(0, total, EMBED_BATCH):
        _check_cancel(cancel)
        batch = todo[start : start + EMBED_BATCH]
        vectors = embedder.encode([text for _, text in batch])
        with conn:
            conn.execute("BEGIN")
            conn.executemany(
                "INSERT OR REPLACE INTO embeddings (model_id, text_sha, vector) VALUES (?, ?, ?)",
                [
                    (embedder.model_id, sha, np.asarray(vec, dtype=np.float32).tobytes())
                    for (sha, _), vec in zip(batch, vectors, strict=True)
                ],
            )
        done += len(batch)
        elapsed = max(time.monotonic() - started, 1e-6)
        rate = done / elapsed
        yield BuildProgress(
            "embedding",
            passages_done=done,
            passages_total=total,
            rate=rate,
            eta_seconds=(total - done) / rate if rate else None,
        )


def _stored_shas(conn: sqlite3.Connection, model_id: str, shas: list[str]) -> set[str]:
    have: set[str] = set()
    for start in range(0, len(shas), 500):
        part = shas[start : start + 500]
        marks = ",".join("?" * len(part))
        have.update(
            r[0]
            for r in conn.execute(
                f"SELECT text_sha FROM embeddings WHERE model_id = ? AND text_sha IN ({marks})",
                (model_id, *part),
            )
        )
    return have


def _check_cancel(cancel: threading.Event) -> None:
    if cancel.is_set():
        raise BuildInterrupted("build interrupted; previous index kept")


def _absolute(path: Path) -> Path:
    return Path(path).expanduser().absolute()


def run_build(events: Iterator[BuildEvent]) -> BuildReport:
    """Drain a build's events and return its report (for callers that show no progress)."""
    report = None
    for event in events:
        if isinstance(event, BuildReport):
            report = event
    assert report is not None
    return report
