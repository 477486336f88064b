"""Build a sharded library: scan once, build the shards whose files changed, commit the manifest.

The coordinator (this module, in the `qa` process) holds the library's writer lock,
finds the article files once, assigns each to its shard (`assign`), and compares every
shard's share with what that shard has indexed (size and mtime, as one store's build
does): only shards with a difference get a task. The executor (`executors`) runs the
tasks, each a whole, crash-safe build of one shard folder (`task`). Once every task has
committed, the manifest is written with the shards' new generations and the library's
BM25 totals: readers move to the new generation then, all shards at once. A build that
fails or is interrupted leaves the previous manifest in place; shards it did commit
are newer than the manifest says, which readers handle (`qa.sharded`) and the next
build completes.
"""

from __future__ import annotations

import shutil
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

from index.build.events import BuildEvent, BuildProgress, BuildReport
from index.build.folder import NOTHING_TO_INDEX, check_build_folder, known_roots
from index.errors import BuildInterrupted, IndexCorrupt, ModelMismatch, UsageError
from index.models import Skipped
from index.shards.assign import MAX_SHARDS, article_key, shard_of
from index.shards.executors import Executor
from index.shards.manifest import (
    Manifest,
    ShardEntry,
    is_library_file_name,
    is_sharded,
    read_manifest,
    shard_folder_name,
    write_manifest,
)
from index.shards.task import ShardJob, ShardResult
from index.sources.discovery import DEFAULT_MAX_BYTES, discover_files
from index.store.dbfiles import db_path
from index.store.file_rows import indexed_files
from index.store.lock import WriterLock
from index.store.schema import is_committed, open_database, read_meta
from index.store.term_stats import fts_totals


def check_shard_count(shards: int) -> None:
    if not 1 <= shards <= MAX_SHARDS:
        raise UsageError(f"--shards must be between 1 and {MAX_SHARDS}, not {shards}")


def build_library(
    index_dir: Path,
    paths: Sequence[Path] = (),
    *,
    shards: int | None,
    executor: Executor,
    model: str | None,
    model_id: str,
    backend: str = "auto",
    full: bool = False,
    max_bytes: int = DEFAULT_MAX_BYTES,
    cancel: threading.Event | None = None,
    crash_at: tuple[str, Path] | None = None,
) -> Iterator[BuildEvent]:
    """Build or update the sharded library at `index_dir`; yields events, last a report.

    `shards` None keeps the library's count. `crash_at` (tests) kills one worker once at
    a commit step, with a marker file to say it happened (`task.ShardJob.crash_at`).
    """
    started = time.monotonic()
    cancel = cancel or threading.Event()
    index_dir = index_dir.expanduser().absolute()
    new_roots = [p.expanduser().absolute() for p in paths]
    for root in new_roots:
        if not root.exists():
            raise UsageError(f"no such file or folder: {root}")
    previous = _previous(index_dir, shards, model_id, full)
    count = shards or (len(previous.shards) if previous else 1)
    check_shard_count(count)
    known = previous.roots if previous else _roots_of_shards(index_dir)
    roots = list(dict.fromkeys([*known, *map(str, new_roots)]))
    if not roots:
        raise UsageError(NOTHING_TO_INDEX)
    folders = [index_dir / shard_folder_name(n) for n in range(count)]
    for folder in folders:
        check_build_folder(folder, [Path(r) for r in roots])
    executor.prepare()
    index_dir.mkdir(parents=True, exist_ok=True)
    with WriterLock(index_dir):
        yield BuildProgress("scanning")
        assigned, skipped = _assign(roots, count, max_bytes, cancel)
        yield from skipped
        changed = [
            n
            for n in range(count)
            if full or previous is None or _differs(folders[n], assigned[n], roots)
        ]
        jobs = [
            ShardJob(
                folder=str(folders[n]),
                shard=n,
                shards=count,
                roots=tuple(roots),
                model=model,
                backend=backend,
                full=full,
                max_bytes=max_bytes,
                crash_at=crash_at[0] if crash_at else None,
                crash_marker=str(crash_at[1]) if crash_at else None,
            )
            for n in changed
        ]
        results: list[ShardResult] = []
        if jobs:
            yield BuildProgress(f"building {len(jobs)} of {count} shards on {executor.name}")
        for result in executor.run(jobs):
            results.append(result)
            yield BuildProgress(f"shard {result.shard} committed", len(results), len(jobs))
            if cancel.is_set():
                raise BuildInterrupted("build interrupted; the previous index is kept")
        manifest = previous
        if jobs or previous is None or _behind(previous, folders):
            manifest = commit_manifest(index_dir, previous, folders, roots, model_id)
            _remove_extra_shards(index_dir, count)
        assert manifest is not None
    yield _report(index_dir, manifest, results, skipped, time.monotonic() - started)


def _previous(index_dir: Path, shards: int | None, model_id: str, full: bool) -> Manifest | None:
    """The library's manifest, if any, once the build's options are checked against it."""
    if db_path(index_dir).exists():
        raise UsageError(
            f"the index at {index_dir} is a single store (built without --shards); build "
            "the sharded library into a new --index folder"
        )
    if index_dir.is_dir():
        others = sorted(p.name for p in index_dir.iterdir() if not is_library_file_name(p.name))
        if others:
            raise UsageError(
                f"the index folder {index_dir} holds files that are not part of an index "
                f"({others[0][:60]!r}); choose an empty or new folder for the index"
            )
    if not is_sharded(index_dir):
        return None
    try:
        manifest = read_manifest(index_dir)
    except IndexCorrupt:
        if full:
            return None  # --full is the fix for damage: rebuilt from the articles
        raise
    if shards is not None and shards != len(manifest.shards) and not full:
        raise UsageError(
            f"the library at {index_dir} has {len(manifest.shards)} shards, not {shards}; "
            f"rebuild it with --full to change the count"
        )
    if manifest.model_id != model_id and not full:
        raise ModelMismatch(
            f"the index at {index_dir} was built with model {manifest.model_id}, not "
            f"{model_id}; rebuild it with this model using `qa index build --full`"
        )
    return manifest


def _roots_of_shards(index_dir: Path) -> list[str]:
    """The folders the shards cover, when no manifest says (a --full over a damaged one)."""
    roots: list[str] = []
    folders = sorted(index_dir.glob("shard-[0-9][0-9][0-9]")) if index_dir.is_dir() else []
    for folder in folders:
        roots += [str(root) for root in known_roots(folder) or []]
    return list(dict.fromkeys(roots))


def _assign(
    roots: list[str], count: int, max_bytes: int, cancel: threading.Event
) -> tuple[list[dict[tuple[str, str], tuple[int, int]]], list[Skipped]]:
    """Every article file found, by shard: (root, path) -> (size, mtime)."""
    assigned: list[dict[tuple[str, str], tuple[int, int]]] = [{} for _ in range(count)]
    skipped: list[Skipped] = []
    for root in roots:
        folder = Path(root)
        if not folder.exists():
            continue  # the shards' builds report it, and keep its articles
        for item in discover_files(folder, max_bytes=max_bytes):
            if cancel.is_set():
                raise BuildInterrupted("build interrupted; the previous index is kept")
            if isinstance(item, Skipped):
                skipped.append(item)
                continue
            try:
                stat = item.stat()
            except OSError:
                continue  # gone since: the shard's build reports it
            shard = shard_of(article_key(folder, item), count)
            assigned[shard][(root, str(item))] = (stat.st_size, stat.st_mtime_ns)
    return assigned, skipped


def _differs(folder: Path, files: dict[tuple[str, str], tuple[int, int]], roots: list[str]) -> bool:
    """Whether a shard must be built: not committed, other folders, or other files."""
    if not db_path(folder).exists():
        return True
    try:
        conn = open_database(folder)
    except Exception:  # noqa: BLE001 - unreadable: its build says why, or repairs it
        return True
    try:
        if not is_committed(read_meta(conn)):
            return True
        indexed = indexed_files(conn)
        known = {r for (r,) in conn.execute("SELECT root FROM sources")}
    except sqlite3.Error:
        return True
    finally:
        conn.close()
    if known != set(roots):
        return True
    missing = {r for r in roots if not Path(r).exists()}
    held = {key: (f.size, f.mtime_ns) for key, f in indexed.items() if key[0] not in missing}
    return held != files


def _behind(manifest: Manifest, folders: list[Path]) -> bool:
    """Whether the manifest lists other shards, or other generations, than are committed
    (a build stopped between a shard's commit and the manifest's): written again."""
    if len(manifest.shards) != len(folders):
        return True
    for entry, folder in zip(manifest.shards, folders, strict=True):
        try:
            conn = open_database(folder)
        except Exception:  # noqa: BLE001 - unreadable: verify and the shard's build say why
            return True
        try:
            if read_meta(conn).get("generation") != str(entry.generation):
                return True
        finally:
            conn.close()
    return False


def commit_manifest(
    index_dir: Path,
    previous: Manifest | None,
    folders: list[Path],
    roots: list[str],
    model_id: str,
) -> Manifest:
    """Write the manifest of the shards as committed now: each shard's generation and FTS5
    totals, and their sums (BM25's global statistics)."""
    entries = []
    for folder in folders:
        conn = open_database(folder)
        try:
            meta = read_meta(conn)
            rows, tokens = fts_totals(conn)
            articles = int(conn.execute("SELECT count(*) FROM articles").fetchone()[0])
        finally:
            conn.close()
        entries.append(ShardEntry(folder.name, int(meta["generation"]), rows, tokens, articles))
    manifest = Manifest(
        generation=(previous.generation if previous else 0) + 1,
        model_id=model_id,
        roots=tuple(roots),
        shards=tuple(entries),
        built_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    write_manifest(index_dir, manifest)
    return manifest


def _remove_extra_shards(index_dir: Path, count: int) -> None:
    """Shard folders past the count (left by a build with more shards, before --full)."""
    for entry in sorted(index_dir.iterdir()):
        name = entry.name
        if entry.is_dir() and name.startswith("shard-") and name[6:].isdigit():
            if int(name[6:]) >= count:
                shutil.rmtree(entry, ignore_errors=True)


def _report(
    index_dir: Path,
    manifest: Manifest,
    results: list[ShardResult],
    skipped: list[Skipped],
    seconds: float,
) -> BuildReport:
    built = {r.shard for r in results}
    reports = [r.report for r in results]
    kept = [s for n, s in enumerate(manifest.shards) if n not in built]
    notes = [f"shard {r.shard}: {note}" for r in results for note in r.report.notes]
    seen = {s.path for s in skipped}
    later = [s for report in reports for s in report.skipped if s.path not in seen]
    if kept:
        notes.append(f"{len(kept)} of {len(manifest.shards)} shards unchanged, not rebuilt")
    return BuildReport(
        index_dir=index_dir,
        generation=manifest.generation,
        added=sum(r.added for r in reports),
        updated=sum(r.updated for r in reports),
        removed=sum(r.removed for r in reports),
        unchanged=sum(r.unchanged for r in reports) + sum(s.articles for s in kept),
        articles=sum(s.articles for s in manifest.shards),
        passages=manifest.documents,
        sentences=sum(r.sentences for r in reports),
        embedded=sum(r.embedded for r in reports),
        seconds=seconds,
        skipped=(*skipped, *later),
        notes=tuple(notes),
    )
