"""The record of files already hashed and found good, so a load need not hash them again.

Hashing a 1.5 GB vector file at ~1 GB/s would cost more than opening it, and digesting a
database's rows is most of a cold `qa ask`; so a full check is done once per file
identity (device, inode, size, mtime, ctime, for each file that makes up the thing
checked) and remembered in the user cache (`verified-vectors.json`). Any write,
truncation, `utime` or replacement of a file changes its identity (ctime cannot be set
back), so the file is checked again and a damaged one is refused as before.

A check is remembered only once the files' times are `SETTLE_SECONDS` old, so a write
landing in the same coarse clock tick as the hash (the "racy git" problem) can never
hide behind a remembered identity. The record is a cache: unreadable, damaged or
unwritable, it only means checking again.
"""

from __future__ import annotations

import json
import os
import stat
import time
from pathlib import Path

from index.locations import cache_dir

CACHE_NAME = "verified-vectors.json"
SETTLE_SECONDS = 2.0
KEEP = 64
"""Records kept (newest last): a few index folders' vector files and databases."""
MAX_RECORD_BYTES = 1 << 20

Identity = list[int]
"""`file_identity` of each file checked, concatenated (five stat values per file)."""


def file_identity(path: Path) -> Identity:
    """(device, inode, size, mtime ns, ctime ns) of `path`; OSError if it cannot be stat'ed."""
    st = os.stat(path)
    return [st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns]


def is_verified(key: str, identity: Identity, sha256: str) -> bool:
    """Whether the thing named `key` was checked to hash to `sha256` at this identity."""
    entry = _read_record().get(key)
    return isinstance(entry, dict) and entry == {"identity": identity, "sha256": sha256}


def record_verified(key: str, identity: Identity, sha256: str) -> None:
    """Remember that `key` (a path) at this identity hashed to `sha256` (best effort)."""
    newest = max(identity[3::5] + identity[4::5])
    if time.time_ns() - newest < SETTLE_SECONDS * 1e9:
        return
    record_written(key, identity, sha256)


def record_written(key: str, identity: Identity, sha256: str) -> None:
    """Remember `key` at this identity without waiting for its times to settle: only for
    content its writer has just written and hashed itself, under the writer lock."""
    try:
        entries = {k: v for k, v in _read_record().items() if Path(k).exists()}
        entries[key] = {"identity": identity, "sha256": sha256}
        if len(entries) > KEEP:
            entries = dict(list(entries.items())[-KEEP:])
        target = _record_path()
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(entries, indent=1), encoding="utf-8")
        os.replace(tmp, target)
    except OSError:
        pass


def _record_path() -> Path:
    return cache_dir() / CACHE_NAME


def _read_record() -> dict[str, object]:
    try:
        # Without blocking, and only a regular file: a named pipe planted in the cache
        # folder must not hang every load (it is then simply no record).
        fd = os.open(_record_path(), os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                return {}
            data = json.loads(handle.read(MAX_RECORD_BYTES).decode("utf-8"))
    except (OSError, ValueError, RecursionError):
        return {}
    return data if isinstance(data, dict) else {}
