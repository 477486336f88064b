"""Scan: the article files under every folder the build covers.

The folders are those the index already covers plus the ones this build names. A folder
that is gone is reported and its articles kept (an unplugged drive must not empty the
index); files discovery refuses (too large, not text) are reported as skipped.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from pathlib import Path

from index.build.context import BuildContext
from index.build.events import BuildEvent, BuildProgress
from index.build.folder import NOTHING_TO_INDEX
from index.errors import UsageError
from index.models import Skipped
from index.sources.discovery import discover_files
from index.store.file_rows import indexed_roots

FileSelector = Callable[[Path, Path], bool]
"""Whether an index holds a file found under a folder: (folder, file) -> keep it."""


@dataclass(frozen=True)
class Found:
    roots: list[Path]
    """Every folder (or file) the build covers, those already indexed first."""
    files: dict[tuple[str, str], Path]
    """Article files by (root, path)."""
    missing_roots: frozenset[str]
    """Roots that are gone: their indexed articles are kept."""


def scan(
    ctx: BuildContext, new_roots: Sequence[Path], keep: FileSelector | None = None
) -> Generator[BuildEvent, None, Found]:
    roots = list(dict.fromkeys([*indexed_roots(ctx.conn), *new_roots]))
    if not roots:
        raise UsageError(NOTHING_TO_INDEX)
    yield BuildProgress("scanning")
    files: dict[tuple[str, str], Path] = {}
    missing: set[str] = set()
    for folder in roots:
        if not folder.exists():
            missing.add(str(folder))
            yield ctx.skip(Skipped(str(folder), "folder not found; its articles are kept"))
            continue
        for item in discover_files(folder, max_bytes=ctx.max_bytes):
            ctx.check_cancel()
            if isinstance(item, Skipped):
                if keep is None or keep(folder, Path(item.path)):
                    yield ctx.skip(item)
            elif keep is not None and not keep(folder, item):
                continue
            else:
                files[(str(folder), str(item))] = item
    return Found(roots, files, frozenset(missing))
