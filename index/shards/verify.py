"""`qa index verify` over a sharded library: the manifest, then every shard as one store.

Each shard is checked as any index folder is (`index.store.verify`), its problems named
by the shard's folder. Then the manifest must agree with what the shards hold: the
generation it lists for each (a newer one means a build committed that shard but did
not finish: a warning, the next build completes it) and the BM25 totals it records,
recounted from each shard's FTS5 table (wrong totals would rank every question wrongly).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from index.errors import IndexUnavailable
from index.shards.manifest import SHARD_FOLDER, manifest_path, read_manifest
from index.store.schema import open_database, read_meta
from index.store.term_stats import fts_totals
from index.store.verify import verify_index

FIX = "rebuild with `qa index build --full`"


def verify_library(index_dir: Path, *, warn: Callable[[str], None] | None = None) -> list[str]:
    """Problems found, one line each naming the shard (or manifest) and the fix."""
    say = warn or (lambda message: None)
    try:
        manifest = read_manifest(index_dir)
    except IndexUnavailable as error:
        return [f"{error}; {FIX}"]
    problems: list[str] = []
    for entry in manifest.shards:
        folder = index_dir / entry.folder
        found = verify_index(folder, warn=_prefixed(say, entry.folder))
        if found:
            problems.extend(f"{entry.folder}: {problem}" for problem in found)
            continue
        try:
            conn = open_database(folder)
        except (IndexUnavailable, sqlite3.Error) as error:
            problems.append(f"{entry.folder}: cannot open ({error}); {FIX}")
            continue
        try:
            generation = int(read_meta(conn).get("generation", -1))
            rows, tokens = fts_totals(conn)
        finally:
            conn.close()
        if generation < entry.generation:
            problems.append(
                f"{entry.folder}: generation {generation} is older than the manifest's "
                f"{entry.generation} ({manifest_path(index_dir)}); {FIX}"
            )
        elif generation > entry.generation:
            say(
                f"{entry.folder}: committed generation {generation} after the manifest's "
                f"{entry.generation} (a build stopped before its end); the next build completes it"
            )
        elif (rows, tokens) != (entry.passages, entry.tokens):
            problems.append(
                f"{entry.folder}: holds {rows} passages of {tokens} tokens but the manifest "
                f"says {entry.passages} of {entry.tokens}; {FIX}"
            )
    listed = {entry.folder for entry in manifest.shards}
    for extra in sorted(p.name for p in index_dir.iterdir() if SHARD_FOLDER.fullmatch(p.name)):
        if extra not in listed:
            say(
                f"{index_dir / extra}: a shard folder the manifest does not list (builds remove it)"
            )
    return problems


def _prefixed(say: Callable[[str], None], name: str) -> Callable[[str], None]:
    return lambda message: say(f"{name}: {message}")
