"""Plan: which files the build reads, which it keeps as indexed, which it removes.

Before planning, the committed index is checked as a load checks it (metadata and
content digest): an incremental build keeps its unchanged rows and would otherwise
record a new digest over damaged ones. `--full` is the fix for damage, so it skips that
check. A file whose size and mtime are those indexed is not read at all.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path

from index.build.context import BuildContext, PreparedFile
from index.build.events import BuildEvent
from index.build.scan import Found
from index.errors import ModelMismatch
from index.models import Skipped
from index.store.file_rows import IndexedFile, indexed_files
from index.store.schema import check_content, check_meta, is_committed, read_meta


@dataclass(frozen=True)
class BuildPlan:
    roots: list[Path]
    to_read: list[PreparedFile]
    """New files, and indexed ones whose size or mtime changed (all, with `--full`)."""
    unchanged: int
    """Indexed files left as they are without reading them."""
    removed: list[IndexedFile]
    """Indexed files that are gone (not those under a missing root)."""


def check_index(ctx: BuildContext) -> None:
    """Refuse to update a damaged index, or one built with another model, unless `--full`."""
    meta = read_meta(ctx.conn)
    if is_committed(meta) and not ctx.full:
        check_meta(meta, ctx.index_dir)
        check_content(ctx.conn, ctx.index_dir, meta)
    built_with = meta.get("model_id")
    if built_with and built_with != ctx.embedder.model_id and not ctx.full:
        raise ModelMismatch(
            f"the index at {ctx.index_dir} was built with model {built_with}, not "
            f"{ctx.embedder.model_id}; rebuild it with this model using `qa index build --full`"
        )


def plan_build(ctx: BuildContext, found: Found) -> Generator[BuildEvent, None, BuildPlan]:
    indexed = indexed_files(ctx.conn)
    unchanged = 0
    to_read: list[PreparedFile] = []
    for (root, path), file in found.files.items():
        try:
            stat = file.stat()
        except OSError as error:
            yield ctx.skip(Skipped(path, f"cannot read: {error.strerror}"))
            continue
        previous = indexed.get((root, path))
        if (
            previous
            and not ctx.full
            and (previous.size, previous.mtime_ns) == (stat.st_size, stat.st_mtime_ns)
        ):
            unchanged += 1
            continue
        to_read.append(PreparedFile(root, path, file, stat.st_size, stat.st_mtime_ns, previous))
    removed = [
        f
        for key, f in indexed.items()
        if key not in found.files and f.root not in found.missing_roots
    ]
    return BuildPlan(found.roots, to_read, unchanged, removed)
