"""Build or update an index folder from article files, as a stream of progress events.

`build_index` is a generator, like a log scanner that yields progress and takes a
cancel event: the CLI turns its events into a progress line, the TUI into a progress
bar, and both stop it the same way. The previous generation keeps answering until the
single SQLite transaction that points `meta` at the new vector file commits.

Before anything is written, the folder is checked (`index.build.folder`); an
incremental build then checks the committed index as a load does (metadata and content
digest), because it keeps unchanged rows and would otherwise record a new digest over
damaged ones. `--full` is the fix for damage, so it skips that check.
"""

from __future__ import annotations

import errno
import hashlib
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from index.build.folder import (
    NOTHING_TO_INDEX,
    cannot_write,
    check_build_folder,
    check_writable,
    known_roots,
    write_error_reason,
)
from index.embedding.pipeline import EmbeddingPipeline
from index.errors import (
    BuildInterrupted,
    ModelMismatch,
    NoSpace,
    QAError,
    UnreadableFile,
    UsageError,
)
from index.models import Article, Chunk, Embedder, Skipped
from index.sources.chunking import chunk_article
from index.sources.discovery import DEFAULT_MAX_BYTES, discover_files
from index.sources.readers import parse_articles, read_file_bytes
from index.store.lock import WriterLock
from index.store.schema import (
    check_content,
    check_meta,
    connect,
    db_path,
    is_committed,
    is_no_space,
    read_meta,
)
from index.store.vectors import remove_stale_files, vector_file_name
from index.store.writer import commit_generation, fault_point


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
    # Everything that can refuse the build does so before the folder, its lock file or
    # its database is created.
    covered = known_roots(index_dir)
    if not new_roots and not db_path(index_dir).exists():
        raise UsageError(
            f"nothing to index: no index at {index_dir} yet; name a folder or file, "
            f"e.g. `qa index build ~/news --index {index_dir}`"
        )
    if not new_roots and covered == []:
        raise UsageError(NOTHING_TO_INDEX)
    check_build_folder(index_dir, [*(covered or []), *new_roots])
    check_writable(index_dir)
    lock = WriterLock(index_dir)
    try:
        lock.acquire()
    except OSError as error:
        reason = write_error_reason(error)
        if reason is None:
            raise
        raise cannot_write(index_dir, reason) from None
    try:
        conn = connect(index_dir, create=True, full_rebuild=full)
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
    finally:
        lock.release()


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
    if is_committed(meta) and not full:
        check_meta(meta, index_dir)
        check_content(conn, index_dir, meta)
    built_with = meta.get("model_id")
    if built_with and built_with != embedder.model_id:
        if not full:
            raise ModelMismatch(
                f"the index at {index_dir} was built with model {built_with}, not "
                f"{embedder.model_id}; rebuild it with this model using `qa index build --full`"
            )

    covered = [Path(r) for (r,) in conn.execute("SELECT root FROM sources")]
    roots = list(dict.fromkeys([*covered, *new_roots]))
    if not roots:
        raise UsageError(NOTHING_TO_INDEX)

    yield BuildProgress("scanning")
    skipped: list[Skipped] = []
    notes: list[str] = []
    found: dict[tuple[str, str], Path] = {}
    missing_roots: set[str] = set()
    for folder in roots:
        if not folder.exists():
            missing_roots.add(str(folder))
            skipped.append(Skipped(str(folder), "folder not found; its articles are kept"))
            yield skipped[-1]
            continue
        for item in discover_files(folder, max_bytes=max_bytes):
            _check_cancel(cancel)
            if isinstance(item, Skipped):
                skipped.append(item)
                yield item
            else:
                found[(str(folder), str(item))] = item

    existing: dict[tuple[str, str], _FileState] = {}
    article_ids: dict[tuple[str, str], list[int]] = {}
    for aid, root, path, sha, size, mtime in conn.execute(
        "SELECT id, root, path, file_sha, file_size, file_mtime_ns FROM articles"
    ):
        existing.setdefault((root, path), _FileState(root, path, sha, size, mtime))
        article_ids.setdefault((root, path), []).append(aid)

    unchanged: list[tuple[str, str]] = []
    restat: list[_FileState] = []
    to_read: list[tuple[_FileState, Path]] = []
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
        to_read.append((_FileState(root, path, "", stat.st_size, stat.st_mtime_ns), file))

    removed = [key for key in existing if key not in found and key[0] not in missing_roots]

    total = len(to_read)
    chunks_by_file: dict[tuple[str, str], list[list[Chunk]]] = {}
    readable: list[_FileState] = []
    with EmbeddingPipeline(conn, embedder, cancel, reuse=not full) as embedding:
        for done, (state, file) in enumerate(to_read):
            _check_cancel(cancel)
            yield BuildProgress("reading", done, total)
            key = (state.root, state.path)
            old = existing.get(key)
            try:
                # Read once: the hash is of the very bytes that get parsed.
                data = read_file_bytes(file)
                state.sha = hashlib.sha256(data).hexdigest()
                if old and not full and old.sha == state.sha:
                    # Touched, not changed: only its stat is refreshed.
                    unchanged.append(key)
                    restat.append(state)
                    continue
                state.articles = parse_articles(file, Path(state.root), data)
                per_article = _chunked(state, embedder)
            except UnreadableFile as error:
                skipped.append(Skipped(state.path, error.reason))
                yield skipped[-1]
                if old:
                    # Never lose what was indexed: keep the last readable version.
                    unchanged.append(key)
                    notes.append(f"{state.path}: kept the previously indexed version")
                continue
            for article in state.articles:
                for note in article.notes:
                    notes.append(f"{state.path}: {note}")
            chunks_by_file[key] = per_article
            readable.append(state)
            embedding.add({c.text_sha: c.text for chunks in per_article for c in chunks})

        embedded = 0
        fault_point("embedding")
        for progress in embedding.finish():
            embedded = progress.total
            remaining = progress.total - progress.done
            yield BuildProgress(
                "embedding",
                total,
                total,
                passages_done=progress.done,
                passages_total=progress.total,
                rate=progress.rate,
                eta_seconds=remaining / progress.rate if progress.rate else None,
            )
        embedding.restore_durability()

    _check_cancel(cancel)
    yield BuildProgress("committing", total, total)
    replaced = [
        aid
        for key in [*removed, *((s.root, s.path) for s in readable)]
        for aid in article_ids.get(key, [])
    ]
    generation, counts, checked = commit_generation(
        conn,
        index_dir,
        embedder=embedder,
        roots=[str(r) for r in roots],
        delete_article_ids=replaced,
        files=[(s, chunks_by_file[(s.root, s.path)]) for s in readable],
        restat=restat,
        indexed_at=datetime.now(UTC).isoformat(timespec="seconds"),
        full=full,
    )
    notes.extend(checked)
    notes.extend(_clean_up(conn, index_dir, generation, embedder.model_id))
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
    conn: sqlite3.Connection, index_dir: Path, generation: int, model_id: str
) -> list[str]:
    """Remove what the committed generation no longer needs; failures are only notes.

    The build has committed by now, so a full disk or a locked file here must not turn
    into an error that says the previous index was kept: the next build retries. Last,
    the WAL is folded into the database: a reader that cannot write the folder (a
    read-only mount) opens the database `immutable`, which never reads the WAL.
    """
    notes = []
    try:
        keep = {vector_file_name(generation), vector_file_name(generation - 1)}
        remove_stale_files(index_dir, keep=keep)
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
    try:
        # TRUNCATE also empties the -wal file. It would wait (the busy timeout, 30 s) for
        # every open reader to leave the WAL, and a chat keeps one open for its whole
        # life: so it does not wait. Stopping short is harmless (readers that can write
        # see the WAL; a read-only folder with frames left is opened without immutable).
        conn.execute("PRAGMA busy_timeout = 0")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    except sqlite3.Error:
        pass
    return notes


def _chunked(state: _FileState, embedder: Embedder) -> list[list[Chunk]]:
    """The chunks of each article of one file; a failure is that file's skip line.

    Readers bound what they hand on (`index.sources.readers`), but one odd file must never end
    the build for the rest, whatever the splitter meets in it.
    """
    try:
        return [
            chunk_article(a, embedder.count_tokens, embedder.max_tokens) for a in state.articles
        ]
    except QAError:
        raise
    except Exception as error:
        raise UnreadableFile(
            state.path, f"could not be split into passages ({type(error).__name__})"
        ) from None


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
