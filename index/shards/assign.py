"""Which shard an article file belongs to: a stable hash of its path inside its folder.

The key is the file's path relative to the library folder it was found under (as POSIX
text), so moving or remounting the whole library keeps every assignment, and a file's
shard never depends on the machine, the process (Python's `hash` is salted) or the
other files. SHA-256 spreads keys evenly; the count of shards is fixed per library (a
different count needs `--full`).
"""

from __future__ import annotations

import hashlib
from pathlib import Path, PurePath

MAX_SHARDS = 256
"""More shards than cores anywhere near one library; also keeps folder names short."""


def article_key(root: Path | str, path: Path | str) -> str:
    """The assignment key of `path`, found under the library folder `root`."""
    folder, file = PurePath(root), PurePath(path)
    try:
        relative = file.relative_to(folder)
    except ValueError:
        relative = PurePath(file.name)
    text = relative.as_posix()
    # `root` is the file itself when a build names a file rather than a folder.
    return text if text != "." else file.name


def shard_of(key: str, shards: int) -> int:
    """The shard (0..shards-1) of an assignment key."""
    if shards < 1:
        raise ValueError(f"shard count {shards} is not positive")
    digest = hashlib.sha256(key.encode("utf-8", "surrogateescape")).digest()
    return int.from_bytes(digest[:8], "big") % shards


class ShardSelector:
    """Keeps the files of one shard: passed to a shard's build to scan only its own."""

    def __init__(self, shard: int, shards: int) -> None:
        self.shard = shard
        self.shards = shards

    def __call__(self, root: Path, path: Path) -> bool:
        return shard_of(article_key(root, path), self.shards) == self.shard
